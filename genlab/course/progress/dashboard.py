"""The managers' dashboard: who is where in the programme, at a glance.

One :class:`Dashboard` (built by :func:`build_dashboard` from the gradebook's
:class:`~genlab.course.gradebook.Progress` and the :class:`~genlab.course.programme.Programme`)
feeds every view: the figures here (completion heatmap, completion by team and by level, score
distribution, a one-page snapshot), ``genlab report`` (HTML, CSV, XLSX, PNG, PDF), the Gradio
progress app and the certificates.

States a learner × assignment cell can be in (what the colours mean):

- ``"not started"``: nothing handed in (never a score of 0).
- ``"submitted"``: handed in, not autograded yet.
- ``"needs grading"``: autograded; a trainer still has to grade written answers.
- ``"below pass mark"``: fully graded, score under the pass mark (a 0 is here, not in "not started").
- ``"passed"``: fully graded with a score at or above the pass mark (programme.toml; default 70 %).

There is no "in progress" state: nbgrader keeps no record of a learner fetching an assignment or
working on it (only hand-ins reach the trainer), so the trainer's side cannot tell it apart from
"not started".

Progress data is personal data. ``pseudonymise`` replaces each learner id and name by a stable,
salted pseudonym such as ``learner-3f9a2c`` (HMAC-SHA256 of the id with a secret salt; the same
salt gives the same pseudonym every month) and blanks first names, last names and e-mail addresses
before anything is drawn or written. See :func:`pseudonym_salt` for where the salt lives.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import os
import secrets
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from genlab import settings
from genlab.course.progress import gradebook as gbm
from genlab.course.progress.gradebook import Progress
from genlab.course.progress.programme import Programme, load_programme

NOT_STARTED = "not started"
SUBMITTED = "submitted"
NEEDS_GRADING = "needs grading"
BELOW = "below pass mark"
PASSED = "passed"
#: In the order a learner moves through them.
STATES = (NOT_STARTED, SUBMITTED, NEEDS_GRADING, BELOW, PASSED)

STATE_COLOURS = {
    NOT_STARTED: "#e5e7eb",
    SUBMITTED: "#93c5fd",
    NEEDS_GRADING: "#fbbf24",
    BELOW: "#f87171",
    PASSED: "#16a34a",
}
STATE_TEXT_COLOURS = {NOT_STARTED: "#6b7280", SUBMITTED: "#1e3a8a", NEEDS_GRADING: "#78350f", BELOW: "#7f1d1d", PASSED: "#ffffff"}
STATE_HELP = {
    NOT_STARTED: "nothing handed in yet (not a score of 0)",
    SUBMITTED: "handed in, waiting for autograding",
    NEEDS_GRADING: "autograded; a trainer still has to grade some answers",
    BELOW: "graded, under the pass mark",
    PASSED: "graded, at or above the pass mark",
}
INK = "#1f2937"
MUTED = "#6b7280"
LINE = "#e5e7eb"

#: Columns of the dashboard's rows (CSV and XLSX order): the gradebook's plus the programme's.
FIELDS = gbm.ROW_FIELDS + ("title", "level", "level_name", "pass_mark", "due", "result", "behind")

SALT_ENV = "GENLAB_PSEUDONYM_SALT"
PSEUDONYM_PREFIX = "learner-"
PSEUDONYM_HEX = 6


# ------------------------------------------------------------------------------------------------
# Pseudonyms


def salt_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "genlab" / "pseudonym-salt"


def pseudonym_salt(salt: str | None = None) -> str:
    """The secret that makes pseudonyms: ``salt`` if given, else ``$GENLAB_PSEUDONYM_SALT``, else
    the file ``~/.config/genlab/pseudonym-salt`` (made with a random salt, readable by its owner
    only, the first time). Keep it secret and keep it: with it a guessed id can be checked against
    a pseudonym; without it pseudonyms change."""
    if salt:
        return salt
    env = settings.get(SALT_ENV)
    if env:
        return env
    path = salt_file()
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def pseudonym(learner_id: str, salt: str, length: int = PSEUDONYM_HEX) -> str:
    """``learner-`` + the first ``length`` hex digits of HMAC-SHA256(salt, id)."""
    digest = hmac.new(salt.encode("utf-8"), learner_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:length]


def pseudonyms(ids, salt: str) -> dict[str, str]:
    """id → pseudonym for every id; ids whose short pseudonyms collide get longer ones."""
    ids = list(dict.fromkeys(ids))
    out = {i: pseudonym(i, salt) for i in ids}
    seen: dict[str, list[str]] = {}
    for i, p in out.items():
        seen.setdefault(p, []).append(i)
    for clash in (v for v in seen.values() if len(v) > 1):
        for i in clash:
            out[i] = pseudonym(i, salt, 16)
    return out


def pseudonymise_progress(progress: Progress, salt: str) -> Progress:
    """A copy of ``progress`` with ids and names replaced by pseudonyms and first names, last
    names and e-mails removed. Learners are ordered by pseudonym (name order would leak)."""
    names = pseudonyms([lr["id"] for lr in progress.learners], salt)

    def learner(lr):
        p = names[lr["id"]]
        return {**lr, "id": p, "name": p, "first_name": None, "last_name": None, "email": None}

    learners = sorted((learner(lr) for lr in progress.learners), key=lambda lr: lr["id"])
    order = {lr["id"]: i for i, lr in enumerate(learners)}
    rows = []
    for r in progress.rows:
        p = names[r["learner_id"]]
        rows.append({**r, "learner_id": p, "learner": p, "first_name": None, "last_name": None, "email": None})
    rows.sort(key=lambda r: order[r["learner_id"]])
    return replace(progress, learners=learners, rows=rows)


# ------------------------------------------------------------------------------------------------
# The dashboard's data


def state_of(status: str, percent: float | None, pass_mark: float) -> str:
    if status == gbm.NOT_STARTED:
        return NOT_STARTED
    if status == gbm.SUBMITTED:
        return SUBMITTED
    if status == gbm.NEEDS_MANUAL_GRADING:
        return NEEDS_GRADING
    return PASSED if (percent or 0.0) >= pass_mark - 1e-9 else BELOW


@dataclass
class Dashboard:
    progress: Progress
    programme: Programme  # completed with the gradebook's assignments
    as_of: dt.date
    pseudonymised: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)  # FIELDS, one per learner × column
    columns: list[dict[str, Any]] = field(default_factory=list)  # the heatmap's columns, in order

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
        return sorted(self.learners, key=lambda lr: (not lr.get("team"), gbm._fold(lr.get("team")),))

    def row(self, learner_id: str, assignment: str) -> dict[str, Any]:
        for r in self.rows:
            if r["learner_id"] == learner_id and r["assignment"] == assignment:
                return r
        raise KeyError((learner_id, assignment))

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(FIELDS))

    def state_table(self):
        """Learner × assignment DataFrame of states (index: learner_id; columns: assignments)."""
        import pandas as pd

        table = pd.DataFrame(index=[lr["id"] for lr in self.learner_order()], columns=[c["assignment"] for c in self.columns])
        for r in self.rows:
            table.loc[r["learner_id"], r["assignment"]] = r["result"]
        return table

    # ---- summaries ----------------------------------------------------------------------------
    def released_columns(self) -> list[dict[str, Any]]:
        return [c for c in self.columns if c["released"]]

    def counts(self, rows) -> dict[str, int]:
        return {s: sum(r["result"] == s for r in rows) for s in STATES}

    def completion_by(self, key: str) -> list[dict[str, Any]]:
        """Per team (``key="team"``) or level (``key="level"``): how many learner × assignment
        cells are in each state, among released assignments. Each dict: ``group``, ``label``,
        ``learners``, ``cells``, the five state counts, ``passed_percent`` and, for levels,
        ``complete`` (learners who passed every required assignment of the level)."""
        released = {c["assignment"] for c in self.released_columns()}
        rows = [r for r in self.rows if r["assignment"] in released]
        groups: list[tuple[str, str]] = []
        if key == "team":
            teams = sorted({lr.get("team") or "" for lr in self.learners}, key=lambda t: (t == "", gbm._fold(t)))
            groups = [(t, t or "No team") for t in teams]
        elif key == "level":
            used = {c["level"] for c in self.columns}
            groups = [(lv.id, lv.name) for lv in self.programme.levels if lv.id in used]
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
                **{s: counts[s] for s in STATES},
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
        out.sort(key=lambda b: (-len(b["missing"]), -b["most_days_late"], gbm._fold(b["learner"])))
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
            "waiting_for_trainers": counts[SUBMITTED] + counts[NEEDS_GRADING],
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
) -> Dashboard:
    """The dashboard for ``progress``. ``programme``: default :func:`load_programme` (the repo's
    workshops/programme.toml, or defaults). ``as_of``: the day the schedule is checked against
    (default: today in ``timezone``, Mexico City unless told). ``pseudonymise``: see the module."""
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
                base = {
                    "learner_id": lr["id"], "learner": lr["name"], "first_name": lr["first_name"],
                    "last_name": lr["last_name"], "email": lr["email"], "team": lr.get("team", ""),
                    "assignment": c["assignment"], "status": gbm.NOT_STARTED, "score": None,
                    "max_score": None, "percent": None, "submitted_at": None, "due_at": None, "late": False,
                }
            result = state_of(base["status"], base["percent"], c["pass_mark"])
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
    return Dashboard(progress=progress, programme=prog, as_of=as_of, pseudonymised=pseudonymise, rows=rows, columns=columns)


def local_today(timezone: str | None = None) -> dt.date:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz = ZoneInfo(timezone or settings.get("GENLAB_TIMEZONE"))
    except (ZoneInfoNotFoundError, ValueError):
        tz = dt.timezone.utc
    return dt.datetime.now(tz).date()


# ------------------------------------------------------------------------------------------------
# Figures (matplotlib's object API: no pyplot, safe in a web server's threads)


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    return fig


def _style(ax):
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#cbd5e1")
    ax.tick_params(colors=MUTED, labelsize=9, length=0)


def _fmt_day(d: dt.date | None) -> str:
    return f"{d.day} {d:%b %Y}" if d else ""


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.0f}%"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text.replace("_", " "), width=width, break_long_words=True)) or text


@dataclass
class Geometry:
    """Where the heatmap's grid is in its image, as fractions of width/height from the top-left;
    row i / column j occupy [x0 + j·w, x0 + (j+1)·w] × [y0 + i·h, y0 + (i+1)·h]."""

    x0: float
    y0: float
    x1: float
    y1: float
    learner_ids: list[str]
    assignments: list[str]

    def cell_box(self, learner_id: str, assignment: str) -> tuple[float, float, float, float]:
        i, j = self.learner_ids.index(learner_id), self.assignments.index(assignment)
        w = (self.x1 - self.x0) / len(self.assignments)
        h = (self.y1 - self.y0) / len(self.learner_ids)
        return (self.x0 + j * w, self.y0 + i * h, self.x0 + (j + 1) * w, self.y0 + (i + 1) * h)

    def as_attr(self) -> str:
        return f"{self.x0:.5f} {self.y0:.5f} {self.x1:.5f} {self.y1:.5f}"


def _cell_label(r: dict) -> str:
    if r["result"] in (PASSED, BELOW):
        return _pct(r["percent"])
    if r["result"] == NEEDS_GRADING:
        return "to grade"
    if r["result"] == SUBMITTED:
        return "handed in"
    return "–"


def draw_heatmap(ax, dash: Dashboard, *, compact: bool = False, fontsize: float | None = None) -> None:
    """Learner × assignment grid in ``ax``: one coloured cell per state, the score in graded cells,
    level names above their columns, teams at the left, "k/n passed" at the right."""
    from matplotlib.patches import Rectangle

    learners = dash.learner_order()
    cols = dash.columns
    nrows, ncols = len(learners), len(cols)
    fs = fontsize or (8.5 if nrows <= 20 else 7 if nrows <= 40 else 5.5)
    ax.set_xlim(0, max(ncols, 1))
    ax.set_ylim(max(nrows, 1), 0)
    ax.set_aspect("auto")
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(length=0, labelsize=fs + 0.5, colors=INK)
    rows = {(r["learner_id"], r["assignment"]): r for r in dash.rows}
    gap = 0.05
    for i, lr in enumerate(learners):
        for j, c in enumerate(cols):
            r = rows[(lr["id"], c["assignment"])]
            colour = STATE_COLOURS[r["result"]]
            ax.add_patch(Rectangle((j + gap, i + gap), 1 - 2 * gap, 1 - 2 * gap, facecolor=colour, edgecolor="none"))
            if not c["released"]:
                ax.add_patch(Rectangle((j + gap, i + gap), 1 - 2 * gap, 1 - 2 * gap, fill=False, hatch="///", edgecolor="#cbd5e1", linewidth=0))
            if not compact or r["result"] in (PASSED, BELOW):
                ax.text(j + 0.5, i + 0.52, _cell_label(r), ha="center", va="center", fontsize=fs, color=STATE_TEXT_COLOURS[r["result"]],
                        fontweight="bold" if r["result"] in (PASSED, BELOW) else "normal")
    ax.set_yticks([i + 0.5 for i in range(nrows)])
    ax.set_yticklabels([lr["name"] for lr in learners])
    ax.set_xticks([j + 0.5 for j in range(ncols)])
    labels = []
    for c in cols:
        head = _wrap(c["title"], 16)
        due = f"due {c['due'].day} {c['due']:%b}" if c["due"] else "no due date"
        sub = f"{due}\npass ≥ {c['pass_mark']:.0f}%" if c["released"] else f"{due}\nnot released yet"
        labels.append(f"{head}\n{sub}")
    ax.set_xticklabels(labels, fontsize=fs, color=INK)
    ax.xaxis.tick_top()
    # Lines between levels (their names go above the labels: level_headers()).
    for j in range(1, ncols):
        if cols[j]["level"] != cols[j - 1]["level"]:
            ax.axvline(j, color="#94a3b8", linewidth=1.2)
    # Team separators and names.
    if dash.has_teams():
        start = 0
        for i in range(1, nrows + 1):
            if i == nrows or (learners[i].get("team") or "") != (learners[start].get("team") or ""):
                if i < nrows:
                    ax.axhline(i, color="#94a3b8", linewidth=1.2)
                start = i
    # Right-hand summary: k/n passed (+ team).
    released = [c for c in cols if c["released"]]
    for i, lr in enumerate(learners):
        k = sum(rows[(lr["id"], c["assignment"])]["result"] == PASSED for c in released)
        team = lr.get("team") or ""
        ax.text(ncols + 0.08, i + 0.52, f"{k}/{len(released)} passed" + (f"   {team}" if team else ""),
                ha="left", va="center", fontsize=fs, color=MUTED)


def level_headers(ax, dash: Dashboard, fontsize: float = 9) -> None:
    """Level names in a band above the column labels (needs the figure drawn once)."""
    cols = dash.columns
    if not cols or len({c["level"] for c in cols}) < 2:
        return
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    top = max((t.get_window_extent(renderer).y1 for t in ax.get_xticklabels()), default=ax.get_window_extent(renderer).y1)
    inv = ax.transAxes.inverted()
    y = inv.transform((0, top + 4))[1]
    start = 0
    n = len(cols)
    for j in range(1, n + 1):
        if j == n or cols[j]["level"] != cols[start]["level"]:
            ax.text((start + j) / 2 / n, y, cols[start]["level_name"], transform=ax.transAxes, ha="center", va="bottom",
                    fontsize=fontsize, fontweight="bold", color=INK, clip_on=False,
                    bbox={"boxstyle": "round,pad=0.3", "facecolor": "#f1f5f9", "edgecolor": "none"})
            start = j


def legend_handles():
    from matplotlib.patches import Patch

    return [Patch(facecolor=STATE_COLOURS[s], edgecolor="none", label=s) for s in reversed(STATES)]


def heatmap_figure(dash: Dashboard):
    """The completion heatmap as its own figure; returns ``(figure, Geometry)``."""
    nrows, ncols = len(dash.learners), len(dash.columns)
    width = max(7.5, 4.1 + 1.15 * ncols)
    row_h = 0.34 if nrows <= 20 else 0.24 if nrows <= 40 else 0.17
    height = 1.55 + row_h * max(nrows, 1)
    fig = _figure(width, height)
    left, right = 1.9 / width, 1 - 2.2 / width
    top, bottom = 1 - 1.0 / height, 0.5 / height
    ax = fig.add_axes((left, bottom, right - left, top - bottom))
    draw_heatmap(ax, dash)
    fig.canvas.draw()
    level_headers(ax, dash)
    fig.legend(handles=legend_handles(), loc="lower center", ncol=5, frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, 0.0), handlelength=1.2, columnspacing=1.6)
    pos = ax.get_position()
    geo = Geometry(float(pos.x0), float(1 - pos.y1), float(pos.x1), float(1 - pos.y0), [lr["id"] for lr in dash.learner_order()], [c["assignment"] for c in dash.columns])
    return fig, geo


def draw_completion_bars(ax, groups: list[dict], title: str, *, fontsize: float = 9) -> None:
    """One 100 % stacked bar per group: the share of its learner × assignment cells in each state."""
    ax.set_title(title, loc="left", fontsize=fontsize + 2, fontweight="bold", color=INK, pad=8)
    _style(ax)
    if not groups:
        ax.text(0.5, 0.5, "nothing yet", transform=ax.transAxes, ha="center", va="center", color=MUTED)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    ys = list(range(len(groups)))
    for y, g in zip(ys, groups):
        left = 0.0
        n = g["cells"] or 1
        if not g["cells"]:
            ax.barh(y, 100, color="white", hatch="///", edgecolor="#cbd5e1", linewidth=0, height=0.62)
        for s in reversed(STATES):
            share = 100.0 * g[s] / n
            if share:
                ax.barh(y, share, left=left, color=STATE_COLOURS[s], height=0.62, edgecolor="white", linewidth=0.8)
                if share >= 9 and s != NOT_STARTED:
                    ax.text(left + share / 2, y, f"{share:.0f}%", ha="center", va="center", fontsize=fontsize - 1,
                            color=STATE_TEXT_COLOURS[s], fontweight="bold")
            left += share
        note = f"{g['passed_percent']:.0f}% passed" if g["passed_percent"] is not None else "not released yet"
        if "complete" in g and g["cells"]:
            note += f" · {g['complete']}/{g['learners']} completed"
        ax.text(101.5, y, note, ha="left", va="center", fontsize=fontsize - 0.5, color=MUTED)
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{g['label']} ({g['learners']})" if "complete" not in g else g["label"] for g in groups],
                       fontsize=fontsize, color=INK)
    ax.set_ylim(len(groups) - 0.45, -0.55)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xticklabels(["0", "25", "50", "75", "100%"], fontsize=fontsize - 1)
    ax.xaxis.grid(True, color="#f1f5f9", linewidth=0.8)
    ax.set_axisbelow(True)


def draw_score_histogram(ax, dash: Dashboard, *, fontsize: float = 9) -> None:
    """How graded submissions scored: bars of 10 %, passed green and under the pass mark red."""
    ax.set_title("Scores of graded work", loc="left", fontsize=fontsize + 2, fontweight="bold", color=INK, pad=8)
    _style(ax)
    scores = dash.scores()
    edges = list(range(0, 101, 10))
    passed = [0] * 10
    below = [0] * 10
    for r in scores:
        k = min(int(max(r["percent"], 0.0) // 10), 9)
        (passed if r["result"] == PASSED else below)[k] += 1
    centers = [e + 5 for e in edges[:-1]]
    ax.bar(centers, below, width=9, color=STATE_COLOURS[BELOW], label=BELOW)
    ax.bar(centers, passed, width=9, bottom=below, color=STATE_COLOURS[PASSED], label=PASSED)
    mark = dash.programme.pass_mark
    top = max([p + b for p, b in zip(passed, below)] + [1])
    ax.axvline(mark, color=INK, linestyle=(0, (4, 3)), linewidth=1)
    ax.text(mark, top * 1.12, f" pass mark {mark:.0f}%", fontsize=fontsize - 1, color=INK, va="bottom", ha="left")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, top * 1.3)
    ax.set_xticks(edges)
    ax.set_xticklabels([f"{e}" for e in edges[:-1]] + ["100%"], fontsize=fontsize - 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="y", labelsize=fontsize - 1)
    ax.yaxis.grid(True, color="#f1f5f9", linewidth=0.8)
    ax.set_axisbelow(True)
    if scores:
        values = sorted(r["percent"] for r in scores)
        median = values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        ax.set_xlabel(f"{len(scores)} graded submissions · median {median:.0f}%", fontsize=fontsize - 0.5, color=MUTED)
    else:
        ax.set_xlabel("nothing graded yet", fontsize=fontsize - 0.5, color=MUTED)


def bars_figure(dash: Dashboard, key: str):
    groups = dash.completion_by(key)
    h = 0.42 * max(len(groups), 1)
    W, H = 5.9, h + 0.95
    fig = _figure(W, H)
    ax = fig.add_axes((1.45 / W, 0.38 / H, 2.5 / W, h / H))
    draw_completion_bars(ax, groups, "Completion by team" if key == "team" else "Completion by level")
    return fig


def histogram_figure(dash: Dashboard):
    fig = _figure(5.9, 2.7)
    ax = fig.add_axes((0.4 / 5.9, 0.55 / 2.7, 5.25 / 5.9, 1.65 / 2.7))
    draw_score_histogram(ax, dash)
    return fig


def _behind_lines(dash: Dashboard, limit: int = 8) -> list[str]:
    lines = []
    behind = dash.behind_schedule()
    for b in behind[:limit]:
        what = ", ".join(
            f"{m['title']} ({'not started' if m['result'] == NOT_STARTED else _pct(m['percent'])})" for m in b["missing"][:3]
        )
        more = f" +{len(b['missing']) - 3} more" if len(b["missing"]) > 3 else ""
        team = f" [{b['team']}]" if b["team"] else ""
        lines.append(f"{b['learner']}{team}: {what}{more}")
    if len(behind) > limit:
        lines.append(f"… and {len(behind) - limit} more (see the report)")
    return lines


def kpi_items(dash: Dashboard) -> list[tuple[str, str]]:
    k = dash.kpis()
    n = k["learners"]
    return [
        (f"{k['completed_programme']}/{n}", "completed every required level"),
        (f"{k['on_schedule']}/{n}", f"on schedule on {_fmt_day(dash.as_of)}"),
        (f"{k['handed_in']}/{k['cells']}", "assignments handed in"),
        (str(k["waiting_for_trainers"]), "waiting for grading"),
        (_pct(k["mean_percent"]) or "–", "mean score of graded work"),
    ]


def snapshot_figure(dash: Dashboard, *, title: str = "Course progress"):
    """One page for the monthly e-mail: headline numbers, the heatmap and who is behind (left),
    completion by team and by level and the score distribution (right). Grows with the class."""
    nrows, ncols = len(dash.learners), len(dash.columns)
    teams = dash.completion_by("team") if dash.has_teams() else []
    levels = dash.completion_by("level")
    behind = _behind_lines(dash)
    row_h = 0.3 if nrows <= 20 else 0.2 if nrows <= 40 else 0.14
    grid_w = 1.2 * max(ncols, 1)
    left_w = 1.6 + grid_w + 1.9
    right_x = 0.5 + left_w + 0.7
    right_w = 7.0
    width = right_x + right_w + 0.3
    heat_top = 2.05 + 0.95
    heat_h = row_h * max(nrows, 1)
    behind_top = heat_top + heat_h + 0.95
    left_h = behind_top + 0.35 + 0.24 * max(len(behind), 1)
    right_h = 2.0
    blocks = []
    for groups, label in ((teams, "Completion by team"), (levels, "Completion by level")):
        if groups:
            h = 0.38 * len(groups)
            blocks.append((groups, label, right_h + 0.5, h))
            right_h += 0.5 + h + 0.6
    hist_top = right_h + 0.5
    right_h = hist_top + 1.9 + 0.6
    height = max(left_h, right_h) + 0.55
    fig = _figure(width, height)

    def axes(x_in, top_in, w_in, h_in):
        return fig.add_axes((x_in / width, 1 - (top_in + h_in) / height, w_in / width, h_in / height))

    def text(x_in, top_in, s, **kw):
        return fig.text(x_in / width, 1 - top_in / height, s, va="baseline", **kw)

    text(0.5, 0.6, title, fontsize=22, fontweight="bold", color=INK)
    sub = f"{dash.programme.name} · as of {_fmt_day(dash.as_of)}"
    if dash.pseudonymised:
        sub += " · learners pseudonymised"
    text(0.5, 0.95, sub, fontsize=11, color=MUTED)
    kx = 0.5
    for value, label in kpi_items(dash):
        text(kx, 1.5, value, fontsize=19, fontweight="bold", color=INK)
        text(kx, 1.76, label, fontsize=9, color=MUTED)
        kx += 2.6
    # Left: the heatmap, its legend, who is behind.
    if not dash.columns or not dash.learners:
        what = "assignments" if not dash.columns else "learners"
        text(0.5, heat_top, f"No {what} in the gradebook yet.", fontsize=14, color=MUTED)
    else:
        ax = axes(0.5 + 1.6, heat_top, grid_w, heat_h)
        draw_heatmap(ax, dash, compact=nrows > 40)
        fig.canvas.draw()
        level_headers(ax, dash)
        fig.legend(handles=legend_handles(), loc="upper left", ncol=5, frameon=False, fontsize=9,
                   bbox_to_anchor=((0.5 + 1.6) / width, 1 - (heat_top + heat_h + 0.12) / height), borderaxespad=0,
                   handlelength=1.2, columnspacing=1.4)
    text(0.5, behind_top, "Behind the schedule", fontsize=12, fontweight="bold", color=INK)
    chars = int(left_w / 0.068)
    for i, line in enumerate(behind or ["Nobody: everything due is passed or handed in."]):
        text(0.5, behind_top + 0.35 + 0.24 * i, _shorten(line, chars), fontsize=8.5, color="#b91c1c" if behind else MUTED)
    # Right: completion bars and scores.
    for groups, label, top, h in blocks:
        draw_completion_bars(axes(right_x + 1.55, top, right_w - 1.55 - 2.2, h), groups, label)
    draw_score_histogram(axes(right_x + 0.45, hist_top, right_w - 0.45 - 0.3, 1.9), dash)
    text(0.5, height - 0.2, f"genlab · nbgrader gradebook · pass mark {dash.programme.pass_mark:.0f}% unless a workshop sets its own"
         + " · handed in and waiting for grading does not count as behind", fontsize=8, color=MUTED)
    return fig


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def figure_png(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def write_png(fig, path: str | os.PathLike, dpi: int = 110) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_png(fig, dpi))
    return path


def write_pdf(dash: Dashboard, path: str | os.PathLike, *, title: str = "Course progress") -> Path:
    """The snapshot as a PDF: page 1 the overview, then the full heatmap (a page per 30 learners),
    then who is behind the schedule."""
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"Title": f"{title}: {dash.programme.name}", "Creator": "genlab report", "Producer": "genlab", "Author": None}
    import matplotlib

    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path, metadata=meta) as pdf:  # TrueType: crisp, searchable
        pdf.savefig(snapshot_figure(dash, title=title), facecolor="white")
        learners = dash.learner_order()
        per_page = 30
        if len(learners) > per_page:
            for start in range(0, len(learners), per_page):
                part = _subset(dash, learners[start : start + per_page])
                fig, _ = heatmap_figure(part)
                fig.suptitle(f"Who is where ({start + 1}–{min(start + per_page, len(learners))} of {len(learners)})",
                             x=0.02, ha="left", fontsize=13, fontweight="bold", color=INK)
                pdf.savefig(fig, facecolor="white")
        behind = dash.behind_schedule()
        if behind:
            for fig in behind_pages(dash, behind):
                pdf.savefig(fig, facecolor="white")
    return path


def _subset(dash: Dashboard, learners: list[dict]) -> Dashboard:
    ids = {lr["id"] for lr in learners}
    progress = replace(dash.progress, learners=[lr for lr in dash.progress.learners if lr["id"] in ids],
                       rows=[r for r in dash.progress.rows if r["learner_id"] in ids])
    return replace(dash, progress=progress, rows=[r for r in dash.rows if r["learner_id"] in ids])


def behind_pages(dash: Dashboard, behind: list[dict], per_page: int = 28):
    """A4-landscape pages listing who is behind and on what."""
    pages = []
    for start in range(0, len(behind), per_page):
        fig = _figure(11.69, 8.27)
        fig.text(0.05, 0.93, f"Behind the schedule on {_fmt_day(dash.as_of)}", fontsize=16, fontweight="bold", color=INK)
        fig.text(0.05, 0.895, "Assignments past their due date that are not started or under the pass mark.", fontsize=10, color=MUTED)
        yy = 0.84
        for b in behind[start : start + per_page]:
            fig.text(0.05, yy, b["learner"], fontsize=10, fontweight="bold", color=INK)
            fig.text(0.25, yy, b["team"], fontsize=10, color=MUTED)
            what = "; ".join(
                f"{m['title']} ({'not started' if m['result'] == NOT_STARTED else _pct(m['percent'])}, {m['days_late']} days)"
                for m in b["missing"]
            )
            fig.text(0.38, yy, _shorten(what, 110), fontsize=9.5, color="#b91c1c")
            yy -= 0.027
        pages.append(fig)
    return pages


# ------------------------------------------------------------------------------------------------
# Exports


def write_csv(dash: Dashboard, path: str | os.PathLike) -> Path:
    """One row per learner × assignment (``FIELDS``); UTF-8 with a BOM (Excel shows accents)."""
    from genlab.course.progress.exports import csv_cells, write_csv_rows

    rows = (
        {
            **csv_cells(r, FIELDS),
            "pass_mark": f"{r['pass_mark']:g}",
            "due": r["due"].isoformat() if r["due"] else "",
            "behind": "yes" if r["behind"] else "no",
        }
        for r in dash.rows
    )
    return write_csv_rows(path, FIELDS, rows)


def _naive(ts):
    if ts is None:
        return None
    if isinstance(ts, dt.datetime) and ts.tzinfo is not None:
        return ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts


def write_xlsx(dash: Dashboard, path: str | os.PathLike, *, title: str = "Course progress") -> Path:
    """A workbook: "Summary" (headline numbers; per assignment, team and level), "Progress" (the
    CSV's rows, numbers as numbers, UTC times), "Heatmap" (learner × assignment, coloured like the
    dashboard) and "Behind schedule"."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="F1F5F9")
    muted = Font(color="6B7280")

    def header(ws, row, values):
        for j, v in enumerate(values, start=1):
            cell = ws.cell(row=row, column=j, value=v)
            cell.font = bold
            cell.fill = head_fill

    def widths(ws, values: dict[int, float]):
        for j, w in values.items():
            ws.column_dimensions[get_column_letter(j)].width = w

    wb = Workbook()
    k = dash.kpis()
    ws = wb.active
    ws.title = "Summary"
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=16)
    ws["A2"] = f"{dash.programme.name} · as of {dash.as_of.isoformat()}" + (" · learners pseudonymised" if dash.pseudonymised else "")
    ws["A2"].font = muted
    facts = [
        ("Learners", k["learners"]),
        ("Assignments released", k["assignments"]),
        ("Completed every required level", k["completed_programme"]),
        ("On schedule", k["on_schedule"]),
        ("Behind the schedule", k["behind"]),
        ("Assignments handed in", k["handed_in"]),
        ("Waiting for grading", k["waiting_for_trainers"]),
        ("Passed", k[PASSED]),
        ("Below pass mark", k[BELOW]),
        ("Not started", k[NOT_STARTED]),
        ("Mean score of graded work (%)", None if k["mean_percent"] is None else round(k["mean_percent"], 1)),
        ("Pass mark (%)", k["pass_mark"]),
    ]
    r0 = 4
    for i, (label, value) in enumerate(facts):
        ws.cell(row=r0 + i, column=1, value=label)
        ws.cell(row=r0 + i, column=2, value=value).font = bold
    row = r0 + len(facts) + 1
    ws.cell(row=row, column=1, value="Per assignment").font = Font(bold=True, size=13)
    row += 1
    cols = ["Assignment", "Title", "Level", "Due", "Pass mark (%)", "Learners", *[s.capitalize() for s in reversed(STATES)], "Mean score (%)"]
    header(ws, row, cols)
    for c in dash.columns:
        row += 1
        sub = [r for r in dash.rows if r["assignment"] == c["assignment"]]
        counts = dash.counts(sub)
        graded = [r["percent"] for r in sub if r["result"] in (PASSED, BELOW) and r["percent"] is not None]
        values = [c["assignment"], c["title"], c["level_name"], c["due"], c["pass_mark"], len(dash.learners),
                  *[counts[s] for s in reversed(STATES)], round(sum(graded) / len(graded), 1) if graded else None]
        for j, v in enumerate(values, start=1):
            cell = ws.cell(row=row, column=j, value=v)
            if isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for key, label in (("team", "Per team"), ("level", "Per level")):
        groups = dash.completion_by(key)
        if key == "team" and not dash.has_teams():
            continue
        row += 2
        ws.cell(row=row, column=1, value=label).font = Font(bold=True, size=13)
        row += 1
        extra = ["Completed"] if key == "level" else []
        header(ws, row, [key.capitalize(), "Learners", "Cells", *[s.capitalize() for s in reversed(STATES)], "Passed (%)", *extra])
        for g in groups:
            row += 1
            values = [g["label"], g["learners"], g["cells"], *[g[s] for s in reversed(STATES)],
                      None if g["passed_percent"] is None else round(g["passed_percent"], 1)]
            if key == "level":
                values.append(g["complete"])
            for j, v in enumerate(values, start=1):
                ws.cell(row=row, column=j, value=v)
    widths(ws, {1: 34, 2: 26, 3: 18, 4: 12, 5: 13, 6: 10, 7: 10, 8: 16, 9: 14, 10: 11, 11: 12, 12: 15})

    # Progress: the rows.
    wp = wb.create_sheet("Progress")
    header(wp, 1, list(FIELDS))
    for i, r in enumerate(dash.rows, start=2):
        for j, key in enumerate(FIELDS, start=1):
            v = r.get(key)
            if key in ("submitted_at", "due_at"):
                v = _naive(v)
            elif key == "percent" and v is not None:
                v = round(v, 1)
            elif key in ("late", "behind"):
                v = "yes" if v else "no"
            cell = wp.cell(row=i, column=j, value=v if v != "" else None)
            if isinstance(v, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
    wp.freeze_panes = "C2"
    wp.auto_filter.ref = f"A1:{get_column_letter(len(FIELDS))}{len(dash.rows) + 1}"
    widths(wp, {j: 16 for j in range(1, len(FIELDS) + 1)})

    # Heatmap: learner × assignment.
    wh = wb.create_sheet("Heatmap")
    learners = dash.learner_order()
    header(wh, 1, ["Learner", "Team", *[c["assignment"] for c in dash.columns], "Passed"])
    rows = {(r["learner_id"], r["assignment"]): r for r in dash.rows}
    for i, lr in enumerate(learners, start=2):
        wh.cell(row=i, column=1, value=lr["name"]).font = bold
        wh.cell(row=i, column=2, value=lr.get("team") or None)
        for j, c in enumerate(dash.columns, start=3):
            r = rows[(lr["id"], c["assignment"])]
            value = round(r["percent"], 1) if r["result"] in (PASSED, BELOW) and r["percent"] is not None else r["result"]
            cell = wh.cell(row=i, column=j, value=value)
            cell.fill = PatternFill("solid", fgColor=STATE_COLOURS[r["result"]].lstrip("#").upper())
            cell.font = Font(color=STATE_TEXT_COLOURS[r["result"]].lstrip("#").upper(), bold=r["result"] in (PASSED, BELOW))
            cell.alignment = Alignment(horizontal="center")
        wh.cell(row=i, column=3 + len(dash.columns), value=sum(rows[(lr["id"], c["assignment"])]["result"] == PASSED for c in dash.columns))
    legend_row = len(learners) + 3
    wh.cell(row=legend_row, column=1, value="Numbers are % of the points (fully graded). Colours:").font = muted
    for i, s in enumerate(reversed(STATES), start=1):
        cell = wh.cell(row=legend_row + i, column=1, value=f"{s}: {STATE_HELP[s]}")
        cell.fill = PatternFill("solid", fgColor=STATE_COLOURS[s].lstrip("#").upper())
        cell.font = Font(color=STATE_TEXT_COLOURS[s].lstrip("#").upper())
    wh.freeze_panes = "C2"
    widths(wh, {1: 26, 2: 14, **{j: 17 for j in range(3, 4 + len(dash.columns))}})

    # Behind schedule.
    wb_ = wb.create_sheet("Behind schedule")
    header(wb_, 1, ["Learner", "Team", "Assignment", "Title", "Due", "Days late", "Result", "Score (%)"])
    i = 1
    for b in dash.behind_schedule():
        for m in b["missing"]:
            i += 1
            values = [b["learner"], b["team"] or None, m["assignment"], m["title"], m["due"], m["days_late"], m["result"],
                      None if m["percent"] is None else round(m["percent"], 1)]
            for j, v in enumerate(values, start=1):
                cell = wb_.cell(row=i, column=j, value=v)
                if isinstance(v, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    if i == 1:
        wb_.cell(row=2, column=1, value="Nobody is behind the schedule.")
    widths(wb_, {1: 26, 2: 14, 3: 20, 4: 24, 5: 12, 6: 10, 7: 16, 8: 10})

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.properties.creator = "genlab report"
    wb.properties.title = title
    wb.save(path)
    return path
