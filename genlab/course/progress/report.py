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

``--lang es|en`` picks the language people read in every file but the CSV: headings, labels,
legends, notes and state names of the page, the pictures, the PDF and the workbook (sheet names and
headers too), and the lines printed here. Default: the programme's ``language``
(workshops/programme.toml), else Spanish. The CSV keeps its English column names and cells in both
languages: it is data for other tools (:mod:`~genlab.course.progress.exports`).

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

from genlab.core.i18n import help_text, say
from genlab.course.progress import exports, figures
from genlab.course.progress.dashboard import build_dashboard
from genlab.course.progress.formats import text, zone, zone_name
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
LANGUAGES = ("es", "en")
#: Without --lang and without a language in the programme: a manager in Mexico City reads Spanish.
DEFAULT_LANGUAGE = "es"


def report_language(lang: str | None = None, programme=None) -> str:
    """``lang`` if given, else the programme's ``language``, else Spanish (only "es" and "en")."""
    for value in (lang, getattr(programme, "language", "") if programme is not None else ""):
        code = (value or "").strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def summary_line(progress: Progress, lang: str = "en") -> str:
    """The one line the CLI prints."""
    n = len(progress.learners)
    if not progress.assignments:
        line = text("cli_summary_empty", lang, n=n)
    else:
        parts = [text("cli_summary_part", lang, assignment=s["assignment"], submitted=s["submitted"], learners=s["learners"],
                      graded=s["graded"]) for s in progress.assignment_summary()]
        line = text("cli_summary", lang, n=n, parts="; ".join(parts))
    if n == 1:  # "1 learner", "1 participante"
        line = line.replace(text("n_learners", lang, n=1), text("n_learners", lang, n=1)[:-1], 1)
    return line


def write_report(
    progress: Progress,
    out: str | os.PathLike = DEFAULT_OUT,
    *,
    timezone: str | None = None,
    programme=None,
    as_of: dt.date | None = None,
    pseudonymise: bool = False,
    salt: str | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> dict:
    """Write the dashboard into ``out``: ``progress.html``, ``.csv``, ``.xlsx``, ``.png`` and
    ``.pdf``, all from one :class:`~genlab.course.progress.dashboard.Dashboard`; returns
    ``{"html": Path, "csv": ..., "xlsx": ..., "png": ..., "pdf": ..., "dashboard": Dashboard}``.
    ``lang``: "es" or "en" (default :func:`report_language`: the programme's, else Spanish);
    ``title``: default "Course progress" in that language."""
    out = Path(out)
    tzname = zone_name(zone(timezone))
    if programme is None:
        from genlab.course.progress.programme import load_programme

        programme = load_programme()
    lang = report_language(lang, programme)
    title = title or text("title", lang)
    dash = build_dashboard(progress, programme, as_of=as_of, pseudonymise=pseudonymise, salt=salt, timezone=tzname, lang=lang)
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
    p.description = say("cli_help.report")
    p.epilog = say("cli_help.report_epilog")
    add_source_options(p)
    p.add_argument("--out", default=DEFAULT_OUT, help=help_text("cli_help.report_out", default=DEFAULT_OUT))
    p.add_argument("--as-of", type=date_arg, help=help_text("cli_help.report_as_of"))
    add_pseudonym_options(p)
    add_timezone_option(p)
    p.add_argument("--lang", choices=LANGUAGES, type=str.lower,
                   help=help_text("cli_help.report_lang"))
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
    lang = report_language(getattr(args, "lang", None), programme)
    files = write_report(
        progress, args.out, timezone=args.timezone, programme=programme, as_of=args.as_of,
        pseudonymise=args.pseudonymise, salt=args.salt, lang=lang,
    )
    dash = files["dashboard"]
    print(text("cli_files", lang, **{k: files[k] for k in ("html", "csv", "xlsx", "png", "pdf")}))
    print(summary_line(progress, lang))
    k = dash.kpis()
    print(text("cli_totals", lang, completed=k["completed_programme"], learners=k["learners"], behind=k["behind"],
               day=dash.as_of.isoformat(), waiting=k["waiting_for_trainers"]))
    if args.pseudonymise:
        print(text("cli_pseudonymised", lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
