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
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from genlab import paths
from genlab.course import nbgrader_ops

NBGRADER = [sys.executable, "-m", "nbgrader"]


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
        origin = Path(course_dir) if course_dir else paths.COURSE_DIR
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
            GENLAB_PROFILE=os.environ.get("GENLAB_PROFILE", "tiny"),
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
        return self.nbgrader(*args)

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
