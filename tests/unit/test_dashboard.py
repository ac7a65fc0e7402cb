"""The managers' dashboard on a real nbgrader gradebook: programme.toml, teams, states, exports
(CSV, XLSX, PNG, PDF) and pseudonymised exports."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

from course_builders import (  # noqa: E402  (the gradebook builders live with the report tests)
    A1,
    A2,
    A3,
    A4,
    A5,
    AS_OF,
    BIG_AS_OF,
    BIG_LEVELS,
    BIG_TITLES,
    build_big_course,
    build_course,
    build_programme_course,
    new_gradebook,
)

from genlab.course.progress import dashboard as dm  # noqa: E402
from genlab.course.progress import figures  # noqa: E402
from genlab.course.progress import pseudonyms as ps  # noqa: E402
from genlab.course.progress import states as st  # noqa: E402
from genlab.course.progress import gradebook as gbm  # noqa: E402
from genlab.course.progress import report  # noqa: E402
from genlab.course.progress.programme import Programme, ProgrammeError, load_programme  # noqa: E402

REAL_IDS = ["ana", "beto", "carla", "dani", "eli", "fran", "gaby", "hugo", "jose"]
REAL_NAMES = ["Ana", "Álvarez", "Beto", "Barrios", "Carla", "Cruz", "Daniela", "Díaz", "Eli", "Estrada",
              "Gabriela", "Gómez", "Hugo", "Herrera", "José", "Núñez"]
REAL_EMAILS = ["ana@example.mx", "beto@example.mx", "dani@example.mx", "gaby@example.mx", "hugo@example.mx", "jose@example.mx"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("dash")
    return build_programme_course(base / "exercises", base / "workshops")


@pytest.fixture(scope="module")
def dash(setup):
    course, programme = setup
    return dm.build_dashboard(gbm.load_progress(course), load_programme(programme), as_of=AS_OF)


@pytest.fixture(scope="module")
def outputs(setup, tmp_path_factory):
    course, programme = setup
    out = tmp_path_factory.mktemp("reports")
    rc = report.main(["--course", str(course), "--programme", str(programme), "--as-of", AS_OF.isoformat(), "--out", str(out)])
    assert rc == 0
    return out


# ---------------------------------------------------------------------------------------------
# programme.toml


def test_programme_file_is_read(setup):
    _, path = setup
    prog = load_programme(path)
    assert prog.path == path
    assert prog.name == "Imagen y video generativos para diseño"
    assert (prog.organisation, prog.signer, prog.language, prog.pass_mark) == ("Agencia Ejemplo", "Laura Méndez, lead trainer", "en", 70.0)
    assert [(lv.id, lv.required) for lv in prog.levels] == [("foundations", True), ("practice", True), ("extra", False)]
    assert prog.assignment_order() == [A1, A2, A3, A4, A5]
    assert prog.item_for(A2).pass_mark == 75 and prog.pass_mark_for(A1) == 70
    assert prog.item_for(A1).hours == 3 and prog.item_for(A2).hours == 1.5  # "90 min"
    assert prog.item_for(A1).due == dt.date(2026, 11, 20) and prog.item_for(A1).date == dt.date(2026, 11, 10)
    assert prog.item_for(A4).required is False
    # The welcome session has no assignment: on the schedule, never graded.
    assert [it.id for it in prog.items if it.assignment is None] == ["w00"]
    assert prog.requirements() == {"foundations": [A1, A2], "practice": [A3]}


def test_programme_variants_and_errors(tmp_path):
    assert load_programme(tmp_path / "missing.toml") == Programme()  # no file: defaults
    f = tmp_path / "p.toml"
    f.write_text(
        'name = "Top-level keys"\npass_mark = 0.6\nrequired_levels = ["2"]\n'
        '[[workshops]]\nassignment = "a"\nlevel = 1\n[[workshops]]\nassignment = "b"\nlevel = 2\ndue = "2026-12-01"\n',
        encoding="utf-8",
    )
    prog = load_programme(f)
    assert (prog.name, prog.pass_mark) == ("Top-level keys", 60.0)
    assert [(lv.id, lv.required) for lv in prog.levels] == [("1", False), ("2", True)]
    assert prog.requirements() == {"2": ["b"]} and prog.item_for("b").due == dt.date(2026, 12, 1)
    f.write_text("[programme]\npass_mark = 170\n", encoding="utf-8")
    with pytest.raises(ProgrammeError, match="between 0 and 100"):
        load_programme(f)
    f.write_text("[programme\n", encoding="utf-8")
    with pytest.raises(ProgrammeError, match="cannot read"):
        load_programme(f)


def test_without_a_programme_every_assignment_counts_with_the_default_pass_mark(tmp_path):
    course = build_course(tmp_path / "exercises")
    d = dm.build_dashboard(gbm.load_progress(course), load_programme(tmp_path / "none.toml"), as_of=dt.date(2026, 11, 25))
    assert [c["assignment"] for c in d.columns] == [A1, A2]
    assert all(c["pass_mark"] == 70 and c["required"] for c in d.columns)
    assert d.programme.requirements() == {"course": [A1, A2]}
    assert d.columns[0]["due"] == dt.date(2026, 11, 20)  # nbgrader's due date
    assert d.row("ana", A1)["result"] == st.PASSED  # 90 %
    assert [b["learner_id"] for b in d.behind_schedule()] == ["carla", "dani"]


# ---------------------------------------------------------------------------------------------
# Teams, states, summaries


def test_teams_come_from_learners_csv(setup):
    course, _ = setup
    progress = gbm.load_progress(course)
    teams = {lr["id"]: lr["team"] for lr in progress.learners}
    assert teams == {"ana": "Diseño", "beto": "Motion", "carla": "Diseño", "dani": "Motion", "eli": "Producción",
                     "fran": "", "gaby": "Diseño", "hugo": "Producción", "jose": "Motion"}
    hugo = next(lr for lr in progress.learners if lr["id"] == "hugo")  # only in learners.csv
    assert (hugo["name"], hugo["email"]) == ("Hugo Herrera", "hugo@example.mx")
    assert progress.row("hugo", A1)["status"] == "not started"
    assert progress.row("ana", A1)["team"] == "Diseño"
    assert next(lr for lr in progress.learners if lr["id"] == "jose")["name"] == "José Núñez"  # gradebook's name


def test_states_tell_not_started_from_zero_and_use_each_pass_mark(dash):
    def res(learner, a):
        r = dash.row(learner, a)
        return r["result"], r["percent"]

    assert res("dani", A1) == (st.NOT_STARTED, None)
    assert res("carla", A1) == (st.BELOW, 0.0)
    assert res("gaby", A1) == (st.PASSED, 70.0)  # exactly the pass mark passes
    assert res("jose", A2) == (st.PASSED, 75.0)  # 02's own pass mark is 75
    assert res("gaby", A3) == (st.BELOW, 20.0)
    assert res("beto", A1)[0] == st.NEEDS_MANUAL_GRADING
    assert res("eli", A1)[0] == st.SUBMITTED and res("fran", A1)[0] == st.SUBMITTED
    assert res("ana", A5) == (st.NOT_STARTED, None)
    assert [(c["assignment"], c["released"], c["level"]) for c in dash.columns] == [
        (A1, True, "foundations"), (A2, True, "foundations"), (A3, True, "practice"), (A4, True, "practice"), (A5, False, "extra"),
    ]
    table = dash.state_table()
    assert list(table.index) == ["ana", "carla", "gaby", "beto", "dani", "jose", "eli", "hugo", "fran"]  # by team
    assert table.loc["dani", A1] == st.NOT_STARTED and table.loc["carla", A1] == st.BELOW


def test_completion_by_team_and_level(dash):
    teams = {g["label"]: g for g in dash.completion_by("team")}
    assert list(teams) == ["Diseño", "Motion", "Producción", "No team"]
    d = teams["Diseño"]  # ana, carla, gaby × 4 released assignments
    assert (d["learners"], d["cells"], d[st.PASSED], d[st.BELOW], d[st.NOT_STARTED]) == (3, 12, 5, 2, 5)
    assert d["passed_percent"] == pytest.approx(100 * 5 / 12)
    levels = {g["group"]: g for g in dash.completion_by("level")}
    assert (levels["foundations"]["cells"], levels["foundations"][st.PASSED], levels["foundations"]["complete"]) == (18, 6, 3)
    assert (levels["practice"][st.PASSED], levels["practice"]["complete"]) == (2, 2)
    assert levels["extra"]["cells"] == 0 and levels["extra"]["passed_percent"] is None  # not released yet
    k = dash.kpis()
    assert (k["learners"], k["assignments"], k["cells"], k["handed_in"]) == (9, 4, 36, 13)
    assert (k[st.PASSED], k[st.BELOW], k[st.NEEDS_MANUAL_GRADING], k[st.SUBMITTED]) == (8, 2, 1, 2)
    assert (k["completed_programme"], k["behind"], k["on_schedule"]) == (2, 7, 2)
    assert k["mean_percent"] == pytest.approx(sum([90, 100, 100, 0, 70, 75, 20, 100, 75, 80]) / 10)


def test_behind_schedule(dash, setup):
    behind = {b["learner_id"]: b for b in dash.behind_schedule()}
    assert set(behind) == {"carla", "dani", "hugo", "beto", "eli", "fran", "gaby"}
    assert [m["assignment"] for m in behind["carla"]["missing"]] == [A1, A2, A3]
    assert behind["carla"]["missing"][0]["result"] == st.BELOW and behind["carla"]["most_days_late"] == 20
    # Beto's 01 waits for a trainer: not his delay. 04 is due on 18 Dec: not yet.
    assert [m["assignment"] for m in behind["beto"]["missing"]] == [A2, A3]
    assert [m["assignment"] for m in behind["gaby"]["missing"]] == [A3]
    assert "ana" not in behind and "jose" not in behind
    course, programme = setup
    early = dm.build_dashboard(gbm.load_progress(course), load_programme(programme), as_of=dt.date(2026, 11, 20))
    assert early.behind_schedule() == []  # nothing is past its due date on the due date itself


# ---------------------------------------------------------------------------------------------
# Files


def test_report_writes_every_file(outputs, capsys):
    for name in ("progress.html", "progress.csv", "progress.xlsx", "progress.png", "progress.pdf"):
        assert (outputs / name).stat().st_size > 1000, name


def test_csv_and_xlsx_reopen_with_the_same_numbers(outputs, dash):
    from openpyxl import load_workbook

    frame = pd.read_csv(outputs / "progress.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns) == list(dm.FIELDS)
    assert len(frame) == 9 * 5
    by = {(r.learner_id, r.assignment): r for r in frame.itertuples()}
    for r in dash.rows:
        got = by[(r["learner_id"], r["assignment"])]
        assert got.result == r["result"] and got.status == r["status"] and got.team == r["team"]
        if r["percent"] is None:
            assert got.percent == "" and got.score == ""
        else:
            assert float(got.percent) == pytest.approx(r["percent"], abs=0.05)
            assert float(got.score) == r["score"]
    assert by[("dani", A1)].score == "" and by[("carla", A1)].score == "0"  # not started ≠ 0
    assert by[("gaby", A1)].pass_mark == 70 and by[("jose", A2)].pass_mark == 75
    assert by[("carla", A2)].behind == "yes" and by[("beto", A1)].behind == "no"

    wb = load_workbook(outputs / "progress.xlsx")
    assert wb.sheetnames == ["Summary", "Progress", "Heatmap", "Behind schedule"]
    ws = wb["Progress"]
    header = [c.value for c in ws[1]]
    assert header == list(dm.FIELDS)
    xrows = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        rec = dict(zip(header, row))
        xrows[(rec["learner_id"], rec["assignment"])] = rec
    assert len(xrows) == len(frame)
    for key, got in by.items():
        x = xrows[key]
        assert x["result"] == got.result
        assert (x["score"] is None) == (got.score == "")
        if x["score"] is not None:
            assert x["score"] == pytest.approx(float(got.score)) and x["percent"] == pytest.approx(float(got.percent))
    assert isinstance(xrows[("ana", A1)]["submitted_at"], dt.datetime)

    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=4, max_col=2, values_only=True) if row[0]}
    k = dash.kpis()
    assert summary["Learners"] == 9 and summary["Completed every required level"] == k["completed_programme"] == 2
    assert summary["Behind the schedule"] == 7 and summary["Passed"] == 8 and summary["Not started"] == k[st.NOT_STARTED]
    assert summary["Mean score of graded work (%)"] == pytest.approx(k["mean_percent"], abs=0.05)

    heat = wb["Heatmap"]
    cols = [c.value for c in heat[1]]
    rows = {heat.cell(row=i, column=1).value: i for i in range(2, heat.max_row + 1)}
    j = cols.index(A1) + 1
    never, zero = heat.cell(row=rows["Daniela Díaz"], column=j), heat.cell(row=rows["Carla Cruz"], column=j)
    assert (never.value, zero.value) == ("not started", 0)
    assert never.fill.fgColor.rgb.endswith(st.COLOURS[st.NOT_STARTED][1:].upper())
    assert zero.fill.fgColor.rgb.endswith(st.COLOURS[st.BELOW][1:].upper())
    behind = wb["Behind schedule"]
    assert {r[0] for r in behind.iter_rows(min_row=2, values_only=True)} == {
        "Carla Cruz", "Daniela Díaz", "Hugo Herrera", "Beto Barrios", "Eli Estrada", "fran", "Gabriela Gómez"}


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def _pixel(img: np.ndarray, fx: float, fy: float) -> np.ndarray:
    h, w = img.shape[:2]
    return img[int(fy * h), int(fx * w), :3].astype(int)


def test_heatmap_cells_are_where_the_geometry_says(dash, tmp_path):
    fig, geo = figures.heatmap_figure(dash)
    img = np.asarray(Image.open(figures.write_png(fig, tmp_path / "heat.png")).convert("RGB"))
    for learner, a, state in [("dani", A1, st.NOT_STARTED), ("carla", A1, st.BELOW), ("ana", A1, st.PASSED),
                              ("beto", A1, st.NEEDS_MANUAL_GRADING), ("eli", A1, st.SUBMITTED)]:
        x0, y0, x1, y1 = geo.cell_box(learner, a)
        got = _pixel(img, x0 + 0.15 * (x1 - x0), (y0 + y1) / 2)
        assert np.abs(got - _rgb(st.COLOURS[state])).max() <= 2, (learner, state, got)


def test_png_snapshot_and_pdf(outputs):
    img = Image.open(outputs / "progress.png")
    assert img.format == "PNG" and img.width >= 1600 and img.height >= 900
    pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    for state in st.RESULTS:  # every state is drawn somewhere on the page
        assert (np.abs(pixels - _rgb(st.COLOURS[state])).max(axis=1) <= 2).sum() > 200, state
    pdf = (outputs / "progress.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 2  # overview + who is behind


def test_html_has_the_dashboard(outputs):
    page = (outputs / "progress.html").read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert 'id="heatmap"' in page and 'src="data:image/png;base64,' in page
    assert "Who is where" in text and "Behind the schedule on 10 Dec 2026" in text
    assert "First images: 0%, under the pass mark" in text and "Prompts: not started" in text
    assert "2/9 completed every required level" in text
    assert "<script" not in page and "http://" not in page and "https://" not in page


# ---------------------------------------------------------------------------------------------
# Pseudonyms


def test_pseudonyms_are_stable_salted_and_distinct():
    a = ps.pseudonyms(REAL_IDS, "salt-1")
    assert a == ps.pseudonyms(REAL_IDS, "salt-1")
    assert all(re.fullmatch(r"learner-[0-9a-f]{6}", p) for p in a.values())
    assert len(set(a.values())) == len(REAL_IDS)
    b = ps.pseudonyms(REAL_IDS, "salt-2")
    assert not set(a.values()) & set(b.values())


def test_salt_file_is_made_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv(ps.SALT_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    salt = ps.pseudonym_salt()
    path = tmp_path / "genlab" / "pseudonym-salt"
    assert path.read_text().strip() == salt and len(salt) == 32
    assert path.stat().st_mode & 0o077 == 0
    assert ps.pseudonym_salt() == salt
    monkeypatch.setenv(ps.SALT_ENV, "from-env")
    assert ps.pseudonym_salt() == "from-env" and ps.pseudonym_salt("given") == "given"


def _all_text_of_xlsx(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out = [str(wb.properties.creator or ""), str(wb.properties.title or "")]
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            out += [str(v) for v in row if v is not None]
    return out


def test_pseudonymised_exports_hold_no_ids_names_or_emails(setup, tmp_path, dash, monkeypatch):
    course, programme = setup
    monkeypatch.delenv(ps.SALT_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    outs = []
    for i in range(2):
        out = tmp_path / f"p{i}"
        assert report.main(["--course", str(course), "--programme", str(programme), "--as-of", AS_OF.isoformat(),
                            "--out", str(out), "--pseudonymise"]) == 0
        outs.append(out)
    csv_text = (outs[0] / "progress.csv").read_text(encoding="utf-8-sig")
    page = (outs[0] / "progress.html").read_text(encoding="utf-8")
    page = re.sub(r'src="data:image/png;base64,[^"]+"', 'src=""', page)  # pictures: drawn from the same pseudonymised data
    cells = _all_text_of_xlsx(outs[0] / "progress.xlsx")
    frame = pd.read_csv(outs[0] / "progress.csv", encoding="utf-8-sig", keep_default_na=False)
    for text in (csv_text, page, "\n".join(cells)):
        for secret in REAL_NAMES + REAL_EMAILS:
            assert secret not in text
        for ident in REAL_IDS:
            assert not re.search(rf"(?<![\w-]){re.escape(ident)}(?![\w-])", text), ident
    assert set(frame["first_name"]) == {""} and set(frame["last_name"]) == {""} and set(frame["email"]) == {""}
    assert all(re.fullmatch(r"learner-[0-9a-f]{6}", x) for x in frame["learner_id"])
    assert (frame["learner"] == frame["learner_id"]).all()
    # The same salt (made once in ~/.config/genlab) gives the same pseudonyms next time.
    again = pd.read_csv(outs[1] / "progress.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(again["learner_id"]) == list(frame["learner_id"])
    # The numbers do not change: same states per assignment, same teams.
    salt = (tmp_path / "config" / "genlab" / "pseudonym-salt").read_text().strip()
    names = ps.pseudonyms(REAL_IDS, salt)
    by = {(r.learner_id, r.assignment): r for r in frame.itertuples()}
    for r in dash.rows:
        got = by[(names[r["learner_id"]], r["assignment"])]
        assert (got.result, got.team) == (r["result"], r["team"])
    assert "learners pseudonymised" in page


def test_report_errors_are_plain(tmp_path, capsys):
    course = build_course(tmp_path / "exercises")
    assert report.main(["--course", str(course), "--programme", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "no programme file at" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("pass_mark = 'lots'\n", encoding="utf-8")
    assert report.main(["--course", str(course), "--programme", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "pass_mark must be a number" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_learners_only_in_csv_and_an_empty_course(tmp_path):
    with new_gradebook(tmp_path / "gradebook.db"):
        pass
    (tmp_path / "learners.csv").write_text("id,name,email,team\nzoe,Zoe Zamora,zoe@example.mx,Diseño\n", encoding="utf-8")
    out = tmp_path / "out"
    files = report.write_report(gbm.load_progress(tmp_path), out, programme=Programme(), lang="en")
    assert [lr["id"] for lr in files["dashboard"].learners] == ["zoe"]
    page = (out / "progress.html").read_text(encoding="utf-8")
    assert "No assignments in the gradebook yet." in page
    assert Image.open(out / "progress.png").width > 0 and (out / "progress.pdf").read_bytes().startswith(b"%PDF")


# ---------------------------------------------------------------------------------------------
# Long names: twelve levels, forty learners. No label cut by the picture's edge or drawn over another.


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    base = tmp_path_factory.mktemp("big")
    course, programme = build_big_course(base / "exercises", base / "workshops")
    return dm.build_dashboard(gbm.load_progress(course), load_programme(programme), as_of=BIG_AS_OF)


def _text_boxes(fig):
    """(text, box in pixels) of every visible, non-empty text the figure draws."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    out = []
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip():
            out.append((t, t.get_window_extent(renderer)))
    return out


