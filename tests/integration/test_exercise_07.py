"""Exercise 07 (production workflow) through the real nbgrader CLI: the solution earns every
autograded point, the untouched release nothing, typical wrong answers
(tests/fixtures/exercises/07/) lose exactly their task's points, and always-equal objects earn
nothing."""

from __future__ import annotations

import pytest

from genlab.course.testing import ExerciseSpec

pytestmark = pytest.mark.slow

ANSWERS = ("task1_answer", "task2_answer", "task3_answer", "task4_answer")

# learner -> ({answer cell: tests/fixtures/exercises/07/<file>.py}, the test cells that must score 0)
WRONG = {
    "seed_as_text": ({"task2_answer": "seed_as_text"}, ["task2_check"]),
    "campaign_with_spaces": ({"task3_answer": "campaign_with_spaces"}, ["task3_check"]),
    "default_steps": ({"task4_answer": "remade_with_default_steps"}, ["task4_check"]),
    "always_equal": (
        {"task2_answer": "always_equal_task2", "task4_answer": "always_equal_task4"},
        ["task2_check", "task4_check"],
    ),
}

EXERCISE = ExerciseSpec(
    "07_production",
    tests={"task1_check": 2.0, "task2_check": 2.0, "task3_check": 3.0, "task4_check": 3.0},
    manual={"reflection": 2.0},
    answers=ANSWERS,
    locked=("reflection_question", "rubric", "intro", "instructor_note", "key_points", "setup"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", "genlab.regenerate(OUT", 'rsplit("_s", 1)[1])'),
    release_shows={
        **{grade_id: ("raise NotImplementedError",) for grade_id in ANSWERS},
        "reflection_question": ("autumn_hero_s43",),
    },
    wrong=WRONG,
    strict=True,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())
