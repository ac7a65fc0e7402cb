"""Two languages from one source: what genlab.core.translations extracts, renders and refuses.

The machinery on a small made-up notebook and catalogue (so a broken rule shows here, whatever
the shipped translations say), then the shipped notebooks themselves: every lesson and exercise
rendered in Spanish runs the same code, with the same cells and nbgrader metadata, as its source.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from genlab.core import i18n, translations
from genlab.lessons.languages import render_lessons

PO = '''msgid ""
msgstr ""
"Language: es_MX\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "## Task 1\\n\\nMake a picture with seed 11."
msgstr "## Tarea 1\\n\\nHaz una imagen con la semilla 11."

msgid "Make the picture, then save it"
msgstr "Haz la imagen y guárdala"

msgid "Task 1 looks right."
msgstr "La tarea 1 está bien."

#, fuzzy
msgid "An old text that changed."
msgstr "Un texto viejo."
'''


def _notebook():
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("## Task 1\n\nMake a picture with seed 11."),
        new_code_cell(
            "from genlab import _\n"
            "# Make the picture, then save it\n"
            "picture = make('a red circle # not a comment')  # Make the picture, then save it\n"
            "### BEGIN SOLUTION\n"
            "x = 1\n"
            "### END SOLUTION\n"
            "print(_(\"Task 1 looks right.\"))\n",
            metadata={"nbgrader": {"grade": True, "grade_id": "t1", "locked": True, "points": 1, "schema_version": 3, "solution": False}},
        ),
        new_markdown_cell("An old text that changed."),
    ]
    return nb


@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    folder = tmp_path / "locale" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "exercise-demo.po").write_text(PO, encoding="utf-8")
    monkeypatch.setattr(translations, "LOCALE_DIR", tmp_path / "locale")
    translations.translations.cache_clear()
    yield folder
    translations.translations.cache_clear()


def test_texts_are_markdown_cells_comments_and_marked_messages_not_code_or_markers():
    texts = [text for text, _where in translations.texts_of(_notebook())]
    assert texts == [
        "## Task 1\n\nMake a picture with seed 11.",
        "Make the picture, then save it",
        "Make the picture, then save it",
        "Task 1 looks right.",
        "An old text that changed.",
    ]


def test_rendering_translates_text_and_comments_and_leaves_code_alone(catalogue):
    nb = _notebook()
    es = translations.localize_notebook(nb, "es")
    assert es.cells[0].source == "## Tarea 1\n\nHaz una imagen con la semilla 11."
    code = es.cells[1].source
    assert "# Haz la imagen y guárdala\n" in code and code.count("Haz la imagen y guárdala") == 2
    assert "make('a red circle # not a comment')" in code  # a # inside a string is code
    assert "### BEGIN SOLUTION" in code and "### END SOLUTION" in code
    assert 'print(_("Task 1 looks right."))' in code  # messages are translated when they run
    for a, b in zip(nb.cells, es.cells):
        assert a.cell_type == b.cell_type and a.metadata == b.metadata
        if a.cell_type == "code":
            assert translations.code_without_comments(a.source) == translations.code_without_comments(b.source)
    assert es.metadata["genlab"]["lang"] == "es" and "genlab" not in nb.metadata  # a copy
    # a fuzzy entry is not used: the English stays, and strict rendering refuses
    assert es.cells[2].source == "An old text that changed."
    with pytest.raises(translations.TranslationError, match="cell 2"):
        translations.localize_notebook(nb, "es", strict=True)


def test_messages_answer_in_the_readers_language(catalogue, monkeypatch):
    monkeypatch.setenv("GENLAB_LANG", "es")
    assert translations.gettext("Task 1 looks right.") == "La tarea 1 está bien."
    assert translations.gettext("Not in any catalogue.") == "Not in any catalogue."
    monkeypatch.setenv("GENLAB_LANG", "en")
    assert translations.gettext("Task 1 looks right.") == "Task 1 looks right."


def test_fetched_copy_keeps_nbgrader_checksums_true(catalogue):
    from nbgrader import utils

    nb = _notebook()
    nb.cells[1].metadata["nbgrader"]["checksum"] = utils.compute_checksum(nb.cells[1])
    fetched = translations.as_fetched(nb, "es")
    assert fetched.cells[1].source != nb.cells[1].source
    assert fetched.cells[1].metadata["nbgrader"]["checksum"] == utils.compute_checksum(fetched.cells[1])


def test_update_keeps_old_spanish_as_fuzzy_and_adds_new_texts_empty(tmp_path, monkeypatch):
    monkeypatch.setattr(translations, "LOCALE_DIR", tmp_path / "locale")
    nb = _notebook()
    path = tmp_path / "notebooks" / "99_demo.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    po, todo = translations.update_catalogue(path)
    assert po.name == "lesson-99_demo.po" and todo == 5  # the comment is there twice
    translations.translations.cache_clear()
    from babel.messages.pofile import read_po, write_po

    cat = read_po(po.open("rb"))
    cat["Task 1 looks right."].string = "La tarea 1 está bien."
    write_po(po.open("wb"), cat)
    assert len(translations.missing(path)) == 4
    nb.cells[1].source = nb.cells[1].source.replace("Task 1 looks right.", "Task 1 looks right!")
    nbformat.write(nb, path)
    translations.update_catalogue(path)
    cat = read_po(po.open("rb"))
    changed = cat["Task 1 looks right!"]
    assert changed.fuzzy and changed.string == "La tarea 1 está bien."  # a suggestion, not used yet
    assert any("Task 1 looks right!" in m for m in translations.missing(path))
    translations.translations.cache_clear()


def test_unanswered_cells_speak_spanish_too():
    """nbgrader's stubs (exercises/nbgrader_config.py) have their Spanish in exercise-stubs.po."""
    import re

    config = (translations.settings.COURSE_DIR / "nbgrader_config.py").read_text()
    code_stub = re.search(r'"# (.+?)\\n"\s*\n\s*\'raise NotImplementedError\("(.+?)"\)\'', config)
    text_stub = re.search(r'text_stub = "(.+?)"', config)
    assert code_stub and text_stub
    table = translations.translations("es")
    for english in (*code_stub.groups(), text_stub.group(1)):
        assert table.get(english), f"no Spanish for the stub text {english!r}"
    source = f"# {code_stub.group(1)}\nraise NotImplementedError({code_stub.group(2)!r})"
    nb = new_notebook(cells=[new_code_cell(source), new_markdown_cell(text_stub.group(1))])
    es = translations.localize_notebook(nb, "es")
    assert translations.english_in_notebook(es) == []
    assert table[code_stub.group(2)] in es.cells[0].source and "raise NotImplementedError(" in es.cells[0].source


