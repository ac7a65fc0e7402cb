"""Exercise 00 (Welcome) through the real nbgrader CLI: the solution earns every point, the
untouched release none, and each typical mistake or cheat (tests/fixtures/exercises/00/*.py, the
source of one answer cell each) loses exactly the points of its task."""

from __future__ import annotations

import pytest

from genlab.course.testing import ExerciseSpec, grade_cells

# learner -> ({answer cell: tests/fixtures/exercises/00/<file>.py}, the test cells that must score 0)
WRONG = {
    "whole_report": ({"task1_answer": "whole_report"}, ["task1_check"]),
    "typed_name": ({"task1_answer": "typed_name"}, ["task1_check"]),
    "wrong_seed": ({"task2_answer": "wrong_seed"}, ["task2_check"]),
    "cheat": ({"task1_answer": "always_equal", "task2_answer": "forged_recipe"}, ["task1_check", "task2_check"]),
}

EXERCISE = ExerciseSpec(
    "00_welcome",
    tests={"task1_check": 2.0, "task2_check": 2.0},
    manual={"reflection": 2.0},  # answered in words, graded by a trainer
    answers=("task1_answer", "task2_answer"),
    locked=("intro", "instructor_note", "key_points", "setup", "check_my_work", "reflection_question"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "fresh = genlab.doctor()", "seed=11).image", "Model answer"),
    release_shows={
        "task1_answer": ("raise NotImplementedError",),
        "task2_answer": ("raise NotImplementedError",),
        "reflection": ("Write your answer here",),
        "reflection_question": ("what do you want to be able to do",),
        "task1_check": ("Task 1 looks right.",),  # visible checks stay visible
    },
    wrong=WRONG,
    strict=True,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())


@pytest.mark.slow
def test_every_cell_is_an_nbgrader_cell_and_only_the_check_cell_calls_check(course):
    nb = course.source_notebook(EXERCISE.assignment)
    assert nb.metadata["genlab"]["lesson"] == EXERCISE.assignment
    assert all("nbgrader" in c.metadata for c in nb.cells)
    cells = grade_cells(nb)
    assert [gid for gid, m in cells.items() if "genlab.check()" in m["source"] and m["cell_type"] == "code"] == [
        "check_my_work"
    ]


@pytest.mark.slow
def test_the_check_cell_explains_instead_of_failing_outside_jupyterlab(course, scores):
    assert "check_my_work" not in course.failed_cells(EXERCISE.assignment, "solution")


@pytest.mark.slow
def test_whole_report_gets_a_plain_words_message(course, scores):
    errors = course.failed_cells(EXERCISE.assignment, "whole_report")
    assert "should be text" in errors["task1_check"]


@pytest.mark.slow
def test_forged_recipe_is_caught_by_the_hidden_checks(course, scores):
    assert "task2_check" in course.failed_cells(EXERCISE.assignment, "cheat")
