"""nbgrader's Execute step, with the checks answering in the learner's language.

A notebook fetched in Spanish says so in its metadata (``metadata.genlab.lang``, see
genlab.core.translations). The kernel that runs it for grading gets that language as GENLAB_LANG,
so the ``_()`` messages of the check cells, and genlab's own messages, are written in it: the
learner's feedback reads in the language they worked in. `genlab course autograde` does the same
in its sandbox (:class:`genlab.course.preprocessors.execute.SandboxExecute`); this class is for
plain `nbgrader autograde` (the Formgrader's button, and the tests' CourseCopy), configured in
exercises/nbgrader_config.py.
"""

from __future__ import annotations

import os

from nbclient.util import run_sync
from nbgrader.preprocessors import Execute

from genlab.core.translations import notebook_language


class LanguageExecute(Execute):
    """nbgrader's Execute, the kernel started with GENLAB_LANG = the notebook's language."""

    _learner_lang = "en"

    def preprocess(self, nb, resources=None, km=None):
        self._learner_lang = notebook_language(nb)
        return super().preprocess(nb, resources, km=km)

    async def async_start_new_kernel(self, **kwargs):
        env = dict(kwargs.pop("env", None) or os.environ)  # jupyter_client replaces the environment with `env`
        env["GENLAB_LANG"] = self._learner_lang
        return await super().async_start_new_kernel(env=env, **kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)
