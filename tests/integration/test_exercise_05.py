"""Exercise 05 (brand LoRA) through the real nbgrader CLI: the solution earns every point, the
untouched release none, and each typical mistake or cheat (tests/fixtures/exercises/05/*.py, the
source of one answer cell each) loses exactly the points of its task."""

from __future__ import annotations

from genlab.course.testing import ExerciseSpec

# learner -> ({answer cell: tests/fixtures/exercises/05/<file>.py}, the test cells that must score 0)
WRONG = {
    # task 3 reads the saved file, whatever the weight: it keeps its points
    "full_weight": ({"task1_answer": "full_weight"}, ["task1_check"]),
    "weight_not_set": ({"task2_answer": "weight_not_set"}, ["task2_check"]),
    "always_equal": ({"task2_answer": "always_equal"}, ["task2_check"]),
}

EXERCISE = ExerciseSpec(
    "05_brand_lora",
    tests={"task1_check": 3.0, "task2_check": 3.0, "task3_check": 2.0},
    manual={"reflection": 2.0},
    answers=("task1_answer", "task2_answer", "task3_answer"),
    locked=("intro", "instructor_note", "setup", "reflection_question", "key_points", "cleanup"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", 'adapter_name="brand", weight=0.8)'),
    wrong=WRONG,
    strict=True,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())
