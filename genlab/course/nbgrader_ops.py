"""Small helpers over nbgrader's Python API: read the course settings, generate and release
assignments to the exchange, prepare a learner's folder, read scores from the gradebook.

`genlab lab` and the tests use these; `genlab course` grows on them. The course root is a folder
holding `nbgrader_config.py` and `source/<assignment>/*.ipynb` (in this repo: `exercises/`).

Everything that can be decided from files alone (is this assignment generated? released?) is decided
without importing nbgrader, so a second `genlab lab` starts in well under a second.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from genlab import settings

CONFIG_NAME = "nbgrader_config.py"
LEARNER_CONFIG_MARK = "# Made by genlab (genlab/course/nbgrader_ops.py)"


class CourseError(RuntimeError):
    """Something about the course folder stops an nbgrader step; the message says what to do."""


# ---- settings ------------------------------------------------------------------------------------
def absolute_paths(args, names=("course", "programme", "out", "file", "notebook")) -> None:
    """Resolve the path arguments of a command to absolute paths ONCE, where the command starts
    (issue 13: a relative --course failed in grade-all's feedback step after the working folder
    had changed). Call it right after parsing."""
    for name in names:
        value = getattr(args, name, None)
        if isinstance(value, str) and value and "://" not in value:
            setattr(args, name, str(Path(value).expanduser().resolve()))


def course_root(course_dir: str | os.PathLike | None = None) -> Path:
    """The course root (default: the repo's `exercises/`), checked to hold an nbgrader_config.py."""
    root = Path(course_dir).expanduser().resolve() if course_dir else settings.COURSE_DIR
    if not (root / CONFIG_NAME).is_file():
        raise CourseError(
            f"No course found in {root}: it needs an {CONFIG_NAME} and a source/ folder. "
            "Pass the course folder (the one holding source/), e.g. exercises/."
        )
    return root


def load_config(course_dir: str | os.PathLike | None = None):
    """The course's nbgrader settings (a traitlets Config), read from its nbgrader_config.py only,
    so settings in ~/.jupyter do not change what the course does."""
    from traitlets.config.loader import PyFileConfigLoader

    root = course_root(course_dir)
    return PyFileConfigLoader(CONFIG_NAME, path=str(root)).load_config()


@dataclass(frozen=True)
class CourseLayout:
    """Where the course keeps each stage, as the course's own config says."""

    root: Path
    course_id: str
    exchange: Path
    assignment_dir: Path
    ignore: tuple[str, ...]

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def outbound(self) -> Path:
        return self.exchange / self.course_id / "outbound"

    @property
    def inbound(self) -> Path:
        return self.exchange / self.course_id / "inbound"


def layout(course_dir: str | os.PathLike | None = None, config=None) -> CourseLayout:
    root = course_root(course_dir)
    cfg = config if config is not None else load_config(root)
    course_id = str(cfg.CourseDirectory.get("course_id", "") or "")
    if not course_id:
        raise CourseError(f"{root / CONFIG_NAME} sets no CourseDirectory.course_id; add one (e.g. 'genlab').")
    configured_root = Path(str(cfg.CourseDirectory.get("root", root))).resolve()
    if configured_root != root:
        raise CourseError(
            f"{root / CONFIG_NAME} points CourseDirectory.root at {configured_root}, not at its own folder. "
            "Compute it from __file__ so copies of the course work."
        )
    exchange = Path(str(cfg.Exchange.get("root", "/usr/local/share/nbgrader/exchange")))
    assignment_dir = Path(str(cfg.Exchange.get("assignment_dir", ".")))
    ignore = tuple(cfg.CourseDirectory.get("ignore", [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]))
    return CourseLayout(root, course_id, exchange.resolve(), assignment_dir.resolve(), ignore)


# ---- what exists -------------------------------------------------------------------------------
def source_assignments(course_dir: str | os.PathLike | None = None) -> list[str]:
    """Names of the assignments in source/ (folders holding at least one notebook), sorted."""
    source = course_root(course_dir) / "source"
    if not source.is_dir():
        return []
    return sorted(
        p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb"))
    )


def _ignored(name: str, ignore: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in ignore)


def newest_mtime(folder: Path, ignore: tuple[str, ...] = ()) -> float | None:
    """The newest modification time of the files under `folder` (ignored names skipped), or None."""
    if not folder.is_dir():
        return None
    newest = None
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not _ignored(d, ignore)]
        for name in filenames:
            if _ignored(name, ignore):
                continue
            t = os.stat(os.path.join(dirpath, name)).st_mtime
            newest = t if newest is None or t > newest else newest
    return newest


