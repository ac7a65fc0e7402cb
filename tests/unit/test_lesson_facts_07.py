"""What lesson 07 (production) and exercise 07 state, pinned to the place each fact comes from:
docs/tiny-eval (how well the tiny model follows a prompt), Stable Diffusion 1.5's architecture
(benchmarks/architectures/sd15: its parameter count, hence its weights in fp32 and fp16),
assets/models.toml (GPU memory) and workshops/programme.toml (minutes, pass mark)."""

from __future__ import annotations

import importlib.util
import json
import re

import nbformat

import genlab
from genlab import settings
from genlab.core import hardware

LESSON = settings.NOTEBOOKS_DIR / "07_production.ipynb"
EXERCISE = settings.COURSE_DIR / "source" / "07_production" / "07_production.ipynb"
FIXTURES = settings.REPO_ROOT / "tests" / "fixtures" / "exercises" / "07" / "exercise.toml"
EVALUATION = settings.REPO_ROOT / "docs" / "tiny-eval" / "adherence.json"


def lesson_cells() -> dict:
    return {c.id: c for c in nbformat.read(LESSON, as_version=4).cells}


def markdown(path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")


def test_the_adherence_the_lesson_shows_is_read_from_the_evaluation(capsys):
    exec(lesson_cells()["cell-13b"].source, {})
    out = capsys.readouterr().out.splitlines()
    groups = json.loads(EVALUATION.read_text())["groups"]
    wanted = [groups["seen"]["colour"], groups["position"]["position"], groups["style"]["style"], groups["two-object"]["all"]]
    assert len(out) == len(wanted)
    for line, rate in zip(out, wanted):
        assert re.search(rf"\b{rate['correct']} / {rate['n']}\s+{round(100 * rate['rate'])}%$", line), line


def test_sd15_weights_in_the_lesson_match_its_architecture():
    spec = importlib.util.spec_from_file_location("benchmark_room", settings.REPO_ROOT / "benchmarks" / "room.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    parts = bench.build_components(bench.load_configs("sd15"), device="meta")  # shapes only, no memory
    total = sum(bench.parameter_counts(parts).values())
    text = lesson_cells()["cell-26"].source
    found = re.search(r"about ([\d,]+) million numbers:\s*([\d.]+) GB in fp32, ([\d.]+) GB in fp16", text)
    assert found, text
    millions, fp32, fp16 = int(found[1].replace(",", "")), float(found[2]), float(found[3])
    assert millions == round(total / 1e7) * 10
    assert fp32 == round(total * 4 / 1e9, 1) and fp16 == round(total * 2 / 1e9, 1)


def test_gpu_figures_are_read_from_the_profiles_not_typed():
    text = markdown(LESSON).replace("an NVIDIA GPU with **12 GB**", "")  # Challenge 3's laptop, not a profile
    typed = [m for m in re.findall(r"[\d.]+(?:\s*-\s*[\d.]+)?\s*GB\+?", text) if m not in ("4.3 GB", "2.1 GB")]
    assert typed == [], "GPU memory and downloads are printed from assets/models.toml"
    assert "min_vram_gb" in lesson_cells()["cell-27"].source and "download_gb" in lesson_cells()["cell-27"].source
    assert not re.search(r"\d\s*%", text) and "swaps" not in text and "part of the time" not in text


def test_challenge_3_solution_asks_genlab_doctor_itself(capsys):
    code = re.search(r"```python\n(.*?)```", lesson_cells()["cell-28"].source, re.S)[1]
    exec(code, {"genlab": genlab})
    out = capsys.readouterr().out
    laptop = hardware.Hardware(device="cuda", gpu_name="x", vram_gb=12, ram_gb=16)
    assert f"doctor recommends: {hardware.recommend(laptop)[0]}" in out


def test_the_colleagues_settings_change_every_run():
    """Task 4 cannot be answered by typing values: the setup draws new ones each time."""
    setup = next(c.source for c in nbformat.read(EXERCISE, as_version=4).cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert "random.Random()" in setup and "seed=rng.randrange" in setup


def test_the_exercise_check_messages_are_translatable():
    nb = nbformat.read(EXERCISE, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            assert "from genlab import _" in cell.source
            assert not re.search(r"assert [^\n]*, f\"", cell.source), "messages go through _()"
            assert not re.search(r"_\(f[\"']", cell.source), "never an f-string inside _()"
