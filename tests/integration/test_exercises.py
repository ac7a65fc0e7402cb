"""Every exercise in exercises/source/ through the real nbgrader CLI, described as data.

tests/fixtures/exercises/<NN>/exercise.toml describes each exercise (an ExerciseSpec of
genlab.course.testing): its test cells and points, the cells a trainer grades, the cells that must
be locked, what the learner version must hide and show, and typical wrong answers and cheats
(tests/fixtures/exercises/<NN>/<name>.py, the source of one answer cell each) with the test cells
each must lose. For every row:

* the source notebook's nbgrader metadata is complete;
* the release hides solutions and hidden tests, and keeps what learners need;
* the solution earns every autograded point, the untouched release nothing;
* each wrong answer loses exactly its test cells' points and keeps every other one;
* in Spanish (each learner again, in a notebook fetched in es): the solution earns every point, the
  release nothing, each wrong answer loses the same cells as in English, with Spanish messages.

One round trip per exercise ("solution", "untouched" and every wrong answer, in English and in
Spanish, autograded in one `nbgrader autograde` call) serves all of its tests. Below the shared tests are the checks that
belong to one exercise only (a cheat's message, a rubric), named after it.
"""

from __future__ import annotations

import json
import re

import pytest

from genlab import settings
from genlab.course import nbgrader_ops
from genlab.course.testing import (
    ROUND_TRIP_SECONDS,
    WRONG_ANSWERS_DIR,
    CourseCopy,
    ExerciseSpec,
    grade_cells,
    load_exercises,
)

EXERCISES = load_exercises()
BY_NAME = {spec.assignment: spec for spec in EXERCISES}
EACH = pytest.mark.parametrize("spec", EXERCISES, ids=list(BY_NAME))
# the first test of an exercise makes its round trip (every test learner, both languages, one
# nbgrader call): minutes on a 2-core machine, more than the suite's default 900 s per test
pytestmark = pytest.mark.timeout(ROUND_TRIP_SECONDS + 300)
EACH_WRONG = pytest.mark.parametrize(
    ("spec", "learner"),
    [pytest.param(spec, learner, id=f"{spec.assignment}-{learner}") for spec in EXERCISES for learner in spec.wrong],
)


class RoundTrips:
    """One CourseCopy per exercise, and its one round trip, made when a test first needs them and
    kept for the session. A round trip that fails fails every test that needs it, without running
    again."""

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self._courses: dict[str, CourseCopy] = {}
        self._scores: dict[str, dict | Exception] = {}

    def course(self, spec: ExerciseSpec) -> CourseCopy:
        if spec.assignment not in self._courses:
            self._courses[spec.assignment] = CourseCopy(self._tmp.mktemp(f"course{spec.number}"), [spec.assignment])
        return self._courses[spec.assignment]

    def scores(self, spec: ExerciseSpec) -> dict:
        """learner → SubmissionScores for "solution", "untouched" and every learner in spec.wrong."""
        if spec.assignment not in self._scores:
            try:
                extra = {**spec.wrong_submissions(), **spec.spanish_submissions()}
                self._scores[spec.assignment] = self.course(spec).round_trip(spec.assignment, extra)
            except Exception as err:
                self._scores[spec.assignment] = err
        found = self._scores[spec.assignment]
        if isinstance(found, Exception):
            raise found
        return found


@pytest.fixture(scope="session")
def round_trips(tmp_path_factory) -> RoundTrips:
    return RoundTrips(tmp_path_factory)


def _trip(round_trips: RoundTrips, assignment: str) -> tuple[ExerciseSpec, CourseCopy, dict]:
    spec = BY_NAME[assignment]
    return spec, round_trips.course(spec), round_trips.scores(spec)


