"""Exercise 09 (capstone) through the real nbgrader CLI.

The computer checks only what the learner controls and can prove: the deliverables exist, the
stills are PNGs with recipes and the agency watermark (and still_1 is what its recipe makes), the
clip has 8 frames and its recipe, every checklist item is answered. The pitch and the review
are graded by a trainer (rubrics in the notebook and in workshops/09_capstone.md).
Wrong answers (tests/fixtures/exercises/09/) lose exactly their task; always-equal objects earn
nothing.
"""

from __future__ import annotations

import pytest

from genlab.course.testing import ExerciseSpec, grade_cells

# learner -> ({answer cell: tests/fixtures/exercises/09/<file>.py}, the test cells that must score 0)
WRONG = {
    "no_watermark": ({"task1_answer": "no_watermark"}, ["task1_check"]),
    # two wrong answers in one run (each run makes pictures: keep the test short)
    "wrong_frames_always_equal": (
        {"task2_answer": "wrong_frames", "task3_answer": "always_equal"}, ["task2_check", "task3_check"]),
}

EXERCISE = ExerciseSpec(
    "09_capstone",
    tests={"task1_check": 2.0, "task2_check": 2.0, "task3_check": 2.0},
    manual={"pitch": 6.0, "review": 4.0},
    answers=("task1_answer", "task2_answer", "task3_answer"),
    locked=("intro", "instructor_note", "brief", "setup", "sheet", "pitch_question", "review_question", "key_points"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", "seed=12"),
    wrong=WRONG,
    strict=True,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())


@pytest.mark.slow
def test_a_trainer_grades_most_of_it_with_the_rubrics_shown(course, scores):
    nb = course.source_notebook(EXERCISE.assignment)
    cells = grade_cells(nb)
    for grade_id in EXERCISE.manual:
        assert "Rubric" in cells[f"{grade_id}_question"]["source"]
    assert sum(EXERCISE.manual.values()) > sum(EXERCISE.tests.values())
    assert nb.metadata["genlab"]["lesson"] == EXERCISE.assignment
    assert scores["solution"].manual_max == sum(EXERCISE.manual.values())
    release = "\n".join(c.source for c in course.release_notebook(EXERCISE.assignment).cells)
    assert "Rubric for the pitch" in release and "Rubric for the ethics review" in release
