"""Exercise 07 (production workflow) through the real nbgrader CLI: the solution earns every
autograded point, the untouched release nothing, typical wrong answers
(tests/fixtures/exercises/07/) lose exactly their task's points, and always-equal objects earn
nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbgrader_helpers import CourseCopy, grade_cells, with_cell_sources

pytestmark = pytest.mark.slow

ASSIGNMENT = "07_production"
TESTS = {"task1_check": 2.0, "task2_check": 2.0, "task3_check": 3.0, "task4_check": 3.0}
MANUAL = {"reflection": 2.0}
ANSWERS = ("task1_answer", "task2_answer", "task3_answer", "task4_answer")
FIXTURES = Path(__file__).parent / "fixtures" / "exercises" / "07"


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return CourseCopy(tmp_path_factory.mktemp("course07"), [ASSIGNMENT])


@pytest.fixture(scope="module")
def scores(course):
    return course.round_trip(
        ASSIGNMENT,
        {
            "seed_as_text": lambda s, _: with_cell_sources(s, {"task2_answer": fixture("seed_as_text")}),
            "campaign_with_spaces": lambda s, _: with_cell_sources(s, {"task3_answer": fixture("campaign_with_spaces")}),
            "default_steps": lambda s, _: with_cell_sources(s, {"task4_answer": fixture("remade_with_default_steps")}),
            "always_equal": lambda s, _: with_cell_sources(
                s, {"task2_answer": fixture("always_equal_task2"), "task4_answer": fixture("always_equal_task4")}
            ),
        },
    )


def _explain(course, student):
    return f"cells that raised errors for {student}: {course.failed_cells(ASSIGNMENT, student)}"


def test_source_notebook_metadata_is_complete(course):
    cells = grade_cells(course.source_notebook(ASSIGNMENT))
    for grade_id, points in TESTS.items():
        meta = cells[grade_id]
        assert meta["cell_type"] == "code" and meta["grade"] is True and meta["locked"] is True
        assert meta["points"] == points and meta["schema_version"] == 3
        assert "### BEGIN HIDDEN TESTS" in meta["source"] and "### END HIDDEN TESTS" in meta["source"]
        assert "assert " in meta["source"].split("### BEGIN HIDDEN TESTS")[0]
    for grade_id in ANSWERS:
        meta = cells[grade_id]
        assert meta["solution"] is True and meta["grade"] is False
        assert "### BEGIN SOLUTION" in meta["source"] and "### END SOLUTION" in meta["source"]
    reflection = cells["reflection"]
    assert reflection["cell_type"] == "markdown" and reflection["solution"] is True
    assert reflection["grade"] is True and reflection["points"] == MANUAL["reflection"]
    for grade_id in ("reflection_question", "rubric", "intro", "instructor_note", "key_points", "setup"):
        assert cells[grade_id]["locked"] is True


def test_release_hides_solutions_and_hidden_tests(course, scores):
    release = course.release_notebook(ASSIGNMENT)
    text = "\n".join(cell.source for cell in release.cells)
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Model answer", "genlab.regenerate(OUT", 'rsplit("_s", 1)[1])'):
        assert secret not in text, f"the learner version shows {secret!r}"
    cells = grade_cells(release)
    for grade_id in ANSWERS:
        assert "raise NotImplementedError" in cells[grade_id]["source"]
    assert "autumn_hero_s43" in cells["reflection_question"]["source"]


def test_solution_earns_every_autograded_point(course, scores):
    s = scores["solution"]
    assert s.cells == {**TESTS, "reflection": None}, _explain(course, "solution")
    assert s.auto_score == s.auto_max == sum(TESTS.values())
    assert s.waiting_for_trainer == ["reflection"]


def test_untouched_release_earns_nothing(course, scores):
    s = scores["untouched"]
    assert s.cells == {**{k: 0.0 for k in TESTS}, "reflection": 0.0}
    assert s.score == 0.0 and s.max_score == sum(TESTS.values()) + sum(MANUAL.values())


@pytest.mark.parametrize(
    "student, loses",
    [("seed_as_text", ["task2_check"]), ("campaign_with_spaces", ["task3_check"]), ("default_steps", ["task4_check"])],
)
def test_typical_wrong_answers_lose_exactly_their_task(course, scores, student, loses):
    s = scores[student]
    assert s.cells == {**TESTS, **{k: 0.0 for k in loses}, "reflection": None}, _explain(course, student)


def test_always_equal_objects_earn_nothing(course, scores):
    s = scores["always_equal"]
    assert s.cells == {**TESTS, "task2_check": 0.0, "task4_check": 0.0, "reflection": None}, _explain(
        course, "always_equal"
    )
