"""Exercise 09 (capstone) through the real nbgrader CLI.

The computer checks only what the learner controls and can prove: the deliverables exist, the
stills are PNGs with recipes and the agency watermark (and still_1 is what its recipe makes), the
clip has 8 frames and its recipe, every checklist item is answered. The pitch and the review
are graded by a trainer (rubrics in the notebook and in workshops/09_capstone.md).
Wrong answers (tests/fixtures/exercises/09/) lose exactly their task; always-equal objects earn
nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgrader_helpers import CourseCopy, grade_cells, with_cell_sources

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "exercises" / "09"
ASSIGNMENT = "09_capstone"
TESTS = {"task1_check": 2.0, "task2_check": 2.0, "task3_check": 2.0}
MANUAL = {"pitch": 6.0, "review": 4.0}


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return CourseCopy(tmp_path_factory.mktemp("course09"), [ASSIGNMENT])


@pytest.fixture(scope="module")
def scores(course):
    def edit(**answers):
        return lambda source, _: with_cell_sources(source, {k: _fixture(v) for k, v in answers.items()})

    return course.round_trip(
        ASSIGNMENT,
        {
            "no_watermark": edit(task1_answer="no_watermark.py"),
            # two wrong answers in one run (each run makes pictures: keep the test short)
            "wrong_frames_always_equal": edit(task2_answer="wrong_frames.py", task3_answer="always_equal.py"),
        },
    )


def _explain(course, student):
    return f"cells that raised errors for {student}: {course.failed_cells(ASSIGNMENT, student)}"


def test_source_notebook_metadata_is_complete(course):
    nb = course.source_notebook(ASSIGNMENT)
    cells = grade_cells(nb)
    for grade_id, points in TESTS.items():
        meta = cells[grade_id]
        assert meta["grade"] is True and meta["locked"] is True and meta["points"] == points
        assert "### BEGIN HIDDEN TESTS" in meta["source"] and "assert " in meta["source"].split("### BEGIN HIDDEN TESTS")[0]
    for grade_id, points in MANUAL.items():
        assert cells[grade_id]["cell_type"] == "markdown" and cells[grade_id]["points"] == points
        question = cells[f"{grade_id}_question"]
        assert question["locked"] is True and "Rubric" in question["source"]
    assert sum(MANUAL.values()) > sum(TESTS.values())  # mostly graded by a trainer
    assert nb.metadata["genlab"]["lesson"] == ASSIGNMENT


def test_release_hides_solutions(course, scores):
    release = course.release_notebook(ASSIGNMENT)
    text = "\n".join(c.source for c in release.cells)
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", "seed=12"):
        assert secret not in text
    assert "Rubric for the pitch" in text and "Rubric for the ethics review" in text


def test_solution_earns_every_autograded_point(course, scores):
    s = scores["solution"]
    assert s.cells == {**TESTS, "pitch": None, "review": None}, _explain(course, "solution")
    assert s.manual_max == sum(MANUAL.values())


def test_untouched_release_earns_nothing(course, scores):
    s = scores["untouched"]
    assert s.cells == {**{k: 0.0 for k in TESTS}, "pitch": 0.0, "review": 0.0}


def test_stills_without_watermark_lose_task_1(course, scores):
    s = scores["no_watermark"]
    assert s.cells == {**TESTS, "task1_check": 0.0, "pitch": None, "review": None}, _explain(course, "no_watermark")


def test_wrong_frame_count_and_always_equal_checklist_lose_tasks_2_and_3(course, scores):
    s = scores["wrong_frames_always_equal"]
    assert s.cells == {**TESTS, "task2_check": 0.0, "task3_check": 0.0, "pitch": None, "review": None}, _explain(
        course, "wrong_frames_always_equal"
    )
