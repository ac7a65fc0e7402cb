"""`--help` of genlab, `genlab course ...` and `genlab report` speaks the reader's language
(genlab.core.i18n.current_language(): GENLAB_LANG, ...); argparse's own words ("usage:",
"options:", "show this help message and exit") stay as argparse writes them."""

from __future__ import annotations

import re

import pytest

from genlab import cli
from genlab.core.i18n import t
from genlab.core.translations import english_sentences

ARGPARSE_WORDS = ("usage:", "options:", "positional arguments:", "show this help message and exit")


def help_of(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as end:
        cli.main([*argv, "--help"])
    assert end.value.code == 0
    return capsys.readouterr().out


def one_line(text: str) -> str:
    """argparse wraps lines: the help as one line of words."""
    return re.sub(r"\s+", " ", text)


def ours(text: str) -> str:
    """The help without argparse's own words, option names and metavars."""
    lines = [ln for ln in text.splitlines() if not ln.startswith("usage:") and not ln.startswith(" " * 10 + "[")]
    text = "\n".join(lines)
    for w in ARGPARSE_WORDS:
        text = text.replace(w, " ")
    return re.sub(r"--?[\w-]+(?: [A-Z_]+)?|\{[a-z,]+\}", " ", text)


CASES = {
    ("course",): ["cli_help.course", "cli_help.status", "cli_help.release", "cli_help.autograde", "cli_help.certificates"],
    ("course", "autograde"): ["cli_help.course_folder", "cli_help.only_learner", "cli_help.workers", "cli_help.sandbox"],
    ("course", "learners", "add"): ["cli_help.learners_id"],
    ("course", "certificates"): ["cli_help.certificates_description", "cli_help.certificates_date", "cli_help.source_db"],
    ("report",): ["cli_help.report", "cli_help.report_epilog", "cli_help.report_as_of", "cli_help.report_lang",
                  "cli_help.source_programme", "cli_help.salt"],
    (): ["cli_help.genlab", "cli_help.doctor", "cli_help.branch_report", "cli_help.branch_course"],
}


@pytest.mark.parametrize("argv", list(CASES), ids=lambda a: " ".join(a) or "genlab")
def test_help_is_spanish_with_genlab_lang_es(argv, monkeypatch, capsys):
    monkeypatch.setenv("GENLAB_LANG", "es")
    text = help_of(list(argv), capsys)
    for key in CASES[argv]:
        assert one_line(t(key, "es")) in one_line(text), key
        assert one_line(t(key, "en")) not in one_line(text), key
    assert english_sentences(ours(text)) == [], text


@pytest.mark.parametrize("argv", list(CASES), ids=lambda a: " ".join(a) or "genlab")
def test_help_is_english_with_genlab_lang_en(argv, monkeypatch, capsys):
    monkeypatch.setenv("GENLAB_LANG", "en")
    text = help_of(list(argv), capsys)
    for key in CASES[argv]:
        assert one_line(t(key, "en")) in one_line(text), key
        assert one_line(t(key, "es")) not in one_line(text), key


def test_the_spanish_course_and_report_help_read_as_a_trainer_expects(monkeypatch, capsys):
    monkeypatch.setenv("GENLAB_LANG", "es")
    course = one_line(help_of(["course"], capsys))
    assert "Lleva el curso calificado: publicar, recoger, calificar, retroalimentar." in course
    report = one_line(help_of(["report"], capsys))
    assert "Escribe el tablero para gerentes" in report and "se aprueba con 70%" in report
    assert "$GENLAB_PSEUDONYM_SALT" in report and "predeterminada: reports/" in report