# ---- the table itself (fast) ---------------------------------------------------------------------
def test_every_exercise_and_every_wrong_answer_file_is_in_the_table():
    assert list(BY_NAME) == nbgrader_ops.source_assignments(settings.COURSE_DIR)
    in_table = {(spec.number, name) for spec in EXERCISES for cells, _lost in spec.wrong.values() for name in cells.values()}
    on_disk = {(p.parent.name, p.stem) for p in WRONG_ANSWERS_DIR.glob("*/*.py")}
    assert in_table == on_disk


# ---- what every exercise must do (slow: nbgrader) ------------------------------------------------
@pytest.mark.slow
@EACH
def test_source_notebook_metadata_is_complete(spec, round_trips):
    spec.assert_source_metadata_complete(round_trips.course(spec))


@pytest.mark.slow
@EACH
def test_release_hides_solutions_and_hidden_tests(spec, round_trips):
    round_trips.scores(spec)  # the round trip made the release
    spec.assert_release_hides_solutions(round_trips.course(spec))


@pytest.mark.slow
@EACH
def test_solution_earns_every_autograded_point(spec, round_trips):
    spec.assert_solution_earns_every_point(round_trips.course(spec), round_trips.scores(spec))


@pytest.mark.slow
@EACH
def test_untouched_release_earns_nothing(spec, round_trips):
    spec.assert_untouched_earns_nothing(round_trips.scores(spec))


@pytest.mark.slow
@EACH_WRONG
def test_wrong_answers_lose_exactly_their_points(spec, learner, round_trips):
    spec.assert_loses_exactly(round_trips.course(spec), round_trips.scores(spec), learner)


@pytest.mark.slow
@EACH
def test_in_spanish_the_solution_earns_every_point_and_the_release_nothing(spec, round_trips):
    """One assignment, two languages: a learner who fetched it in Spanish is graded the same."""
    scores = round_trips.scores(spec)
    course = round_trips.course(spec)
    assert scores["solution_es"].auto_score == scores["solution"].auto_score == sum(spec.tests.values()), spec.explain(course, "solution_es")
    assert scores["untouched_es"].auto_score == 0, spec.explain(course, "untouched_es")


@pytest.mark.slow
@EACH_WRONG
def test_in_spanish_each_wrong_answer_loses_the_same_points_with_spanish_messages(spec, learner, round_trips):
    """The same wrong answer, handed in from a notebook fetched in Spanish ("<learner>_es", in the
    same round trip): the same test cells lost, and the checks' messages in Spanish."""
    spec.assert_spanish_like_english(round_trips.course(spec), round_trips.scores(spec), learner)


@pytest.mark.slow
@EACH
def test_gaming_every_task_scores_below_the_pass_mark_in_both_languages(spec, round_trips):
    """Each exercise has a learner who games every task (typed values, things switched off, filler,
    forged files): the computer-graded points they earn stay below the level's pass mark, in
    either language. (Their written answers are filler, which the trainer's rubric scores 0.)"""
    assert "gaming_all" in spec.wrong, f"tests/fixtures/exercises/{spec.number}/exercise.toml has no gaming_all learner"
    scores = round_trips.scores(spec)
    auto_max = sum(spec.tests.values())
    for learner in ("gaming_all", "gaming_all_es"):
        share = scores[learner].auto_score / auto_max
        assert share < spec.pass_mark(), (learner, share, spec.explain(round_trips.course(spec), learner))


# ---- 00 welcome ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_00_every_cell_is_an_nbgrader_cell_and_only_the_check_cell_calls_check(round_trips):
    spec = BY_NAME["00_welcome"]
    nb = round_trips.course(spec).source_notebook(spec.assignment)
    assert nb.metadata["genlab"]["lesson"] == spec.assignment
    assert all("nbgrader" in c.metadata for c in nb.cells)
    cells = grade_cells(nb)
    assert [gid for gid, m in cells.items() if "genlab.check()" in m["source"] and m["cell_type"] == "code"] == [
        "check_my_work"
    ]