def _assert_labels_fit(fig):
    boxes = _text_boxes(fig)
    page = fig.bbox
    for t, b in boxes:
        assert b.x0 >= page.x0 - 0.5 and b.x1 <= page.x1 + 0.5 and b.y0 >= page.y0 - 0.5 and b.y1 <= page.y1 + 0.5, \
            f"outside the picture: {t.get_text()!r} {b} (page {page})"
    for i, (t1, b1) in enumerate(boxes):
        for t2, b2 in boxes[i + 1:]:
            overlap_w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
            overlap_h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
            assert overlap_w <= 0.5 or overlap_h <= 0.5, f"{t1.get_text()!r} overlaps {t2.get_text()!r}"
    return boxes


def _unwrapped(text: str) -> str:
    return re.sub(r"-\n", "-", text).replace("\n", " ")


def test_heatmap_labels_wrap_to_their_columns_and_keep_the_full_names(big):
    assert len(big.programme.levels) == 12 and len(big.learners) == 40
    fig, geo = figures.heatmap_figure(big)
    boxes = _assert_labels_fit(fig)
    shown = [_unwrapped(t.get_text()) for t, _ in boxes]
    for lid, name in BIG_LEVELS:  # every level name whole (wrapped, not shortened)
        assert name in shown, name
    for title in BIG_TITLES:  # every column title whole, above its column
        assert any(s.startswith(title) for s in shown), title
    column_w = (geo.x1 - geo.x0) / len(big.columns) * fig.bbox.width
    for t in fig.axes[0].get_xticklabels():
        assert t.get_window_extent().width <= column_w, t.get_text()
    # The HTML's hover areas: one per column title and per level name, with the full text.
    assert sorted(x[4] for x in geo.labels) == sorted(BIG_TITLES + [name for _, name in BIG_LEVELS])


