"""nbgrader's exchange, with each fetched exercise in the learner's language.

One assignment per level, one notebook, written in English with its Spanish in a PO file
(genlab.core.translations). When a learner fetches (JupyterLab's Assignments tab, or
``nbgrader fetch_assignment``), :class:`LocalizedFetchAssignment` copies the release as nbgrader
does, then renders the notebooks it just copied in the learner's language
(:func:`genlab.core.i18n.current_language`: what `genlab lab --lang` saved, else the locale). Code
is never changed, only markdown and comments, and nbgrader's checksums follow, so the gradebook,
the scores and the report are the same whichever language a learner used.

Plugged in through nbgrader's own extension point, in exercises/nbgrader_config.py and the hub's::

    c.ExchangeFactory.fetch_assignment = "genlab.course.exchange.LocalizedFetchAssignment"
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.exchange.default.fetch_assignment import ExchangeFetchAssignment

from genlab.core.i18n import current_language
from genlab.core.translations import localize_file


class LocalizedFetchAssignment(ExchangeFetchAssignment):
    """nbgrader's fetch, then the fetched notebooks in the learner's language."""

    def copy_files(self):
        dest = Path(self.dest_path)
        before = {p.resolve() for p in dest.rglob("*.ipynb")} if dest.is_dir() else set()
        super().copy_files()
        lang = current_language()
        for notebook in sorted(dest.rglob("*.ipynb")):
            if notebook.resolve() in before or ".ipynb_checkpoints" in notebook.parts:
                continue  # a learner's own copy (fetched before) is never touched
            localize_file(notebook, lang, update_checksums=True)
            self.log.info("In %s: %s", lang, notebook.name)
