"""``genlab report``: the managers' dashboard, from nbgrader's gradebook and the programme.

Writes into ``--out`` (default ``reports/``):

- ``progress.html``: one self-contained page (no scripts, no outside files): headline numbers, the
  completion heatmap (learner × assignment), completion by team and by level, the score
  distribution, who is behind the programme's schedule, then per-assignment cards and the detailed
  learner table.
- ``progress.csv``: one row per learner × assignment (``genlab.course.dashboard.FIELDS``).
- ``progress.xlsx``: the same rows plus a "Summary" sheet, a coloured "Heatmap" and "Behind schedule".
- ``progress.png`` and ``progress.pdf``: a snapshot for the monthly e-mail (PDF: overview page, the
  full heatmap for big classes, who is behind).

``--pseudonymise`` writes every one of these with stable salted pseudonyms (``learner-3f9a2c``)
instead of learner ids and names, and without e-mails: progress data is personal data. See
:mod:`genlab.course.dashboard` for the salt. All numbers come from
:func:`genlab.course.gradebook.load_progress` and :func:`genlab.course.dashboard.build_dashboard`,
the same data the Gradio progress app (``genlab demo progress``) and the certificates use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import sys
from pathlib import Path

from genlab import settings
from genlab.course.progress import dashboard as dashmod
from genlab.course.progress.exports import fmt_points, write_csv  # noqa: F401 (report.write_csv: the report's CSV)
from genlab.course.progress.gradebook import (
    GRADED,
    NEEDS_MANUAL_GRADING,
    NOT_STARTED,
    STATUSES,
    SUBMITTED,
    NoGradebookError,
    Progress,
)

DEFAULT_OUT = "reports"
DEFAULT_TIMEZONE = "America/Mexico_City"

#: What each status means, in the words the page uses.
STATUS_HELP = {
    GRADED: "every answer has a score",
    NEEDS_MANUAL_GRADING: "autograded; a trainer still has to grade some answers (score so far)",
    SUBMITTED: "handed in, waiting for autograding",
    NOT_STARTED: "nothing handed in yet (this is not a score of 0)",
}
STATUS_CLASS = {
    GRADED: "graded",
    NEEDS_MANUAL_GRADING: "manual",
    SUBMITTED: "submitted",
    NOT_STARTED: "notstarted",
}


# --------------------------------------------------------------------------------------------
# Small formatting helpers


def _tz(name: str | None):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def _local(ts: dt.datetime | None, tz) -> dt.datetime | None:
    """A naive-UTC (nbgrader) or aware datetime in the report's time zone."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return ts.astimezone(tz)


def _fmt_date(ts: dt.datetime | None, tz, with_time: bool = True) -> str:
    ts = _local(ts, tz)
    if ts is None:
        return ""
    out = f"{ts.day} {ts:%b %Y}"
    return f"{out}, {ts:%H:%M}" if with_time else out


def summary_sentences(progress: Progress) -> list[str]:
    """One plain sentence per assignment: "12 of 20 learners have submitted 01_first_images"."""
    out = []
    for s in progress.assignment_summary():
        out.append(f"{s['submitted']} of {s['learners']} learners have submitted {s['assignment']}")
    return out


def summary_line(progress: Progress) -> str:
    """The one line the CLI prints."""
    n = len(progress.learners)
    if not progress.assignments:
        return f"{n} learner{'s' if n != 1 else ''}, no assignments in the gradebook yet."
    parts = []
    for s in progress.assignment_summary():
        parts.append(f"{s['assignment']} {s['submitted']}/{s['learners']} submitted, {s['graded']} graded")
    return f"{n} learner{'s' if n != 1 else ''}: " + "; ".join(parts)


# --------------------------------------------------------------------------------------------
# CSV


# --------------------------------------------------------------------------------------------
# HTML

CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc;
  --graded:#dcfce7; --graded-ink:#14532d; --graded-bar:#16a34a;
  --manual:#fef3c7; --manual-ink:#78350f; --manual-bar:#d97706;
  --submitted:#dbeafe; --submitted-ink:#1e3a8a;
  --notstarted:#f3f4f6; --notstarted-ink:#6b7280; }
* { box-sizing: border-box; }
body { margin: 0; padding: 32px 40px 48px; background: var(--bg); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
header .meta { color: var(--muted); margin: 0 0 24px; }
h2 { font-size: 15px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 32px 0 12px; font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px;
  min-width: 260px; flex: 1 1 260px; max-width: 420px; }
.card .headline { font-size: 16px; margin: 0 0 10px; }
.card .headline b { font-size: 22px; }
.card .name { font-weight: 600; }
.card .due { color: var(--muted); font-size: 13px; margin-left: 8px; white-space: nowrap; }
.card .detail { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
.stack { display: flex; height: 10px; border-radius: 5px; overflow: hidden; background: var(--notstarted);
  border: 1px solid var(--line); }
.stack span { display: block; height: 100%; }
.stack .graded { background: var(--graded-bar); }
.stack .manual { background: var(--manual-bar); }
.stack .submitted { background: #3b82f6; }
table.progress { border-collapse: separate; border-spacing: 0; background: #fff; border: 1px solid var(--line);
  border-radius: 10px; overflow: hidden; min-width: 480px; }
.progress th, .progress td { padding: 8px 12px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: middle; }
.progress thead th { background: #f1f5f9; font-size: 13px; font-weight: 600; white-space: nowrap; }
.progress thead th .sub { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
.progress tbody tr:last-child td, .progress tbody tr:last-child th { border-bottom: none; }
.progress tbody th { font-weight: 600; white-space: nowrap; }
.progress tbody th .id { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
.progress td.cell { min-width: 150px; }
.progress td.done { white-space: nowrap; color: var(--muted); font-size: 13px; }
.progress td.done b { color: var(--ink); font-size: 15px; }
.chip { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600;
  white-space: nowrap; }
.cell .score { font-size: 17px; font-weight: 700; margin-right: 6px; font-variant-numeric: tabular-nums; }
.cell .score small { font-size: 12px; font-weight: 400; color: var(--muted); }
.cell .bar { height: 5px; border-radius: 3px; background: var(--line); margin-top: 6px; overflow: hidden; }
.cell .bar span { display: block; height: 100%; }
.cell .when { display: block; color: var(--muted); font-size: 12px; margin-top: 3px; }
.late { color: #b91c1c; font-weight: 600; }
.graded .chip, .chip.graded { background: var(--graded); color: var(--graded-ink); }
.manual .chip, .chip.manual { background: var(--manual); color: var(--manual-ink); }
.submitted .chip, .chip.submitted { background: var(--submitted); color: var(--submitted-ink); }
.notstarted .chip, .chip.notstarted { background: var(--notstarted); color: var(--notstarted-ink);
  border: 1px dashed #cbd5e1; }
td.graded { background: #f6fdf8; } td.manual { background: #fffcf2; } td.submitted { background: #f7faff; }
td.notstarted { background: #fff; color: var(--muted); }
.graded .bar span { background: var(--graded-bar); } .manual .bar span { background: var(--manual-bar); }
.legend { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 0 0 14px; padding: 0; list-style: none; }
.legend li { font-size: 13px; color: var(--muted); }
.legend .chip { margin-right: 6px; }
.empty { background: #fff; border: 1px dashed #cbd5e1; border-radius: 10px; padding: 20px; color: var(--muted); }
.kpis { display: flex; flex-wrap: wrap; gap: 14px; margin: 0 0 8px; }
.kpi { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; min-width: 170px;
  flex: 1 1 170px; }
.kpi b { display: block; font-size: 26px; letter-spacing: -0.01em; font-variant-numeric: tabular-nums; }
.kpi span { color: var(--muted); font-size: 13px; }
figure.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 8px;
  display: inline-block; max-width: 100%; }
figure.chart img { display: block; max-width: 100%; height: auto; }
.charts { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
.charts figure.chart { flex: 0 1 auto; }
table.behind td.what .chip { margin: 2px 4px 2px 0; }
.chip.below { background: #fee2e2; color: #7f1d1d; }
.ok { color: var(--graded-ink); }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
.scroll { overflow-x: auto; }
@media print { body { background: #fff; padding: 12px; } .card, table.progress { break-inside: avoid; } }
"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _cell_html(r: dict, tz) -> str:
    status = r["status"]
    cls = STATUS_CLASS[status]
    chip = f'<span class="chip">{_e(status)}</span>'
    late = ' <span class="late">late</span>' if r["late"] else ""
    when = ""
    if r["submitted_at"] is not None:
        when = f'<span class="when">handed in {_e(_fmt_date(r["submitted_at"], tz))}{late}</span>'
    if status in (GRADED, NEEDS_MANUAL_GRADING) and r["score"] is not None:
        so_far = " so far" if status == NEEDS_MANUAL_GRADING else ""
        pct = max(0.0, min(100.0, r["percent"] or 0.0))
        body = (
            f'<span class="score">{_e(fmt_points(r["score"]))}'
            f'<small> / {_e(fmt_points(r["max_score"]))}{so_far}</small></span>{chip}'
            f'<div class="bar" title="{pct:.0f}%"><span style="width:{pct:.1f}%"></span></div>{when}'
        )
    else:
        body = chip + when
    title = f'{r["learner"]} · {r["assignment"]}: {status}'
    return f'<td class="cell {cls}" title="{_e(title)}" data-status="{_e(status)}">{body}</td>'


def _card_html(s: dict, tz) -> str:
    n = s["learners"] or 1
    parts = [
        ("graded", s["graded"]),
        ("manual", s["needs_manual_grading"]),
        ("submitted", s["waiting_autograde"]),
    ]
    stack = "".join(
        f'<span class="{cls}" style="width:{100.0 * k / n:.2f}%"></span>' for cls, k in parts if k
    )
    details = [f"{s['graded']} graded"]
    if s["needs_manual_grading"]:
        details.append(f"{s['needs_manual_grading']} waiting for a trainer")
    if s["waiting_autograde"]:
        details.append(f"{s['waiting_autograde']} waiting for autograding")
    details.append(f"{s['not_started']} not started")
    if s["mean_percent"] is not None:
        details.append(f"average {s['mean_percent']:.0f}% of graded")
    if s["late"]:
        details.append(f"{s['late']} late")
    due = f'<span class="due">due {_e(_fmt_date(s["due_at"], tz, with_time=False))}</span>' if s["due_at"] else ""
    return (
        '<div class="card">'
        f'<p class="headline"><b>{s["submitted"]}</b> of {s["learners"]} learners have submitted '
        f'<span class="name">{_e(s["assignment"])}</span>{due}</p>'
        f'<div class="stack">{stack}</div>'
        f'<p class="detail">{_e(" · ".join(details))}</p>'
        "</div>"
    )


def _legend_html() -> str:
    items = "".join(
        f'<li><span class="chip {STATUS_CLASS[status]}">{_e(status)}</span>{_e(STATUS_HELP[status])}</li>'
        for status in reversed(STATUSES)
    )
    return f'<ul class="legend" aria-label="What the colours mean">{items}</ul>'


def _img(fig, *, elem_id: str, alt: str, attrs: str = "", dpi: int = 192) -> str:
    """A matplotlib figure as an inline PNG shown at its size in inches × 96 CSS pixels (sharp on
    high-density screens)."""
    png = dashmod.figure_png(fig, dpi=dpi)
    w = round(fig.get_figwidth() * 96)
    h = round(fig.get_figheight() * 96)
    return (
        f'<figure class="chart"><img id="{elem_id}" src="{dashmod.png_data_uri(png)}" width="{w}" height="{h}" '
        f'alt="{_e(alt)}"{attrs}></figure>'
    )


def heatmap_html(dash: "dashmod.Dashboard") -> str:
    """The heatmap image; ``data-grid`` (x0 y0 x1 y1, fractions of the image from its top-left),
    ``data-learners`` and ``data-assignments`` say where each cell is (tests read them)."""
    import json

    fig, geo = dashmod.heatmap_figure(dash)
    k = dash.kpis()
    alt = (
        f"Completion heatmap: {k['learners']} learners × {len(dash.columns)} assignments; "
        f"{k[dashmod.PASSED]} passed, {k[dashmod.BELOW]} below the pass mark, {k[dashmod.NEEDS_GRADING]} waiting for a "
        f"trainer, {k[dashmod.SUBMITTED]} waiting for autograding, {k[dashmod.NOT_STARTED]} not started."
    )
    attrs = (
        f' data-grid="{geo.as_attr()}" data-learners="{_e(json.dumps(geo.learner_ids))}"'
        f' data-assignments="{_e(json.dumps(geo.assignments))}"'
    )
    return _img(fig, elem_id="heatmap", alt=alt, attrs=attrs)


def _kpis_html(dash) -> str:
    items = "".join(f'<div class="kpi"><b>{_e(v)}</b><span>{_e(label)}</span></div>' for v, label in dashmod.kpi_items(dash))
    return f'<div class="kpis">{items}</div>'


def _behind_html(dash, tz) -> str:
    behind = dash.behind_schedule()
    due = [c for c in dash.released_columns() if c["due"] is not None and c["due"] < dash.as_of]
    if not due:
        return '<p class="empty">Nothing is due yet on the programme\'s schedule.</p>'
    if not behind:
        return '<p class="empty ok">Nobody is behind: everything due is passed or handed in.</p>'
    out = [
        '<div class="scroll"><table class="progress behind"><thead><tr><th>Learner</th><th>Team</th>'
        "<th>Due and not passed</th><th>Most days late</th></tr></thead><tbody>"
    ]
    for b in behind:
        chips = []
        for m in b["missing"]:
            cls = "below" if m["result"] == dashmod.BELOW else "notstarted"
            what = "not started" if m["result"] == dashmod.NOT_STARTED else f"{m['percent']:.0f}%, under the pass mark"
            chips.append(
                f'<span class="chip {cls}" title="due {_e(dashmod._fmt_day(m["due"]))}">{_e(m["title"])}: {_e(what)}</span>'
            )
        out.append(
            f'<tr data-behind="{_e(b["learner_id"])}"><th>{_e(b["learner"])}</th><td>{_e(b["team"])}</td>'
            f'<td class="what">{"".join(chips)}</td><td>{b["most_days_late"]}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def render_html(
    progress: Progress,
    *,
    title: str = "Course progress",
    timezone: str | None = None,
    programme=None,
    as_of: dt.date | None = None,
    dashboard=None,
) -> str:
    """The whole dashboard as one HTML string (inline CSS and images, no scripts, no outside files).

    ``dashboard``: a :class:`genlab.course.dashboard.Dashboard` (pseudonymised or not) to show;
    otherwise one is built from ``progress``, ``programme`` and ``as_of``."""
    tz = _tz(timezone)
    dash = dashboard or dashmod.build_dashboard(progress, programme, as_of=as_of, timezone=getattr(tz, "key", None))
    progress = dash.progress
    generated = _local(progress.generated_at, tz)
    tzname = getattr(tz, "key", "UTC")
    meta = [
        f"Generated {_fmt_date(generated, tz)} ({tzname})",
        f"{len(progress.learners)} learners",
        f"{len(progress.assignments)} assignments",
        f"schedule checked on {dashmod._fmt_day(dash.as_of)}",
    ]
    if dash.pseudonymised:
        meta.append("learners pseudonymised")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(dash.programme.name)} · {_e(" · ".join(meta))}</p></header>',
    ]
    if not progress.assignments or not progress.learners:
        what = "assignments" if not progress.assignments else "learners"
        out.append(f'<p class="empty">No {what} in the gradebook yet.</p>')
    if progress.learners and dash.columns:
        out.append(_kpis_html(dash))
        out.append("<h2>Who is where</h2>")
        out.append(heatmap_html(dash))
        out.append("<h2>Completion and scores</h2><div class=\"charts\">")
        if dash.has_teams():
            out.append(_img(dashmod.bars_figure(dash, "team"), elem_id="by-team", alt="Completion by team"))
        out.append(_img(dashmod.bars_figure(dash, "level"), elem_id="by-level", alt="Completion by level"))
        out.append(_img(dashmod.histogram_figure(dash), elem_id="scores", alt="Scores of graded work"))
        out.append("</div>")
        out.append(f"<h2>Behind the schedule on {_e(dashmod._fmt_day(dash.as_of))}</h2>")
        out.append(_behind_html(dash, tz))
    if progress.assignments:
        out.append('<h2>Per assignment</h2><div class="cards">')
        out += [_card_html(s, tz) for s in progress.assignment_summary()]
        out.append("</div>")
    if progress.assignments and progress.learners:
        out.append("<h2>Learners</h2>")
        out.append(_legend_html())
        out.append('<div class="scroll"><table class="progress"><thead><tr><th>Learner</th>')
        for a in progress.assignments:
            sub = [f'{fmt_points(a["max_score"])} points']
            if a["due_at"]:
                sub.append(f'due {_fmt_date(a["due_at"], tz, with_time=False)}')
            out.append(f'<th>{_e(a["name"])}<span class="sub">{_e(" · ".join(sub))}</span></th>')
        out.append("<th>Graded</th></tr></thead><tbody>")
        rows = {(r["learner_id"], r["assignment"]): r for r in progress.rows}
        summary = {s["learner_id"]: s for s in progress.learner_summary()}
        for lr in progress.learners:
            show_id = lr["name"] != lr["id"]
            ident = f'<span class="id">{_e(lr["id"])}</span>' if show_id else ""
            out.append(f'<tr data-learner="{_e(lr["id"])}"><th>{_e(lr["name"])}{ident}</th>')
            for a in progress.assignments:
                out.append(_cell_html(rows[(lr["id"], a["name"])], tz))
            s = summary[lr["id"]]
            out.append(f'<td class="done"><b>{s["graded"]}</b> of {s["assignments"]}</td></tr>')
        out.append("</tbody></table></div>")
    source = "pseudonymised export" if dash.pseudonymised else progress.source
    prog_src = str(dash.programme.path) if dash.programme.path else "none (every assignment counts, default pass mark)"
    out.append(
        "<footer>Scores are points from nbgrader's gradebook; the bar under a score shows the share of the "
        f"maximum. Passed = fully graded with at least the pass mark ({dash.programme.pass_mark:g}% unless a workshop "
        "sets its own). Handed in and waiting for grading does not count as behind. nbgrader does not record "
        "who has fetched or is working on an assignment, so there is no \"in progress\": until it is handed in "
        f"it is \"not started\". Times are {_e(tzname)}. Source: {_e(source)}. Programme: {_e(prog_src)}.</footer>"
    )
    out.append("</body></html>")
    return "\n".join(out)


def write_html(progress: Progress, path: str | os.PathLike, **kwargs) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(progress, **kwargs), encoding="utf-8")
    return path


def write_report(
    progress: Progress,
    out: str | os.PathLike = DEFAULT_OUT,
    *,
    timezone: str | None = None,
    programme=None,
    as_of: dt.date | None = None,
    pseudonymise: bool = False,
    salt: str | None = None,
    title: str = "Course progress",
) -> dict:
    """Write the dashboard into ``out``: ``progress.html``, ``.csv``, ``.xlsx``, ``.png`` and
    ``.pdf``; returns ``{"html": Path, "csv": ..., "xlsx": ..., "png": ..., "pdf": ..., "dashboard": Dashboard}``."""
    out = Path(out)
    tz = _tz(timezone)
    dash = dashmod.build_dashboard(
        progress, programme, as_of=as_of, pseudonymise=pseudonymise, salt=salt, timezone=getattr(tz, "key", None)
    )
    return {
        "html": write_html(dash.progress, out / "progress.html", timezone=timezone, dashboard=dash, title=title),
        "csv": dashmod.write_csv(dash, out / "progress.csv"),
        "xlsx": dashmod.write_xlsx(dash, out / "progress.xlsx", title=title),
        "png": dashmod.write_png(dashmod.snapshot_figure(dash, title=title), out / "progress.png"),
        "pdf": dashmod.write_pdf(dash, out / "progress.pdf", title=title),
        "dashboard": dash,
    }


# --------------------------------------------------------------------------------------------
# CLI


def _date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="genlab report",
        description="Write the managers' dashboard (HTML, CSV, XLSX, PNG, PDF) from the nbgrader gradebook.",
        epilog="Progress data is personal data: use --pseudonymise for anything that leaves the training team.",
    )
    p.add_argument("--course", help="the nbgrader course folder (default: the repo's exercises/)")
    p.add_argument("--db", help="gradebook database URL (default: <course>/gradebook.db)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"folder for the progress.* files (default: {DEFAULT_OUT}/)")
    p.add_argument(
        "--programme",
        help="the programme file: levels, order, due dates, pass marks (default: workshops/programme.toml; "
        "without it every assignment counts, pass mark 70%%)",
    )
    p.add_argument("--as-of", type=_date_arg, help="check the schedule on this day, YYYY-MM-DD (default: today)")
    p.add_argument(
        "--pseudonymise", "--pseudonymize",
        action="store_true",
        help="replace learner ids and names by stable salted pseudonyms (learner-3f9a2c) and leave out e-mails, "
        f"in every file; the salt comes from --salt, ${dashmod.SALT_ENV} or ~/.config/genlab/pseudonym-salt "
        "(made on first use; keep it secret and keep it)",
    )
    p.add_argument("--salt", help="the secret for --pseudonymise (the same salt gives the same pseudonyms)")
    p.add_argument(
        "--timezone",
        default=settings.get("GENLAB_TIMEZONE") or DEFAULT_TIMEZONE,
        help=f"time zone for dates on the page (default: $GENLAB_TIMEZONE or {DEFAULT_TIMEZONE})",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    from genlab.course.progress.programme import ProgrammeError, load_programme_and_progress

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from .nbgrader_ops import absolute_paths

    absolute_paths(args)  # relative --course/--programme/--out: from where the command started
    try:
        programme, progress = load_programme_and_progress(args.programme, args.course, args.db)
    except (NoGradebookError, ProgrammeError) as err:
        print(f"genlab report: {err}", file=sys.stderr)
        return 2
    files = write_report(
        progress, args.out, timezone=args.timezone, programme=programme, as_of=args.as_of,
        pseudonymise=args.pseudonymise, salt=args.salt,
    )
    dash = files["dashboard"]
    print(f"dashboard: {files['html']}")
    print(f"table:     {files['csv']}")
    print(f"workbook:  {files['xlsx']}")
    print(f"snapshot:  {files['png']}  {files['pdf']}")
    print(summary_line(progress))
    k = dash.kpis()
    print(
        f"{k['completed_programme']} of {k['learners']} completed every required level; "
        f"{k['behind']} behind the schedule on {dash.as_of.isoformat()}; {k['waiting_for_trainers']} waiting for grading."
    )
    if args.pseudonymise:
        print("Learners are pseudonymised in every file.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
