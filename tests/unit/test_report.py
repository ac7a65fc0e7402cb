"""`genlab report` on a real nbgrader gradebook built with nbgrader's own API."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

# nbgrader's own add_submission trips a harmless SQLAlchemy autoflush warning.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

from genlab.course.progress import gradebook as gbmod
from genlab.course.progress import report

from course_builders import *  # noqa: F401,F403 (A1, NB1, DUE1, build_course, ... shared with the other progress tests)

@pytest.fixture(autouse=True)
def _no_repo_programme(monkeypatch, tmp_path):
    """These tests build their own course: the repo's workshops/programme.toml must not leak in."""
    from genlab.course.progress import programme

    monkeypatch.setattr(programme, "default_path", lambda: tmp_path / "no-programme.toml")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return build_course(tmp_path_factory.mktemp("course") / "exercises")


# ---------------------------------------------------------------------------------------------
# Data layer


def test_statuses_and_scores(course):
    progress = gbmod.load_progress(course)
    assert [a["name"] for a in progress.assignments] == [A1, A2]
    assert [a["max_score"] for a in progress.assignments] == [10.0, 4.0]
    ids = [lr["id"] for lr in progress.learners]
    # By last name, accents folded (Álvarez first); fran has no name, so sorts by her id.
    assert ids == ["ana", "beto", "carla", "dani", "eli", "fran", "jose"]
    assert len(progress.rows) == len(ids) * 2

    def st(learner, a=A1):
        r = progress.row(learner, a)
        return r["status"], r["score"], r["max_score"]

    assert st("ana") == ("graded", 9.0, 10.0)
    assert st("ana", A2) == ("graded", 4.0, 4.0)
    assert st("beto") == ("needs manual grading", 3.0, 10.0)
    assert st("carla") == ("graded", 0.0, 10.0)
    assert st("dani") == ("not started", None, 10.0)
    assert st("dani", A2) == ("not started", None, 4.0)
    assert st("eli") == ("submitted", None, 10.0)
    assert st("fran") == ("submitted", None, 10.0)
    assert st("jose") == ("graded", 10.0, 10.0)

    assert progress.row("beto", A1)["late"] is True
    assert progress.row("ana", A1)["late"] is False
    assert progress.row("ana", A1)["submitted_at"] == dt.datetime(2026, 11, 19, 23, 30)  # UTC
    assert progress.row("fran", A1)["submitted_at"] == dt.datetime(2026, 11, 21, 11, 0)
    assert progress.row("dani", A1)["submitted_at"] is None
    assert progress.row("jose", A1)["learner"] == "José Núñez"

    s1, s2 = progress.assignment_summary()
    assert (s1["learners"], s1["submitted"], s1["not_started"]) == (7, 6, 1)
    assert (s1["graded"], s1["needs_manual_grading"], s1["waiting_autograde"]) == (3, 1, 2)
    assert s1["mean_percent"] == pytest.approx((90 + 0 + 100) / 3)
    assert (s2["submitted"], s2["graded"]) == (1, 1)

    table = progress.status_table()
    assert table.loc["dani", A1] == "not started" and table.loc["carla", A1] == "graded"
    frame = progress.to_frame()
    assert list(frame.columns) == list(gbmod.ROW_FIELDS)


def test_without_course_folders_the_gradebook_alone_decides(course):
    progress = gbmod.load_progress(course, use_course_folders=False)
    assert "fran" not in [lr["id"] for lr in progress.learners]
    assert progress.row("eli", A1)["status"] == "submitted"


def test_resubmitted_after_autograde_waits_for_autograde_again(tmp_path):
    root = build_course(tmp_path / "exercises")
    graded = root / "autograded" / "ana" / A1
    graded.mkdir(parents=True)
    sub = root / "submitted" / "ana" / A1
    sub.mkdir(parents=True)
    (sub / "timestamp.txt").write_text("2026-11-19 23:30:00 UTC")  # the autograded one
    assert gbmod.load_progress(root).row("ana", A1)["status"] == "graded"
    (sub / "timestamp.txt").write_text("2026-11-24 10:00:00 UTC")  # handed in again since
    row = gbmod.load_progress(root).row("ana", A1)
    assert (row["status"], row["score"], row["submitted_at"]) == ("submitted", None, dt.datetime(2026, 11, 24, 10))


