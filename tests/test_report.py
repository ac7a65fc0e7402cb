"""`genlab report` on a real nbgrader gradebook built with nbgrader's own API."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

# nbgrader's own add_submission trips a harmless SQLAlchemy autoflush warning.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

from genlab.course.progress import gradebook as gbmod
from genlab.course.progress import report

A1, A2 = "01_first_images", "02_prompts"
NB1, NB2 = "first_images", "prompts"
DUE1 = dt.datetime(2026, 11, 20, 23, 59)


@pytest.fixture(autouse=True)
def _no_repo_programme(monkeypatch, tmp_path):
    """These tests build their own course: the repo's workshops/programme.toml must not leak in."""
    from genlab.course.progress import programme

    monkeypatch.setattr(programme, "default_path", lambda: tmp_path / "no-programme.toml")


def _grade(gb, cell, nb, assignment, learner, *, auto=None, manual=None, needs_manual=False):
    grade = gb.find_grade(cell, nb, assignment, learner)
    grade.auto_score = auto
    grade.manual_score = manual
    grade.needs_manual_grade = needs_manual
    gb.db.commit()


def new_gradebook(db: Path):
    """nbgrader's Gradebook on a new file. Creating one shells out to `alembic`, which is only on
    PATH when the venv is activated: put the running interpreter's bin/ first."""
    from nbgrader.api import Gradebook

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        return Gradebook(f"sqlite:///{db}")


