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


# ---- forgetting a learner who asks ---------------------------------------------------------------
FORGOTTEN_NAME = "forgotten.json"  # anonymous counts of what forgotten learners had done
PER_LEARNER_FOLDERS = ("submitted", "autograded", "feedback")


def identity(learner_id: str, course: str | os.PathLike | None = None) -> dict:
    """What identifies a learner: id, name and e-mail, from the roster and the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    lay = nbgrader_ops.layout(course)
    row = read_roster(lay.root).get(learner_id, {})
    found = {"id": learner_id, "names": {row.get("name", "")}, "emails": {row.get("email", "")}}
    if lay.gradebook.is_file():
        with Gradebook(f"sqlite:///{lay.gradebook}", lay.course_id) as gb:
            try:
                s = gb.find_student(learner_id)
                found["names"] |= {s.first_name or "", s.last_name or "", " ".join(p for p in (s.first_name, s.last_name) if p)}
                found["emails"].add(s.email or "")
            except MissingEntry:
                pass
    found["names"] = sorted(n for n in found["names"] if n.strip())
    found["emails"] = sorted(e for e in found["emails"] if e.strip())
    return found


def _exchange_feedback(lay, learner_id: str) -> list[Path]:
    """The learner's feedback pages in the exchange: nbgrader names them md5(submission secret +
    notebook id).html, the secret kept in their submitted/autograded/feedback folders."""
    from nbgrader.utils import notebook_hash

    out = []
    folder = lay.exchange / lay.course_id / "feedback"
    if not folder.is_dir():
        return out
    for stage in PER_LEARNER_FOLDERS:
        for secret_file in (lay.root / stage / learner_id).glob("*/submission_secret.txt"):
            secret = secret_file.read_text(encoding="utf-8")
            names = {p.stem for p in secret_file.parent.glob("*.ipynb")} | {p.stem for p in secret_file.parent.glob("*.html")}
            for nb in names:
                page = folder / f"{notebook_hash(secret=secret, notebook_id=nb)}.html"
                if page.is_file() and page not in out:
                    out.append(page)
    return out


def forget_plan(learner_id: str, course: str | os.PathLike | None = None) -> dict:
    """What :func:`forget_learner` would remove (nothing is touched): ``{"identity", "roster",
    "gradebook", "paths"}``."""
    from nbgrader.api import Gradebook, MissingEntry

    lay = nbgrader_ops.layout(course)
    learner_id = check_id(learner_id)
    paths = [lay.root / stage / learner_id for stage in PER_LEARNER_FOLDERS if (lay.root / stage / learner_id).exists()]
    if lay.inbound.is_dir():
        paths += sorted(p for p in lay.inbound.iterdir() if p.name.rsplit("+", 3)[0] == learner_id and len(p.name.rsplit("+", 3)) == 4)
    paths += _exchange_feedback(lay, learner_id)
    state = lay.root / nbgrader_ops.STATE_DIR / "autograde"
    if state.is_dir():
        paths += sorted(state.glob(f"*/{learner_id}.json"))
    in_gradebook = False
    if lay.gradebook.is_file():
        with Gradebook(f"sqlite:///{lay.gradebook}", lay.course_id) as gb:
            try:
                gb.find_student(learner_id)
                in_gradebook = True
            except MissingEntry:
                pass
    return {"identity": identity(learner_id, lay.root), "roster": learner_id in read_roster(lay.root),
            "gradebook": in_gradebook, "paths": paths, "layout": lay}


def _aggregate(gb, learner_id: str, forgotten: dict) -> dict:
    """Add the learner's results to the anonymous counts (no id, name, team or date)."""
    forgotten["learners"] = forgotten.get("learners", 0) + 1
    per = forgotten.setdefault("assignments", {})
    for sub in gb.find_student(learner_id).submissions:
        a = per.setdefault(sub.assignment.name, {"handed_in": 0, "graded": 0, "score_sum": 0.0, "max_score_sum": 0.0})
        a["handed_in"] += 1
        if sub.score is not None and not sub.needs_manual_grade:
            a["graded"] += 1
            a["score_sum"] += float(sub.score or 0)
            a["max_score_sum"] += float(sub.max_score or 0)
    return forgotten


def _drop_lines(path: Path, words: list[str]) -> bool:
    """Text logs genlab writes (grading errors): drop the lines that mention the learner."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    kept = [line for line in text.splitlines(keepends=True) if not any(w in line for w in words)]
    if len(kept) == len(text.splitlines(keepends=True)):
        return False
    path.write_text("".join(kept), encoding="utf-8")
    return True


def forget_learner(learner_id: str, course: str | os.PathLike | None = None) -> dict:
    """Remove a learner from the roster, the gradebook (nbgrader's ``remove_student``, then VACUUM so
    no deleted row stays in the file), their submitted/autograded/feedback folders, their hand-ins
    and feedback pages in the exchange, genlab's grading markers and log lines. Their results are
    added to ``<course>/forgotten.json`` as anonymous counts. Returns the plan with what was done."""
    import json
    import shutil
    import sqlite3

    from nbgrader.api import Gradebook

    plan = forget_plan(learner_id, course)
    lay = plan["layout"]
    removed: list[str] = []
    if plan["gradebook"]:
        agg_path = lay.root / FORGOTTEN_NAME
        forgotten = json.loads(agg_path.read_text(encoding="utf-8")) if agg_path.is_file() else {}
        with Gradebook(f"sqlite:///{lay.gradebook}", lay.course_id) as gb:
            _aggregate(gb, learner_id, forgotten)
            gb.remove_student(learner_id)
        nbgrader_ops.write_json_atomic(agg_path, forgotten)
        con = sqlite3.connect(lay.gradebook)
        try:
            con.execute("VACUUM")
        finally:
            con.close()
        removed.append(str(lay.gradebook))
    if plan["roster"]:
        roster = read_roster(lay.root)
        roster.pop(learner_id, None)
        _write_roster(lay.root, roster)
        removed.append(str(roster_path(lay.root)))
    for p in plan["paths"]:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()
        removed.append(str(p))
    state = lay.root / nbgrader_ops.STATE_DIR
    words = [w for w in (learner_id, *plan["identity"]["names"], *plan["identity"]["emails"]) if w]
    if state.is_dir():
        for log in sorted(state.rglob("*.log")):
            if _drop_lines(log, words):
                removed.append(f"{log} (lines)")
    plan["removed"] = removed
    return plan


def mentions(folder: str | os.PathLike, words: list[str]) -> list[Path]:
    """Every file under ``folder`` whose bytes hold one of ``words`` as a word (any case, UTF-8; or
    UTF-16 as some binary formats store text): what a search for a forgotten person finds. "As a
    word": not inside a longer run of letters, digits or base64, so "beto" is found in
    "beto@agencia.mx" and not by chance inside a picture embedded in a page."""
    import re

    patterns = [re.compile(rb"(?<![A-Za-z0-9+/])" + re.escape(w.encode("utf-8")) + rb"(?![A-Za-z0-9])", re.IGNORECASE)
                for w in words if w]
    utf16 = [w.encode("utf-16-le") for w in words if w]
    found = []
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            if any(rx.search(data) for rx in patterns) or any(n in data for n in utf16):
                found.append(p)
    return found
