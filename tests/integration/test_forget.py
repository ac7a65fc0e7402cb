"""`genlab course learners forget ID` (issue 16): a learner who asks is removed from the roster, the
gradebook, the per-learner folders, the exchange and the reports; the report still renders for the
others, and their results stay only as anonymous counts."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from course_builders import A1, AS_OF, NB1, build_programme_course  # noqa: E402

from genlab.course import cli  # noqa: E402
from genlab.course.learners import mentions, read_roster  # noqa: E402
from genlab.course.testing import CourseCopy  # noqa: E402

WHO = {"id": "beto", "words": ["beto", "Beto Barrios", "Barrios", "beto@example.mx"]}
STAMP = "2026-11-22 15:00:00.000000 UTC"


def hand_in_files(root: Path, exchange: Path, learner: str, name: str) -> None:
    """What nbgrader leaves for a learner who handed in, was graded and got feedback."""
    from nbgrader.utils import notebook_hash

    secret = f"secret-of-{learner}"
    nb = json.dumps({"cells": [{"cell_type": "markdown", "source": f"Hecho por {name} ({learner})"}], "metadata": {},
                     "nbformat": 4, "nbformat_minor": 5})
    for stage in ("submitted", "autograded", "feedback"):
        d = root / stage / learner / A1
        d.mkdir(parents=True, exist_ok=True)
        (d / "timestamp.txt").write_text(STAMP)
        (d / "submission_secret.txt").write_text(secret)
        if stage == "feedback":
            (d / f"{NB1}.html").write_text(f"<p>Retroalimentación para {name}</p>", encoding="utf-8")
        else:
            (d / f"{NB1}.ipynb").write_text(nb, encoding="utf-8")
    inbound = exchange / "genlab" / "inbound" / f"{learner}+{A1}+{STAMP}+abc123"
    inbound.mkdir(parents=True, exist_ok=True)
    (inbound / f"{NB1}.ipynb").write_text(nb, encoding="utf-8")
    fb = exchange / "genlab" / "feedback"
    fb.mkdir(parents=True, exist_ok=True)
    (fb / f"{notebook_hash(secret=secret, notebook_id=NB1)}.html").write_text(f"<p>{name}</p>", encoding="utf-8")
    marker = root / ".genlab" / "autograde" / A1 / f"{learner}.json"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"learner": learner}))
    with open(root / ".genlab" / "autograde" / f"{A1}-errors.log", "a", encoding="utf-8") as f:
        f.write(f"{learner}: kernel died\n")


@pytest.fixture
def course(tmp_path, monkeypatch):
    c = CourseCopy(tmp_path, [])
    for key, value in c.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GENLAB_LANG", "en")
    root, programme = build_programme_course(c.root, tmp_path / "programme")
    for learner, name in (("beto", "Beto Barrios"), ("ana", "Ana Álvarez")):
        hand_in_files(root, c.base / "exchange", learner, name)
    return c, programme


def test_forget_leaves_no_trace_and_the_report_still_renders(course, tmp_path, capsys, monkeypatch):
    from nbgrader.api import Gradebook

    from genlab.course.progress.programme import load_programme_and_progress
    from genlab.course.progress.report import write_report

    c, programme = course
    reports = tmp_path / "reports"
    prog, progress = load_programme_and_progress(programme, c.root)
    write_report(progress, reports, programme=prog, as_of=AS_OF, lang="es")
    (reports / "certificates.csv").write_text("learner_id,name,email\nana,Ana Álvarez,ana@example.mx\n"
                                              "beto,Beto Barrios,beto@example.mx\n", encoding="utf-8")
    (reports / "certificate-beto.pdf").write_bytes(b"%PDF-1.4 Beto Barrios")
    assert mentions(c.base, WHO["words"]) and mentions(reports, WHO["words"])  # the search finds them before

    # without --yes it asks; "n" removes nothing
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    assert cli.main(["learners", "forget", "beto", "--course", str(c.root), "--reports", str(reports),
                     "--programme", str(programme)]) == 1
    assert "Nothing was removed" in capsys.readouterr().out and "beto" in read_roster(c.root)

    code = cli.main(["learners", "forget", "beto", "--yes", "--course", str(c.root), "--reports", str(reports),
                     "--programme", str(programme)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "removed:" in out and "beto is forgotten" in out

    # nothing names them: every file of the course copy (course, exchange, home), the sqlite bytes, the reports
    assert mentions(c.base, WHO["words"]) == []
    assert mentions(reports, WHO["words"]) == []
    assert b"beto" not in (c.root / "gradebook.db").read_bytes().lower()
    with Gradebook(f"sqlite:///{c.root / 'gradebook.db'}", "genlab") as gb:
        ids = {s.id for s in gb.students}
    assert "beto" not in ids and {"ana", "jose", "gaby"} <= ids
    assert "beto" not in read_roster(c.root) and "ana" in read_roster(c.root)
    # the others' work stays
    assert (c.root / "submitted" / "ana" / A1).is_dir() and (c.root / ".genlab" / "autograde" / A1 / "ana.json").is_file()
    assert len(list((c.base / "exchange" / "genlab" / "feedback").glob("*.html"))) == 1
    assert "ana: kernel died" in (c.root / ".genlab" / "autograde" / f"{A1}-errors.log").read_text()
    # the report was written again, in its language, with the others
    assert (reports / "progress.html").is_file(), out
    page = (reports / "progress.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in page and "Ana Álvarez" in page and "José Núñez" in page
    assert "ana,Ana Álvarez" in (reports / "certificates.csv").read_text(encoding="utf-8")
    assert not (reports / "certificate-beto.pdf").exists()
    # anonymous counts: one person, one hand-in of A1 waiting for a trainer; nothing that identifies them
    counts = json.loads((c.root / "forgotten.json").read_text(encoding="utf-8"))
    assert counts["learners"] == 1 and counts["assignments"][A1]["handed_in"] == 1
    # forgetting again: nothing left to forget
    assert cli.main(["learners", "forget", "beto", "--yes", "--course", str(c.root)]) == 1
    assert "nothing to forget" in capsys.readouterr().out
