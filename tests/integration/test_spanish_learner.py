"""A learner who works in Spanish, from the lesson to the feedback, reads no English sentence.

Level 0 as that learner lives it, through the same machinery as the course: lesson 00 in
my-lessons/ (rendered in es), exercise 00 fetched from the exchange with nbgrader's own
fetch_assignment (genlab's fetch plugin renders it in the learner's language), answered (task 1
right, task 2 with the wrong seed so a check has something to say), `genlab course check` run on
it, submitted with nbgrader's submit, collected, autograded in the sandbox and given feedback.
Every text the learner reads (the lesson, the fetched notebook, the check's report, the feedback
page) is scanned for English sentences; code and quoted prompts do not count. A learner in English
on the same course gets the same grade.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import nbformat
import pytest

from genlab import settings
from genlab.core.translations import english_in_notebook, english_sentences, localize_notebook
from genlab.course import nbgrader_ops
from genlab.course.grading.autograde import autograde
from genlab.course.grading.feedback import feedback
from genlab.course.sandbox import SandboxPolicy
from genlab.course.testing import NBGRADER, WRONG_ANSWERS_DIR, CourseCopy, with_cell_sources

A = "00_welcome"
POLICY = SandboxPolicy(cell_timeout=120, notebook_timeout=600)


class _Text(HTMLParser):
    """The text a person reads on an HTML page: no scripts, styles or code."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag in ("script", "style", "pre", "code") or "input_area" in classes:
            self._skip += 1
        elif tag in ("p", "li", "div", "h1", "h2", "h3", "h4", "td", "th", "br", "span"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    # the code areas of a notebook page are <div class="input_area">...</div>: drop them whole
    html = re.sub(r'<div class="input_area">.*?</div>\s*</div>', " ", html, flags=re.S)
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def _learner_env(course: CourseCopy, lang: str) -> dict:
    return {**course.env, "GENLAB_LANG": lang}


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    base = tmp_path_factory.mktemp("spanish")
    course = CourseCopy(base, [A])
    saved = os.environ.get("GENLAB_EXCHANGE")
    os.environ["GENLAB_EXCHANGE"] = course.env["GENLAB_EXCHANGE"]  # the trainer's side, in this process
    try:
        yield from _journey(base, course)
    finally:
        if saved is None:
            os.environ.pop("GENLAB_EXCHANGE", None)
        else:
            os.environ["GENLAB_EXCHANGE"] = saved


def _journey(base, course):
    nbgrader_ops.release_and_generate(A, course.root)
    source = course.source_notebook(A)
    wrong_seed = (WRONG_ANSWERS_DIR / "00" / "wrong_seed.py").read_text()
    out = {"course": course}
    for learner, lang in (("ana", "es"), ("ben", "en")):
        env = _learner_env(course, lang)
        assignments = base / f"assignments-{learner}"
        env["GENLAB_ASSIGNMENT_DIR"] = str(assignments)
        fetch = subprocess.run([*NBGRADER, "fetch_assignment", A, "--course", "genlab"],
                               cwd=course.root, env=env, capture_output=True, text=True, timeout=300)
        assert fetch.returncode == 0, fetch.stderr[-3000:]
        path = assignments / A / f"{A}.ipynb"
        fetched = nbformat.read(path, as_version=4)
        answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                   if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
        answers = {k: re.sub(r"### (BEGIN|END) SOLUTION\n?", "", v) for k, v in answers.items()}
        if "task2_answer" in answers:
            answers["task2_answer"] = wrong_seed
        reflection = {"es": "Quiero hacer moodboards para empaques en los colores de la marca del cliente. "
                            "Me preocupa si podemos usar estas imágenes de forma comercial.",
                      "en": "I want to make packaging mood boards in the client's brand colours. "
                            "I worry whether we may use these pictures commercially."}[lang]
        manual = {c.metadata["nbgrader"]["grade_id"] for c in fetched.cells
                  if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")}
        answered = with_cell_sources(fetched, {**answers, **{m: reflection for m in manual}})
        nbformat.write(answered, path)
        check = subprocess.run([sys.executable, "-m", "genlab.course.grading.check", str(path)],
                               cwd=path.parent, env=env, capture_output=True, text=True, timeout=600)
        # both learners are one OS user here: the student id is given
        submit = subprocess.run([*NBGRADER, "submit", A, "--course", "genlab", f"--CourseDirectory.student_id={learner}"],
                                cwd=course.root, env=env, capture_output=True, text=True, timeout=300)
        assert submit.returncode == 0, submit.stderr[-3000:]
        out[learner] = {"fetched": fetched, "check": check.stdout, "check_rc": check.returncode}
    collected = nbgrader_ops.collect_assignment(A, course.root)
    assert sorted(collected) == ["ana", "ben"], collected
    autograde(A, course.root, policy=POLICY, workers=1)
    result = feedback(A, course.root)
    for learner in ("ana", "ben"):
        page = next((course.root / "feedback" / learner / A).glob("*.html"))
        out[learner]["feedback"] = page.read_text(encoding="utf-8")
        out[learner]["scores"] = course.scores(A, learner)
    out["released"] = result["released"]
    yield out


@pytest.mark.slow
def test_the_lesson_in_spanish_has_no_english_sentence():
    lesson = nbformat.read(settings.NOTEBOOKS_DIR / f"{A}.ipynb", as_version=4)
    assert english_in_notebook(localize_notebook(lesson, "es", strict=True)) == []


@pytest.mark.slow
def test_the_fetched_exercise_is_in_the_learners_language(journey):
    ana, ben = journey["ana"]["fetched"], journey["ben"]["fetched"]
    assert ana.metadata["genlab"]["lang"] == "es" and ben.metadata["genlab"]["lang"] == "en"
    assert english_in_notebook(ana) == []
    assert ana.cells[0].source != ben.cells[0].source  # really two languages
    assert english_in_notebook(ben)  # the English one is English


@pytest.mark.slow
def test_the_check_report_is_spanish(journey):
    report = journey["ana"]["check"]
    assert journey["ana"]["check_rc"] == 1 and "task2_check" in report  # the wrong seed is reported
    assert english_sentences(report) == [], report
    assert "CORRIGE" in report and "semilla" in report.lower(), report
    assert "FIX" in journey["ben"]["check"] and english_sentences(journey["ben"]["check"])


@pytest.mark.slow
def test_the_feedback_page_is_spanish(journey):
    html = journey["ana"]["feedback"]
    assert 'lang="es"' in html and "Tus resultados" in html and "Puntaje" in html
    assert english_sentences(page_text(html)) == [], english_sentences(page_text(html))
    assert "BEGIN HIDDEN TESTS" not in html
    assert "Your results" in journey["ben"]["feedback"]
    assert sorted(journey["released"]) == ["ana", "ben"]


@pytest.mark.slow
def test_both_languages_get_the_same_grade(journey):
    ana, ben = journey["ana"]["scores"], journey["ben"]["scores"]
    assert ana.cells == ben.cells and ana.auto_score == ben.auto_score
    assert ana.cells.get("task2_check") == 0 and ana.auto_score > 0
