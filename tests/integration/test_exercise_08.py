"""Exercise 08 (responsible use) and genlab.responsible.

* fast: the library the lesson and the exercise use (licence facts from assets/models.toml, shares,
  world probes, the watermark round trip through PNG, its absence without the key, JPEG loss);
* slow: the exercise through the real nbgrader CLI: the solution earns every autograded point,
  the untouched release nothing, each typical wrong answer (tests/fixtures/exercises/08/) loses
  exactly its task, and always-equal objects earn nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genlab.course.testing import ExerciseSpec, grade_cells
from genlab.lessons import responsible
from genlab.tiny import world


# ---- fast: genlab.responsible ------------------------------------------------------------------
def test_licence_facts_follow_models_toml():
    facts = responsible.licences()
    assert facts["tiny"].commercial == "yes"
    assert facts["sd-turbo"].commercial == "no"
    assert facts["sd15"].commercial == "yes" and "Attachment A" in facts["sd15"].restrictions
    assert facts["sdxl"].commercial == "yes"  # "Open RAIL++-M" is one licence, not two parts
    assert facts["animatediff"].parts == ("Apache-2.0 (motion adapter)", "CreativeML OpenRAIL-M (SD 1.5)")
    assert facts["ltx-video"].commercial == "check"
    assert "sd-turbo" in responsible.licence_table()


def test_unknown_and_combined_licences_take_the_strictest_part():
    assert [p["commercial"] for p in responsible._facts_for("Some New Licence 1.0")] == ["check"]
    parts = responsible._facts_for("Apache-2.0 + Stability AI Non-Commercial Research Community License")
    assert [p["commercial"] for p in parts] == ["yes", "no"]


def test_shares_skip_unreadable_values():
    assert responsible.shares(["flat", "flat", "striped", None]) == {"flat": 2 / 3, "striped": 1 / 3}
    assert responsible.shares([None, None]) == {}
    assert responsible.shares(["a", None], skip_none=False) == {"a": 0.5, None: 0.5}


def test_world_probe_matches_the_documented_defaults():
    probe = responsible.world_probe("a circle", n=400, seed=1, read=False)
    assert set(probe.values("shape")) == {"circle"}
    assert abs(probe.shares("size")["large"] - 0.8) < 0.06
    assert abs(probe.shares("position")["centre"] - 0.8) < 0.06
    assert abs(probe.shares("style")["flat"] - 0.85) < 0.06
    assert all(r["colour"] != r["background"] for r in probe.readings)
    rows = {r.attribute: r for r in responsible.compare(probe)}
    assert set(rows) == {"colour", "background", "size", "position", "style"}  # "circle" is stated
    assert rows["size"].top == "large" and rows["size"].world_share == 0.8
    assert abs(rows["size"].skew) < 0.06


def test_world_probe_read_by_the_evaluator_agrees_with_the_truth():
    truth = responsible.world_probe("a star on a black background", n=24, seed=3, read=False)
    read = responsible.world_probe("a star on a black background", n=24, seed=3, read=True)
    for attr in ("shape", "colour", "background", "size", "position"):
        assert read.values(attr) == truth.values(attr), attr
    assert "background" not in [r.attribute for r in responsible.compare(read)]


def test_watermark_round_trip_through_png(tmp_path):
    for i, scene in enumerate(responsible.world_scenes("a heart", 6, seed=5)):
        img = world.render(scene)
        path = responsible.save_marked(img, tmp_path / f"m{i}.png", key="k1")
        with Image.open(path) as f:
            assert f.format == "PNG"
        assert responsible.detect_watermark(path, "k1").present
        assert not responsible.detect_watermark(path, "another key").present
        assert not responsible.detect_watermark(img, "k1").present
        assert responsible.psnr(img, path) > 40  # invisible
        # only the blue channel changes, by at most the strength
        diff = np.asarray(Image.open(path).convert("RGB"), int) - np.asarray(img, int)
        assert np.all(diff[..., :2] == 0) and np.abs(diff[..., 2]).max() <= responsible.STRENGTH


def test_watermark_is_lost_in_jpeg_and_recipe_check(tmp_path):
    from genlab.core.recipe import Recipe

    img = world.render(responsible.world_scenes("a red square on a white background", 1, seed=2)[0])
    recipe = Recipe(prompt="a red square on a white background", seed=2, steps=20, guidance=7.0, width=128, height=128, profile="tiny")
    path = responsible.save_marked(img, tmp_path / "x.png", key="k", recipe=recipe)
    info = responsible.check_provenance(path, "k")
    assert info["recipe"] and info["watermark"] and info["profile"] == "tiny" and info["seed"] == 2
    Image.open(path).convert("RGB").save(tmp_path / "x.jpg", quality=90)
    info = responsible.check_provenance(tmp_path / "x.jpg", "k")
    assert info["format"] == "JPEG" and not info["recipe"] and not info["watermark"]
    with pytest.raises(ValueError):
        responsible.embed_watermark(img, "")


def test_unmarked_pictures_stay_below_the_threshold():
    scores = [responsible.watermark_score(world.render(s), "agency") for s in responsible.world_scenes("a circle", 40, seed=9)]
    assert max(abs(s) for s in scores) < responsible.THRESHOLD


# ---- slow: the nbgrader round trip -------------------------------------------------------------
# learner -> ({answer cell: tests/fixtures/exercises/08/<file>.py}, the test cells that must score 0)
WRONG = {
    "wrong_licence": ({"task1_answer": "wrong_licence"}, ["task1_check"]),
    "shares_with_none": ({"task2_answer": "shares_with_none"}, ["task2_check"]),
    "saved_original": ({"task3_answer": "saved_original"}, ["task3_check"]),
    "always_equal": (
        {"task1_answer": "always_equal", "task2_answer": "always_equal", "task3_answer": "always_equal"},
        ["task1_check", "task2_check", "task3_check"],
    ),
}

EXERCISE = ExerciseSpec(
    "08_responsible_use",
    tests={"task1_check": 2.0, "task2_check": 3.0, "task3_check": 3.0},
    manual={"review": 2.0},
    answers=("task1_answer", "task2_answer", "task3_answer"),
    locked=("intro", "instructor_note", "setup", "task1_demo", "task2_data", "review_question", "key_points"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", '"animatediff", "sd15"'),
    release_shows={"task2_answer": ("raise NotImplementedError",)},
    wrong=WRONG,
    strict=True,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())


@pytest.mark.slow
def test_the_review_is_graded_by_a_trainer_with_a_rubric(course, scores):
    nb = course.source_notebook(EXERCISE.assignment)
    assert "Rubric" in grade_cells(nb)["review_question"]["source"]
    assert nb.metadata["genlab"]["lesson"] == EXERCISE.assignment
    assert scores["solution"].manual_max == sum(EXERCISE.manual.values())


def test_ethics_checklist_items_match_the_capstone_checklist():
    """workshops/ethics_checklist.md names the nine CHECKLIST keys the capstone (09) checks."""
    import json
    import re

    root = Path(__file__).resolve().parents[2]
    text = (root / "workshops" / "ethics_checklist.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]
    assert len(rows) == 9
    nb = json.loads((root / "exercises" / "source" / "09_capstone" / "09_capstone.ipynb").read_text())
    check = next("".join(c["source"]) for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "task3_check")
    items = json.loads(re.search(r"ITEMS = (\[.*?\])", check).group(1))
    assert len(items) == 9
    usage = text.split("## How to use it in notebooks")[1]
    for item in items:
        assert f"`{item}`" in usage, item
