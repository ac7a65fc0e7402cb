"""The managers' dashboard as data: who is where in the programme, at a glance.

One :class:`Dashboard` (built by :func:`build_dashboard` from the gradebook's
:class:`~genlab.course.progress.gradebook.Progress` and the
:class:`~genlab.course.progress.programme.Programme`) feeds every view: the figures
(:mod:`~genlab.course.progress.figures`), the HTML page (:mod:`~genlab.course.progress.html`), the
CSV and XLSX files (:mod:`~genlab.course.progress.exports`), ``genlab report``, the Gradio progress
app and the certificates.

Each learner × assignment row carries the gradebook's ``status`` and the dashboard's ``result``
(the status measured against the pass mark; see :mod:`~genlab.course.progress.states`).
``pseudonymise`` swaps names for pseudonyms first (:mod:`~genlab.course.progress.pseudonyms`).

``lang`` ("en" or "es") is the language its views speak: every label, note and state name the
figures, the HTML page and the workbook show comes from assets/i18n (``[report]``) in that
language. The rows themselves (CSV cells, ``status`` and ``result``) stay English: they are data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from genlab.course.progress.formats import fmt_day, local_today, pct, text
from genlab.course.progress.gradebook import ROW_FIELDS, Progress, fold, progress_row
from genlab.course.progress.programme import (
    DEFAULT_LEVEL_NAME,
    DEFAULT_NAME,
    OTHER_LEVEL_NAME,
    Programme,
    load_programme,
)
from genlab.course.progress.pseudonyms import pseudonym_salt, pseudonymise_progress
from genlab.course.progress.states import (
    BELOW,
    NEEDS_MANUAL_GRADING,
    NOT_STARTED,
    PASSED,
    RESULTS,
    SUBMITTED,
    result_of,
    state_name,
)

#: Columns of the dashboard's rows (CSV and XLSX order): the gradebook's plus the programme's.
#: Stable English names in every language (the CSV is data for other tools).
FIELDS = ROW_FIELDS + ("title", "level", "level_name", "pass_mark", "due", "result", "behind")


@dataclass
class Dashboard:
    progress: Progress
    programme: Programme  # completed with the gradebook's assignments
    as_of: dt.date
    pseudonymised: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)  # FIELDS, one per learner × column
    columns: list[dict[str, Any]] = field(default_factory=list)  # the heatmap's columns, in order
    lang: str = "en"  # the language of every view of it: "en" or "es"

    # ---- words --------------------------------------------------------------------------------
    def text(self, key: str, **values) -> str:
        """``report.<key>`` from assets/i18n in the dashboard's language."""
        return text(key, self.lang, **values)

    def name(self, value: str) -> str:
        """A programme or level name for the reader: the programme's own names as written, the
        defaults used without a programme file ("Course", ...) in the dashboard's language."""
        defaults = {DEFAULT_NAME: "default_programme", DEFAULT_LEVEL_NAME: "level_course", OTHER_LEVEL_NAME: "level_other"}
        return self.text(defaults[value]) if value in defaults else value

    @property
    def programme_name(self) -> str:
        return self.name(self.programme.name)

    # ---- shapes -------------------------------------------------------------------------------
    @property
    def learners(self) -> list[dict[str, Any]]:
        return self.progress.learners

    def has_teams(self) -> bool:
        return any(lr.get("team") for lr in self.learners)

    def learner_order(self) -> list[dict[str, Any]]:
        """Learners grouped by team (teams in name order, no team last), then in report order."""
        if not self.has_teams():
            return list(self.learners)
        return sorted(self.learners, key=lambda lr: (not lr.get("team"), fold(lr.get("team")),))

    @cached_property
    def _by_pair(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(r["learner_id"], r["assignment"]): r for r in self.rows}

    def row(self, learner_id: str, assignment: str) -> dict[str, Any]:
        """The row of one learner × assignment (KeyError when there is none)."""
        return self._by_pair[(learner_id, assignment)]

    def grid(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """The heatmap's content: ``[(learner, [row per column])]`` in :meth:`learner_order`, the
        rows in column order. The figures, the XLSX "Heatmap" sheet and the app's table draw this."""
        return [(lr, [self.row(lr["id"], c["assignment"]) for c in self.columns]) for lr in self.learner_order()]

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(FIELDS))

    def state_table(self):
        """Learner × assignment DataFrame of states (index: learner_id; columns: assignments)."""
        import pandas as pd

        return pd.DataFrame(
            [[r["result"] for r in rows] for _, rows in self.grid()],
            index=[lr["id"] for lr, _ in self.grid()],
            columns=[c["assignment"] for c in self.columns],
        )

    # ---- summaries ----------------------------------------------------------------------------
    def released_columns(self) -> list[dict[str, Any]]:
        return [c for c in self.columns if c["released"]]

    def counts(self, rows) -> dict[str, int]:
        return {s: sum(r["result"] == s for r in rows) for s in RESULTS}

    def completion_by(self, key: str) -> list[dict[str, Any]]:
        """Per team (``key="team"``) or level (``key="level"``): how many learner × assignment
        cells are in each state, among released assignments. Each dict: ``group``, ``label``,
        ``learners``, ``cells``, the five state counts, ``passed_percent`` and, for levels,
        ``complete`` (learners who passed every required assignment of the level)."""
        released = {c["assignment"] for c in self.released_columns()}
        rows = [r for r in self.rows if r["assignment"] in released]
        groups: list[tuple[str, str]] = []
        if key == "team":
            teams = sorted({lr.get("team") or "" for lr in self.learners}, key=lambda t: (t == "", fold(t)))
            groups = [(t, t or self.text("no_team")) for t in teams]
        elif key == "level":
            used = {c["level"] for c in self.columns}
            groups = [(lv.id, self.name(lv.name)) for lv in self.programme.levels if lv.id in used]
        else:
            raise ValueError(key)
        out = []
        for gid, label in groups:
            sub = [r for r in rows if (r["team"] or "") == gid] if key == "team" else [r for r in rows if r["level"] == gid]
            counts = self.counts(sub)
            n_cells = len(sub)
            learners = len({r["learner_id"] for r in sub}) if key == "team" else len(self.learners)
            if key == "team" and not sub:
                learners = sum((lr.get("team") or "") == gid for lr in self.learners)
            item = {
                "group": gid,
                "label": label,
                "learners": learners,
                "cells": n_cells,
                **{s: counts[s] for s in RESULTS},
                "passed_percent": (100.0 * counts[PASSED] / n_cells) if n_cells else None,
            }
            if key == "level":
                need = [c["assignment"] for c in self.columns if c["level"] == gid and c["required"]]
                item["complete"] = sum(
                    all(self.row(lr["id"], a)["result"] == PASSED for a in need) for lr in self.learners
                ) if need else 0
                item["required"] = self.programme.level(gid).required
            out.append(item)
        return out

    def scores(self) -> list[dict[str, Any]]:
        """Fully graded submissions: their percent and whether they passed."""
        return [r for r in self.rows if r["result"] in (PASSED, BELOW) and r["percent"] is not None]

    def behind_schedule(self) -> list[dict[str, Any]]:
        """Learners behind the programme schedule on ``as_of``: a released assignment whose due date
        has passed is not started or is under the pass mark. (Handed in and waiting for a trainer
        is not the learner's delay, so it does not count.) Most behind first."""
        due = [c for c in self.released_columns() if c["due"] is not None and c["due"] < self.as_of]
        out = []
        for lr in self.learner_order():
            missing = []
            for c in due:
                r = self.row(lr["id"], c["assignment"])
                if r["behind"]:
                    missing.append(
                        {
                            "assignment": c["assignment"],
                            "title": c["title"],
                            "result": r["result"],
                            "percent": r["percent"],
                            "due": c["due"],
                            "days_late": (self.as_of - c["due"]).days,
                        }
                    )
            if missing:
                out.append(
                    {
                        "learner_id": lr["id"],
                        "learner": lr["name"],
                        "team": lr.get("team") or "",
                        "due_so_far": len(due),
                        "missing": missing,
                        "most_days_late": max(m["days_late"] for m in missing),
                    }
                )
        out.sort(key=lambda b: (-len(b["missing"]), -b["most_days_late"], fold(b["learner"])))
        return out

    def certificate_status(self) -> list[dict[str, Any]]:
        """Per learner: the required levels passed and, for the others, what is missing."""
        reqs = self.programme.requirements()
        cols = {c["assignment"]: c for c in self.columns}
        out = []
        for lr in self.learners:
            passed_levels, missing = [], []
            for level_id, assignments in reqs.items():
                lacking = []
                for a in assignments:
                    if a not in cols or not cols[a]["released"]:
                        lacking.append({"assignment": a, "title": cols[a]["title"] if a in cols else a, "result": "not released", "percent": None})
                        continue
                    r = self.row(lr["id"], a)
                    if r["result"] != PASSED:
                        lacking.append({"assignment": a, "title": r["title"], "result": r["result"], "percent": r["percent"], "pass_mark": r["pass_mark"]})
                if lacking or not assignments:
                    missing.append({"level": level_id, "level_name": self.programme.level(level_id).name, "lacking": lacking})
                else:
                    passed_levels.append(level_id)
            out.append(
                {
                    "learner_id": lr["id"],
                    "learner": lr["name"],
                    "learner_info": lr,
                    "passed_levels": passed_levels,
                    "missing": missing,
                    "complete": bool(reqs) and not missing,
                }
            )
        return out

    def kpis(self) -> dict[str, Any]:
        released = {c["assignment"] for c in self.released_columns()}
        rows = [r for r in self.rows if r["assignment"] in released]
        counts = self.counts(rows)
        scores = [r["percent"] for r in self.scores()]
        behind = self.behind_schedule()
        certs = self.certificate_status()
        return {
            "learners": len(self.learners),
            "assignments": len(released),
            "cells": len(rows),
            **counts,
            "handed_in": len(rows) - counts[NOT_STARTED],
            "waiting_for_trainers": counts[SUBMITTED] + counts[NEEDS_MANUAL_GRADING],
            "behind": len(behind),
            "on_schedule": len(self.learners) - len(behind),
            "completed_programme": sum(c["complete"] for c in certs),
            "mean_percent": (sum(scores) / len(scores)) if scores else None,
            "pass_mark": self.programme.pass_mark,
        }


