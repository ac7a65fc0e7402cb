"""Exercise 02 (prompt craft) through the real nbgrader CLI: the solution earns every point, the
untouched release none, and each typical mistake or cheat (tests/fixtures/exercises/02/*.py, the
source of one answer cell each) loses exactly the points of its task."""

from __future__ import annotations

import pytest

from genlab.course.testing import ExerciseSpec

ANSWERS = ("task1_answer", "task2_answer", "task3_answer")

# learner -> ({answer cell: tests/fixtures/exercises/02/<file>.py}, the test cells that must score 0)
WRONG = {
    "swapped_colours": ({"task1_answer": "swapped_colours"}, ["task1_check"]),
    "forgot_negative": ({"task2_answer": "forgot_negative"}, ["task2_check"]),
    "new_seeds": ({"task3_answer": "new_seeds"}, ["task3_check"]),
    "cheats": ({"task1_answer": "always_equal", "task3_answer": "forged_campaign"}, ["task1_check", "task3_check"]),
}

EXERCISE = ExerciseSpec(
    "02_prompt_craft",
    tests={"task1_check": 3.0, "task2_check": 3.0, "task3_check": 3.0},
    manual={"reflection": 2.0},
    answers=ANSWERS,
    locked=("intro", "instructor_note", "setup", "prompt_2", "base", "reflection_question", "key_points"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "outlined, striped, dotted, gradient", "Model answer",
                   "prompting.campaign(colourways"),
    release_shows={grade_id: ("raise NotImplementedError",) for grade_id in ANSWERS},
    wrong=WRONG,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())


@pytest.mark.slow
def test_forged_recipes_are_caught_by_the_hidden_checks(course, scores):
    errors = course.failed_cells(EXERCISE.assignment, "cheats")
    assert "is not" in errors.get("task3_check", ""), errors  # the visible checks passed; the pixels did not


# ---- genlab.prompting, the helpers of lesson 2 and this exercise (fast: no model) ----------------
def test_anatomy_and_parts_follow_the_shapes_grammar():
    from genlab.lessons import prompting
    from genlab.tiny.world import parse_prompt

    made = prompting.anatomy("star", ["large", "yellow"], "on a purple background", style="striped")
    assert made == "a large striped yellow star on a purple background"
    assert prompting.anatomy("circle", ["orange"], "on a black background", style="outlined").startswith("an outlined orange")
    assert parse_prompt(made)["style"] == "striped"
    assert prompting.parts(made) == {"subject": "star", "attributes": ["large", "yellow"],
                                     "setting": "on a purple background", "style": "striped"}
    assert prompting.parts("a star")["setting"] is None
    with pytest.raises(TypeError):
        prompting.anatomy(3)


def test_presets_and_variants():
    from genlab.lessons import prompting

    assert "flat brand" in prompting.presets("shapes") and "product photo" in prompting.presets("real")
    assert prompting.apply_preset("a yellow star on a black background", "flat brand") == (
        "a flat yellow star on a black background", "outlined, striped, dotted, gradient")
    assert prompting.apply_preset("a red star", None, "blurry") == ("a red star", "blurry")
    with pytest.raises(ValueError, match="No style preset"):
        prompting.apply_preset("a red star", "nope")
    assert prompting.variants("a yellow star on a yellow background", "yellow", ["red", "blue"]) == [
        "a red star on a yellow background", "a blue star on a yellow background"]
    with pytest.raises(ValueError):
        prompting.variants("a red star", "green", ["blue"])
    with pytest.raises(ValueError, match="An axis"):
        prompting.xy_grid("a red star", x=("colour", [1]))
