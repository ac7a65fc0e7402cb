"""Who did what: every learner × assignment with a status, read through nbgrader's Python API.

This is the one data layer behind the progress report (HTML, CSV), the later dashboard and the
Gradio progress app. It never writes SQL: it asks nbgrader's ``Gradebook`` (and, when the course
folder is there, looks at nbgrader's ``submitted/`` and ``autograded/`` folders the same way
nbgrader's own formgrader does).

Each row has a status (``"not started"``, ``"submitted"``, ``"needs manual grading"``,
``"graded"``): the words, colours and meanings live in :mod:`genlab.course.progress.states`.

    >>> progress = load_progress()            # exercises/ and its gradebook.db
    >>> progress.rows[0]["status"], progress.rows[0]["score"], progress.rows[0]["max_score"]
    >>> progress.to_frame()                    # the same rows as a pandas DataFrame
    >>> progress.assignment_summary()          # per assignment: how many submitted, graded, ...
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from genlab.course.progress.states import GRADED, NEEDS_MANUAL_GRADING, NOT_STARTED, STATUSES, SUBMITTED

#: The columns of one learner × assignment row, in CSV order.
ROW_FIELDS = (
    "learner_id",
    "learner",
    "first_name",
    "last_name",
    "email",
    "team",
    "assignment",
    "status",
    "score",
    "max_score",
    "percent",
    "submitted_at",
    "due_at",
    "late",
)


#: Optional file in the course folder: one learner a line, ``id,name,email,team``. It is the roster
#: ``genlab course learners add|import`` keeps (genlab/course/learners.py); nbgrader has no team
#: field, so teams live only there.
LEARNERS_FILE = "learners.csv"


class NoGradebookError(FileNotFoundError):
    """There is no gradebook yet where we looked (``path``: where; the message is English, for logs
    and scripts; pages say it in the reader's language from ``path``)."""

    def __init__(self, message: str, path=None):
        super().__init__(message)
        self.path = path


@dataclass
class Progress:
    """Plain data: learners, assignments and one row per learner × assignment.

    Rows are dicts with the keys in ``ROW_FIELDS``. ``score`` is ``None`` unless the submission has
    been (at least partly) graded; ``submitted_at`` / ``due_at`` are naive UTC datetimes or None.
    """

    learners: list[dict[str, Any]]
    assignments: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    source: str = ""

    def row(self, learner_id: str, assignment: str) -> dict[str, Any]:
        for r in self.rows:
            if r["learner_id"] == learner_id and r["assignment"] == assignment:
                return r
        raise KeyError((learner_id, assignment))

    def to_frame(self):
        """The rows as a pandas DataFrame (columns ``ROW_FIELDS``), learners in report order."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(ROW_FIELDS))

    def status_table(self):
        """Learner × assignment DataFrame of statuses (index: learner_id; columns: assignments)."""
        frame = self.to_frame()
        order = [a["name"] for a in self.assignments]
        if frame.empty:
            import pandas as pd

            return pd.DataFrame(columns=order)
        table = frame.pivot(index="learner_id", columns="assignment", values="status")
        return table.reindex(index=[lr["id"] for lr in self.learners], columns=order)

    def assignment_summary(self) -> list[dict[str, Any]]:
        """Per assignment: learners, how many in each status, submitted (anything handed in) and
        the mean percentage of the fully graded submissions (None when none is graded)."""
        out = []
        n = len(self.learners)
        for a in self.assignments:
            rows = [r for r in self.rows if r["assignment"] == a["name"]]
            counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
            graded = [r["percent"] for r in rows if r["status"] == GRADED and r["percent"] is not None]
            out.append(
                {
                    "assignment": a["name"],
                    "due_at": a["due_at"],
                    "max_score": a["max_score"],
                    "learners": n,
                    "submitted": n - counts[NOT_STARTED],
                    "not_started": counts[NOT_STARTED],
                    "waiting_autograde": counts[SUBMITTED],
                    "needs_manual_grading": counts[NEEDS_MANUAL_GRADING],
                    "graded": counts[GRADED],
                    "late": sum(bool(r["late"]) for r in rows),
                    "mean_percent": (sum(graded) / len(graded)) if graded else None,
                }
            )
        return out

    def learner_summary(self) -> list[dict[str, Any]]:
        """Per learner: how many assignments handed in and fully graded, and total graded points."""
        out = []
        for lr in self.learners:
            rows = [r for r in self.rows if r["learner_id"] == lr["id"]]
            graded = [r for r in rows if r["status"] == GRADED]
            out.append(
                {
                    "learner_id": lr["id"],
                    "learner": lr["name"],
                    "assignments": len(rows),
                    "submitted": sum(r["status"] != NOT_STARTED for r in rows),
                    "graded": len(graded),
                    "score": sum(r["score"] or 0.0 for r in graded),
                    "max_score": sum(r["max_score"] or 0.0 for r in graded),
                }
            )
        return out


# --------------------------------------------------------------------------------------------
# Course folder and nbgrader configuration


def course_directory(course: str | os.PathLike | None = None, db_url: str | None = None):
    """nbgrader's ``CourseDirectory`` for ``course`` (default ``genlab.settings.COURSE_DIR``), with the
    course's own ``nbgrader_config.py`` applied when there is one, and ``root`` set to ``course``."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    if course is None:
        from genlab.settings import COURSE_DIR

        course = COURSE_DIR
    root = Path(course).expanduser().resolve()
    config = Config()
    config_file = root / "nbgrader_config.py"
    if config_file.is_file():
        from traitlets.config.loader import PyFileConfigLoader

        try:
            config = PyFileConfigLoader(config_file.name, path=str(root)).load_config()
        except Exception as err:  # a broken config must not stop the managers' report
            warnings.warn(f"could not read {config_file} ({err}); using nbgrader's defaults", stacklevel=2)
            config = Config()
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(root)
    if db_url:
        coursedir.db_url = db_url
    return coursedir


def sqlite_path(db_url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL, or None for other databases / in-memory."""
    m = re.match(r"^sqlite(?:\+\w+)?:///(.*)$", db_url)
    if not m or m.group(1) in ("", ":memory:"):
        return None
    return Path(m.group(1))


def _submitted_on_disk(coursedir, assignment: str) -> dict[str, dt.datetime | None]:
    """Learners with a collected submission in ``submitted/`` → its timestamp (naive UTC)."""
    import glob

    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    # nbgrader escapes the root only; the parts are regexes we pass (as formgrader does).
    regex = re.compile(
        coursedir.format_path(coursedir.submitted_directory, "(?P<student_id>[^/]+)", re.escape(assignment), escape=True)
    )
    found = {}
    for path in glob.glob(pattern):
        if not os.path.isdir(path):
            continue
        m = regex.fullmatch(path)
        if m:
            found[m.group("student_id")] = coursedir.get_existing_timestamp(path)
    return found


def _inbound_in_exchange(coursedir, assignment: str) -> dict[str, dt.datetime | None]:
    """Learners whose hand-in of ``assignment`` sits in the exchange's inbound folder (submitted,
    maybe not collected yet) → the newest timestamp (naive UTC). nbgrader names each hand-in
    ``<learner>+<assignment>+<timestamp>[+<random>]``."""
    from nbgrader.utils import parse_utc

    try:
        root = coursedir.config.Exchange.root
    except AttributeError:
        return {}
    if not isinstance(root, str) or not root:
        return {}
    inbound = Path(root) / coursedir.course_id / "inbound"
    found: dict[str, dt.datetime | None] = {}
    try:
        entries = list(inbound.iterdir())
    except OSError:
        return {}
    for entry in entries:
        parts = entry.name.split("+")
        if len(parts) < 3 or parts[1] != assignment or not entry.is_dir():
            continue
        try:
            ts = parse_utc(parts[2]).replace(tzinfo=None)
        except Exception:
            ts = None
        old = found.get(parts[0])
        if parts[0] not in found or (ts is not None and (old is None or ts > old)):
            found[parts[0]] = ts
    return found


def read_learners_file(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """``learners.csv`` (columns ``id,name,email,team``; ``first_name``/``last_name`` also read) →
    ``{id: {"name", "first_name", "last_name", "email", "team"}}``. Missing file: ``{}``."""
    import csv

    path = Path(path)
    if not path.is_file():
        return {}
    out: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for raw in csv.DictReader(fh):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            ident = row.get("id") or row.get("learner_id") or row.get("student_id") or row.get("username")
            if not ident:
                continue
            out[ident] = {
                "name": row.get("name", ""),
                "first_name": row.get("first_name", ""),
                "last_name": row.get("last_name", ""),
                "email": row.get("email", ""),
                "team": row.get("team") or row.get("equipo") or "",
            }
    return out


def _autograded_on_disk(coursedir, learner: str, assignment: str) -> bool:
    return os.path.isdir(coursedir.format_path(coursedir.autograded_directory, learner, assignment))


# --------------------------------------------------------------------------------------------
# Reading the gradebook


def _display_name(first: str | None, last: str | None, learner_id: str) -> str:
    name = " ".join(p for p in (first, last) if p)
    return name or learner_id


def _was_autograded(submission) -> bool:
    """True when nbgrader's autograder (or a trainer) has put a score on any cell.

    A submission that ``autograde`` has only just created has every grade empty (no auto or manual
    score). The one case this cannot see from the gradebook alone is an assignment made only of
    manually graded answers that every learner changed; the course folder's ``autograded/``
    check covers that."""
    for nb in submission.notebooks:
        for grade in nb.grades:
            if grade.auto_score is not None or grade.manual_score is not None:
                return True
    return False


def _needs_manual_grade(submission) -> bool:
    return any(grade.needs_manual_grade for nb in submission.notebooks for grade in nb.grades)


def _percent(score, max_score):
    if score is None or not max_score:
        return None
    return 100.0 * float(score) / float(max_score)


def fold(text: str | None) -> str:
    """Sort key that puts "Álvarez" with the A's and "Núñez" with the N's."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _sort_key_learner(lr: dict) -> tuple:
    return (fold(lr["last_name"] or lr["name"]), fold(lr["first_name"]), fold(lr["id"]))


def load_progress(
    course: str | os.PathLike | None = None,
    db_url: str | None = None,
    *,
    use_course_folders: bool = True,
    learners_file: str | os.PathLike | None = None,
) -> Progress:
    """Read the gradebook into a :class:`Progress`.

    ``course``: the nbgrader course root (default ``genlab.settings.COURSE_DIR``); ``db_url``: the
    gradebook (default: the course's ``CourseDirectory.db_url``, i.e. ``<course>/gradebook.db``).
    With ``use_course_folders`` the course's ``submitted/`` and ``autograded/`` folders are also
    read, so a collected-but-not-autograded submission shows as "submitted" (as in formgrader), and
    so is the exchange's inbound folder: handed in but not collected yet is "submitted" too.
    ``learners_file``: a CSV with ``id,name,email,team`` (default ``<course>/learners.csv`` when it
    exists): gives each learner a ``team`` (and a name/email the gradebook lacks); learners listed
    there but not in the gradebook are shown, with nothing started.
    Raises :class:`NoGradebookError` when a sqlite gradebook file does not exist (nbgrader would
    silently create an empty one).
    """
    from nbgrader.api import Gradebook

    coursedir = course_directory(course, db_url)
    url = coursedir.db_url
    path = sqlite_path(url)
    if path is not None and (not path.is_file() or path.stat().st_size == 0):
        raise NoGradebookError(
            f"no gradebook at {path}: run `genlab course status` or nbgrader's generate_assignment first", path=path
        )
    course_root = Path(coursedir.root)
    folders = use_course_folders and course_root.is_dir()
    extra = read_learners_file(learners_file if learners_file is not None else course_root / LEARNERS_FILE)

    with Gradebook(url, coursedir.course_id) as gb:
        learners = {
            s.id: {
                "id": s.id,
                "first_name": s.first_name,
                "last_name": s.last_name,
                "email": s.email,
                "name": _display_name(s.first_name, s.last_name, s.id),
                "team": "",
            }
            for s in gb.students
        }
        assignments = []
        by_pair: dict[tuple[str, str], dict] = {}
        for a in gb.assignments:
            assignments.append({"name": a.name, "due_at": a.duedate, "max_score": float(a.max_score or 0.0)})
            on_disk = _submitted_on_disk(coursedir, a.name) if folders else {}
            inbound = _inbound_in_exchange(coursedir, a.name) if folders else {}
            for sub in a.submissions:
                learner_id = sub.student.id
                disk_ts = on_disk.pop(learner_id, None)
                autograded = _was_autograded(sub)
                if folders and _autograded_on_disk(coursedir, learner_id, a.name):
                    autograded = True
                # Re-submitted after autograding (formgrader's rule): waiting for autograde again.
                if disk_ts is not None and sub.timestamp is not None and disk_ts != sub.timestamp:
                    by_pair[(learner_id, a.name)] = {"status": SUBMITTED, "score": None, "submitted_at": disk_ts}
                    continue
                if not autograded:
                    status, score = SUBMITTED, None
                elif _needs_manual_grade(sub):
                    status, score = NEEDS_MANUAL_GRADING, float(sub.score or 0.0)
                else:
                    status, score = GRADED, float(sub.score or 0.0)
                by_pair[(learner_id, a.name)] = {
                    "status": status,
                    "score": score,
                    "submitted_at": sub.timestamp or disk_ts,
                    "late": sub.total_seconds_late > 0,
                }
            # Collected into submitted/ but not in the gradebook yet: waiting for autograde.
            for learner_id, ts in on_disk.items():
                learners.setdefault(
                    learner_id,
                    {"id": learner_id, "first_name": None, "last_name": None, "email": None, "name": learner_id},
                )
                by_pair[(learner_id, a.name)] = {"status": SUBMITTED, "score": None, "submitted_at": ts}
            # Handed in to the exchange, not collected yet.
            for learner_id, ts in inbound.items():
                if (learner_id, a.name) in by_pair:
                    continue
                learners.setdefault(
                    learner_id,
                    {"id": learner_id, "first_name": None, "last_name": None, "email": None, "name": learner_id},
                )
                by_pair[(learner_id, a.name)] = {"status": SUBMITTED, "score": None, "submitted_at": ts}

    for learner_id, info in extra.items():
        lr = learners.setdefault(
            learner_id, {"id": learner_id, "first_name": None, "last_name": None, "email": None, "name": learner_id}
        )
        if not lr.get("first_name") and not lr.get("last_name"):
            lr["first_name"] = info["first_name"] or None
            lr["last_name"] = info["last_name"] or None
            name = info["name"] or _display_name(info["first_name"], info["last_name"], learner_id)
            lr["name"] = name
            if info["name"] and not (info["first_name"] or info["last_name"]):
                # As `genlab course learners` does: the whole name is the first name (splitting
                # "Ana María López Hernández" by a rule gets Mexican names wrong).
                lr["first_name"], lr["last_name"] = info["name"], None
        if not lr.get("email") and info["email"]:
            lr["email"] = info["email"]
        lr["team"] = info["team"]
    for lr in learners.values():
        lr.setdefault("team", "")

    assignments.sort(key=lambda a: a["name"].lower())
    learner_list = sorted(learners.values(), key=_sort_key_learner)
    rows = [progress_row(lr, a, by_pair.get((lr["id"], a["name"]))) for lr in learner_list for a in assignments]
    return Progress(learners=learner_list, assignments=assignments, rows=rows, source=url)


def progress_row(learner: dict, assignment: dict, found: dict | None = None) -> dict[str, Any]:
    """One learner × assignment row (``ROW_FIELDS``). ``assignment``: ``{"name", "max_score",
    "due_at"}`` (a programme workshop not in the gradebook yet has no max score or due time);
    ``found``: what the gradebook holds (``status``, ``score``, ``submitted_at``, maybe ``late``),
    None for nothing handed in."""
    found = found or {"status": NOT_STARTED, "score": None, "submitted_at": None}
    submitted_at, due_at = found["submitted_at"], assignment.get("due_at")
    late = found.get("late")
    if late is None:
        late = bool(submitted_at and due_at and submitted_at > due_at)
    return {
        "learner_id": learner["id"],
        "learner": learner["name"],
        "first_name": learner.get("first_name"),
        "last_name": learner.get("last_name"),
        "email": learner.get("email"),
        "team": learner.get("team") or "",
        "assignment": assignment["name"],
        "status": found["status"],
        "score": found["score"],
        "max_score": assignment.get("max_score"),
        "percent": _percent(found["score"], assignment.get("max_score")),
        "submitted_at": submitted_at,
        "due_at": due_at,
        "late": bool(late),
    }


def statuses_of(progress: Progress, learner_id: str) -> dict[str, str]:
    """``{assignment: status}`` for one learner (handy in notebooks and tests)."""
    return {r["assignment"]: r["status"] for r in progress.rows if r["learner_id"] == learner_id}


def count(rows: Iterable[dict], status: str) -> int:
    return sum(r["status"] == status for r in rows)