def build_dashboard(
    progress: Progress,
    programme: Programme | None = None,
    *,
    as_of: dt.date | None = None,
    pseudonymise: bool = False,
    salt: str | None = None,
    timezone: str | None = None,
    lang: str = "en",
) -> Dashboard:
    """The dashboard for ``progress``. ``programme``: default :func:`load_programme` (the repo's
    workshops/programme.toml, or defaults). ``as_of``: the day the schedule is checked against
    (default: today in ``timezone``, Mexico City unless told). ``pseudonymise`` and ``lang``: see
    the module."""
    if programme is None:
        programme = load_programme()
    if as_of is None:
        as_of = local_today(timezone)
    if pseudonymise:
        progress = pseudonymise_progress(progress, pseudonym_salt(salt))
    prog = programme.for_assignments(progress.assignments)
    in_gradebook = {a["name"]: a for a in progress.assignments}
    levels = {lv.id: lv for lv in prog.levels}
    columns = []
    for it in prog.graded_items():
        a = in_gradebook.get(it.assignment)
        columns.append(
            {
                "assignment": it.assignment,
                "title": it.title,
                "level": it.level,
                "level_name": levels[it.level].name if it.level in levels else it.level,
                "pass_mark": it.pass_mark,
                "required": it.required,
                "due": it.due,
                "released": a is not None,
                "max_score": a["max_score"] if a else None,
            }
        )
    by_pair = {(r["learner_id"], r["assignment"]): r for r in progress.rows}
    rows = []
    for lr in progress.learners:
        for c in columns:
            base = by_pair.get((lr["id"], c["assignment"]))
            if base is None:  # in the programme, not in the gradebook yet
                base = progress_row(lr, {"name": c["assignment"]})
            result = result_of(base["status"], base["percent"], c["pass_mark"])
            overdue = c["released"] and c["due"] is not None and c["due"] < as_of
            rows.append(
                {
                    **base,
                    "team": base.get("team") or lr.get("team") or "",
                    "title": c["title"],
                    "level": c["level"],
                    "level_name": c["level_name"],
                    "pass_mark": c["pass_mark"],
                    "due": c["due"],
                    "result": result,
                    "behind": bool(overdue and result in (NOT_STARTED, BELOW)),
                }
            )
    return Dashboard(progress=progress, programme=prog, as_of=as_of, pseudonymised=pseudonymise, rows=rows, columns=columns,
                     lang=lang)


