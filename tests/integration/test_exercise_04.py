"""Exercise 04 (editing) through the real nbgrader CLI: the solution earns every point, the
untouched release none, and each typical mistake or cheat (tests/fixtures/exercises/04/*.py, the
source of one answer cell each) loses exactly the points of its task."""

from __future__ import annotations

from genlab.course.testing import ExerciseSpec

# learner -> ({answer cell: tests/fixtures/exercises/04/<file>.py}, the test cells that must score 0)
WRONG = {
    "default_strength": ({"task1_answer": "default_strength"}, ["task1_check"]),
    "swapped_mask": ({"task2_answer": "swapped_mask"}, ["task2_check"]),
    "always_equal": ({"task3_answer": "always_equal"}, ["task3_check"]),
}

EXERCISE = ExerciseSpec(
    "04_editing",
    tests={"task1_check": 3.0, "task2_check": 3.0, "task3_check": 2.0},
    manual={"reflection": 2.0},
    answers=("task1_answer", "task2_answer", "task3_answer"),
    locked=("intro", "instructor_note", "setup", "reflection_question", "key_points"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", "box_mask(ASSET, (0, 0, 0.5, 1))"),
    wrong=WRONG,
    strict=True,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())