@pytest.mark.slow
def test_00_the_check_cell_explains_instead_of_failing_outside_jupyterlab(round_trips):
    spec, course, _scores = _trip(round_trips, "00_welcome")
    assert "check_my_work" not in course.failed_cells(spec.assignment, "solution")


@pytest.mark.slow
def test_00_whole_report_gets_a_plain_words_message(round_trips):
    spec, course, _scores = _trip(round_trips, "00_welcome")
    errors = course.failed_cells(spec.assignment, "whole_report")
    assert "should be text" in errors["task1_check"]


@pytest.mark.slow
def test_00_forged_recipe_is_caught_by_the_hidden_checks(round_trips):
    spec, course, _scores = _trip(round_trips, "00_welcome")
    assert "task2_check" in course.failed_cells(spec.assignment, "cheat")


# ---- 01 first images -----------------------------------------------------------------------------
@pytest.mark.slow
def test_01_patched_builtins_get_past_the_visible_checks_not_the_hidden_ones(round_trips):
    spec, course, _scores = _trip(round_trips, "01_first_images")
    errors = course.failed_cells(spec.assignment, "patched_builtins")
    assert "task2_check" in errors and "seed-7 picture" in errors["task2_check"]


# ---- 02 prompt craft -----------------------------------------------------------------------------
@pytest.mark.slow
def test_02_forged_recipes_are_caught_by_the_hidden_checks(round_trips):
    spec, course, _scores = _trip(round_trips, "02_prompt_craft")
    errors = course.failed_cells(spec.assignment, "cheats")
    assert "is not" in errors.get("task3_check", ""), errors  # the visible checks passed; the pixels did not


# ---- 03 under the hood ---------------------------------------------------------------------------
@pytest.mark.slow
def test_03_calling_the_pipeline_is_caught_by_the_hidden_checks(round_trips):
    spec, course, _scores = _trip(round_trips, "03_under_the_hood")
    errors = course.failed_cells(spec.assignment, "cheats")
    assert "must not call the pipeline" in errors.get("task3_check", ""), errors


# ---- 08 responsible use --------------------------------------------------------------------------
@pytest.mark.slow
def test_08_the_review_is_graded_by_a_trainer_with_a_rubric(round_trips):
    spec, course, scores = _trip(round_trips, "08_responsible_use")
    nb = course.source_notebook(spec.assignment)
    assert "Rubric" in grade_cells(nb)["review_question"]["source"]
    assert nb.metadata["genlab"]["lesson"] == spec.assignment
    assert scores["solution"].manual_max == sum(spec.manual.values())


def test_08_ethics_checklist_items_match_the_capstone_checklist():
    """workshops/ethics_checklist.md names the nine CHECKLIST keys the capstone (09) checks."""
    root = settings.REPO_ROOT
    text = (root / "workshops" / "ethics_checklist.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]
    assert len(rows) == 9
    nb = json.loads((root / "exercises" / "source" / "09_capstone" / "09_capstone.ipynb").read_text())
    check = next("".join(c["source"]) for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "task3_check")
    items = json.loads(re.search(r"ITEMS = (\[.*?\])", check).group(1))
    assert len(items) == 9
    usage = text.split("## How to use it in notebooks")[1]
    for item in items:
        assert f"`{item}`" in usage, item


# ---- 09 capstone ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_09_a_trainer_grades_most_of_it_with_the_rubrics_shown(round_trips):
    spec, course, scores = _trip(round_trips, "09_capstone")
    nb = course.source_notebook(spec.assignment)
    cells = grade_cells(nb)
    for grade_id in spec.manual:
        assert "Rubric" in cells[f"{grade_id}_question"]["source"]
    assert sum(spec.manual.values()) > sum(spec.tests.values())
    assert nb.metadata["genlab"]["lesson"] == spec.assignment
    assert scores["solution"].manual_max == sum(spec.manual.values())
    release = "\n".join(c.source for c in course.release_notebook(spec.assignment).cells)
    assert "Rubric for the pitch" in release and "Rubric for the ethics review" in release
