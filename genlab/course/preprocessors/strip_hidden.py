"""Feedback without the hidden tests: :class:`StripHiddenTests`, run by nbgrader's
GenerateFeedback before the HTML is made (:mod:`genlab.course.grading.feedback`).

nbgrader's feedback HTML is the autograded notebook, and the autograded notebook holds the test
cells *with* their hidden tests (jupyter/nbgrader#917): feedback would hand the hidden checks to
every learner. This preprocessor

* removes every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block from the test cells
  (a comment says that more checks ran there);
* replaces error tracebacks in test cells by the error's own message (``AssertionError: twin_1
  and twin_2 differ...``), saying "one of the extra checks" when the failing line was hidden;
* removes any output line, in any cell, that repeats a line of hidden-test code (so a notebook that
  printed the source of later cells gains nothing);
* adds a summary at the top: each check, its points, passed or not, and why.

A plain class: nbgrader builds it from ``GenerateFeedback.preprocessors`` like its own.
"""

from __future__ import annotations

import re

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from genlab.core.i18n import t
from genlab.core.translations import localize_notebook, notebook_language

BEGIN = "BEGIN HIDDEN TESTS"
END = "END HIDDEN TESTS"
HIDDEN_NOTE = "# (More checks run here when your trainer grades.)"  # in the learner's language in feedback
# the labels of genlab's feedback template (genlab/course/grading/templates/feedback)
TEMPLATE_LABELS = ("score", "test_cell", "coding_response", "written_response", "task", "comment", "late_penalty",
                   "top", "answer", "student_task", "grade_cell", "comments")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LINE = re.compile(r"line (\d+)")


def split_hidden(source: str, begin: str = BEGIN, end: str = END, note: str = HIDDEN_NOTE) -> tuple[str, list[str], set[int]]:
    """(source without hidden blocks, the hidden lines, 1-based line numbers that were hidden)."""
    out, hidden, numbers = [], [], set()
    inside = False
    for i, line in enumerate(source.splitlines(), start=1):
        if begin in line:
            inside = True
            numbers.add(i)
            out.append(note)
            continue
        if inside:
            numbers.add(i)
            if end in line:
                inside = False
            else:
                hidden.append(line)
            continue
        out.append(line)
    return "\n".join(out), hidden, numbers


def _scrub(text: str, secrets: list[str]) -> str:
    if not secrets or not text:
        return text
    keep = [ln for ln in text.splitlines(keepends=True) if not any(s in ln for s in secrets)]
    return "".join(keep)


def _failing_line(traceback_lines: list[str]) -> int | None:
    """The line of the test cell where the error happened (last "Cell In[...], line N" frame)."""
    found = None
    for entry in traceback_lines:
        plain = _ANSI.sub("", entry)
        if plain.lstrip().startswith("Cell In[") or "<ipython-input-" in plain:
            m = _LINE.search(plain.splitlines()[0])
            if m:
                found = int(m.group(1))
    return found


class StripHiddenTests(NbGraderPreprocessor):
    """Take hidden tests (and anything that repeats them) out of the feedback notebook."""

    begin_test_delimeter = Unicode(BEGIN).tag(config=True)
    end_test_delimeter = Unicode(END).tag(config=True)

    def preprocess(self, nb, resources):
        # every hidden line of the notebook, to scrub outputs anywhere
        secrets = []
        for cell in nb.cells:
            if cell.cell_type == "code":
                _, hidden, _ = split_hidden(cell.source, self.begin_test_delimeter, self.end_test_delimeter)
                secrets += [h.strip() for h in hidden if len(h.strip()) >= 6 and not h.strip().startswith("#")]
        self._secrets = sorted(set(secrets))
        self._summary = []
        # the learner's language (set when they fetched): nbgrader put the trainer's English text
        # back into the locked cells, so the feedback renders them in that language again
        self._lang = lang = notebook_language(nb)
        resources["genlab"] = {"lang": lang, "labels": {k: t(f"feedback.{k}", lang) for k in TEMPLATE_LABELS}}
        nb, resources = super().preprocess(nb, resources)
        nb = localize_notebook(nb, lang)
        if self._summary:
            rows = [f"| {t('feedback.check', lang)} | {t('feedback.points', lang)} | {t('feedback.result', lang)} |",
                    "| --- | --- | --- |"]
            for name, got, total, why in self._summary:
                result = t("feedback.passed", lang) if why is None else t("feedback.not_yet", lang, why=why)
                rows.append(f"| {name} | {got:g} / {total:g} | {result} |")
            intro = f"## {t('feedback.title', lang)}\n\n{t('feedback.intro', lang)}\n\n" + "\n".join(rows)
            nb.cells.insert(0, NotebookNode(cell_type="markdown", metadata={}, source=intro))
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        is_test = utils.is_grade(cell) and not utils.is_solution(cell)
        hidden_numbers: set[int] = set()
        if is_test:
            note = "# " + t("feedback.hidden_note", self._lang)
            cell.source, _, hidden_numbers = split_hidden(cell.source, self.begin_test_delimeter, self.end_test_delimeter, note)
        why = None
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                if is_test:
                    line = _failing_line(out.get("traceback", []))
                    message = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".rstrip(": ")
                    if line is not None and line in hidden_numbers:
                        note = t("feedback.extra_check_failed", self._lang)
                        message = f"{note}: {out.get('evalue')}" if out.get("evalue") else note + " " + t("feedback.compare_again", self._lang)
                    out["traceback"] = [_scrub(message, self._secrets)]
                    why = why or _scrub(out.get("evalue") or message, self._secrets)
                out["evalue"] = _scrub(out.get("evalue", ""), self._secrets)
                out["traceback"] = [_scrub(t, self._secrets) for t in out.get("traceback", [])]
            elif kind == "stream":
                out["text"] = _scrub(out.get("text", ""), self._secrets)
                if is_test and out.get("name") == "stderr" and why is None:
                    why = t("feedback.wrote_error", self._lang)
            elif kind in ("execute_result", "display_data"):
                data = out.get("data", {})
                for mime in list(data):
                    if mime.startswith("text/") or mime.endswith("json"):
                        value = data[mime]
                        if isinstance(value, list):
                            value = "".join(value)
                        if isinstance(value, str):
                            data[mime] = _scrub(value, self._secrets)
        if is_test:
            points = float(cell.metadata.get("nbgrader", {}).get("points", 0) or 0)
            got = 0.0 if why else points
            grade_id = cell.metadata["nbgrader"].get("grade_id", f"cell {index}")
            if why:
                why = why.replace("|", "/").replace("\n", " ")[:300]
            self._summary.append((grade_id, got, points, why))
        return cell, resources
