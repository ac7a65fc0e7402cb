"""What lesson 06 (video) and exercise 06 state, pinned to the place each fact comes from:
the renderer (which video profiles use strength), docs/tiny-eval (how often the tiny motion
adapter moves the right way), assets/models.toml (GPU memory, default clips) and
workshops/programme.toml (minutes, pass mark)."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

import genlab
from genlab import _  # the lesson imports it in its setup cell; its cells print through it
from genlab import settings
from genlab.core.profiles import all_profiles, get_profile
from genlab.core.render import BatchKey, _uses_strength

LESSON = settings.NOTEBOOKS_DIR / "06_video.ipynb"
EXERCISE = settings.COURSE_DIR / "source" / "06_video" / "06_video.ipynb"
FIXTURES = settings.REPO_ROOT / "tests" / "fixtures" / "exercises" / "06" / "exercise.toml"
EVALUATION = settings.REPO_ROOT / "docs" / "tiny-eval" / "adherence.json"
VIDEO_PROFILES = [name for name, p in all_profiles().items() if p.is_video]


def lesson_cells() -> dict:
    return {c.id: c for c in nbformat.read(LESSON, as_version=4).cells}


def markdown(path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")


def test_the_strength_cell_names_exactly_the_profiles_whose_pipeline_takes_strength(capsys):
    exec(lesson_cells()["cell-24b"].source, {"genlab": genlab, "video_profiles": VIDEO_PROFILES, "_": _})
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert set(lines) == set(VIDEO_PROFILES)
    uses = {}
    for name in VIDEO_PROFILES:
        prof = get_profile(name, video=True)
        d = prof.defaults
        key = BatchKey(profile=name, task="i2v", steps=d["steps"], guidance=d["guidance"], width=d["width"],
                       height=d["height"], sampler=None, strength=0.6, frames=d["frames"], fps=d["fps"])
        uses[name] = _uses_strength(key, prof)
        assert ("uses strength" in lines[name]) is uses[name], lines[name]
        assert ("ignores strength" in lines[name]) is (not uses[name]), lines[name]
    # what the lesson's text says plainly: AnimateDiff uses it, LTX-Video's own image to video does not
    assert uses["animatediff"] and uses["tiny-video"] and not uses["ltx-video"]
    assert "i2v" in get_profile("ltx-video", video=True).tasks
    text = lesson_cells()["cell-24"].source
    assert "AnimateDiff profiles" in text and "LTX-Video" in text and "ignore strength" in text


def test_the_motion_figure_is_read_from_the_evaluation(capsys):
    ns = {"video_profile": "tiny-video", "profile": "tiny"}
    exec(lesson_cells()["cell-04"].source, ns)
    exec(lesson_cells()["cell-04b"].source, ns)
    motion = json.loads(EVALUATION.read_text())["groups"]["motion"]["motion"]
    assert f"{motion['correct']} of {motion['n']} test clips" in capsys.readouterr().out


@pytest.mark.parametrize("path", [LESSON, EXERCISE], ids=["lesson", "exercise"])
def test_no_typed_adherence_speed_or_gpu_figures(path):
    text = markdown(path)
    assert not re.search(r"\d\s*%", text), "adherence figures are read from docs/tiny-eval, not typed"
    assert not re.search(r"\d\s*GB", text), "GPU memory is read from assets/models.toml (min_vram_gb), not typed"
    assert "nine" not in text and "now and then" not in text
    assert not re.search(r"\d+\s*(s|seconds|minutes?)\b[^|]*\b(on a (good )?GPU|laptop)", text)


def test_the_frames_table_adds_up():
    rows = re.findall(r"^\| (\d+) \| (\d+) \| (\d+) s \|", lesson_cells()["cell-10"].source, re.M)
    assert len(rows) == 3
    for frames, fps, seconds in rows:
        assert int(frames) / int(fps) == int(seconds)


def test_the_default_clip_lengths_the_lesson_prints_come_from_the_profiles(capsys):
    ns = {"genlab": genlab, "frames": [None] * 8, "recipe": type("R", (), {"fps": 8}), "_": _}
    exec(lesson_cells()["cell-11"].source, ns)
    out = capsys.readouterr().out
    for name in VIDEO_PROFILES:
        d = get_profile(name, video=True).defaults
        assert f"{name:12} default clip: {d['frames']} frames at {d['fps']} fps" in out


def test_the_exercise_check_messages_are_translatable():
    nb = nbformat.read(EXERCISE, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            assert "from genlab import _" in cell.source
            assert not re.search(r"assert [^\n]*, f\"", cell.source), "messages go through _()"
            assert not re.search(r"_\(f[\"']", cell.source), "never an f-string inside _()"
