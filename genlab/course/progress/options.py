"""The command-line options ``genlab report`` and ``genlab course certificates`` share, and the one
way both read their inputs (the programme file and the gradebook) from them."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from genlab import settings
from genlab.core.i18n import help_text
from genlab.course.nbgrader_ops import absolute_paths
from genlab.course.progress.gradebook import NoGradebookError, Progress
from genlab.course.progress.programme import Programme, ProgrammeError, load_programme_and_progress
from genlab.course.progress.pseudonyms import SALT_ENV


def date_arg(value: str) -> dt.date:
    """argparse type: a YYYY-MM-DD day."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def add_source_options(p: argparse.ArgumentParser) -> None:
    """--course, --db, --programme: where the gradebook and the programme are."""
    p.add_argument("--course", help=help_text("cli_help.source_course"))
    p.add_argument("--db", help=help_text("cli_help.source_db"))
    p.add_argument(
        "--programme",
        help=help_text("cli_help.source_programme"),
    )


def add_timezone_option(p: argparse.ArgumentParser) -> None:
    default = settings.get("GENLAB_TIMEZONE")
    p.add_argument("--timezone", default=default,
                   help=help_text("cli_help.timezone", default=default))


def add_pseudonym_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pseudonymise", "--pseudonymize",
        action="store_true",
        help=help_text("cli_help.pseudonymise", salt_env=SALT_ENV),
    )
    p.add_argument("--salt", help=help_text("cli_help.salt"))


def read_inputs(args: argparse.Namespace, prog: str) -> tuple[Programme, Progress] | None:
    """The programme and the gradebook named by ``args`` (see :func:`add_source_options`); on a
    missing gradebook or a broken programme file, says why on stderr (``prog: why``) and returns
    None. Relative paths in ``args`` become absolute first, from where the command started."""
    absolute_paths(args)
    try:
        return load_programme_and_progress(args.programme, args.course, args.db)
    except (NoGradebookError, ProgrammeError) as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return None
