"""Round-trip an exercise through the real nbgrader CLI, in a temporary copy of the course.

Reusable for every exercise in exercises/source/:

    course = CourseCopy(tmp_path, ["01_first_images"])
    scores = course.round_trip("01_first_images", {
        "wrong": lambda source, release: with_cell_sources(source, {"task1_answer": "first = ..."}),
    })
    scores["solution"].auto_score == scores["solution"].auto_max   # full marks
    scores["untouched"].score == 0                                 # the release earns nothing
    scores["wrong"].cells["task1_check"] == 0                      # per grade_id

Step by step instead: course.generate(a), course.source_notebook(a), course.release_notebook(a),
course.grade(a, {learner: notebook}), course.scores(a, learner), course.failed_cells(a, learner).

`grade` submits each notebook as a learner (submitted/<learner>/<assignment>/) and runs ONE
`nbgrader autograde` for all of them (every CLI call pays ~5 s of start-up), then reads each
learner's per-cell scores from the gradebook (genlab.course.nbgrader_ops.submission_scores).

The copy is self-contained: its own gradebook, exchange, HOME and Jupyter folders, so tests never
touch the repo's exercises/ and run side by side.

Each exercise is described once, as data: a row of tests/fixtures/exercises/<NN>/exercise.toml read
into an ExerciseSpec (its test cells and points, the cells that must be locked, what the release
must hide and show, its wrong answers and the test cells each must lose). ExerciseSpec has the
checks every exercise shares; tests/integration/test_exercises.py runs them for every row:

    for spec in load_exercises(EXERCISES_TOML):
        spec.assert_source_metadata_complete(course)
        spec.assert_loses_exactly(course, scores, "always_equal")
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from genlab import settings
from genlab.course import nbgrader_ops

NBGRADER = [sys.executable, "-m", "nbgrader"]
ROUND_TRIP_SECONDS = 3600  # one exercise's autograde of all its test learners, every one in both languages
WRONG_ANSWERS_DIR = settings.REPO_ROOT / "tests" / "fixtures" / "exercises"  # <NN>/<name>.py: one answer cell's source
EXERCISES_TOML = "NN/exercise.toml"  # tests/fixtures/exercises/<NN>/exercise.toml: one ExerciseSpec each


def _tail(text: str, n: int = 6000) -> str:
    return text if len(text) <= n else "...\n" + text[-n:]


def with_cell_sources(notebook, sources: dict[str, str]):
    """A copy of `notebook` with the cells named by grade_id given new source text.

    Raises KeyError when a grade_id is not in the notebook (a typo would otherwise test nothing).
    """
    nb = copy.deepcopy(notebook)
    found = set()
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = sources[grade_id]
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
            found.add(grade_id)
    missing = set(sources) - found
    if missing:
        raise KeyError(f"No cells with grade_id {sorted(missing)} in this notebook.")
    return nb


def grade_cells(notebook) -> dict[str, dict]:
    """grade_id → the cell's nbgrader metadata, for every cell that carries some."""
    out = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        if meta and "grade_id" in meta:
            if meta["grade_id"] in out:
                raise AssertionError(f"grade_id {meta['grade_id']!r} is used twice.")
            out[meta["grade_id"]] = dict(meta, cell_type=cell.cell_type, source=cell.source)
    return out