def build_course(root: Path) -> Path:
    """A course folder with a gradebook holding every case the report must tell apart."""
    root.mkdir(parents=True, exist_ok=True)
    with new_gradebook(root / "gradebook.db") as gb:
        gb.add_assignment(A1, duedate=DUE1)
        gb.add_notebook(NB1, A1)
        gb.add_grade_cell("test_seed", NB1, A1, max_score=3, cell_type="code")
        gb.add_grade_cell("test_size", NB1, A1, max_score=2, cell_type="code")
        gb.add_grade_cell("describe", NB1, A1, max_score=5, cell_type="markdown")  # graded by hand
        gb.add_assignment(A2)
        gb.add_notebook(NB2, A2)
        gb.add_grade_cell("test_prompt", NB2, A2, max_score=4, cell_type="code")

        gb.add_student("ana", first_name="Ana", last_name="Álvarez", email="ana@example.mx")
        gb.add_student("beto", first_name="Beto", last_name="Barrios")
        gb.add_student("carla", first_name="Carla", last_name="Cruz")
        gb.add_student("dani", first_name="Daniela", last_name="Díaz")
        gb.add_student("eli", first_name="Eli", last_name="Estrada")
        gb.add_student("jose", first_name="José", last_name="Núñez")

        # Ana: fully graded, 3 + 2 + 4 = 9 of 10; and 4 of 4 on A2.
        gb.add_submission(A1, "ana", timestamp="2026-11-19 23:30:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "ana", auto=3)
        _grade(gb, "test_size", NB1, A1, "ana", auto=2)
        _grade(gb, "describe", NB1, A1, "ana", manual=4)
        gb.add_submission(A2, "ana", timestamp="2026-11-25 16:00:00 UTC")
        _grade(gb, "test_prompt", NB2, A2, "ana", auto=4)

        # Beto: autograded 3 + 0, the written answer still waits for a trainer. Late (due 20 Nov).
        gb.add_submission(A1, "beto", timestamp="2026-11-22 15:00:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "beto", auto=3)
        _grade(gb, "test_size", NB1, A1, "beto", auto=0)
        _grade(gb, "describe", NB1, A1, "beto", auto=None, needs_manual=True)

        # Carla: handed in and graded: every answer 0.
        gb.add_submission(A1, "carla", timestamp="2026-11-18 18:00:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "carla", auto=0)
        _grade(gb, "test_size", NB1, A1, "carla", auto=0)
        _grade(gb, "describe", NB1, A1, "carla", manual=0)

        # Daniela: never handed anything in.
        # Eli: in the gradebook, autograde has not scored anything yet (fresh submission).
        gb.add_submission(A1, "eli", timestamp="2026-11-20 14:00:00 UTC")
        # José: graded 10 of 10 on A1.
        gb.add_submission(A1, "jose", timestamp="2026-11-19 14:00:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "jose", auto=3)
        _grade(gb, "test_size", NB1, A1, "jose", auto=2)
        _grade(gb, "describe", NB1, A1, "jose", manual=5)

    # Fran: collected into submitted/ but not autograded, so not in the gradebook at all.
    sub = root / "submitted" / "fran" / A1
    sub.mkdir(parents=True)
    (sub / "timestamp.txt").write_text("2026-11-21 11:00:00.000000 UTC")
    return root


A3, A4, A5 = "03_img2img", "04_video", "05_capstone"
NB3, NB4 = "img2img", "video"
AS_OF = dt.date(2026, 12, 10)

LEARNERS_CSV = """id,name,email,team
ana,Ana Álvarez,ana@example.mx,Diseño
beto,Beto Barrios,beto@example.mx,Motion
carla,Carla Cruz,,Diseño
dani,Daniela Díaz,dani@example.mx,Motion
eli,Eli Estrada,,Producción
gaby,Gabriela Gómez,gaby@example.mx,Diseño
hugo,Hugo Herrera,hugo@example.mx,Producción
jose,José Núñez,jose@example.mx,Motion
"""

PROGRAMME_TOML = """
[programme]
name = "Imagen y video generativos para diseño"
organisation = "Agencia Ejemplo"
signer = "Laura Méndez, lead trainer"
pass_mark = 70
language = "en"

[[levels]]
id = "foundations"
name = "Foundations"

[[levels]]
id = "practice"
name = "Practice"

[[levels]]
id = "extra"
name = "Extra"
required = false

[[workshops]]
id = "w00"
title = "Welcome (no assignment)"
level = "foundations"
date = 2026-11-03

[[workshops]]
id = "w01"
title = "First images"
assignment = "01_first_images"
level = "foundations"
duration_hours = 3
date = 2026-11-10
due = 2026-11-20

[[workshops]]
id = "w02"
title = "Prompts"
assignment = "02_prompts"
level = "foundations"
duration = "90 min"
due = 2026-11-27
pass_mark = 75

[[workshops]]
id = "w03"
title = "Image to image"
assignment = "03_img2img"
level = "practice"
duration_hours = 3
due = 2026-12-04

[[workshops]]
id = "w04"
title = "Video"
assignment = "04_video"
level = "practice"
required = false
due = 2026-12-18

[[workshops]]
id = "w05"
title = "Capstone"
assignment = "05_capstone"
level = "extra"
due = 2027-01-15
"""


def build_programme_course(root: Path, programme_dir: Path) -> tuple[Path, Path]:
    """build_course() plus two more assignments, a learners.csv with teams and a programme.toml.

    Foundations = 01 + 02 (02's pass mark 75 %), Practice = 03 (+ optional 04), Extra = 05 (not
    released, not required). Who passes what, as of AS_OF (10 Dec 2026):
      ana   01 90 %, 02 100 %, 03 100 %, 04 not started      → certificate
      jose  01 100 %, 02 75 %, 03 80 %                         → certificate
      gaby  01 70 % (exactly the mark), 02 75 %, 03 20 %       → no: 03 below the pass mark
      carla 01 0 % (graded)                                    → no; behind on 01, 02, 03
      beto  01 needs grading                                   → no
      dani  nothing; hugo only in learners.csv; eli, fran handed in 01 only
    """
    build_course(root)
    with new_gradebook(root / "gradebook.db") as gb:
        gb.add_assignment(A3, duedate=dt.datetime(2026, 12, 4, 23, 59))
        gb.add_notebook(NB3, A3)
        gb.add_grade_cell("test_strength", NB3, A3, max_score=5, cell_type="code")
        gb.add_assignment(A4)
        gb.add_notebook(NB4, A4)
        gb.add_grade_cell("test_frames", NB4, A4, max_score=6, cell_type="code")
        gb.add_student("gaby", first_name="Gabriela", last_name="Gómez", email="gaby@example.mx")

        gb.add_submission(A3, "ana", timestamp="2026-12-01 10:00:00 UTC")
        _grade(gb, "test_strength", NB3, A3, "ana", auto=5)
        gb.add_submission(A2, "jose", timestamp="2026-11-26 10:00:00 UTC")
        _grade(gb, "test_prompt", NB2, A2, "jose", auto=3)
        gb.add_submission(A3, "jose", timestamp="2026-12-03 10:00:00 UTC")
        _grade(gb, "test_strength", NB3, A3, "jose", auto=4)
        gb.add_submission(A1, "gaby", timestamp="2026-11-19 10:00:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "gaby", auto=3)
        _grade(gb, "test_size", NB1, A1, "gaby", auto=0)
        _grade(gb, "describe", NB1, A1, "gaby", manual=4)
        gb.add_submission(A2, "gaby", timestamp="2026-11-27 10:00:00 UTC")
        _grade(gb, "test_prompt", NB2, A2, "gaby", auto=3)
        gb.add_submission(A3, "gaby", timestamp="2026-12-04 10:00:00 UTC")
        _grade(gb, "test_strength", NB3, A3, "gaby", auto=1)
    (root / "learners.csv").write_text(LEARNERS_CSV, encoding="utf-8")
    programme_dir.mkdir(parents=True, exist_ok=True)
    programme = programme_dir / "programme.toml"
    programme.write_text(PROGRAMME_TOML, encoding="utf-8")
    return root, programme


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
    assert report.main(["--course", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
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
    assert report.main(["--course", str(course), "--out", str(out)]) == 0
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
    rc = cli_main(["report", "--course", str(course), "--db", f"sqlite:///{db}", "--out", str(out)])
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
