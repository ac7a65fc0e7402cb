"""The one vocabulary for where a learner stands on an assignment: the words every file and page
uses, their colours and what they mean.

The gradebook (:mod:`genlab.course.progress.gradebook`) gives each learner × assignment a
*status*, in the order a submission moves through them:

- ``"not started"``: nothing handed in. Never a score of 0 (``nbgrader export`` cannot tell these
  apart; the gradebook reader can).
- ``"submitted"``: handed in (collected or waiting in the exchange), not autograded yet.
- ``"needs manual grading"``: autograded; a trainer still has to grade some answers. The score
  is what has been graded so far.
- ``"graded"``: every answer has a score.

The dashboard (:mod:`genlab.course.progress.dashboard`) measures a graded status against the
programme's pass mark: its *result* is the status, except that ``"graded"`` becomes
``"passed"`` (at or above the pass mark) or ``"below pass mark"`` (a 0 is here, not in
"not started").

There is no "in progress": nbgrader keeps no record of a learner fetching an assignment or
working on it (only hand-ins reach the trainer), so the trainer's side cannot tell it apart from
"not started".

The words are data (CSV cells, ``data-status`` attributes) and stay English; what people read
(``state_name``, ``help_text``) is in assets/i18n (``report.states.*``, ``states.*``), in English
and Mexican Spanish.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_STARTED = "not started"
SUBMITTED = "submitted"
NEEDS_MANUAL_GRADING = "needs manual grading"
GRADED = "graded"
BELOW = "below pass mark"
PASSED = "passed"

#: What the gradebook says, in the order a submission moves through them.
STATUSES = (NOT_STARTED, SUBMITTED, NEEDS_MANUAL_GRADING, GRADED)
#: What the dashboard shows (a status measured against the pass mark), in the same order.
RESULTS = (NOT_STARTED, SUBMITTED, NEEDS_MANUAL_GRADING, BELOW, PASSED)


@dataclass(frozen=True)
class Look:
    """How one state is drawn.

    ``colour``: the fill of its heatmap cell, bar and spreadsheet cell; ``ink``: text on that fill;
    ``tint`` / ``tint_ink``: the soft background and text of its chip in the report's learner table;
    ``bar``: the score bar under a score in that table; ``css``: its class name in the HTML;
    ``key``: its entry in assets/i18n (``states.<key>``)."""

    colour: str
    ink: str
    tint: str
    tint_ink: str
    bar: str
    css: str
    key: str


LOOKS = {
    NOT_STARTED: Look("#e5e7eb", "#6b7280", "#f3f4f6", "#6b7280", "#e5e7eb", "notstarted", "not_started"),
    SUBMITTED: Look("#93c5fd", "#1e3a8a", "#dbeafe", "#1e3a8a", "#3b82f6", "submitted", "submitted"),
    NEEDS_MANUAL_GRADING: Look("#fbbf24", "#78350f", "#fef3c7", "#78350f", "#d97706", "manual", "needs_manual_grading"),
    GRADED: Look("#16a34a", "#ffffff", "#dcfce7", "#14532d", "#16a34a", "graded", "graded"),
    BELOW: Look("#f87171", "#7f1d1d", "#fee2e2", "#7f1d1d", "#f87171", "below", "below"),
    PASSED: Look("#16a34a", "#ffffff", "#dcfce7", "#14532d", "#16a34a", "passed", "passed"),
}

#: Fill colour of each state (figures, XLSX, HTML).
COLOURS = {s: look.colour for s, look in LOOKS.items()}
#: Text colour on that fill.
TEXT_COLOURS = {s: look.ink for s, look in LOOKS.items()}

INK = "#1f2937"
MUTED = "#6b7280"
LINE = "#e5e7eb"


def help_text(state: str, lang: str = "en") -> str:
    """What ``state`` means, in plain words (``lang``: "en" or "es")."""
    from genlab.core.i18n import t

    return t(f"states.{LOOKS[state].key}", lang)


def state_name(state: str, lang: str = "en") -> str:
    """What the report shows for ``state`` (``lang``: "en" gives the word itself, "es" its Spanish)."""
    from genlab.core.i18n import t

    return t(f"report.states.{LOOKS[state].key}", lang)


def result_of(status: str, percent: float | None, pass_mark: float) -> str:
    """The dashboard's result for a gradebook ``status``: graded work is passed or below the pass
    mark (``percent`` and ``pass_mark`` in percent); every other status stays what it is."""
    if status != GRADED:
        return status
    return PASSED if (percent or 0.0) >= pass_mark - 1e-9 else BELOW