class CourseCopy:
    """A copy of the course (its nbgrader_config.py and some source/ assignments) under `base`."""

    def __init__(self, base: str | os.PathLike, assignments: list[str], course_dir: str | os.PathLike | None = None):
        base = Path(base)
        origin = Path(course_dir) if course_dir else settings.COURSE_DIR
        self.base = base
        self.root = base / "exercises"
        (self.root / "source").mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin / "nbgrader_config.py", self.root / "nbgrader_config.py")
        for name in assignments:
            src = origin / "source" / name
            if not src.is_dir():
                raise FileNotFoundError(f"No assignment {name!r} in {origin / 'source'}.")
            shutil.copytree(src, self.root / "source" / name, ignore=shutil.ignore_patterns(*self._ignore()))
        home = base / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENLAB_EXCHANGE", "GENLAB_ASSIGNMENT_DIR", "JUPYTER"))}
        env.update(
            HOME=str(home),
            JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
            JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
            JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
            GENLAB_EXCHANGE=str(base / "exchange"),
            GENLAB_ASSIGNMENT_DIR=str(base / "my-assignments"),
            GENLAB_PROFILE=settings.get("GENLAB_PROFILE") or "tiny",
            HF_HUB_OFFLINE="1",
            TQDM_DISABLE="1",
            PYTHONUNBUFFERED="1",
            # One torch thread per kernel: on a shared 2-core machine two spinning threads made each
            # picture ~10x slower (measured 8-30 s against 1.5 s).
            OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
        )
        nbgrader_ops.tools_on_path(env)  # nbgrader runs `alembic` by name
        home.mkdir(parents=True, exist_ok=True)
        self.env = env

    @staticmethod
    def _ignore() -> list[str]:
        return [".ipynb_checkpoints", "__pycache__", "*.pyc", "outputs"]

    # ---- the CLI -------------------------------------------------------------------------------
    def nbgrader(self, *args: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
        """Run `nbgrader <args>` in the course root; on failure raise with nbgrader's own output."""
        proc = subprocess.run(
            [*NBGRADER, *args], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"`nbgrader {' '.join(args)}` exited with {proc.returncode}.\n"
                f"--- stdout ---\n{_tail(proc.stdout)}\n--- stderr ---\n{_tail(proc.stderr)}"
            )
        return proc

    def generate(self, assignment: str) -> subprocess.CompletedProcess:
        return self.nbgrader("generate_assignment", assignment, "--force")

    # ---- notebooks -----------------------------------------------------------------------------
    def notebook_names(self, assignment: str) -> list[str]:
        return sorted(p.stem for p in (self.root / "source" / assignment).glob("*.ipynb"))

    def _one(self, assignment: str, name: str | None) -> str:
        names = self.notebook_names(assignment)
        if name is None:
            if len(names) != 1:
                raise ValueError(f"{assignment} has notebooks {names}: say which one.")
            return names[0]
        return name

    def source_notebook(self, assignment: str, name: str | None = None):
        name = self._one(assignment, name)
        return nbformat.read(self.root / "source" / assignment / f"{name}.ipynb", as_version=4)

    def release_notebook(self, assignment: str, name: str | None = None):
        name = self._one(assignment, name)
        path = self.root / "release" / assignment / f"{name}.ipynb"
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: call generate({assignment!r}) first.")
        return nbformat.read(path, as_version=4)

    def autograded_notebook(self, assignment: str, student: str, name: str | None = None):
        """The notebook as the autograder ran it (outputs included): handy when a test fails."""
        name = self._one(assignment, name)
        return nbformat.read(self.root / "autograded" / student / assignment / f"{name}.ipynb", as_version=4)

    def submit(self, assignment: str, student: str, notebooks, timestamp: str | None = None) -> Path:
        """Place notebooks where `nbgrader collect` would: submitted/<student>/<assignment>/.

        `notebooks`: one notebook (for a one-notebook assignment) or {notebook name: notebook}.
        `timestamp` (e.g. "2026-11-20 10:00:00.000000 UTC") is written to timestamp.txt, as the
        exchange does; feedback can only be released for submissions that have one.
        """
        if "cells" in notebooks:  # one notebook (a NotebookNode is a dict too)
            notebooks = {self._one(assignment, None): notebooks}
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, folder / f"{name}.ipynb")
        if timestamp:
            (folder / "timestamp.txt").write_text(timestamp, encoding="utf-8")
        return folder

    def hand_in(self, assignment: str, student: str, notebooks, timestamp: str = "2026-11-20 10:00:00.000000 UTC") -> Path:
        """Put a submission in the exchange's inbound folder exactly as `nbgrader submit` does
        (timestamp.txt, submission_secret.txt, a random suffix), without a CLI start per learner.
        `nbgrader collect` (or genlab course collect) then brings it into submitted/."""
        import base64
        import secrets

        if "cells" in notebooks:
            notebooks = {self._one(assignment, None): notebooks}
        inbound = self.base / "exchange" / "genlab" / "inbound"
        inbound.mkdir(parents=True, exist_ok=True)
        suffix = base64.urlsafe_b64encode(os.urandom(9)).decode("ascii")
        folder = inbound / f"{student}+{assignment}+{timestamp}+{suffix}"
        folder.mkdir()
        for name, nb in notebooks.items():
            nbformat.write(nb, folder / f"{name}.ipynb")
        (folder / "timestamp.txt").write_text(timestamp, encoding="utf-8")
        (folder / "submission_secret.txt").write_text(secrets.token_hex(64), encoding="utf-8")
        return folder

    def autograde(self, assignment: str, student: str | None = None) -> subprocess.CompletedProcess:
        args = ["autograde", assignment, "--force"]
        if student:
            args += ["--student", student]
        # every learner of a round trip in one nbgrader call: the capstone's remake pictures and a
        # clip per learner, so a whole class of answers takes minutes on a 2-core machine
        return self.nbgrader(*args, timeout=ROUND_TRIP_SECONDS)

    # ---- scores --------------------------------------------------------------------------------
    def scores(self, assignment: str, student: str) -> nbgrader_ops.SubmissionScores:
        return nbgrader_ops.submission_scores(assignment, student, self.root)

    def grade(self, assignment: str, submissions: dict) -> dict[str, nbgrader_ops.SubmissionScores]:
        """Submit each {learner: notebook(s)}, autograde them all in one call, return their scores."""
        for student, notebooks in submissions.items():
            self.submit(assignment, student, notebooks)
        self.autograde(assignment)
        return {student: self.scores(assignment, student) for student in submissions}

    def round_trip(self, assignment: str, extra: dict | None = None) -> dict[str, nbgrader_ops.SubmissionScores]:
        """generate_assignment, then autograde "solution" (the source notebooks), "untouched" (the
        release as learners get it) and each `extra` {learner: notebook(s)} in one call.

        `extra` values may be callables taking (source, release) for one-notebook assignments, so
        a test can describe a wrong answer before the release exists.
        """
        self.generate(assignment)
        names = self.notebook_names(assignment)
        source = {n: self.source_notebook(assignment, n) for n in names}
        release = {n: self.release_notebook(assignment, n) for n in names}
        submissions = {"solution": source, "untouched": release}
        for student, notebooks in (extra or {}).items():
            if callable(notebooks):
                notebooks = notebooks(source[names[0]], release[names[0]])
            submissions[student] = notebooks
        return self.grade(assignment, submissions)

    def failed_cells(self, assignment: str, student: str) -> dict[str, str]:
        """grade_id → the error each graded cell ended with, for messages in failing tests."""
        nb = self.autograded_notebook(assignment, student)
        out = {}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error":
                    out[grade_id] = f"{o.get('ename')}: {o.get('evalue')}"
        return out


