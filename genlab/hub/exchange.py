"""nbgrader's submit on the cohort hub, with a refusal a learner can read.

nbgrader already refuses a hand-in bigger than ``CourseDirectory.max_dir_size`` (100 MB here), but
its message is "Directory size is too big. Size is 524308257, maximum size is 100000000" at the end
of a traceback. ``SizeCheckedSubmit`` checks first and says it in the learner's language, in
megabytes, with what to do; nothing reaches the exchange, so the gradebook never sees a half hand-in.
Configured for every account by ``genlab hub setup`` (``c.ExchangeFactory.submit``).

The Assignments panel shows whatever nbgrader's server extension answers, and on a failed submit
that is the whole Python traceback, in a dialog too narrow for its lines. This module is also a small
Jupyter server extension (enabled for learners by ``genlab hub setup``): it wraps nbgrader's
assignment-list manager so that a refused hand-in answers with the refusal alone, in lines short
enough for the dialog.
"""

from __future__ import annotations

import textwrap

from nbgrader.exchange.default.submit import ExchangeSubmit

from genlab.core import i18n

DIALOG_COLUMNS = 72  # characters per line that JupyterLab's dialog shows without cutting


class HandInTooBig(RuntimeError):
    pass


class SizeCheckedSubmit(ExchangeSubmit):
    def do_copy(self, src, dest, log=None):
        size = self.get_size(src)
        limit = 1000 * self.coursedir.max_dir_size
        if size > limit:
            message = i18n.say("hub.hand_in_too_big", size=round(size / 1e6), limit=round(limit / 1e6))
            self.log.error(message)
            raise HandInTooBig(message)
        return super().do_copy(src, dest, log=log)


def plain_refusal(traceback_text: str) -> str | None:
    """The learner's message from a failed submit's traceback, wrapped for the dialog; None when the
    failure is not one of genlab's refusals (then nbgrader's own answer stays)."""
    marker = f"{HandInTooBig.__module__}.{HandInTooBig.__name__}: "
    at = traceback_text.rfind(marker)
    if at < 0:
        return None
    message = traceback_text[at + len(marker):].strip()
    return "\n".join(textwrap.fill(part, DIALOG_COLUMNS) for part in message.split("\n") if part.strip())


def _plain_submit(cls) -> None:
    """Make `cls.submit_assignment` (nbgrader's assignment-list manager) answer a refusal with the
    refusal alone. nbgrader has no setting for this text, so its method is wrapped, once."""
    if getattr(cls, "genlab_plain_refusals", False):
        return
    original = cls.submit_assignment

    def submit_assignment(self, course_id, assignment_id):
        result = original(self, course_id, assignment_id)
        if not result.get("success"):
            plain = plain_refusal(str(result.get("value", "")))
            if plain:
                result = {"success": False, "value": plain}
        return result

    cls.submit_assignment = submit_assignment
    cls.genlab_plain_refusals = True


def _jupyter_server_extension_points():
    return [{"module": "genlab.hub.exchange"}]


def _load_jupyter_server_extension(serverapp):
    """Wrap nbgrader's assignment-list manager class (its server extension loads after this one,
    in name order, and makes its manager from the class then)."""
    from nbgrader.server_extensions.assignment_list.handlers import AssignmentList

    _plain_submit(AssignmentList)
    serverapp.log.info("genlab: refused hand-ins answer in plain words")
