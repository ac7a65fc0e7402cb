"""Exercise 01 through the real nbgrader CLI: generate, then autograde the solution, the untouched
release, a typical mistake and two ways of cheating. Each wrong answer must lose exactly its points."""

from __future__ import annotations

import pytest

from genlab.course.testing import CourseCopy, grade_cells, with_cell_sources

pytestmark = pytest.mark.slow

ASSIGNMENT = "01_first_images"
TESTS = {"task1_check": 3.0, "task2_check": 3.0, "task3_check": 2.0}  # autograded test cells
MANUAL = {"reflection": 2.0}  # answered in words, graded by a trainer

# A typical mistake: the learner keeps the seed from the example instead of seed 7.
WRONG_SEED = """
first = genlab.generate(PROMPT, seed=42)
first.save(OUT / "first.png")
"""

# Cheat 1: objects that claim to equal anything (task 2), and a patched genlab.read_recipe that
# reports the settings task 3 asks for while the saved file was made with the default ones.
ALWAYS_EQUAL = """
class AlwaysEqual:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__
    def __getattr__(self, name):
        return self

twin_1 = twin_2 = other = AlwaysEqual()
"""
FORGED_RECIPE = """
from types import SimpleNamespace

quick = genlab.generate(PROMPT, seed=7)  # default steps and guidance, not what task 3 asks
quick.save(OUT / "quick.png")
genlab.read_recipe = lambda path: SimpleNamespace(prompt=PROMPT, seed=7, steps=10, guidance=3.5)
"""

# Cheat 2: a patched builtin (isinstance says "yes, a picture") and fake pictures whose pixels
# are chosen so the visible checks pass: the twins alike, `other` different.
PATCHED_BUILTINS = """
import builtins
import numpy as np

class FakePicture:
    def __init__(self, value):
        self.value = value
    def __array__(self, dtype=None, copy=None):
        return np.full((128, 128, 3), self.value, dtype=np.uint8)

_real_isinstance = isinstance
builtins.isinstance = lambda obj, cls: True if _real_isinstance(obj, FakePicture) else _real_isinstance(obj, cls)
twin_1, twin_2, other = FakePicture(0), FakePicture(0), FakePicture(255)
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return CourseCopy(tmp_path_factory.mktemp("course"), [ASSIGNMENT])


@pytest.fixture(scope="module")
def scores(course):
    """"solution" and "untouched" come with every round trip; the rest are wrong answers."""
    return course.round_trip(
        ASSIGNMENT,
        {
            "wrong_seed": lambda source, _: with_cell_sources(source, {"task1_answer": WRONG_SEED}),
            "always_equal": lambda source, _: with_cell_sources(
                source, {"task2_answer": ALWAYS_EQUAL, "task3_answer": FORGED_RECIPE}
            ),
            "patched_builtins": lambda source, _: with_cell_sources(source, {"task2_answer": PATCHED_BUILTINS}),
        },
    )


def _explain(course, student):
    return f"cells that raised errors for {student}: {course.failed_cells(ASSIGNMENT, student)}"


def test_source_notebook_metadata_is_complete(course):
    cells = grade_cells(course.source_notebook(ASSIGNMENT))  # also fails on a repeated grade_id
    for grade_id, points in TESTS.items():
        meta = cells[grade_id]
        assert meta["cell_type"] == "code" and meta["grade"] is True and meta["locked"] is True
        assert meta["points"] == points and meta["schema_version"] == 3
        assert "### BEGIN HIDDEN TESTS" in meta["source"] and "### END HIDDEN TESTS" in meta["source"]
        visible = meta["source"].split("### BEGIN HIDDEN TESTS")[0]
        assert "assert " in visible, f"{grade_id} needs visible checks too"
    for grade_id in ("task1_answer", "task2_answer", "task3_answer"):
        meta = cells[grade_id]
        assert meta["solution"] is True and meta["grade"] is False
        assert "### BEGIN SOLUTION" in meta["source"] and "### END SOLUTION" in meta["source"]
    reflection = cells["reflection"]
    assert reflection["cell_type"] == "markdown" and reflection["solution"] is True
    assert reflection["grade"] is True and reflection["points"] == MANUAL["reflection"]
    assert cells["reflection_question"]["locked"] is True  # the question survives the release
    for grade_id in ("intro", "instructor_note", "key_points", "setup"):
        assert cells[grade_id]["locked"] is True


def test_release_hides_solutions_and_hidden_tests(course, scores):
    release = course.release_notebook(ASSIGNMENT)
    text = "\n".join(cell.source for cell in release.cells)
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "expected_8", "seed=7, steps=10, guidance=3.5)", "Model answer"):
        assert secret not in text, f"the learner version shows {secret!r}"
    cells = grade_cells(release)
    for grade_id in ("task1_answer", "task2_answer", "task3_answer"):
        assert "raise NotImplementedError" in cells[grade_id]["source"]
    assert "Write your answer here" in cells["reflection"]["source"]
    assert "what does the seed do?" in cells["reflection_question"]["source"]
    assert "Task 1 looks right." in cells["task1_check"]["source"]  # visible checks stay visible


def test_solution_earns_every_autograded_point(course, scores):
    s = scores["solution"]
    assert s.cells == {**TESTS, "reflection": None}, _explain(course, "solution")
    assert s.auto_score == s.auto_max == sum(TESTS.values())
    assert s.manual_max == sum(MANUAL.values())
    assert s.waiting_for_trainer == ["reflection"]


def test_untouched_release_earns_nothing(course, scores):
    s = scores["untouched"]
    assert s.cells == {**{k: 0.0 for k in TESTS}, "reflection": 0.0}
    assert s.score == 0.0 and s.max_score == sum(TESTS.values()) + sum(MANUAL.values())


def test_wrong_seed_loses_exactly_task_1(course, scores):
    s = scores["wrong_seed"]
    assert s.cells == {**TESTS, "task1_check": 0.0, "reflection": None}, _explain(course, "wrong_seed")


def test_always_equal_objects_and_forged_recipe_earn_nothing(course, scores):
    s = scores["always_equal"]
    assert s.cells == {**TESTS, "task2_check": 0.0, "task3_check": 0.0, "reflection": None}, _explain(
        course, "always_equal"
    )


def test_patched_builtins_earn_nothing(course, scores):
    s = scores["patched_builtins"]
    assert s.cells == {**TESTS, "task2_check": 0.0, "reflection": None}, _explain(course, "patched_builtins")
    # The patch got past the visible checks; the hidden ones caught it.
    errors = course.failed_cells(ASSIGNMENT, "patched_builtins")
    assert "task2_check" in errors and "seed-7 picture" in errors["task2_check"]