def needs_generate(lay: CourseLayout, assignment: str) -> bool:
    """True when release/<assignment> is missing or older than its source, or there is no gradebook."""
    src = newest_mtime(lay.source / assignment, lay.ignore)
    rel = newest_mtime(lay.release / assignment, lay.ignore)
    return rel is None or (src is not None and src > rel) or not lay.gradebook.is_file()


def needs_release(lay: CourseLayout, assignment: str) -> bool:
    """True when the exchange lacks the assignment or holds an older copy than release/."""
    rel = newest_mtime(lay.release / assignment, lay.ignore)
    out = newest_mtime(lay.outbound / assignment, lay.ignore)
    return out is None or (rel is not None and rel > out)


# ---- nbgrader apps ------------------------------------------------------------------------------
def tools_on_path(env: dict | None = None) -> dict:
    """Put this Python's bin folder on PATH (in `env`, default os.environ) when it is missing.

    nbgrader's gradebook runs the `alembic` command by name (nbgrader/api.py), so a venv used
    without activating it (`.venv/bin/genlab lab`) fails with "No such file or directory: 'alembic'".
    """
    env = os.environ if env is None else env
    bin_dir = str(Path(sys.executable).parent)
    current = env.get("PATH", "")
    if shutil.which("alembic", path=current) is None and bin_dir not in current.split(os.pathsep):
        env["PATH"] = bin_dir + (os.pathsep + current if current else "")
    return env


def nbgrader_api(course_dir: str | os.PathLike | None = None, **overrides):
    """nbgrader's `NbGraderAPI` on the course, with its own config (plus `overrides`, a dict of
    {"Section.option": value})."""
    from nbgrader.apps import NbGraderAPI

    tools_on_path()
    cfg = load_config(course_dir)
    for key, value in overrides.items():
        section, option = key.split(".", 1)
        cfg[section][option] = value
    return NbGraderAPI(config=cfg)


def _check(result: dict, what: str, next_step: str) -> None:
    if not result.get("success"):
        detail = (result.get("log") or "") + (result.get("error") or "")
        raise CourseError(f"{what} failed. {next_step}\n--- nbgrader said ---\n{detail.strip()}")


def generate_assignment(assignment: str, course_dir: str | os.PathLike | None = None, api=None) -> None:
    """`nbgrader generate_assignment` through the Python API: source/ → release/ and the gradebook."""
    api = api or nbgrader_api(course_dir)
    _check(
        api.generate_assignment(assignment, force=True, create=True),
        f"Making the learner version of '{assignment}'",
        f"Open exercises/source/{assignment}/ and check each graded cell's metadata (unique grade_id, points).",
    )


def release_assignment(assignment: str, course_dir: str | os.PathLike | None = None, api=None) -> None:
    """`nbgrader release_assignment --force` through the Python API: release/ → the exchange."""
    if api is None:
        api = nbgrader_api(course_dir, **{"ExchangeReleaseAssignment.force": True})
    _check(
        api.release_assignment(assignment),
        f"Releasing '{assignment}' to the exchange",
        "Check that the exchange folder (GENLAB_EXCHANGE, default exercises/.exchange) can be written.",
    )


def ensure_released(
    course_dir: str | os.PathLike | None = None, assignments: list[str] | None = None, log=print
) -> list[str]:
    """Generate and release every assignment that is new or changed; return what was done.

    Idempotent: when release/ and the exchange are up to date it only looks at file times.
    """
    lay = layout(course_dir)
    names = source_assignments(lay.root) if assignments is None else list(assignments)
    todo_generate = [a for a in names if needs_generate(lay, a)]
    # an assignment regenerated now must be released again too
    todo_release = [a for a in names if a in todo_generate or needs_release(lay, a)]
    if not todo_release:
        return []
    api = nbgrader_api(lay.root, **{"ExchangeReleaseAssignment.force": True})
    done = []
    for a in todo_generate:
        log(f"  making the learner version of {a} ...")
        generate_assignment(a, api=api)
        done.append(f"generated {a}")
    for a in todo_release:
        log(f"  releasing {a} to the course exchange ...")
        release_assignment(a, api=api)
        done.append(f"released {a}")
    return done


