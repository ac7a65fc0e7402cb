"""Exercise 02 (prompt craft) through the real nbgrader CLI: the solution earns every point, the
untouched release none, and each typical mistake or cheat (tests/fixtures/exercises/02/*.py, the
source of one answer cell each) loses exactly the points of its task."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgrader_helpers import CourseCopy, grade_cells, with_cell_sources


ASSIGNMENT = "02_prompt_craft"
TESTS = {"task1_check": 3.0, "task2_check": 3.0, "task3_check": 3.0}
MANUAL = {"reflection": 2.0}
FIXTURES = Path(__file__).parent / "fixtures" / "exercises" / "02"


def answer(name: str) -> str:
    return (FIXTURES / f"{name}.py").read_text(encoding="utf-8")


# learner -> ({answer cell: fixture}, the test cells that must score 0)
WRONG = {
    "swapped_colours": ({"task1_answer": "swapped_colours"}, ["task1_check"]),
    "forgot_negative": ({"task2_answer": "forgot_negative"}, ["task2_check"]),
    "new_seeds": ({"task3_answer": "new_seeds"}, ["task3_check"]),
    "cheats": ({"task1_answer": "always_equal", "task3_answer": "forged_campaign"}, ["task1_check", "task3_check"]),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return CourseCopy(tmp_path_factory.mktemp("course"), [ASSIGNMENT])


@pytest.fixture(scope="module")
def scores(course):
    def edit(cells):
        return lambda source, _: with_cell_sources(source, {k: answer(v) for k, v in cells.items()})

    return course.round_trip(ASSIGNMENT, {learner: edit(cells) for learner, (cells, _) in WRONG.items()})


def _explain(course, student):
    return f"cells that raised errors for {student}: {course.failed_cells(ASSIGNMENT, student)}"


@pytest.mark.slow
def test_source_notebook_metadata_is_complete(course):
    cells = grade_cells(course.source_notebook(ASSIGNMENT))
    for grade_id, points in TESTS.items():
        meta = cells[grade_id]
        assert meta["grade"] is True and meta["locked"] is True and meta["points"] == points
        assert "### BEGIN HIDDEN TESTS" in meta["source"] and "assert " in meta["source"].split("### BEGIN HIDDEN TESTS")[0]
    for grade_id in ("task1_answer", "task2_answer", "task3_answer"):
        assert cells[grade_id]["solution"] is True and "### BEGIN SOLUTION" in cells[grade_id]["source"]
    assert cells["reflection"]["grade"] is True and cells["reflection"]["points"] == MANUAL["reflection"]
    for grade_id in ("intro", "instructor_note", "setup", "prompt_2", "base", "reflection_question", "key_points"):
        assert cells[grade_id]["locked"] is True


@pytest.mark.slow
def test_release_hides_solutions_and_hidden_tests(course, scores):
    text = "\n".join(c.source for c in course.release_notebook(ASSIGNMENT).cells)
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "outlined, striped, dotted, gradient", "Model answer", "prompting.campaign(colourways"):
        assert secret not in text, f"the learner version shows {secret!r}"
    cells = grade_cells(course.release_notebook(ASSIGNMENT))
    for grade_id in ("task1_answer", "task2_answer", "task3_answer"):
        assert "raise NotImplementedError" in cells[grade_id]["source"]


@pytest.mark.slow
def test_solution_earns_every_autograded_point(course, scores):
    s = scores["solution"]
    assert s.cells == {**TESTS, "reflection": None}, _explain(course, "solution")
    assert s.auto_score == s.auto_max == sum(TESTS.values())


@pytest.mark.slow
def test_untouched_release_earns_nothing(course, scores):
    s = scores["untouched"]
    assert s.cells == {**{k: 0.0 for k in TESTS}, "reflection": 0.0}
    assert s.score == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("learner", list(WRONG))
def test_wrong_answers_lose_exactly_their_points(course, scores, learner):
    lost = WRONG[learner][1]
    expected = {**TESTS, **{k: 0.0 for k in lost}, "reflection": None}
    assert scores[learner].cells == expected, _explain(course, learner)


@pytest.mark.slow
def test_forged_recipes_are_caught_by_the_hidden_checks(course, scores):
    errors = course.failed_cells(ASSIGNMENT, "cheats")
    assert "is not" in errors.get("task3_check", ""), errors  # the visible checks passed; the pixels did not


# ---- genlab.prompting, the helpers of lesson 2 and this exercise (fast: no model) ----------------
def test_anatomy_and_parts_follow_the_shapes_grammar():
    from genlab import prompting
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
    from genlab import prompting

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
