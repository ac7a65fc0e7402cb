"""genlab's nbgrader preprocessors, laid out as nbgrader lays out its own (``nbgrader.preprocessors``).

``execute``       :class:`SandboxExecute`: nbgrader's Execute step, each notebook in a sandboxed
                  kernel, graded to the end even when it hangs or kills its Python (autograde).
``strip_hidden``  :class:`StripHiddenTests`: the hidden tests (and outputs repeating them) taken
                  out of the feedback notebook, a summary of the checks put in (feedback).
"""

from genlab.course.preprocessors.execute import SandboxExecute
from genlab.course.preprocessors.strip_hidden import StripHiddenTests, split_hidden

__all__ = ["SandboxExecute", "StripHiddenTests", "split_hidden"]
