"""`genlab report --lang es|en`: the managers' report in Mexican Spanish and in English.

Built from the same gradebooks as test_report.py (no programme file) and test_dashboard.py (a
programme with levels, teams and due dates). In Spanish no English sentence is left on the page,
in its tooltips or in the pictures; in English it reads as before. The CSV is data: the same
English columns and cells in both languages.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

from course_builders import A1, AS_OF, build_course, build_programme_course  # noqa: E402

from genlab.core.i18n import catalogue  # noqa: E402
from genlab.core.translations import english_sentences  # noqa: E402
from genlab.course.progress import dashboard as dm  # noqa: E402
from genlab.course.progress import figures, report  # noqa: E402
from genlab.course.progress import gradebook as gbm  # noqa: E402
from genlab.course.progress.programme import load_programme  # noqa: E402


@pytest.fixture(autouse=True)
def _no_repo_programme(monkeypatch, tmp_path):
    """Without --programme, the repo's workshops/programme.toml must not leak in."""
    from genlab.course.progress import programme

    monkeypatch.setattr(programme, "default_path", lambda: tmp_path / "no-programme.toml")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return build_course(tmp_path_factory.mktemp("course") / "exercises")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("dash")
    return build_programme_course(base / "exercises", base / "workshops")


class _Visible(HTMLParser):
    """What a reader sees or hovers: text outside <style>/<script>, and title/alt/aria-label."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.hover: list[str] = []
        self.lang = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag in ("style", "script"):
            self._skip += 1
        self.hover += [attrs[k] for k in ("title", "alt", "aria-label") if attrs.get(k)]

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


def _read(page: str) -> _Visible:
    parser = _Visible()
    parser.feed(page)
    return parser


def _flat(texts: list[str]) -> str:
    return " ".join(" ".join(texts).split())


def _run(args: list[str]) -> None:
    assert report.main(args) == 0


def test_both_catalogues_have_the_same_report_keys():
    en = {k for k in catalogue("en") if k.startswith("report.")}
    es = {k for k in catalogue("es") if k.startswith("report.")}
    assert en == es and len(en) > 100
    # The Spanish is Spanish, not a copy of the English (the CSV-like names and "no" aside).
    same = {k for k in en if catalogue("en")[k] == catalogue("es")[k]}
    assert same <= {"report.no", "report.xlsx.as_of", "report.fields.email"}, same


def test_spanish_by_default_without_a_programme_language(course, tmp_path, capsys):
    out = tmp_path / "es"
    _run(["--course", str(course), "--out", str(out)])  # no --lang, no programme file: Spanish
    printed = capsys.readouterr().out
    assert "01_first_images 6/7 entregados, 3 con calificación" in printed
    assert english_sentences(re.sub(r"\S*/\S*", "", printed)) == []  # the files' paths aside
    page = (out / "progress.html").read_text(encoding="utf-8")
    seen = _read(page)
    assert seen.lang == "es"
    text, hover = _flat(seen.text), _flat(seen.hover)
    assert english_sentences("\n".join(seen.text)) == [], english_sentences("\n".join(seen.text))
    assert english_sentences("\n".join(seen.hover)) == [], english_sentences("\n".join(seen.hover))
    for label in ("Avance del curso", "IA generativa de imagen y video", "Dónde va cada quien", "Avance y calificaciones",
                  "Avance por nivel", "Por ejercicio", "6 de 7 participantes entregaron 01_first_images",
                  "Participantes", "Calificados", "3 / 10 hasta ahora", "tarde", "falta calificación manual",
                  "sin entregar", "calificado", "entregado", "Horario de America/Mexico_City"):
        assert label in text, label
    assert "Mapa de calor del avance: 7 participantes × 2 ejercicios" in hover
    # Nothing of the English report is left.
    for english in ("Course progress", "Who is where", "learners have submitted", "so far", "Per assignment",
                    "not started", "needs manual grading", "Scores are points"):
        assert english not in text and english not in hover, english
    # data-status and the CSV stay English: they are data.
    assert 'data-status="needs manual grading"' in page
    with (out / "progress.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(dm.FIELDS)
    assert {r["status"] for r in rows} == {"graded", "needs manual grading", "not started", "submitted"}
    assert {r["late"] for r in rows} == {"yes", "no"}


def test_spanish_report_with_a_programme(setup, tmp_path, capsys):
    course, programme = setup
    out = tmp_path / "es"
    _run(["--course", str(course), "--programme", str(programme), "--as-of", AS_OF.isoformat(), "--out", str(out),
          "--lang", "es"])
    assert english_sentences(re.sub(r"\S*/\S*", "", capsys.readouterr().out)) == []
    seen = _read((out / "progress.html").read_text(encoding="utf-8"))
    text = _flat(seen.text)
    assert seen.lang == "es"
    assert english_sentences("\n".join(seen.text)) == [], english_sentences("\n".join(seen.text))
    assert english_sentences("\n".join(seen.hover)) == [], english_sentences("\n".join(seen.hover))
    for label in ("Con atraso al 10 dic 2026", "First images: 0%, debajo de la calificación aprobatoria",
                  "Prompts: sin entregar", "2/9 terminaron todos los niveles obligatorios", "Avance por equipo",
                  "Sin equipo (", "Participante", "Equipo", "Vencido y sin aprobar", "Días de atraso (máx.)"):
        assert label in text, label
    assert "Behind the schedule" not in text and "No team" not in text and "Dec" not in text

    from openpyxl import load_workbook

    wb = load_workbook(out / "progress.xlsx")
    assert wb.sheetnames == ["Resumen", "Avance", "Mapa de calor", "Con atraso"]
    summary = {row[0]: row[1] for row in wb["Resumen"].iter_rows(min_row=4, max_col=2, values_only=True) if row[0]}
    assert summary["Participantes"] == 9 and summary["Terminaron todos los niveles obligatorios"] == 2
    assert summary["Con atraso"] == 7 and summary["Aprobado"] == 8
    header = [c.value for c in wb["Avance"][1]]
    assert header[:3] == ["id_participante", "participante", "nombre"] and "resultado" in header
    heat = wb["Mapa de calor"]
    cols = [c.value for c in heat[1]]
    assert cols[:2] == ["Participante", "Equipo"] and cols[-1] == "Aprobados"
    rows = {heat.cell(row=i, column=1).value: i for i in range(2, heat.max_row + 1)}
    assert heat.cell(row=rows["Daniela Díaz"], column=cols.index(A1) + 1).value == "sin entregar"
    sheet_text = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert english_sentences("\n".join(sheet_text)) == [], english_sentences("\n".join(sheet_text))
    # The CSV keeps its English columns and words.
    with (out / "progress.csv").open(encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(fh))
    assert list(first) == list(dm.FIELDS)


def _figure_texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]


def test_figures_speak_the_dashboard_language(setup):
    course, programme = setup
    progress, prog = gbm.load_progress(course), load_programme(programme)
    es = dm.build_dashboard(progress, prog, as_of=AS_OF, lang="es")
    en = dm.build_dashboard(progress, prog, as_of=AS_OF)
    figs_es = [figures.heatmap_figure(es)[0], figures.bars_figure(es, "team"), figures.bars_figure(es, "level"),
               figures.histogram_figure(es), figures.snapshot_figure(es)]
    texts = [s for fig in figs_es for s in _figure_texts(fig)]
    joined = "\n".join(texts)
    assert english_sentences(joined) == [], english_sentences(joined)
    for label in ("Avance por equipo", "Avance por nivel", "Distribución de calificaciones", "aprobado", "no aprobado",
                  "sin entregar", "Avance del curso", "Con atraso", "aprobatoria 70%"):
        assert any(label in s for s in texts), label
    assert not any(re.search(r"\bpassed\b|\bdue\b|Completion|not started", s) for s in texts)
    english = [s for fig in (figures.heatmap_figure(en)[0], figures.snapshot_figure(en)) for s in _figure_texts(fig)]
    assert any("Completion by team" in s for s in english) and any("passed" in s for s in english)


def test_english_when_asked_or_when_the_programme_says_so(setup, course, tmp_path):
    course2, programme = setup  # its programme.toml says language = "en"
    _run(["--course", str(course2), "--programme", str(programme), "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "p")])
    seen = _read((tmp_path / "p" / "progress.html").read_text(encoding="utf-8"))
    assert seen.lang == "en" and "Who is where" in _flat(seen.text)
    _run(["--course", str(course), "--out", str(tmp_path / "e"), "--lang", "en"])
    seen = _read((tmp_path / "e" / "progress.html").read_text(encoding="utf-8"))
    text = _flat(seen.text)
    assert seen.lang == "en"
    assert "6 of 7 learners have submitted 01_first_images" in text and "Course progress" in text
    assert "Generative image & video AI" in text and "Avance" not in text
    # A programme in Spanish gives Spanish without --lang; --lang wins over it.
    spanish = tmp_path / "programme-es.toml"
    spanish.write_text(programme.read_text(encoding="utf-8").replace('language = "en"', 'language = "es"'), encoding="utf-8")
    _run(["--course", str(course2), "--programme", str(spanish), "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "s")])
    assert _read((tmp_path / "s" / "progress.html").read_text(encoding="utf-8")).lang == "es"
    _run(["--course", str(course2), "--programme", str(spanish), "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "s2"),
          "--lang", "en"])
    assert _read((tmp_path / "s2" / "progress.html").read_text(encoding="utf-8")).lang == "en"
