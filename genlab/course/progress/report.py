"""``genlab report``: the managers' dashboard, from nbgrader's gradebook and the programme.

Writes into ``--out`` (default ``reports/``):

- ``progress.html``: one self-contained page (no scripts, no outside files): headline numbers, the
  completion heatmap (learner × assignment), completion by team and by level, the score
  distribution, who is behind the programme's schedule, then per-assignment cards and the detailed
  learner table (:mod:`~genlab.course.progress.html`).
- ``progress.csv``: one row per learner × assignment (:data:`~genlab.course.progress.dashboard.FIELDS`).
- ``progress.xlsx``: the same rows plus a "Summary" sheet, a coloured "Heatmap" and "Behind
  schedule" (:mod:`~genlab.course.progress.exports`).
- ``progress.png`` and ``progress.pdf``: a snapshot for the monthly e-mail (PDF: overview page, the
  full heatmap for big classes, who is behind; :mod:`~genlab.course.progress.figures`).

``--pseudonymise`` writes every one of these with stable salted pseudonyms (``learner-3f9a2c``)
instead of learner ids and names, and without e-mails: progress data is personal data (see
:mod:`~genlab.course.progress.pseudonyms` for the salt). All numbers come from one
:class:`~genlab.course.progress.dashboard.Dashboard`, the same data the Gradio progress app
(``genlab demo progress``) and the certificates use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from genlab.course.progress import exports, figures
from genlab.course.progress.dashboard import build_dashboard
from genlab.course.progress.formats import zone, zone_name
from genlab.course.progress.gradebook import Progress
from genlab.course.progress.html import write_html
from genlab.course.progress.options import (
    add_pseudonym_options,
    add_source_options,
    add_timezone_option,
    date_arg,
    read_inputs,
)

DEFAULT_OUT = "reports"


def summary_line(progress: Progress) -> str:
    """The one line the CLI prints."""
    n = len(progress.learners)
    if not progress.assignments:
        return f"{n} learner{'s' if n != 1 else ''}, no assignments in the gradebook yet."
    parts = []
    for s in progress.assignment_summary():
        parts.append(f"{s['assignment']} {s['submitted']}/{s['learners']} submitted, {s['graded']} graded")
    return f"{n} learner{'s' if n != 1 else ''}: " + "; ".join(parts)


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
    ``.pdf``, all from one :class:`~genlab.course.progress.dashboard.Dashboard`; returns
    ``{"html": Path, "csv": ..., "xlsx": ..., "png": ..., "pdf": ..., "dashboard": Dashboard}``."""
    out = Path(out)
    tzname = zone_name(zone(timezone))
    dash = build_dashboard(progress, programme, as_of=as_of, pseudonymise=pseudonymise, salt=salt, timezone=tzname)
    return {
        "html": write_html(dash.progress, out / "progress.html", timezone=tzname, dashboard=dash, title=title),
        "csv": exports.write_csv(dash, out / "progress.csv"),
        "xlsx": exports.write_xlsx(dash, out / "progress.xlsx", title=title),
        "png": figures.write_png(figures.snapshot_figure(dash, title=title), out / "progress.png"),
        "pdf": figures.write_pdf(dash, out / "progress.pdf", title=title),
        "dashboard": dash,
    }


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`genlab report`'s options, on the parser genlab's command tree gives it (or its own)."""
    p.description = "Write the managers' dashboard (HTML, CSV, XLSX, PNG, PDF) from the nbgrader gradebook."
    p.epilog = "Progress data is personal data: use --pseudonymise for anything that leaves the training team."
    add_source_options(p)
    p.add_argument("--out", default=DEFAULT_OUT, help=f"folder for the progress.* files (default: {DEFAULT_OUT}/)")
    p.add_argument("--as-of", type=date_arg, help="check the schedule on this day, YYYY-MM-DD (default: today)")
    add_pseudonym_options(p)
    add_timezone_option(p)
    p.set_defaults(run=run)
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="genlab report"))


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(sys.argv[1:] if argv is None else argv))


def run(args: argparse.Namespace) -> int:
    inputs = read_inputs(args, "genlab report")
    if inputs is None:
        return 2
    programme, progress = inputs
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
