"""The dashboard as one self-contained HTML page (inline CSS and pictures, no scripts, no outside
files), rendered from Jinja2 templates in ``templates/`` with autoescaping on: every name, title
and note reaches the page escaped, whatever a learner typed as their name.

This module prepares plain values for the templates (numbers formatted, pictures encoded); the
templates decide the markup. ``report.html.j2`` is the page; ``report.css.j2`` its style, with the
state colours from :mod:`~genlab.course.progress.states`.

Every word on the page is in the dashboard's language (``lang``: "en" or "es"; the ``[report]``
table of assets/i18n): the templates call ``t("key", ...)``; the ``html`` element's ``lang`` says
which. Data attributes (``data-status``, ``data-learner``) stay English: tests and tools read them.

Long names never get cut: completion by team and by level are HTML bars whose labels wrap, with
the full name in ``title`` (hover); the heatmap picture wraps its column and level titles to fit
and carries an image map whose areas hold the full names on hover.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from genlab.core.imaging import figure_png
from genlab.course.progress import figures
from genlab.course.progress.dashboard import Dashboard, build_dashboard, kpi_items
from genlab.course.progress.figures import bar_note, png_data_uri
from genlab.course.progress.formats import fmt_day, fmt_points, fmt_time, local, text, zone, zone_name
from genlab.course.progress.gradebook import Progress
from genlab.course.progress.states import (
    BELOW,
    GRADED,
    LOOKS,
    NEEDS_MANUAL_GRADING,
    NOT_STARTED,
    PASSED,
    RESULTS,
    STATUSES,
    SUBMITTED,
    help_text,
    state_name,
)

CHART_DPI = 192  # pictures at twice their CSS size: sharp on high-density screens
#: A bar segment says its share only from this percentage up: at the bars' narrowest (200 CSS px)
#: "100%" still fits. Every segment has its count on hover.
MIN_LABELLED_SHARE = 20


@lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment for ``templates/`` (autoescaped; undefined names are errors)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("genlab.course.progress", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def picture(fig, *, elem_id: str, alt: str, dpi: int = CHART_DPI) -> dict:
    """A figure for the page: an inline PNG shown at its size in inches × 96 CSS pixels."""
    return {
        "id": elem_id,
        "src": png_data_uri(figure_png(fig, dpi=dpi, tight=False)),
        "width": round(fig.get_figwidth() * 96),
        "height": round(fig.get_figheight() * 96),
        "alt": alt,
    }


def heatmap(dash: Dashboard) -> dict:
    """The heatmap picture; ``data-grid`` (x0 y0 x1 y1, fractions of the image from its top-left),
    ``data-learners`` and ``data-assignments`` say where each cell is (tests read them); ``areas``:
    the column and level titles' boxes (CSS pixels) with their full names, for the image map."""
    fig, geo = figures.heatmap_figure(dash)
    k = dash.kpis()
    alt = dash.text("heatmap_alt", learners=k["learners"], assignments=len(dash.columns), passed=k[PASSED], below=k[BELOW],
                    manual=k[NEEDS_MANUAL_GRADING], submitted=k[SUBMITTED], not_started=k[NOT_STARTED])
    pic = picture(fig, elem_id="heatmap", alt=alt)
    w, h = pic["width"], pic["height"]
    pic["areas"] = [
        {"coords": f"{round(x0 * w)},{round(y0 * h)},{round(x1 * w)},{round(y1 * h)}", "title": title}
        for x0, y0, x1, y1, title in geo.labels
    ]
    pic["grid"] = geo.as_attr()
    pic["learners"] = json.dumps(geo.learner_ids)
    pic["assignments"] = json.dumps(geo.assignments)
    return pic


def completion_bars(dash: Dashboard, key: str) -> dict:
    """Completion by team or by level as rows of HTML bars: label (full name, wraps), one segment
    per state, the note."""
    rows = []
    for g in dash.completion_by(key):
        n = g["cells"] or 1
        segments = [
            {"css": LOOKS[s].css, "width": f"{100.0 * g[s] / n:.2f}", "title": f"{state_name(s, dash.lang)}: {g[s]}",
             "label": f"{100.0 * g[s] / n:.0f}%" if 100.0 * g[s] / n >= MIN_LABELLED_SHARE and s != NOT_STARTED else ""}
            for s in reversed(RESULTS) if g[s]
        ]
        label = g["label"] if key == "level" else f"{g['label']} ({g['learners']})"
        rows.append({"group": g["group"], "label": label, "segments": segments, "empty": not g["cells"],
                     "note": bar_note(g, dash.lang)})
    return {"id": f"by-{key}", "title": dash.text("by_team" if key == "team" else "by_level"), "rows": rows}


def _cell(r: dict, tz, lang: str) -> dict:
    status = r["status"]
    graded = status in (GRADED, NEEDS_MANUAL_GRADING) and r["score"] is not None
    return {
        "status": status,
        "name": state_name(status, lang),
        "css": LOOKS[status].css,
        "title": f'{r["learner"]} · {r["assignment"]}: {state_name(status, lang)}',
        "when": fmt_time(r["submitted_at"], tz, lang=lang) if r["submitted_at"] is not None else "",
        "late": r["late"],
        "score": fmt_points(r["score"]) if graded else None,
        "max_score": fmt_points(r["max_score"]),
        "so_far": status == NEEDS_MANUAL_GRADING,
        "percent": max(0.0, min(100.0, r["percent"] or 0.0)) if graded else 0.0,
    }


