"""Exercise 03 (under the hood) through the real nbgrader CLI: the solution earns every point, the
untouched release none, and each typical mistake or cheat (tests/fixtures/exercises/03/*.py, the
source of one answer cell each) loses exactly the points of its task."""

from __future__ import annotations

import pytest

from genlab.course.testing import ExerciseSpec

# learner -> ({answer cell: tests/fixtures/exercises/03/<file>.py}, the test cells that must score 0)
WRONG = {
    "forgot_sqrt": ({"task1_answer": "forgot_sqrt"}, ["task1_check"]),
    "counted_words": ({"task2_answer": "counted_words"}, ["task2_check"]),
    "wrong_guidance": ({"task3_answer": "wrong_guidance"}, ["task3_check"]),
    "cheats": (
        {"task1_answer": "always_equal_1", "task2_answer": "always_equal_2", "task3_answer": "calls_pipeline"},
        ["task1_check", "task2_check", "task3_check"],
    ),
}

EXERCISE = ExerciseSpec(
    "03_under_the_hood",
    tests={"task1_check": 3.0, "task2_check": 2.0, "task3_check": 4.0},
    manual={"reflection": 2.0},
    answers=("task1_answer", "task2_answer", "task3_answer"),
    locked=("intro", "instructor_note", "setup", "brief", "reflection_question", "key_points"),
    release_hides=("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "_switched_off", "Model answer", "(1 - alpha_bar).sqrt()"),
    # the loop's frame stays for the learner; only its two lines are replaced
    release_shows={"task3_answer": ("internals.predict_noise", "raise NotImplementedError")},
    wrong=WRONG,
)
# fixtures course, scores; tests of the metadata, the release, the solution, the untouched release and
# each wrong answer
EXERCISE.define_tests(globals())


@pytest.mark.slow
def test_calling_the_pipeline_is_caught_by_the_hidden_checks(course, scores):
    errors = course.failed_cells(EXERCISE.assignment, "cheats")
    assert "must not call the pipeline" in errors.get("task3_check", ""), errors


# ---- genlab.internals, the helpers of lesson 3 and this exercise (tokenizer only: fast) ---------
def test_token_counts_and_the_77_limit():
    from genlab.lessons import internals

    pipe = internals.pipeline("tiny")
    assert internals.count_tokens(pipe, "a red circle on a blue background") == 9  # 7 words + start + end
    assert internals.tokens(pipe, "a red circle") == ["a</w>", "red</w>", "circle</w>"]
    long = ", ".join(["a large striped yellow star on a purple background"] * 8) + ", with a heart"
    assert internals.count_tokens(pipe, long) > internals.MAX_TOKENS
    assert "heart" not in internals.kept_text(pipe, long)
