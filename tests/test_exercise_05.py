"""Exercise 05 (brand LoRA) through the real nbgrader CLI: solution → full marks, untouched → zero,
two typical mistakes and always-equal objects lose exactly their points."""

from __future__ import annotations

import pytest

from nbgrader_helpers import CourseCopy, grade_cells, with_cell_sources

pytestmark = pytest.mark.slow

ASSIGNMENT = "05_brand_lora"
TESTS = {"task1_check": 3.0, "task2_check": 3.0, "task3_check": 2.0}
MANUAL = {"reflection": 2.0}

# Typical mistake 1: the LoRA loaded at full weight (the default 1.0) instead of 0.8.
FULL_WEIGHT = """
lora.load_lora("tiny", LORA, adapter_name="brand")
branded = genlab.generate(BRAND, seed=4)
branded.save(OUT / "brand.png")
"""
# Typical mistake 2: "zero" made with the LoRA still at 0.8 (the weight never set to 0).
WEIGHT_NOT_SET = """
zero = genlab.generate(BRAND, seed=4).image
lora.disable_loras("tiny")
off = genlab.generate(BRAND, seed=4).image
"""
# Cheat: pictures that claim to equal anything.
ALWAYS_EQUAL = """
import numpy as np
from PIL import Image

class AlwaysEqual(Image.Image):
    def __eq__(self, other):
        return True
    def __array__(self, dtype=None, copy=None):
        return np.zeros((128, 128, 3), np.uint8)

zero = off = AlwaysEqual()
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return CourseCopy(tmp_path_factory.mktemp("course"), [ASSIGNMENT])


@pytest.fixture(scope="module")
def scores(course):
    return course.round_trip(
        ASSIGNMENT,
        {
            "full_weight": lambda source, _: with_cell_sources(source, {"task1_answer": FULL_WEIGHT}),
            "weight_not_set": lambda source, _: with_cell_sources(source, {"task2_answer": WEIGHT_NOT_SET}),
            "always_equal": lambda source, _: with_cell_sources(source, {"task2_answer": ALWAYS_EQUAL}),
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
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", 'adapter_name="brand", weight=0.8)'):
        assert secret not in text


def test_solution_earns_every_autograded_point(course, scores):
    assert scores["solution"].cells == {**TESTS, "reflection": None}, _explain(course, "solution")


def test_untouched_release_earns_nothing(course, scores):
    assert scores["untouched"].cells == {**{k: 0.0 for k in TESTS}, "reflection": 0.0}


def test_full_weight_loses_task_1(course, scores):
    # task 3 reads the saved file, whatever the weight: it keeps its points.
    assert scores["full_weight"].cells == {**TESTS, "task1_check": 0.0, "reflection": None}, _explain(
        course, "full_weight")


def test_weight_not_set_loses_task_2(course, scores):
    assert scores["weight_not_set"].cells == {**TESTS, "task2_check": 0.0, "reflection": None}, _explain(
        course, "weight_not_set")


def test_always_equal_earns_nothing(course, scores):
    assert scores["always_equal"].cells == {**TESTS, "task2_check": 0.0, "reflection": None}, _explain(
        course, "always_equal")