def test_language_choice_order(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in ("GENLAB_LANG", "GENLAB_DEFAULT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.current_language() == "es"  # nothing said: the learners' language
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.current_language() == "en"
    monkeypatch.setenv("GENLAB_DEFAULT_LANG", "es")  # the cohort hub's course language
    assert i18n.current_language() == "es"
    i18n.save_language("en")  # genlab lab --lang en
    assert i18n.current_language() == "en"
    monkeypatch.setenv("GENLAB_LANG", "es")
    assert i18n.current_language() == "es"
    with pytest.raises(ValueError, match="es or en"):
        i18n.save_language("fr")


def test_english_sentences_ignores_code_prompts_and_names():
    spanish = 'Haz una imagen de "a green heart on a white background" con `seed=11` y guárdala con **Submit**.'
    assert translations.english_sentences(spanish) == []
    english = "Make a picture of the heart and save it with your recipe."
    assert translations.english_sentences(english)
    mixed = "## Tarea 2\n\nGuarda la imagen.\n\nThen run the check cell and fix what it says."
    assert len(translations.english_sentences(mixed)) == 1


def test_render_lessons_never_overwrites_a_learners_copy(tmp_path, catalogue):
    src = tmp_path / "src" / "00_demo.ipynb"
    src.parent.mkdir()
    nbformat.write(_notebook(), src)
    dest = tmp_path / "my-lessons"
    assert render_lessons(dest, "es", sources=[src]) == [dest / "00_demo.ipynb"]
    assert nbformat.read(dest / "00_demo.ipynb", 4).cells[0].source.startswith("## Tarea 1")
    assert render_lessons(dest, "es", sources=[src]) == []  # nothing changed
    mine = nbformat.read(dest / "00_demo.ipynb", 4)
    mine.cells[1].source += "\nmy_own_line = 1\n"
    nbformat.write(mine, dest / "00_demo.ipynb")
    written = render_lessons(dest, "en", sources=[src])
    assert written == [dest / "00_demo (new).ipynb"]
    assert "my_own_line" in (dest / "00_demo.ipynb").read_text()


# ---- the shipped lessons and exercises ---------------------------------------------------------------
SOURCES = translations.source_notebooks()


@pytest.mark.parametrize("path", SOURCES, ids=[f"{p.parent.name}/{p.stem}" if p.parent.name != "notebooks" else p.stem for p in SOURCES])
def test_both_languages_run_the_same_code_with_the_same_nbgrader_metadata(path):
    source = nbformat.read(path, as_version=4)
    es = translations.localize_notebook(source, "es")
    en = translations.localize_notebook(source, "en")
    assert len(es.cells) == len(en.cells) == len(source.cells)
    for i, (a, b) in enumerate(zip(en.cells, es.cells)):
        assert a.cell_type == b.cell_type, f"cell {i}"
        assert a.metadata == b.metadata, f"cell {i}: metadata differ"
        if a.cell_type == "code":
            assert translations.code_without_comments(a.source) == translations.code_without_comments(b.source), f"cell {i}"
    assert {k: v for k, v in es.metadata.items() if k != "genlab"} == {k: v for k, v in en.metadata.items() if k != "genlab"}


def test_an_answer_cell_left_as_fetched_in_spanish_counts_as_unanswered():
    """nbgrader scores an untouched answer cell 0 without a trainer by comparing it with the
    release; RestoreUnanswered gives a Spanish learner's untouched cells their English stub back."""
    from nbgrader import utils
    from traitlets.config import Config

    from genlab.course.preprocessors import RestoreUnanswered

    cfg = Config()
    cfg.ClearSolutions.code_stub = {"python": "# Write your answer here, then run the cell.\n"
                                              'raise NotImplementedError("Not answered yet: replace these two lines with your answer.")'}
    cfg.ClearSolutions.text_stub = "Write your answer here, in your own words."
    solution = {"nbgrader": {"solution": True, "grade": True, "grade_id": "r", "points": 2, "schema_version": 3, "locked": False}}
    release = new_notebook(cells=[
        new_code_cell(cfg.ClearSolutions.code_stub["python"], metadata={"nbgrader": dict(solution["nbgrader"], grade=False, grade_id="a")}),
        new_markdown_cell(cfg.ClearSolutions.text_stub, metadata=solution),
        new_markdown_cell("Mi respuesta: quiero hacer moodboards.", metadata={"nbgrader": dict(solution["nbgrader"], grade_id="b")}),
    ])
    checksums = [utils.compute_checksum(c) for c in release.cells]
    fetched = translations.as_fetched(release, "es")
    assert fetched.cells[1].source.startswith("Escribe aquí") and "NotImplementedError('Todavía" in fetched.cells[0].source
    graded, _ = RestoreUnanswered(config=cfg).preprocess(fetched, {})
    assert [utils.compute_checksum(c) for c in graded.cells[:2]] == checksums[:2]  # unanswered again
    assert graded.cells[2].source == "Mi respuesta: quiero hacer moodboards."  # an answer is never touched


@pytest.mark.parametrize("lang, words", [("es", "genlab lab está corriendo"), ("en", "genlab lab is running")])
def test_the_lab_banner_speaks_the_readers_language(monkeypatch, lang, words):
    import argparse

    from genlab.ui import lab

    monkeypatch.setenv("GENLAB_LANG", lang)
    banner = lab._banner(argparse.Namespace(ip="127.0.0.1"), 8888, "tok", lab.FIRST_NOTEBOOK, "tiny")
    assert words in banner and "http://127.0.0.1:8888/lab/tree/my-lessons/00_welcome.ipynb?token=tok" in banner
    if lang == "es":
        assert translations.english_sentences(banner) == []


def test_every_spanish_message_keeps_the_placeholders_of_its_english():
    """A check cell's `_("... {seed} ...").format(seed=...)` raises KeyError if the Spanish renamed
    or lost a placeholder: only Spanish learners would see it, while grading. Markdown cells too."""
    import re

    from babel.messages.pofile import read_po

    fields = re.compile(r"{(\w*)[^{}]*}")
    checked = 0
    for path in sorted(translations.LOCALE_DIR.glob("es/LC_MESSAGES/*.po")):
        with open(path, "rb") as f:
            for message in read_po(f):
                if message.id and message.string and "{" in message.id:
                    assert set(fields.findall(message.id)) == set(fields.findall(message.string)), (path.name, message.id[:80])
                    checked += 1
    assert checked > 20  # the check cells' messages with values are in there