def ensure_learner_folder(course_dir: str | os.PathLike | None = None) -> Path:
    """Make the folder learners' fetched assignments go to (Exchange.assignment_dir) and put a
    two-line nbgrader_config.py in it that points at the course config.

    JupyterLab's Assignments tab reads nbgrader settings from that folder (nbgrader 0.9.6,
    server_extensions/assignment_list), so without it the tab cannot find the course.
    """
    lay = layout(course_dir)
    folder = lay.assignment_dir
    folder.mkdir(parents=True, exist_ok=True)
    if folder == lay.root:
        return folder
    target = folder / CONFIG_NAME
    text = (
        f"{LEARNER_CONFIG_MARK}: lets JupyterLab's Assignments tab find the course settings.\n"
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({CONFIG_NAME!r}, path={str(lay.root)!r})  # noqa: F821\n"
    )
    if target.is_file():
        current = target.read_text(encoding="utf-8")
        if current == text:
            return folder
        if LEARNER_CONFIG_MARK not in current:  # someone wrote their own: leave it alone
            return folder
    target.write_text(text, encoding="utf-8")
    return folder


# ---- scores --------------------------------------------------------------------------------------
@dataclass
class SubmissionScores:
    """One learner's scores on one assignment, straight from the gradebook.

    `cells` maps each graded cell's grade_id to its score (None: waiting for a trainer).
    `auto_*` are the autograded test cells; `manual_*` the answers a trainer grades by hand.
    """

    assignment: str
    student: str
    cells: dict[str, float | None] = field(default_factory=dict)
    max_points: dict[str, float] = field(default_factory=dict)
    manual_cells: set[str] = field(default_factory=set)

    @property
    def auto_score(self) -> float:
        return sum(s or 0.0 for k, s in self.cells.items() if k not in self.manual_cells)

    @property
    def auto_max(self) -> float:
        return sum(m for k, m in self.max_points.items() if k not in self.manual_cells)

    @property
    def manual_max(self) -> float:
        return sum(m for k, m in self.max_points.items() if k in self.manual_cells)

    @property
    def score(self) -> float:
        return sum(s or 0.0 for s in self.cells.values())

    @property
    def max_score(self) -> float:
        return sum(self.max_points.values())

    @property
    def waiting_for_trainer(self) -> list[str]:
        return sorted(k for k, s in self.cells.items() if s is None)


def submission_scores(assignment: str, student: str, course_dir: str | os.PathLike | None = None) -> SubmissionScores:
    """Scores of one autograded submission. Raises CourseError when there is none."""
    from nbgrader.api import Gradebook, MissingEntry

    tools_on_path()
    lay = layout(course_dir)
    if not lay.gradebook.is_file():
        raise CourseError(f"There is no gradebook in {lay.root} yet: run `nbgrader generate_assignment {assignment}` first.")
    out = SubmissionScores(assignment=assignment, student=student)
    with Gradebook(f"sqlite:///{lay.gradebook}", lay.course_id) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            raise CourseError(
                f"No graded submission of '{assignment}' by '{student}'. Collect it, then run "
                f"`nbgrader autograde {assignment} --student {student}` in {lay.root}."
            ) from None
        for notebook in submission.notebooks:
            solution_names = {c.name for c in notebook.notebook.solution_cells}
            for grade in notebook.grades:
                key = grade.name if len(submission.notebooks) == 1 else f"{notebook.name}:{grade.name}"
                if grade.manual_score is not None:
                    value = grade.manual_score
                elif grade.needs_manual_grade:
                    value = None
                else:
                    value = grade.auto_score
                out.cells[key] = None if value is None else float(value)
                out.max_points[key] = float(grade.max_score)
                if grade.name in solution_names:  # an answer graded by hand, not a test cell
                    out.manual_cells.add(key)
    return out


