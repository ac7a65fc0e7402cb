"""Feedback for learners that says what to fix, without giving away the hidden tests.

nbgrader's GenerateFeedback makes the HTML, with genlab's
:class:`~genlab.course.preprocessors.StripHiddenTests` in its preprocessors: hidden tests (and
outputs that repeat them) are taken out, and a summary of the checks goes on top.

``feedback(assignment)`` makes the HTML for every autograded learner (``<course>/feedback/``)
and releases it to the exchange, where learners fetch it from JupyterLab's Assignments tab.
"""

from __future__ import annotations

import os
import sys

from pathlib import Path

from genlab.course import nbgrader_ops
from genlab.course.preprocessors import StripHiddenTests

TEMPLATES = Path(__file__).parent / "templates"


def _nbgrader_templates() -> Path:
    import nbgrader

    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


def feedback(
    assignment: str,
    course: str | os.PathLike | None = None,
    learners: list[str] | None = None,
    *,
    release: bool = True,
) -> dict:
    """Make feedback HTML (no hidden tests) for autograded learners and release it.

    Returns {"generated": [...], "released": [...], "not_released": [...], "folder": Path}.
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.preprocessors import GetGrades

    nbgrader_ops.tools_on_path()
    lay = nbgrader_ops.layout(course)
    cfg = nbgrader_ops.load_config(lay.root)
    cfg.GenerateFeedback.preprocessors = [GetGrades, StripHiddenTests, CSSHTMLHeaderPreprocessor]
    # nbgrader's feedback page with its labels in the learner's language (StripHiddenTests fills
    # them): nbgrader's API always asks for the template "feedback"; genlab's folder of that name
    # comes first in the search path, nbgrader's own after it
    cfg.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(_nbgrader_templates())]
    api = NbGraderAPI(config=cfg)
    autograded = lay.root / "autograded"
    who = sorted(p.name for p in autograded.iterdir() if (p / assignment).is_dir()) if autograded.is_dir() else []
    if learners:
        who = [x for x in who if x in set(learners)]
    if not who:
        raise nbgrader_ops.CourseError(
            f"Nobody has an autograded '{assignment}' yet: run `genlab course autograde {assignment}` first."
        )
    what_next = "Check that the autograded notebook opens in JupyterLab, then run the command again."
    if learners is None:  # one nbgrader run for everyone (each run costs ~1 s of start-up)
        nbgrader_ops._check(api.generate_feedback(assignment, force=True), f"Making feedback for '{assignment}'", what_next)
    else:
        for learner in who:
            nbgrader_ops._check(api.generate_feedback(assignment, learner, force=True), f"Making feedback for {learner}", what_next)
    done = [x for x in who if (lay.root / "feedback" / x / assignment).is_dir()]
    released: list[str] = []
    # nbgrader files feedback in the exchange under the submission's timestamp.txt; a submission
    # put in submitted/ by hand (not through the exchange) has none and cannot be released.
    no_stamp = [x for x in done if not (lay.root / "feedback" / x / assignment / "timestamp.txt").is_file()]
    if release:
        where = "Check that the exchange folder (GENLAB_EXCHANGE) can be written."
        ready = [x for x in done if x not in no_stamp]
        if learners is None and not no_stamp:
            nbgrader_ops._check(api.release_feedback(assignment), f"Releasing feedback for '{assignment}'", where)
        else:
            for learner in ready:
                nbgrader_ops._check(api.release_feedback(assignment, learner), f"Releasing feedback to {learner}", where)
        released = ready
    return {"generated": done, "released": released, "not_released": no_stamp if release else done, "folder": lay.root / "feedback"}


class _CallableModule(__import__("types").ModuleType):
    """``genlab.course.feedback(...)`` calls :func:`feedback` (the module stays importable as before)."""

    def __call__(self, *args, **kwargs):
        return feedback(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
