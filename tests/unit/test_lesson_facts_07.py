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


# ---- finishing (issue #15) ------------------------------------------------------------------------
import io  # noqa: E402
import tomllib  # noqa: E402

import pytest  # noqa: E402
from PIL import Image, ImageCms  # noqa: E402

from genlab.core import finishing  # noqa: E402
from genlab.core.i18n import UserError  # noqa: E402


def test_a4_at_300_dpi_is_2480_by_3508_as_the_lesson_says():
    assert genlab.print_pixels(21, 29.7) == (2480, 3508)
    assert genlab.print_pixels(10, 15) == (1181, 1772) and genlab.print_pixels(10, 10) == (1181, 1181)
    assert "A4 = 2480 x 3508" in markdown(LESSON) and "# (2480, 3508)" in markdown(LESSON)


def test_the_hand_off_names_in_the_lesson_are_what_handoff_name_writes():
    assert genlab.handoff_name("Café Luna", "Otoño 2027", "Poster", size="A4", colour="cmyk", ext="tif") \
        == "cafe-luna_otono-2027_poster_a4_cmyk_v01.tif"
    assert "cafe-luna_otono-2027_poster_a4_cmyk_v01.tif" in markdown(LESSON)


def test_the_tiny_model_has_no_hires_fix_and_real_profiles_do():
    profiles = genlab.all_profiles()
    assert not profiles["tiny"].hires_fix and profiles["sd15"].hires_fix
    with pytest.raises(UserError):
        genlab.upscale(Image.new("RGB", (128, 128)), 2, hires_fix=True, prompt="a red circle on a white background", profile="tiny")
    assert genlab.upscale(Image.new("RGB", (128, 128)), 4).size == (512, 512)


def test_export_print_embeds_fogra39_at_300_dpi_in_cmyk(tmp_path):
    path = genlab.export_print(Image.new("RGB", (64, 64), (200, 30, 30)), tmp_path / "x.tif", colour="cmyk", width_cm=10)
    with Image.open(path) as printed:
        assert printed.mode == "CMYK" and printed.size == (1181, 1181)
        assert tuple(round(float(v)) for v in printed.info["dpi"]) == (300, 300)
        assert printed.info["icc_profile"] == finishing.CMYK_ICC.read_bytes()
        name = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(printed.info["icc_profile"])))
    assert "FOGRA39" in name
    assert "FOGRA39" in markdown(LESSON) and "assets/icc/README.md" in markdown(LESSON)


def test_exercise_points_minutes_and_gaming_all_agree_with_the_programme():
    nb = nbformat.read(EXERCISE, as_version=4)
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    intro = nb.cells[0].source
    found = re.search(r"\*\*Points:\*\* (\d+) \((\d+) checked by the computer, (\d+) by your trainer\)", intro)
    auto = sum(v for k, v in points.items() if k != "reflection")
    assert (int(found[1]), int(found[2]), int(found[3])) == (sum(points.values()), auto, points["reflection"])
    raw = tomllib.loads((settings.REPO_ROOT / "workshops" / "programme.toml").read_text())
    w = next(x for x in raw["workshops"] if x["id"] == "07_production")
    assert f"**Teaching:** {w['teaching_minutes']} min · **Exercises:** {w['exercise_minutes']} min" in intro
    pass_mark = next(lv for lv in raw["levels"] if lv["id"] == "7").get("pass_mark", raw["programme"]["pass_mark"])
    lost = tomllib.loads(FIXTURES.read_text())["exercise"][0]["wrong"]["gaming_all"]["loses"]
    best = sum(points.values()) - sum(points[k] for k in lost)
    assert 100 * best / sum(points.values()) < pass_mark
