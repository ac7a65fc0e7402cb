"""Exercise 03 (under the hood) through the real nbgrader CLI: the solution earns every point, the
untouched release none, and each typical mistake or cheat (tests/fixtures/exercises/03/*.py, the
source of one answer cell each) loses exactly the points of its task."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgrader_helpers import CourseCopy, grade_cells, with_cell_sources


ASSIGNMENT = "03_under_the_hood"
TESTS = {"task1_check": 3.0, "task2_check": 2.0, "task3_check": 4.0}
MANUAL = {"reflection": 2.0}
FIXTURES = Path(__file__).parent / "fixtures" / "exercises" / "03"


def answer(name: str) -> str:
    return (FIXTURES / f"{name}.py").read_text(encoding="utf-8")


# learner -> ({answer cell: fixture}, the test cells that must score 0)
WRONG = {
    "forgot_sqrt": ({"task1_answer": "forgot_sqrt"}, ["task1_check"]),
    "counted_words": ({"task2_answer": "counted_words"}, ["task2_check"]),
    "wrong_guidance": ({"task3_answer": "wrong_guidance"}, ["task3_check"]),
    "cheats": (
        {"task1_answer": "always_equal_1", "task2_answer": "always_equal_2", "task3_answer": "calls_pipeline"},
        ["task1_check", "task2_check", "task3_check"],
    ),
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
    for grade_id in ("intro", "instructor_note", "setup", "brief", "reflection_question", "key_points"):
        assert cells[grade_id]["locked"] is True


@pytest.mark.slow
def test_release_hides_solutions_and_hidden_tests(course, scores):
    text = "\n".join(c.source for c in course.release_notebook(ASSIGNMENT).cells)
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "_switched_off", "Model answer", "(1 - alpha_bar).sqrt()"):
        assert secret not in text, f"the learner version shows {secret!r}"
    cells = grade_cells(course.release_notebook(ASSIGNMENT))
    # the loop's frame stays for the learner; only its two lines are replaced
    assert "internals.predict_noise" in cells["task3_answer"]["source"]
    assert "raise NotImplementedError" in cells["task3_answer"]["source"]


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
def test_calling_the_pipeline_is_caught_by_the_hidden_checks(course, scores):
    errors = course.failed_cells(ASSIGNMENT, "cheats")
    assert "must not call the pipeline" in errors.get("task3_check", ""), errors


# ---- genlab.internals, the helpers of lesson 3 and this exercise (tokenizer only: fast) ---------
def test_token_counts_and_the_77_limit():
    from genlab import internals

    pipe = internals.pipeline("tiny")
    assert internals.count_tokens(pipe, "a red circle on a blue background") == 9  # 7 words + start + end
    assert internals.tokens(pipe, "a red circle") == ["a</w>", "red</w>", "circle</w>"]
    long = ", ".join(["a large striped yellow star on a purple background"] * 8) + ", with a heart"
    assert internals.count_tokens(pipe, long) > internals.MAX_TOKENS
    assert "heart" not in internals.kept_text(pipe, long)
