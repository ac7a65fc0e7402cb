"""Exercise 00 (Welcome) through the real nbgrader CLI: generate, then autograde the solution, the
untouched release, three typical mistakes and a cheat. Each wrong answer must lose exactly its points."""

from __future__ import annotations

import nbformat
import pytest

from genlab import paths
from nbgrader_helpers import CourseCopy, grade_cells, with_cell_sources

ASSIGNMENT = "00_welcome"
SOURCE = paths.COURSE_DIR / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
TESTS = {"task1_check": 2.0, "task2_check": 2.0}  # autograded test cells
MANUAL = {"reflection": 2.0}  # answered in words, graded by a trainer

# Typical mistake 1: the whole doctor report instead of the name of the profile.
WHOLE_REPORT = """
recommended = genlab.doctor()
"""
# Typical mistake 2: a profile name typed by hand (the one from a GPU room), not read from the report.
TYPED_NAME = """
recommended = "sd15"
"""
# Typical mistake 3: the seed from the lesson (7) instead of seed 11.
WRONG_SEED = """
picture = genlab.generate("a green heart on a white background", seed=7)
picture.save(OUT / "hello.png")
"""

# Cheat: a text that claims to equal anything (task 1), and a patched genlab.read_recipe that
# reports seed 11 while the saved file was made with seed 12 (task 2).
ALWAYS_EQUAL = """
class AlwaysEqual(str):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = str.__hash__

recommended = AlwaysEqual("anything")
"""
FORGED_RECIPE = """
from types import SimpleNamespace

picture = genlab.generate("a green heart on a white background", seed=12)
picture.save(OUT / "hello.png")
_steps = genlab.get_profile().defaults["steps"]
genlab.read_recipe = lambda path: SimpleNamespace(
    prompt="a green heart on a white background", seed=11, steps=_steps, profile="tiny"
)
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
            "whole_report": lambda source, _: with_cell_sources(source, {"task1_answer": WHOLE_REPORT}),
            "typed_name": lambda source, _: with_cell_sources(source, {"task1_answer": TYPED_NAME}),
            "wrong_seed": lambda source, _: with_cell_sources(source, {"task2_answer": WRONG_SEED}),
            "cheat": lambda source, _: with_cell_sources(
                source, {"task1_answer": ALWAYS_EQUAL, "task2_answer": FORGED_RECIPE}
            ),
        },
    )


def _explain(course, student):
    return f"cells that raised errors for {student}: {course.failed_cells(ASSIGNMENT, student)}"


def test_source_notebook_metadata_is_complete():
    nb = nbformat.read(SOURCE, as_version=4)
    cells = grade_cells(nb)  # also fails on a repeated grade_id
    for grade_id, points in TESTS.items():
        meta = cells[grade_id]
        assert meta["cell_type"] == "code" and meta["grade"] is True and meta["locked"] is True
        assert meta["points"] == points and meta["schema_version"] == 3
        assert "### BEGIN HIDDEN TESTS" in meta["source"] and "### END HIDDEN TESTS" in meta["source"]
        visible = meta["source"].split("### BEGIN HIDDEN TESTS")[0]
        assert "assert " in visible, f"{grade_id} needs visible checks too"
    for grade_id in ("task1_answer", "task2_answer"):
        meta = cells[grade_id]
        assert meta["solution"] is True and meta["grade"] is False and meta["locked"] is False
        assert "### BEGIN SOLUTION" in meta["source"] and "### END SOLUTION" in meta["source"]
    reflection = cells["reflection"]
    assert reflection["cell_type"] == "markdown" and reflection["solution"] is True
    assert reflection["grade"] is True and reflection["points"] == MANUAL["reflection"]
    assert cells["reflection_question"]["locked"] is True  # the question survives the release
    for grade_id in ("intro", "instructor_note", "key_points", "setup", "check_my_work"):
        assert cells[grade_id]["locked"] is True
    assert nb.metadata["genlab"]["lesson"] == ASSIGNMENT
    # every graded answer is an nbgrader cell; only the check cell calls genlab.check()
    assert all("nbgrader" in c.metadata for c in nb.cells)
    assert [gid for gid, m in cells.items() if "genlab.check()" in m["source"] and m["cell_type"] == "code"] == [
        "check_my_work"
    ]


@pytest.mark.slow
def test_release_hides_solutions_and_hidden_tests(course, scores):
    release = course.release_notebook(ASSIGNMENT)
    text = "\n".join(cell.source for cell in release.cells)
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "fresh = genlab.doctor()", "seed=11).image", "Model answer"):
        assert secret not in text, f"the learner version shows {secret!r}"
    cells = grade_cells(release)
    for grade_id in ("task1_answer", "task2_answer"):
        assert "raise NotImplementedError" in cells[grade_id]["source"]
    assert "Write your answer here" in cells["reflection"]["source"]
    assert "what do you want to be able to do" in cells["reflection_question"]["source"]
    assert "Task 1 looks right." in cells["task1_check"]["source"]  # visible checks stay visible


@pytest.mark.slow
def test_solution_earns_every_autograded_point(course, scores):
    s = scores["solution"]
    assert s.cells == {**TESTS, "reflection": None}, _explain(course, "solution")
    assert s.auto_score == s.auto_max == sum(TESTS.values())
    assert s.manual_max == sum(MANUAL.values())
    assert s.waiting_for_trainer == ["reflection"]
    # the check cell ran without error outside JupyterLab (it explains instead of failing)
    assert "check_my_work" not in course.failed_cells(ASSIGNMENT, "solution")


@pytest.mark.slow
def test_untouched_release_earns_nothing(course, scores):
    s = scores["untouched"]
    assert s.cells == {**{k: 0.0 for k in TESTS}, "reflection": 0.0}
    assert s.score == 0.0 and s.max_score == sum(TESTS.values()) + sum(MANUAL.values())


@pytest.mark.slow
@pytest.mark.parametrize("student", ["whole_report", "typed_name"])
def test_task1_mistakes_lose_exactly_task_1(course, scores, student):
    s = scores[student]
    assert s.cells == {**TESTS, "task1_check": 0.0, "reflection": None}, _explain(course, student)


@pytest.mark.slow
def test_whole_report_gets_a_plain_words_message(course, scores):
    errors = course.failed_cells(ASSIGNMENT, "whole_report")
    assert "should be text" in errors["task1_check"]


@pytest.mark.slow
def test_wrong_seed_loses_exactly_task_2(course, scores):
    s = scores["wrong_seed"]
    assert s.cells == {**TESTS, "task2_check": 0.0, "reflection": None}, _explain(course, "wrong_seed")


@pytest.mark.slow
def test_always_equal_text_and_forged_recipe_earn_nothing(course, scores):
    s = scores["cheat"]
    assert s.cells == {**TESTS, "task1_check": 0.0, "task2_check": 0.0, "reflection": None}, _explain(course, "cheat")
    errors = course.failed_cells(ASSIGNMENT, "cheat")
    assert "task2_check" in errors  # the forged recipe got past the visible checks; the hidden ones caught it
