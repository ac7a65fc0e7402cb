"""genlab's nbgrader preprocessors, laid out as nbgrader lays out its own (``nbgrader.preprocessors``).

``execute``       :class:`SandboxExecute`: nbgrader's Execute step, each notebook in a sandboxed
                  kernel, graded to the end even when it hangs or kills its Python (autograde).
``strip_hidden``  :class:`StripHiddenTests`: the hidden tests (and outputs repeating them) taken
                  out of the feedback notebook, a summary of the checks put in (feedback).
``language``      :class:`LanguageExecute`: nbgrader's Execute step with the kernel in the
                  notebook's language (plain `nbgrader autograde`; the sandbox does the same).
``unanswered``    :class:`RestoreUnanswered`: an answer cell left as fetched in another language
                  counts as unanswered, as in the source language (autograde).
"""

from genlab.course.preprocessors.execute import SandboxExecute
from genlab.course.preprocessors.language import LanguageExecute
from genlab.course.preprocessors.strip_hidden import StripHiddenTests, split_hidden
from genlab.course.preprocessors.unanswered import RestoreUnanswered

__all__ = ["LanguageExecute", "RestoreUnanswered", "SandboxExecute", "StripHiddenTests", "split_hidden"]
