"""Exercise 04 (editing) through the real nbgrader CLI: solution → full marks, untouched → zero,
two typical mistakes and an always-equal object lose exactly their points."""

from __future__ import annotations

import pytest

from nbgrader_helpers import CourseCopy, grade_cells, with_cell_sources

pytestmark = pytest.mark.slow

ASSIGNMENT = "04_editing"
TESTS = {"task1_check": 3.0, "task2_check": 3.0, "task3_check": 2.0}
MANUAL = {"reflection": 2.0}

# Typical mistake 1: strength as a percentage-like "big" number is refused, so the learner leaves the
# default strength (0.75) instead of 0.6.
DEFAULT_STRENGTH = """
edit = genlab.generate("a purple star on a white background", image=ASSET, seed=3)
edit.save(OUT / "edit.png")
"""
# Typical mistake 2: black and white swapped in the mask (the right half white).
SWAPPED_MASK = """
mask = editing.box_mask(ASSET, (0.5, 0, 1, 1))
"""
# Cheat: an object that claims to equal anything, and a share typed by hand.
ALWAYS_EQUAL = """
class AlwaysEqual(float):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = float.__hash__
    def __lt__(self, other):
        return True
    def __gt__(self, other):
        return True
    def __sub__(self, other):
        return AlwaysEqual(0.0)

red_share = AlwaysEqual(0.2)
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return CourseCopy(tmp_path_factory.mktemp("course"), [ASSIGNMENT])


@pytest.fixture(scope="module")
def scores(course):
    return course.round_trip(
        ASSIGNMENT,
        {
            "default_strength": lambda source, _: with_cell_sources(source, {"task1_answer": DEFAULT_STRENGTH}),
            "swapped_mask": lambda source, _: with_cell_sources(source, {"task2_answer": SWAPPED_MASK}),
            "always_equal": lambda source, _: with_cell_sources(source, {"task3_answer": ALWAYS_EQUAL}),
        },
    )


def _explain(course, student):
    return f"cells that raised errors for {student}: {course.failed_cells(ASSIGNMENT, student)}"


def test_source_notebook_metadata_is_complete(course):
    cells = grade_cells(course.source_notebook(ASSIGNMENT))
    for grade_id, points in TESTS.items():
        meta = cells[grade_id]
        assert meta["grade"] is True and meta["locked"] is True and meta["points"] == points
        assert "### BEGIN HIDDEN TESTS" in meta["source"] and "assert " in meta["source"].split("### BEGIN HIDDEN TESTS")[0]
    assert cells["reflection"]["cell_type"] == "markdown" and cells["reflection"]["points"] == MANUAL["reflection"]
    assert cells["reflection_question"]["locked"] is True


def test_release_hides_solutions_and_hidden_tests(course, scores):
    text = "\n".join(cell.source for cell in course.release_notebook(ASSIGNMENT).cells)
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", "box_mask(ASSET, (0, 0, 0.5, 1))"):
        assert secret not in text


def test_solution_earns_every_autograded_point(course, scores):
    s = scores["solution"]
    assert s.cells == {**TESTS, "reflection": None}, _explain(course, "solution")


def test_untouched_release_earns_nothing(course, scores):
    s = scores["untouched"]
    assert s.cells == {**{k: 0.0 for k in TESTS}, "reflection": 0.0}


def test_default_strength_loses_task_1(course, scores):
    assert scores["default_strength"].cells == {**TESTS, "task1_check": 0.0, "reflection": None}, _explain(
        course, "default_strength")


def test_swapped_mask_loses_task_2(course, scores):
    assert scores["swapped_mask"].cells == {**TESTS, "task2_check": 0.0, "reflection": None}, _explain(
        course, "swapped_mask")


def test_always_equal_earns_nothing(course, scores):
    assert scores["always_equal"].cells == {**TESTS, "task3_check": 0.0, "reflection": None}, _explain(
        course, "always_equal")