def test_completion_bars_and_snapshot_labels_fit(big):
    for key in ("team", "level"):
        boxes = _assert_labels_fit(figures.bars_figure(big, key))
        if key == "level":
            shown = [_unwrapped(t.get_text()) for t, _ in boxes]
            assert all(name in shown for _, name in BIG_LEVELS), shown
    _assert_labels_fit(figures.histogram_figure(big))
    _assert_labels_fit(figures.snapshot_figure(big))
    pages = figures.behind_pages(big, big.behind_schedule())
    assert len(pages) > 1  # forty learners behind do not fit one page
    for page in pages:
        _assert_labels_fit(page)


def test_fit_text_wraps_then_shortens():
    fig = figures._figure(4, 4)
    renderer = fig.canvas.get_renderer()
    text = "Image to image and reference-driven variations"
    wrapped = figures.fit_text(text, 120, renderer, 9, max_lines=5)
    assert _unwrapped(wrapped) == text and len(wrapped.splitlines()) > 1
    assert all(figures.text_width(renderer, line, 9) <= 120 for line in wrapped.splitlines())
    short = figures.fit_text(text, 120, renderer, 9, max_lines=2)
    assert len(short.splitlines()) == 2 and short.endswith("…")
    assert figures.fit_text("Prompts", 120, renderer, 9) == "Prompts"