def test_missing_gradebook_is_a_clear_error_and_creates_nothing(tmp_path, capsys):
    with pytest.raises(gbmod.NoGradebookError, match="no gradebook at"):
        gbmod.load_progress(tmp_path)
    rc = report.main(["--course", str(tmp_path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"no gradebook at {tmp_path / 'gradebook.db'}" in err
    assert "generate_assignment" in err
    assert not (tmp_path / "gradebook.db").exists()
    assert not (tmp_path / "out").exists()


def test_empty_gradebook_still_writes_a_page(tmp_path):
    with new_gradebook(tmp_path / "gradebook.db"):
        pass
    assert report.main(["--course", str(tmp_path), "--out", str(tmp_path / "out"), "--lang", "en"]) == 0
    page = (tmp_path / "out" / "progress.html").read_text(encoding="utf-8")
    assert "No assignments in the gradebook yet." in page


# ---------------------------------------------------------------------------------------------
# The files


class _Cells(HTMLParser):
    """learner id → [(status, visible text)] from the report table."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self._learner = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-learner" in attrs:
            self._learner = attrs["data-learner"]
            self.rows[self._learner] = []
        if tag == "td" and "data-status" in attrs and self._learner:
            self._cell = [attrs["data-status"], ""]
            self.rows[self._learner].append(self._cell)

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def _read_csv(path: Path) -> dict[tuple[str, str], dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {(r["learner_id"], r["assignment"]): r for r in csv.DictReader(fh)}


def _check_outputs(out: Path):
    rows = _read_csv(out / "progress.csv")
    assert len(rows) == 14
    never, zero = rows[("dani", A1)], rows[("carla", A1)]
    assert (never["status"], never["score"], never["submitted_at"]) == ("not started", "", "")
    assert (zero["status"], zero["score"], zero["max_score"], zero["percent"]) == ("graded", "0", "10", "0.0")
    assert zero["submitted_at"] == "2026-11-18T18:00:00+00:00"
    assert (rows[("ana", A1)]["score"], rows[("ana", A1)]["percent"]) == ("9", "90.0")
    assert (rows[("beto", A1)]["status"], rows[("beto", A1)]["score"], rows[("beto", A1)]["late"]) == (
        "needs manual grading",
        "3",
        "yes",
    )
    assert (rows[("eli", A1)]["status"], rows[("eli", A1)]["score"]) == ("submitted", "")
    assert rows[("jose", A1)]["learner"] == "José Núñez"

    page = (out / "progress.html").read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())  # what a reader sees
    assert "6 of 7 learners have submitted 01_first_images" in text
    assert "1 of 7 learners have submitted 02_prompts" in text
    assert "http://" not in page and "https://" not in page and "<script" not in page  # self-contained
    parser = _Cells()
    parser.feed(page)
    cells = parser.rows
    assert set(cells) == {"ana", "beto", "carla", "dani", "eli", "fran", "jose"}
    assert cells["dani"][0][0] == "not started" and "0 /" not in cells["dani"][0][1]
    assert cells["carla"][0][0] == "graded" and "0 / 10" in cells["carla"][0][1]
    assert cells["ana"][0][0] == "graded" and "9 / 10" in cells["ana"][0][1]
    assert cells["beto"][0][0] == "needs manual grading" and "3 / 10 so far" in cells["beto"][0][1]
    assert "late" in cells["beto"][0][1]
    assert cells["eli"][0][0] == "submitted"
    assert cells["ana"][1] == ["graded", cells["ana"][1][1]] and "4 / 4" in cells["ana"][1][1]
    assert "José Núñez" in page
    return page


def test_report_main_writes_html_and_csv(course, tmp_path, capsys):
    out = tmp_path / "reports"
    assert report.main(["--course", str(course), "--out", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert str(out / "progress.html") in printed and str(out / "progress.csv") in printed
    assert "01_first_images 6/7 submitted, 3 graded" in printed
    _check_outputs(out)


def test_cli_report_with_db_url(course, tmp_path, capsys):
    from genlab.cli import main as cli_main

    # The gradebook somewhere else than the course folder, named by --db.
    db = tmp_path / "elsewhere.db"
    shutil.copy(course / "gradebook.db", db)
    out = tmp_path / "r"
    rc = cli_main(["report", "--course", str(course), "--db", f"sqlite:///{db}", "--out", str(out), "--lang", "en"])
    assert rc == 0
    assert "7 learners" in capsys.readouterr().out
    _check_outputs(out)


def test_course_nbgrader_config_is_honoured(course, tmp_path):
    """The course's own nbgrader_config.py decides where the gradebook and submissions live."""
    root = tmp_path / "other_course"
    root.mkdir()
    shutil.copy(course / "gradebook.db", tmp_path / "grades.db")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{tmp_path / 'grades.db'}'\n"
        "c.CourseDirectory.submitted_directory = 'inbox'\n"
    )
    inbox = root / "inbox" / "dani" / A1
    inbox.mkdir(parents=True)
    (inbox / "timestamp.txt").write_text("2026-11-23 10:00:00.000000 UTC")
    progress = gbmod.load_progress(root)
    assert progress.source == f"sqlite:///{tmp_path / 'grades.db'}"
    assert progress.row("dani", A1)["status"] == "submitted"  # collected into inbox/, not autograded
    assert progress.row("carla", A1)["status"] == "graded"


def test_handed_in_to_the_exchange_but_not_collected_is_submitted(tmp_path):
    """nbgrader's exchange keeps each hand-in as inbound/<learner>+<assignment>+<timestamp>+<random>."""
    root = build_course(tmp_path / "exercises")
    exchange = tmp_path / "exchange"
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'genlab'\nc.Exchange.root = {str(exchange)!r}\n"
    )
    inbound = exchange / "genlab" / "inbound"
    for name in (
        f"dani+{A1}+2026-11-21 10:00:00.000000 UTC+Xy1",
        f"dani+{A1}+2026-11-22 09:30:00.000000 UTC+Xy2",  # handed in twice: the newest counts
        f"ana+{A1}+2026-11-19 23:30:00.000000 UTC+Ab1",  # already collected and graded
        f"zed+{A2}+2026-11-24 08:00:00.000000 UTC+Zz9",  # not in the gradebook at all yet
    ):
        (inbound / name).mkdir(parents=True)
    progress = gbmod.load_progress(root)
    dani = progress.row("dani", A1)
    assert (dani["status"], dani["score"], dani["submitted_at"]) == ("submitted", None, dt.datetime(2026, 11, 22, 9, 30))
    assert progress.row("dani", A2)["status"] == "not started"
    assert progress.row("ana", A1)["status"] == "graded"
    assert progress.row("zed", A2)["status"] == "submitted"
    assert gbmod.load_progress(root, use_course_folders=False).row("dani", A1)["status"] == "not started"


def test_html_escapes_what_learners_typed(course):
    """The page comes from autoescaped Jinja2 templates: a name is text, never markup."""
    from dataclasses import replace

    from genlab.course.progress.html import render_html
    from genlab.course.progress.programme import Programme

    progress = gbmod.load_progress(course)
    evil = '<img src=x onerror="alert(1)">Ana & "Bea"'
    progress = replace(progress, learners=[{**lr, "name": evil} if lr["id"] == "ana" else lr for lr in progress.learners],
                       rows=[{**r, "learner": evil} if r["learner_id"] == "ana" else r for r in progress.rows])
    page = render_html(progress, programme=Programme(), as_of=dt.date(2026, 11, 25))
    assert "<img src=x" not in page and "onerror=\"alert" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Ana &amp; &#34;Bea&#34;" in page
