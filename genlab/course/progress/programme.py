"""The programme: which graded assignments belong to which level, in what order, by when, and the
pass mark. Read from ``workshops/programme.toml`` (``genlab.settings.WORKSHOPS_DIR / "programme.toml"``).

The dashboard (``genlab report``), the progress app and the certificates read it through
:func:`load_programme`. Without the file everything still works: every assignment in the gradebook
counts, in one required level, with the default pass mark (70 %) and the gradebook's due dates.

The file (every key optional unless marked; unknown keys are ignored, so the workshop plan can
hold more than this reads)::

    [programme]                       # or the same keys at the top level
    name = "Generative image & video AI for designers"
    organisation = "Agencia Ejemplo"  # printed on certificates
    signer = "Laura Méndez, lead trainer"   # the signature line of certificates
    pass_mark = 70                    # percent of an assignment's points (0.7 also reads as 70 %)
    language = "es"                   # certificates: "es" (default) or "en"
    place = "Ciudad de México"        # certificates: where they are signed

    [[levels]]                        # in order; or [levels.foundations] tables
    id = "foundations"                # what workshops name in `level` (a number works too)
    name = "Foundations"
    required = true                   # needed for the certificate (default true)
    pass_mark = 70                    # default for its workshops

    [[workshops]]                     # in programme order ([[sessions]] / [[assignments]] read too)
    id = "w01"
    title = "First images"
    assignment = "01_first_images"    # the nbgrader assignment that grades it; without one, an
                                      # `id`/`name` that is an assignment in the gradebook is used;
                                      # with neither the workshop is on the schedule only
    level = "foundations"
    order = 1                         # default: position in the file
    duration_hours = 3                # or duration_minutes, or duration = "3h" / "90 min"
    date = 2026-11-10                 # when the workshop takes place
    due = 2026-11-20                  # passed by this date, or the learner is behind the schedule
                                      # (default: the nbgrader due date, else `date`)
    pass_mark = 80                    # this assignment's pass mark
    required = true                   # false: optional, not needed for its level

Top-level ``required_levels = ["foundations", "practice"]`` instead of ``required`` per level also
works. A percentage is "passed" when the submission is fully graded and its score is at least the
pass mark.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_PASS_MARK = 70.0
DEFAULT_NAME = "Generative image & video AI"
DEFAULT_LEVEL_ID = "course"
DEFAULT_LEVEL_NAME = "Course"
OTHER_LEVEL_ID = "other"
OTHER_LEVEL_NAME = "Not in the programme"


class ProgrammeError(ValueError):
    """programme.toml cannot be read; the message says where and why."""


def default_path() -> Path:
    from genlab import settings

    return settings.WORKSHOPS_DIR / "programme.toml"


@dataclass
class Level:
    id: str
    name: str
    required: bool = True
    pass_mark: float | None = None


@dataclass
class Item:
    """One workshop of the programme; ``assignment`` is the nbgrader assignment grading it."""

    id: str
    title: str
    assignment: str | None
    level: str
    order: float
    pass_mark: float
    required: bool = True
    date: dt.date | None = None
    due: dt.date | None = None
    hours: float | None = None


@dataclass
class Programme:
    name: str = DEFAULT_NAME
    pass_mark: float = DEFAULT_PASS_MARK
    organisation: str = ""
    signer: str = ""
    language: str = ""
    place: str = ""
    levels: list[Level] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    path: Path | None = None  # where it was read from; None: no file, defaults

    # ---- questions the dashboard and the certificates ask -----------------------------------
    def level(self, level_id: str) -> Level:
        for lv in self.levels:
            if lv.id == level_id:
                return lv
        raise KeyError(level_id)

    def graded_items(self) -> list[Item]:
        return [it for it in sorted(self.items, key=lambda i: i.order) if it.assignment]

    def item_for(self, assignment: str) -> Item | None:
        for it in self.items:
            if it.assignment == assignment:
                return it
        return None

    def pass_mark_for(self, assignment: str) -> float:
        it = self.item_for(assignment)
        return it.pass_mark if it else self.pass_mark

    def level_of(self, assignment: str) -> str:
        it = self.item_for(assignment)
        return it.level if it else OTHER_LEVEL_ID

    def required_levels(self) -> list[Level]:
        return [lv for lv in self.levels if lv.required]

    def requirements(self) -> dict[str, list[str]]:
        """Required level id → the assignments a learner must pass for it (in programme order)."""
        out: dict[str, list[str]] = {}
        for lv in self.required_levels():
            out[lv.id] = [it.assignment for it in self.graded_items() if it.level == lv.id and it.required]
        return out

    def for_assignments(self, assignments: list[dict[str, Any]]) -> "Programme":
        """This programme completed with the gradebook's assignments (``Progress.assignments``).

        Without a file every assignment is one item of one required level, due on its nbgrader due
        date. With a file, gradebook assignments the file does not name are added at the end in a
        level "Not in the programme" that no certificate needs; items the file names by
        ``id``/``name`` only are matched to assignments of that name; nbgrader due dates fill in
        missing ``due`` dates."""
        by_name = {a["name"]: a for a in assignments}
        prog = replace(self, levels=list(self.levels), items=[replace(it) for it in self.items])
        if prog.path is None and not prog.items:
            prog.levels = prog.levels or [Level(DEFAULT_LEVEL_ID, DEFAULT_LEVEL_NAME, True)]
            level = prog.levels[0].id
            for i, a in enumerate(assignments):
                prog.items.append(
                    Item(a["name"], a["name"], a["name"], level, float(i), prog.pass_mark, True, None, _date(a.get("due_at")))
                )
            return prog
        for it in prog.items:
            if it.assignment is None and it.id in by_name:
                it.assignment = it.id
            if it.assignment and it.due is None:
                a = by_name.get(it.assignment)
                it.due = _date(a.get("due_at")) if a else None
                if it.due is None:
                    it.due = it.date
        named = {it.assignment for it in prog.items if it.assignment}
        extra = [a for a in assignments if a["name"] not in named]
        if extra:
            if OTHER_LEVEL_ID not in {lv.id for lv in prog.levels}:
                prog.levels.append(Level(OTHER_LEVEL_ID, OTHER_LEVEL_NAME, required=False))
            last = max([it.order for it in prog.items], default=0.0)
            for i, a in enumerate(extra, start=1):
                prog.items.append(
                    Item(a["name"], a["name"], a["name"], OTHER_LEVEL_ID, last + i, prog.pass_mark, False, None, _date(a.get("due_at")))
                )
        return prog

    def assignment_order(self) -> list[str]:
        return [it.assignment for it in self.graded_items()]


# ------------------------------------------------------------------------------------------------
# Reading the file


def _date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise ProgrammeError(f"not a date (use YYYY-MM-DD): {value!r}") from None
    raise ProgrammeError(f"not a date (use YYYY-MM-DD): {value!r}")


def _percent(value, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ProgrammeError(f"{where}: pass_mark must be a number of percent, not {value!r}") from None
    if 0 < x <= 1:  # 0.7 means 70 %
        x *= 100
    if not 0 <= x <= 100:
        raise ProgrammeError(f"{where}: pass_mark must be between 0 and 100 (percent), not {value!r}")
    return x


def _hours(entry: dict) -> float | None:
    if "duration_hours" in entry or "hours" in entry:
        return float(entry.get("duration_hours", entry.get("hours")))
    if "duration_minutes" in entry or "minutes" in entry:
        return float(entry.get("duration_minutes", entry.get("minutes"))) / 60
    d = entry.get("duration")
    if d is None:
        return None
    if isinstance(d, (int, float)):
        return float(d)  # a bare number: hours
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(h|hr|hrs|hours?|m|min|mins|minutes?)\s*", str(d), re.I)
    if not m:
        return None
    x = float(m.group(1))
    return x if m.group(2).lower().startswith("h") else x / 60


def _str(x) -> str:
    return "" if x is None else str(x)


def parse_programme(data: dict, path: Path | None = None) -> Programme:
    """A :class:`Programme` from the parsed TOML (see the module docstring for the keys)."""
    head = dict(data.get("programme") or data.get("program") or {})
    for key in ("name", "title", "organisation", "organization", "signer", "pass_mark", "language", "place", "city",
                "required_levels"):
        if key not in head and key in data and not isinstance(data[key], dict):
            head[key] = data[key]
    where = str(path or "programme")
    prog = Programme(
        name=_str(head.get("name") or head.get("title") or DEFAULT_NAME),
        pass_mark=_percent(head.get("pass_mark"), where) if head.get("pass_mark") is not None else DEFAULT_PASS_MARK,
        organisation=_str(head.get("organisation") or head.get("organization")),
        signer=_str(head.get("signer")),
        language=_str(head.get("language")),
        place=_str(head.get("place") or head.get("city")),
        path=path,
    )

    raw_levels = data.get("levels", head.get("levels", []))
    if isinstance(raw_levels, dict):  # [levels.foundations] tables
        raw_levels = [{"id": k, **(v if isinstance(v, dict) else {"name": v})} for k, v in raw_levels.items()]
    required_levels = head.get("required_levels")
    levels: list[Level] = []
    for i, lv in enumerate(raw_levels, start=1):
        if not isinstance(lv, dict):
            lv = {"id": lv}
        lid = _str(lv.get("id", lv.get("level", lv.get("name", i))))
        levels.append(
            Level(
                id=lid,
                name=_str(lv.get("name") or lv.get("title") or f"Level {lid}"),
                required=bool(lv.get("required", True)),
                pass_mark=_percent(lv.get("pass_mark"), f"{where}: level {lid}"),
            )
        )

    raw_items = next((data[k] for k in ("workshops", "workshop", "sessions", "assignments") if isinstance(data.get(k), list)), [])
    items: list[Item] = []
    for i, w in enumerate(raw_items):
        if not isinstance(w, dict):
            raise ProgrammeError(f"{where}: each [[workshops]] entry must be a table, not {w!r}")
        ident = _str(w.get("id") or w.get("name") or w.get("assignment") or f"workshop-{i + 1}")
        level = _str(w.get("level", levels[0].id if levels else DEFAULT_LEVEL_ID))
        if level not in {lv.id for lv in levels}:
            levels.append(Level(level, f"Level {level}" if level != DEFAULT_LEVEL_ID else DEFAULT_LEVEL_NAME))
        lv = next(x for x in levels if x.id == level)
        mark = _percent(w.get("pass_mark"), f"{where}: workshop {ident}")
        items.append(
            Item(
                id=ident,
                title=_str(w.get("title") or w.get("name") or ident),
                assignment=_str(w.get("assignment")) or None,
                level=level,
                order=float(w.get("order", i)),
                pass_mark=mark if mark is not None else (lv.pass_mark if lv.pass_mark is not None else prog.pass_mark),
                required=bool(w.get("required", True)),
                date=_date(w.get("date") or w.get("session")),
                due=_date(w.get("due") or w.get("due_date") or w.get("deadline")),
                hours=_hours(w),
            )
        )
    if required_levels is not None:
        wanted = {str(x) for x in required_levels}
        for lv in levels:
            lv.required = lv.id in wanted
    prog.levels = levels
    prog.items = sorted(items, key=lambda it: it.order)
    return prog


def load_programme(path: str | os.PathLike | None = None) -> Programme:
    """Read ``programme.toml`` (default ``workshops/programme.toml``). A missing file gives the
    defaults (see :meth:`Programme.for_assignments`); a broken one raises :class:`ProgrammeError`."""
    path = Path(path) if path is not None else default_path()
    if not path.is_file():
        return Programme()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ProgrammeError(f"cannot read {path}: {err}") from None
    return parse_programme(data, path)


def load_programme_and_progress(programme_path, course=None, db_url=None):
    """The two inputs every trainer report reads: the programme file and the gradebook.

    A programme path that was given but does not exist is an error (no silent fallback to "every
    assignment counts"). Raises :class:`ProgrammeError` or ``gradebook.NoGradebookError`` with
    the message to show the trainer.
    """
    from genlab.course.progress.gradebook import load_progress

    programme = load_programme(programme_path)
    if programme_path and programme.path is None:
        raise ProgrammeError(f"no programme file at {programme_path}")
    return programme, load_progress(course, db_url)
