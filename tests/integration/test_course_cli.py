"""`genlab course ...` front end: learners, release, status, grade-all, and a learner's check."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from genlab.course import cli, nbgrader_ops
from genlab.course.grading.check import check
from genlab.course.learners import read_roster
from genlab.course.testing import CourseCopy

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "submissions"))
import probe  # noqa: E402

A = probe.ASSIGNMENT


@pytest.fixture
def course(tmp_path, monkeypatch):
    c = CourseCopy(tmp_path, [])
    probe.write_source(c.root)
    for key, value in c.env.items():
        monkeypatch.setenv(key, value)
    return c


def test_learners_import_add_and_list(course, tmp_path, capsys):
    csv_file = tmp_path / "cohort.csv"
    # as Excel in Spanish saves it: semicolons, a byte-order mark, accents
    csv_file.write_text(
        "\ufeffid;name;email;team\nana.lopez;Ana María López Hernández;ana@agencia.mx;Azul\nbeto;Alberto Núñez;beto@agencia.mx;Rojo\n",
        encoding="utf-8",
    )
    root = str(course.root)
    assert cli.main(["learners", "import", str(csv_file), "--course", root]) == 0
    assert "2 added" in capsys.readouterr().out
    assert cli.main(["learners", "add", "beto", "--name", "Alberto Núñez", "--email", "beto@agencia.mx", "--team", "Verde", "--course", root]) == 0
    assert "1 updated" in capsys.readouterr().out
    roster = read_roster(root)
    assert roster["ana.lopez"] == {"id": "ana.lopez", "name": "Ana María López Hernández", "email": "ana@agencia.mx", "team": "Azul"}
    assert roster["beto"]["team"] == "Verde"
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", "genlab") as gb:
        ana = gb.find_student("ana.lopez")
        assert (ana.first_name, ana.email) == ("Ana María López Hernández", "ana@agencia.mx")
    assert cli.main(["learners", "list", "--course", root]) == 0
    assert "Alberto Núñez" in capsys.readouterr().out
    # a bad id is refused with a plain message, and nothing is written
    assert cli.main(["learners", "add", "ana lopez", "--course", root]) == 2
    assert "cannot be a learner id" in capsys.readouterr().err


def test_release_then_status_says_what_next(course, capsys):
    root = str(course.root)
    assert cli.main(["status", "--course", root]) == 0
    assert f"Next for {A}: genlab course release {A}" in capsys.readouterr().out
    assert cli.main(["release", A, "--course", root]) == 0
    out = capsys.readouterr().out
    assert f"Released {A}" in out and f"genlab course collect {A}" in out
    assert (course.base / "exchange" / "genlab" / "outbound" / A / f"{A}.ipynb").is_file()
    assert cli.main(["status", "--course", root]) == 0
    out = capsys.readouterr().out
    assert "waiting for learners to submit" in out
    assert cli.main(["release", "no_such_thing", "--course", root]) == 2


@pytest.mark.slow
def test_grade_all_runs_the_whole_cycle(course, capsys):
    root = str(course.root)
    nbgrader_ops.release_and_generate(A, course.root)
    release = course.release_notebook(A)
    course.hand_in(A, "ana", probe.make_submission("correct", release, {}))
    course.hand_in(A, "beto", probe.make_submission("partial", release, {}))
    assert cli.main(["status", "--course", root]) == 0
    assert f"genlab course collect {A}" in capsys.readouterr().out
    code = cli.main(["grade-all", A, "--course", root, "--timeout", "30"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ana: 7/7 auto-checked points" in out
    assert "beto: 3/7 auto-checked points; failed: task2_check, task3_check" in out
    assert "2 of 2 graded" in out and "Released to 2 learner(s)" in out
    assert (course.root / "feedback" / "beto" / A / f"{A}.html").is_file()
    assert cli.main(["status", "--course", root]) == 0
    assert "graded and fed back" in capsys.readouterr().out
    # nothing changed: a second autograde keeps both and says so
    assert cli.main(["autograde", A, "--course", root]) == 0
    assert "ana: (unchanged, kept) 7/7" in capsys.readouterr().out


@pytest.mark.slow
def test_check_my_work_says_what_to_fix(tmp_path, capsys):
    import nbformat

    from genlab.course.testing import with_cell_sources

    source = probe.source_notebook()
    # a learner's copy: no hidden tests, a wrong task 1, task 3 not answered, and a check cell
    learner = with_cell_sources(source, {**probe.WRONG, "task3_answer": "raise NotImplementedError('not yet')"})
    for cell in learner.cells:
        cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
    learner.cells.append(nbformat.v4.new_code_cell("import genlab\ngenlab.check()"))
    path = tmp_path / "probe.ipynb"
    nbformat.write(learner, path)
    result = check(path, cell_timeout=60)
    text = capsys.readouterr().out
    assert result is not None and not result.passed
    by = {c.name: c for c in result.checks}
    assert not by["task1_check"].passed and "area(2, 3) should be 6" in by["task1_check"].why
    assert not by["task2_check"].passed and "diffusion" in by["task2_check"].why
    assert "task3_answer" in result.unanswered
    assert "[FIX] task1_check (3 points): area(2, 3) should be 6" in text
    assert "0 of 3 checks pass" in text
    # fixed: all pass
    nbformat.write(with_cell_sources(learner, probe.CORRECT), path)
    result = check(path, cell_timeout=60, quiet=True)
    assert result.passed and [c.passed for c in result.checks] == [True, True, True]
