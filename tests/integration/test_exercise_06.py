"""Exercise 06 (video) through the real nbgrader CLI: the solution earns every autograded point,
the untouched release nothing, typical wrong answers (tests/fixtures/exercises/06/) lose exactly
their task's points, and always-equal objects earn nothing."""

from __future__ import annotations

import pytest

from genlab.course.testing import ExerciseSpec

pytestmark = pytest.mark.slow

ANSWERS = ("task1_answer", "task2_answer", "task3_answer", "task4_answer")

# learner -> ({answer cell: tests/fixtures/exercises/06/<file>.py}, the test cells that must score 0)
WRONG = {
    "float_frames": ({"task1_answer": "float_frames"}, ["task1_check"]),
    "repeated_ends": ({"task2_answer": "repeated_ends"}, ["task2_check"]),
    "gif_wrong_fps": ({"task3_answer": "gif_wrong_fps"}, ["task3_check"]),
    "always_equal": (
        {"task1_answer": "always_equal_task1", "task2_answer": "always_equal_task2"},
        ["task1_check", "task2_check"],
    ),
}

EXERCISE = ExerciseSpec(
    "06_video",
    tests={"task1_check": 2.0, "task2_check": 3.0, "task3_check": 3.0, "task4_check": 2.0},
    manual={"reflection": 2.0},
    answers=ANSWERS,
    locked=("reflection_question", "rubric", "intro", "instructor_note", "key_points", "setup"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", "forwards[-2:0:-1]", "(4.04, 24), 97"),
    release_shows={
        **{grade_id: ("raise NotImplementedError",) for grade_id in ANSWERS},
        "reflection_question": ("10-second vertical clip",),
    },
    wrong=WRONG,
    strict=True,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())