# ---- one exercise's round-trip tests -------------------------------------------------------------
@dataclass(frozen=True)
class ExerciseSpec:
    """What an exercise's nbgrader round-trip tests check: one exercise.toml.

    assignment     the folder in exercises/source/, e.g. "06_video"; its number ("06") names the
                   folder of wrong answers, tests/fixtures/exercises/06/<name>.py
    tests          autograded test cell grade_id → points
    manual         grade_id → points of the cells a trainer grades (the reflection)
    answers        the learner's answer cells (solution cells)
    locked         further cells that must be locked (intro, setup, the reflection question, ...)
    release_hides  text the learner version (release) must not contain anywhere
    release_shows  grade_id → texts that cell must still contain in the release
    wrong          learner → ({answer cell grade_id: wrong-answer file name}, the test cells that
                   must score 0); every other test cell must keep its full points
    strict         also check cell types, schema_version 3, the END markers, that answer cells are
                   not graded and the reflection is a markdown solution cell, the trainer's queue,
                   the manual and maximum scores (exercises 02 and 03 were written without these checks)
    """

    assignment: str
    tests: dict[str, float]
    manual: dict[str, float]
    answers: tuple[str, ...]
    locked: tuple[str, ...]
    release_hides: tuple[str, ...]
    release_shows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    wrong: dict[str, tuple[dict[str, str], list[str]]] = field(default_factory=dict)
    strict: bool = False

    @classmethod
    def from_row(cls, row: dict) -> "ExerciseSpec":
        """One ``[[exercise]]`` table of an exercise.toml (wrong answers as ``[exercise.wrong.<learner>]``
        with ``answers`` and ``loses``)."""
        row = dict(row)
        wrong = {learner: (dict(w["answers"]), list(w["loses"])) for learner, w in row.pop("wrong", {}).items()}
        shows = {grade_id: tuple(texts) for grade_id, texts in row.pop("release_shows", {}).items()}
        return cls(
            assignment=row.pop("assignment"),
            tests={k: float(v) for k, v in row.pop("tests").items()},
            manual={k: float(v) for k, v in row.pop("manual").items()},
            answers=tuple(row.pop("answers")),
            locked=tuple(row.pop("locked")),
            release_hides=tuple(row.pop("release_hides")),
            release_shows=shows,
            wrong=wrong,
            **row,  # strict; anything else is a TypeError naming it
        )

    @property
    def number(self) -> str:
        return self.assignment.split("_", 1)[0]

    def answer(self, name: str) -> str:
        """The source of one wrong answer cell: tests/fixtures/exercises/<NN>/<name>.py."""
        return (WRONG_ANSWERS_DIR / self.number / f"{name}.py").read_text(encoding="utf-8")

    def wrong_submissions(self) -> dict:
        """learner → a callable for CourseCopy.round_trip: the source notebook with the learner's
        answer cells replaced by their wrong-answer files."""

        def edit(cells: dict[str, str]):
            return lambda source, _release: with_cell_sources(source, {k: self.answer(v) for k, v in cells.items()})

        return {learner: edit(cells) for learner, (cells, _lost) in self.wrong.items()}

    def spanish_submissions(self) -> dict:
        """The same exercise as a learner who fetched it in Spanish hands it in: the solution
        ("solution_es"), the untouched release ("untouched_es") and every wrong answer ("<learner>_es"
        for each learner in `wrong`, gaming ones included), each rendered in es as the fetch plugin
        renders it. The answer cells are the English learner's, byte for byte: only the markdown,
        the comments and the language the checks answer in change."""
        from genlab.core.translations import as_fetched

        out = {
            "solution_es": lambda source, _release: as_fetched(source, "es"),
            "untouched_es": lambda _source, release: as_fetched(release, "es"),
        }
        for learner, make in self.wrong_submissions().items():
            out[f"{learner}_es"] = lambda source, release, make=make: as_fetched(make(source, release), "es")
        return out

    def pass_mark(self) -> float:
        """This assignment's pass mark, as a fraction, from workshops/programme.toml."""
        from genlab.course.progress.programme import load_programme

        return load_programme().pass_mark_for(self.assignment) / 100  # stored in percent

    # ---- expectations --------------------------------------------------------------------------
    def expected_cells(self, lost=()) -> dict:
        """Per-cell scores of a submission that loses exactly the test cells in `lost`: full points
        elsewhere, the manual cells not graded yet (None)."""
        return {**self.tests, **{k: 0.0 for k in lost}, **{k: None for k in self.manual}}

    def explain(self, course: "CourseCopy", student: str) -> str:
        """Message for a failing score check: which graded cells raised which error."""
        return f"cells that raised errors for {student}: {course.failed_cells(self.assignment, student)}"

    # ---- the checks ----------------------------------------------------------------------------
    def assert_source_metadata_complete(self, course: "CourseCopy") -> None:
        cells = grade_cells(course.source_notebook(self.assignment))  # also fails on a repeated grade_id
        for grade_id, points in self.tests.items():
            meta = cells[grade_id]
            assert meta["grade"] is True and meta["locked"] is True and meta["points"] == points
            assert "### BEGIN HIDDEN TESTS" in meta["source"]
            assert "assert " in meta["source"].split("### BEGIN HIDDEN TESTS")[0], f"{grade_id} needs visible checks too"
            if self.strict:
                assert meta["cell_type"] == "code" and meta["schema_version"] == 3
                assert "### END HIDDEN TESTS" in meta["source"]
        for grade_id in self.answers:
            meta = cells[grade_id]
            assert meta["solution"] is True and "### BEGIN SOLUTION" in meta["source"]
            if self.strict:
                assert meta["grade"] is False and "### END SOLUTION" in meta["source"]
        for grade_id, points in self.manual.items():
            meta = cells[grade_id]
            assert meta["grade"] is True and meta["points"] == points
            if self.strict:
                assert meta["cell_type"] == "markdown" and meta["solution"] is True
        for grade_id in self.locked:
            assert cells[grade_id]["locked"] is True

    def assert_release_hides_solutions(self, course: "CourseCopy") -> None:
        release = course.release_notebook(self.assignment)
        text = "\n".join(cell.source for cell in release.cells)
        for secret in self.release_hides:
            assert secret not in text, f"the learner version shows {secret!r}"
        cells = grade_cells(release)
        for grade_id, shown in self.release_shows.items():
            for snippet in shown:
                assert snippet in cells[grade_id]["source"], f"the learner version of {grade_id} lacks {snippet!r}"

    def assert_solution_earns_every_point(self, course: "CourseCopy", scores: dict) -> None:
        s = scores["solution"]
        assert s.cells == self.expected_cells(), self.explain(course, "solution")
        assert s.auto_score == s.auto_max == sum(self.tests.values())
        if self.strict:
            assert s.waiting_for_trainer == list(self.manual)
            assert s.manual_max == sum(self.manual.values())

    def assert_untouched_earns_nothing(self, scores: dict) -> None:
        s = scores["untouched"]
        assert s.cells == {**{k: 0.0 for k in self.tests}, **{k: 0.0 for k in self.manual}}
        assert s.score == 0.0
        if self.strict:
            assert s.max_score == sum(self.tests.values()) + sum(self.manual.values())

    def assert_loses_exactly(self, course: "CourseCopy", scores: dict, learner: str, lost=None) -> None:
        """`learner` scores 0 on the test cells in `lost` (default: theirs in `wrong`), full points
        on every other one."""
        lost = self.wrong[learner][1] if lost is None else lost
        assert scores[learner].cells == self.expected_cells(lost), self.explain(course, learner)

    def feedback(self, course: "CourseCopy", student: str) -> list[tuple[str, str]]:
        """(grade_id, text) of everything the cells `student` did not write show in their graded
        notebook: what the checks and the setup print, and the messages they fail with (the
        exception's message, not its traceback of code). The learner's own answer cells are left
        out: what a learner's code prints is theirs."""
        nb = course.autograded_notebook(self.assignment, student)
        out = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or meta.get("solution"):
                continue
            for o in cell.get("outputs", []):
                kind = o.get("output_type")
                if kind == "stream":
                    out.append((meta.get("grade_id", ""), o.get("text", "")))
                elif kind == "error":
                    out.append((meta.get("grade_id", ""), o.get("evalue", "")))
                elif kind in ("display_data", "execute_result") and "text/plain" in o.get("data", {}):
                    if not any(k.startswith("image/") for k in o["data"]):
                        out.append((meta.get("grade_id", ""), o["data"]["text/plain"]))
        return out

    def assert_spanish_like_english(self, course: "CourseCopy", scores: dict, learner: str) -> None:
        """`learner` handing in the same answers in a notebook fetched in Spanish ("<learner>_es")
        loses exactly the same test cells, and every message the checks give them reads as Spanish."""
        from genlab.core.translations import english_sentences

        spanish = f"{learner}_es"
        self.assert_loses_exactly(course, scores, spanish, lost=self.wrong[learner][1])
        assert scores[spanish].cells == scores[learner].cells, self.explain(course, spanish)
        english = [(gid, s) for gid, text in self.feedback(course, spanish) for s in english_sentences(text)]
        assert english == [], f"{spanish} reads English in its feedback: {english}"


def load_exercises(folder: str | os.PathLike = WRONG_ANSWERS_DIR) -> list[ExerciseSpec]:
    """Every exercise's ``[[exercise]]`` row, from `folder`/<NN>/exercise.toml, in number order."""
    specs = []
    for path in sorted(Path(folder).glob("[0-9][0-9]/exercise.toml")):
        with open(path, "rb") as f:
            specs += [ExerciseSpec.from_row(row) for row in tomllib.load(f)["exercise"]]
    return specs
