"""Unanswered cells stay unanswered in any language: :class:`RestoreUnanswered` (autograde).

nbgrader gives an answer cell that a learner left as released 0 points without asking the trainer:
it compares the cell with the release's checksum. A learner who fetched in Spanish got the stubs
("Write your answer here, ...") in Spanish (genlab.course.exchange), so their untouched cells no
longer match, and every blank reflection would wait for a trainer. This step, first in nbgrader's
sanitize list (exercises/nbgrader_config.py), puts the source-language stub back in every answer cell
that holds exactly the learner's-language stub. Answers the learner wrote are never touched.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader import utils
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor

from genlab.core.translations import SOURCE_LANGUAGE, localize_notebook, notebook_language


class RestoreUnanswered(NbGraderPreprocessor):
    def _stubs(self) -> tuple[str, str]:
        clear = ClearSolutions(parent=self)  # the course's stubs (ClearSolutions in nbgrader_config.py)
        return clear.code_stub.get("python", ""), clear.text_stub

    def preprocess(self, nb, resources):
        lang = notebook_language(nb)
        if lang == SOURCE_LANGUAGE:
            return nb, resources
        code, text = self._stubs()
        shown = localize_notebook(new_notebook(cells=[new_code_cell(code), new_markdown_cell(text)]), lang)
        back = {("code", shown.cells[0].source.strip()): code, ("markdown", shown.cells[1].source.strip()): text}
        for cell in nb.cells:
            if utils.is_solution(cell):
                original = back.get((cell.cell_type, cell.source.strip()))
                if original is not None and original.strip() != cell.source.strip():
                    cell.source = original
        return nb, resources