# ---- the grading cycle (genlab course ...) ------------------------------------------------------
def collect_assignment(assignment: str, course_dir: str | os.PathLike | None = None) -> list[str]:
    """`nbgrader collect` through the Python API: exchange inbound → submitted/. Returns the learners
    whose submission of `assignment` is now in submitted/."""
    lay = layout(course_dir)
    api = nbgrader_api(lay.root)
    _check(
        api.collect(assignment, update=True),
        f"Collecting '{assignment}'",
        "Check that the exchange folder (GENLAB_EXCHANGE, default exercises/.exchange) can be read.",
    )
    base = lay.root / "submitted"
    return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir()) if base.is_dir() else []


def inbound_learners(lay: CourseLayout, assignment: str) -> list[str]:
    """Learners with something handed in to the exchange for `assignment` (collected or not)."""
    if not lay.inbound.is_dir():
        return []
    out = set()
    for p in lay.inbound.iterdir():
        parts = p.name.rsplit("+", 3)  # as nbgrader reads them: user names may hold '+'
        if len(parts) == 4 and parts[1] == assignment:
            out.add(parts[0])
    return sorted(out)


def course_status(course_dir: str | os.PathLike | None = None) -> dict:
    """What exists for each assignment, from the course folders and the gradebook (no nbgrader run)."""
    lay = layout(course_dir)
    names = set(source_assignments(lay.root))
    learners: list[str] = []
    if lay.gradebook.is_file():
        from nbgrader.api import Gradebook

        tools_on_path()
        with Gradebook(f"sqlite:///{lay.gradebook}", lay.course_id) as gb:
            learners = sorted(s.id for s in gb.students)
            names |= {a.name for a in gb.assignments}
    rows = []
    for a in sorted(names):
        collected = submitted_learners(lay, a)
        graded, to_grade = [], []
        for learner in collected:
            marker = marker_path(lay, a, learner)
            ok = False
            if marker.is_file():
                import json

                try:
                    ok = json.loads(marker.read_text(encoding="utf-8")).get("fingerprint") == submission_fingerprint(lay, a, learner)
                except (OSError, ValueError):
                    ok = False
            (graded if ok else to_grade).append(learner)
        feedback = lay.root / "feedback"
        rows.append(
            {
                "assignment": a,
                "generated": (lay.release / a).is_dir(),
                "released": (lay.outbound / a).is_dir(),
                "handed_in": inbound_learners(lay, a),
                "collected": collected,
                "autograded": graded,
                "to_autograde": to_grade,
                "feedback": sorted(p.name for p in feedback.iterdir() if (p / a).is_dir()) if feedback.is_dir() else [],
            }
        )
    return {"course": lay.root, "course_id": lay.course_id, "exchange": lay.exchange, "learners": learners, "assignments": rows}


def release_and_generate(assignment: str, course_dir: str | os.PathLike | None = None) -> None:
    """generate_assignment + release_assignment (force): what `genlab course release` does."""
    api = nbgrader_api(course_dir, **{"ExchangeReleaseAssignment.force": True})
    generate_assignment(assignment, api=api)
    release_assignment(assignment, api=api)


STATE_DIR = ".genlab"


def _hash_tree(folder: Path, ignore=()) -> str:
    h = hashlib.sha256()
    if folder.is_dir():
        for p in sorted(folder.rglob("*")):
            rel = p.relative_to(folder).as_posix()
            if any(part in (".ipynb_checkpoints", "__pycache__") for part in p.parts) or p.is_symlink():
                continue
            if p.is_file():
                h.update(rel.encode() + b"\0")
                h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def submission_fingerprint(lay: CourseLayout, assignment: str, learner: str) -> str:
    """Changes when the learner's submission or the released assignment changes."""
    sub = _hash_tree(lay.root / "submitted" / learner / assignment)
    rel = _hash_tree(lay.source / assignment)
    return hashlib.sha256(f"{sub}:{rel}".encode()).hexdigest()


def marker_path(lay: CourseLayout, assignment: str, learner: str) -> Path:
    return lay.root / STATE_DIR / "autograde" / assignment / f"{learner}.json"


def write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def submitted_learners(lay: CourseLayout, assignment: str) -> list[str]:
    base = lay.root / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir() and not p.name.startswith("."))
