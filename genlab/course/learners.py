"""The cohort: who the learners are, and their teams.

Two places hold it, kept in step by ``genlab course learners add|import``:

* nbgrader's gradebook (``Student``: id, first_name, last_name, email), so formgrader, feedback
  and the progress report show names;
* ``<course>/learners.csv`` beside ``gradebook.db``: columns ``id,name,email,team`` (UTF-8), one
  row per learner. nbgrader has no team field, so the team lives only here.

For dashboards: ``read_roster(course)`` returns ``{learner_id: {"id", "name", "email", "team"}}``
(an empty dict when there is no roster file); learners graded but not in the roster have no team.

Names: the whole name goes to nbgrader's ``first_name`` (``last_name`` stays empty) unless the
CSV has ``first_name`` and ``last_name`` columns: splitting "Ana María López Hernández" by rule
gets Mexican names wrong.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from genlab.course import nbgrader_ops

ROSTER_NAME = "learners.csv"
FIELDS = ("id", "name", "email", "team")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")


def roster_path(course: str | os.PathLike | None = None) -> Path:
    return nbgrader_ops.course_root(course) / ROSTER_NAME


def read_roster(course: str | os.PathLike | None = None) -> dict[str, dict]:
    """``{learner_id: {"id", "name", "email", "team"}}`` from ``<course>/learners.csv``."""
    path = roster_path(course)
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {row["id"]: {k: (row.get(k) or "") for k in FIELDS} for row in csv.DictReader(f) if row.get("id")}


def _write_roster(course, roster: dict[str, dict]) -> Path:
    path = roster_path(course)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(FIELDS))
        w.writeheader()
        for learner_id in sorted(roster):
            w.writerow({k: roster[learner_id].get(k, "") for k in FIELDS})
    os.replace(tmp, path)
    return path


def check_id(learner_id: str) -> str:
    learner_id = (learner_id or "").strip()
    if not _ID.match(learner_id):
        raise ValueError(
            f"'{learner_id}' cannot be a learner id: use letters, digits, '.', '_', '-' or '@' only, "
            "no spaces (e.g. their JupyterHub user name: ana.lopez)."
        )
    return learner_id


def add_learners(rows: list[dict], course: str | os.PathLike | None = None) -> dict:
    """Add or update learners (dicts with id, name, email, team; optional first_name/last_name)
    in the gradebook and the roster. Returns {"added": [...], "updated": [...]}."""
    from nbgrader.api import Gradebook

    nbgrader_ops.tools_on_path()
    lay = nbgrader_ops.layout(course)
    clean = []
    seen = set()
    for i, row in enumerate(rows, start=1):
        learner_id = check_id(row.get("id", ""))
        if learner_id in seen:
            raise ValueError(f"Learner id '{learner_id}' appears twice (row {i}): each learner needs their own id.")
        seen.add(learner_id)
        email = (row.get("email") or "").strip()
        if email and "@" not in email:
            raise ValueError(f"'{email}' (learner {learner_id}) is not an email address.")
        clean.append((learner_id, row, email))
    roster = read_roster(lay.root)
    added, updated = [], []
    with Gradebook(f"sqlite:///{lay.gradebook}", lay.course_id) as gb:
        known = {s.id for s in gb.students}
        for learner_id, row, email in clean:
            name = (row.get("name") or "").strip()
            first = (row.get("first_name") or "").strip()
            last = (row.get("last_name") or "").strip()
            if not (first or last):
                first, last = name, ""
            name = name or " ".join(p for p in (first, last) if p)
            gb.update_or_create_student(learner_id, first_name=first or None, last_name=last or None, email=email or None)
            (updated if learner_id in known or learner_id in roster else added).append(learner_id)
            roster[learner_id] = {"id": learner_id, "name": name, "email": email, "team": (row.get("team") or "").strip()}
    _write_roster(lay.root, roster)
    return {"added": added, "updated": updated, "roster": roster_path(lay.root)}


def read_csv_rows(path: str | os.PathLike) -> list[dict]:
    """Rows of a learners CSV (comma or semicolon separated, as Excel in Spanish saves it)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "id" not in headers:
        raise ValueError(
            f"{path} has no 'id' column. The first line must name the columns: id,name,email,team "
            f"(found: {', '.join(headers) or 'nothing'})."
        )
    rows = []
    for raw in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if any(row.values()):
            rows.append(row)
    return rows


def import_learners(path: str | os.PathLike, course: str | os.PathLike | None = None) -> dict:
    return add_learners(read_csv_rows(path), course)