def _card(s: dict, tz, lang: str) -> dict:
    n = s["learners"] or 1
    stack = [(LOOKS[st].css, f"{100.0 * k / n:.2f}") for st, k in
             ((GRADED, s["graded"]), (NEEDS_MANUAL_GRADING, s["needs_manual_grading"]), (SUBMITTED, s["waiting_autograde"])) if k]
    details = [text("card_graded", lang, n=s["graded"])]
    if s["needs_manual_grading"]:
        details.append(text("card_manual", lang, n=s["needs_manual_grading"]))
    if s["waiting_autograde"]:
        details.append(text("card_autograde", lang, n=s["waiting_autograde"]))
    details.append(text("card_not_started", lang, n=s["not_started"]))
    if s["mean_percent"] is not None:
        details.append(text("card_average", lang, percent=f"{s['mean_percent']:.0f}"))
    if s["late"]:
        details.append(text("card_late", lang, n=s["late"]))
    return {**s, "stack": stack, "details": " · ".join(details),
            "due": fmt_time(s["due_at"], tz, with_time=False, lang=lang) if s["due_at"] else ""}


def _behind(dash: Dashboard) -> dict:
    due = [c for c in dash.released_columns() if c["due"] is not None and c["due"] < dash.as_of]
    rows = []
    for b in dash.behind_schedule():
        chips = [
            {"css": LOOKS[BELOW].css if m["result"] == BELOW else LOOKS[NOT_STARTED].css,
             "due": fmt_day(m["due"], dash.lang), "title": m["title"],
             "what": state_name(NOT_STARTED, dash.lang) if m["result"] == NOT_STARTED
             else dash.text("under_pass_mark", percent=f"{m['percent']:.0f}")}
            for m in b["missing"]
        ]
        rows.append({**b, "chips": chips})
    return {"anything_due": bool(due), "rows": rows}


def render_html(
    progress: Progress,
    *,
    title: str | None = None,
    timezone: str | None = None,
    programme=None,
    as_of: dt.date | None = None,
    dashboard: Dashboard | None = None,
    lang: str | None = None,
) -> str:
    """The whole dashboard as one HTML string.

    ``dashboard``: a :class:`~genlab.course.progress.dashboard.Dashboard` (pseudonymised or not)
    to show; otherwise one is built from ``progress``, ``programme`` and ``as_of``. ``lang``: "en"
    or "es" (default: the dashboard's, English for one built here). ``title``: default "Course
    progress" in that language."""
    tz = zone(timezone)
    dash = dashboard or build_dashboard(progress, programme, as_of=as_of, timezone=zone_name(tz), lang=lang or "en")
    if lang and lang != dash.lang:
        dash = replace(dash, lang=lang)
    lang = dash.lang
    title = title or dash.text("title")
    progress = dash.progress
    meta = [
        dash.text("generated", when=fmt_time(local(progress.generated_at, tz), tz, lang=lang), zone=zone_name(tz)),
        dash.text("n_learners", n=len(progress.learners)),
        dash.text("n_assignments", n=len(progress.assignments)),
        dash.text("schedule_checked", day=fmt_day(dash.as_of, lang)),
    ]
    if dash.pseudonymised:
        meta.append(dash.text("pseudonymised"))
    empty = None if progress.assignments and progress.learners else ("assignments" if not progress.assignments else "learners")
    page = {
        "lang": lang,
        "title": title,
        "programme": dash.programme_name,
        "meta": " · ".join(meta),
        "empty": dash.text("none_yet", what=dash.text(f"none_{empty}")) if empty else None,
        "pass_mark": f"{dash.programme.pass_mark:g}",
        "timezone": zone_name(tz),
        "source": dash.text("source_pseudonymised") if dash.pseudonymised else progress.source,
        "programme_source": str(dash.programme.path) if dash.programme.path else dash.text("no_programme_file"),
        "looks": LOOKS,
        "as_of": fmt_day(dash.as_of, lang),
    }
    if progress.learners and dash.columns:
        page["kpis"] = kpi_items(dash)
        page["heatmap"] = heatmap(dash)
        page["bars"] = [completion_bars(dash, key) for key in (("team", "level") if dash.has_teams() else ("level",))]
        page["scores"] = picture(figures.histogram_figure(dash), elem_id="scores", alt=dash.text("scores"))
        page["behind"] = _behind(dash)
    if progress.assignments:
        page["cards"] = [_card(s, tz, lang) for s in progress.assignment_summary()]
    if progress.assignments and progress.learners:
        page["legend"] = [{"status": state_name(s, lang), "css": LOOKS[s].css, "help": help_text(s, lang)} for s in reversed(STATUSES)]
        page["columns"] = [
            {"name": a["name"], "sub": " · ".join(
                [dash.text("points", points=fmt_points(a["max_score"]))]
                + ([dash.text("due_day", day=fmt_time(a["due_at"], tz, with_time=False, lang=lang))] if a["due_at"] else []))}
            for a in progress.assignments
        ]
        cells = {(r["learner_id"], r["assignment"]): r for r in progress.rows}
        summary = {s["learner_id"]: s for s in progress.learner_summary()}
        page["learners"] = [
            {"id": lr["id"], "name": lr["name"], "show_id": lr["name"] != lr["id"],
             "cells": [_cell(cells[(lr["id"], a["name"])], tz, lang) for a in progress.assignments],
             "graded": summary[lr["id"]]["graded"], "assignments": summary[lr["id"]]["assignments"]}
            for lr in progress.learners
        ]
    return environment().get_template("report.html.j2").render(page=page, t=lambda key, **values: text(key, lang, **values))


def write_html(progress: Progress, path: str | os.PathLike, **kwargs) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(progress, **kwargs), encoding="utf-8")
    return path