def kpi_items(dash: Dashboard) -> list[tuple[str, str]]:
    """The headline numbers, as (value, what it counts) pairs, in the dashboard's language: the
    HTML, the snapshot and the app show these."""
    k = dash.kpis()
    n = k["learners"]
    return [
        (f"{k['completed_programme']}/{n}", dash.text("kpi_completed")),
        (f"{k['on_schedule']}/{n}", dash.text("kpi_on_schedule", day=fmt_day(dash.as_of, dash.lang))),
        (f"{k['handed_in']}/{k['cells']}", dash.text("kpi_handed_in")),
        (str(k["waiting_for_trainers"]), dash.text("kpi_waiting")),
        (pct(k["mean_percent"]) or "–", dash.text("kpi_mean")),
    ]


def cell_text(r: dict[str, Any], lang: str = "en") -> str:
    """What a heatmap cell says: the score of graded work, else what it waits for."""
    if r["result"] in (PASSED, BELOW):
        return pct(r["percent"])
    if r["result"] == NEEDS_MANUAL_GRADING:
        return text("cell_to_grade", lang)
    if r["result"] == SUBMITTED:
        return text("cell_handed_in", lang)
    return "–"


def missing_text(m: dict[str, Any], lang: str = "en") -> str:
    """One overdue assignment of :meth:`Dashboard.behind_schedule`: "not started" or its score."""
    return state_name(NOT_STARTED, lang) if m["result"] == NOT_STARTED else pct(m["percent"])
