"""Every `genlab course` command (and `genlab report`) with a RELATIVE --course (issue 13, point 4).

The bug: `genlab course grade-all 00_welcome --course course` graded three learners, then its
feedback step failed with "No course found in .../course/course" (the working folder had changed
under it). Commands now resolve their path arguments once, where they start.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from genlab.course import cli, nbgrader_ops
from genlab.course.progress import report
from genlab.course.testing import CourseCopy

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "submissions"))
import probe  # noqa: E402

A = probe.ASSIGNMENT
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture
def course(tmp_path, monkeypatch):
    c = CourseCopy(tmp_path, [])
    probe.write_source(c.root)
    for key, value in c.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(c.root.parent)  # the trainer stands in the folder that holds the course
    return c


def test_absolute_paths_resolves_once_where_the_command_starts(tmp_path, monkeypatch):
    import argparse

    monkeypatch.chdir(tmp_path)
    args = argparse.Namespace(course="course", programme="p.toml", out="reports", db="sqlite:///x.db", other="keep")
    nbgrader_ops.absolute_paths(args)
    assert args.course == str(tmp_path / "course") and args.programme == str(tmp_path / "p.toml")
    assert args.out == str(tmp_path / "reports")
    assert args.db == "sqlite:///x.db" and args.other == "keep"  # URLs and other options untouched


def test_quick_commands_with_a_relative_course(course, tmp_path, capsys):
    rel = course.root.name
    assert not Path(rel).is_absolute()
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text("id,name,email,team\nana,Ana,ana@agencia.mx,azul\n", encoding="utf-8")
    assert cli.main(["learners", "import", os.path.relpath(csv_file), "--course", rel]) == 0
    assert cli.main(["learners", "add", "beto", "--name", "Beto", "--course", rel]) == 0
    assert cli.main(["learners", "list", "--course", rel]) == 0
    assert "Beto" in capsys.readouterr().out
    assert cli.main(["status", "--course", rel]) == 0
    assert cli.main(["release", A, "--course", rel]) == 0
    out = capsys.readouterr().out
    assert f"Released {A}" in out and "No course found" not in out


@pytest.mark.slow
def test_grading_commands_with_a_relative_course_even_when_the_folder_changes(course, capsys, monkeypatch):
    rel = course.root.name
    nbgrader_ops.release_and_generate(A, course.root)
    release = course.release_notebook(A)
    course.hand_in(A, "ana", probe.make_submission("correct", release, {}))
    course.hand_in(A, "beto", probe.make_submission("partial", release, {}))

    # what broke grade-all: the working folder changes during a step (nbgrader and the sandbox
    # change folders); every later step must still find the course
    real_autograde = cli._autograde

    def autograde_then_wander(args):
        code = real_autograde(args)
        os.chdir(course.root / "source")
        return code

    monkeypatch.setattr(cli, "_autograde", autograde_then_wander)
    # (paths are what this test is about: no sandbox, so it runs the same in any checkout; the
    # sandbox has its own tests)
    code = cli.main(["grade-all", A, "--course", rel, "--timeout", "30", "--sandbox", "none"])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "No course found" not in out.out + out.err
    assert "Released to 2 learner(s)" in out.out
    monkeypatch.setattr(cli, "_autograde", real_autograde)

    os.chdir(course.root.parent)
    for argv in (["collect", A, "--course", rel], ["autograde", A, "--course", rel, "--sandbox", "none"],
                 ["feedback", A, "--course", rel, "--no-release"], ["status", "--course", rel]):
        assert cli.main(argv) == 0, argv
    capsys.readouterr()
    assert report.main(["--course", rel, "--out", "reports"]) == 0
    assert (course.root.parent / "reports" / "progress.csv").is_file()
    code = cli.main(["certificates", "--course", rel, "--out", "certs"])
    assert code in (0, 1), capsys.readouterr()  # 1: nobody has passed every level yet (a message, not a crash)
    assert "No course found" not in capsys.readouterr().err
