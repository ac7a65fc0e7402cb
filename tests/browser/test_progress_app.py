"""apps/progress.py: the managers' read-only progress page, started as `genlab demo progress` starts it,
driven in headless Chromium and through gradio_client."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from app_helpers import browser, launch_app, page, page_es, screenshot_path, spanish  # noqa: F401  (pytest fixtures)
from PIL import Image

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

from course_builders import AS_OF, build_programme_course  # noqa: E402

from genlab.course.progress import pseudonyms as ps  # noqa: E402
from genlab.course.progress import states as st  # noqa: E402
from genlab.ui import progress_page  # noqa: E402

ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}

HEATMAP_LOADED = """() => {
    const img = document.querySelector('#heatmap img');
    return img !== null && img.complete && img.naturalWidth > 0;
}"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("progress-app")
    return build_programme_course(base / "exercises", base / "workshops")


@pytest.fixture(scope="module")
def app(course):
    root, programme = course
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENLAB_COURSE", str(root))
        mp.setenv("GENLAB_PROGRAMME", str(programme))
        mp.setenv("GENLAB_AS_OF", AS_OF.isoformat())
        mp.delenv("GENLAB_PSEUDONYMISE", raising=False)
        mp.delenv("GENLAB_GRADEBOOK", raising=False)
        with launch_app("progress") as running:
            yield running


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _count(pixels: np.ndarray, hex_colour: str) -> int:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels - rgb).max(axis=1) <= 3).sum())


@pytest.mark.browser
def test_page_shows_heatmap_bars_and_tables(app, page, tmp_path, course):
    gradebook = course[0] / "gradebook.db"
    before = _digest(gradebook)
    page.goto(app.url)
    page.wait_for_function(HEATMAP_LOADED, timeout=60_000)
    page.get_by_text("Carla Cruz").first.wait_for(state="visible", timeout=30_000)
    heat = page.locator("#heatmap img")
    assert heat.is_visible()
    box = heat.bounding_box()
    assert box["width"] > 600 and box["height"] > 250
    for elem in ("#by-team img", "#by-level img", "#scores img"):
        page.locator(elem).wait_for(state="visible", timeout=30_000)
    assert "2/9" in page.locator("#kpis").inner_text()
    assert "First images: 0%" in page.locator("#behind").inner_text()

    shot = screenshot_path(tmp_path, "progress-app.png")
    page.screenshot(path=str(shot), full_page=True)
    crop = screenshot_path(tmp_path, "progress-app-heatmap.png")
    heat.screenshot(path=str(crop))
    pixels = np.asarray(Image.open(crop).convert("RGB")).reshape(-1, 3).astype(int)
    # Not started (Daniela's and Hugo's rows) and a graded 0 (Carla) are both drawn, in different colours.
    assert _count(pixels, st.COLOURS[st.NOT_STARTED]) > 2000
    assert _count(pixels, st.COLOURS[st.BELOW]) > 500
    assert _count(pixels, st.COLOURS[st.PASSED]) > 500

    # Read-only: no button on the page does anything to grades; loading it changed nothing.
    names = [n.strip() for n in page.get_by_role("button").all_inner_texts() if n.strip()]
    assert set(names) <= {"Use via API", "Settings"}, names
    page.locator("#learners").get_by_text("90% (passed)").last.dblclick()  # an editable table would open an editor
    assert page.locator("#learners input:visible, #behind input:visible, textarea:visible, [contenteditable=true]").count() == 0
    assert _digest(gradebook) == before


def test_app_has_no_way_to_change_anything(app):
    import gradio as gr

    demo = app.demo
    kinds = {type(b).__name__ for b in demo.blocks.values()}
    assert not kinds & {"Button", "UploadButton", "Textbox", "Number", "Slider", "File", "Checkbox", "Dropdown"}
    for block in demo.blocks.values():
        if isinstance(block, (gr.Image, gr.Dataframe)):
            assert block.interactive is False
    triggers = [t for dep in demo.config["dependencies"] for t in dep["targets"]]
    assert [t[1] for t in triggers] == ["load"]


def test_client_reads_fresh_numbers_and_pseudonymises(app, course, monkeypatch):
    client = app.client(headers=ENGLISH)
    result = client.predict(api_name="/progress")
    text = json.dumps(result, ensure_ascii=False)
    assert "Imagen y video generativos para diseño" in text and "Carla Cruz" in text

    monkeypatch.setenv("GENLAB_PSEUDONYMISE", "1")
    monkeypatch.setenv(ps.SALT_ENV, "app-test-salt")
    result = client.predict(api_name="/progress")
    text = json.dumps(result, ensure_ascii=False)
    assert "learners pseudonymised" in text
    for secret in ("Carla", "Cruz", "Daniela", "José", "Núñez", "example.mx"):
        assert secret not in text
    assert ps.pseudonym("carla", "app-test-salt") in text
    spanish_text = json.dumps(app.client(**spanish()).predict(api_name="/progress"), ensure_ascii=False)
    assert "participantes con seudónimo" in spanish_text and "Carla" not in spanish_text


def test_missing_gradebook_is_a_message(app, tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_COURSE", str(tmp_path))
    header, *_ = app.client(headers=ENGLISH).predict(api_name="/progress")
    assert f"There is no gradebook at {tmp_path / 'gradebook.db'}" in header
    header, *_ = app.client(**spanish()).predict(api_name="/progress")
    assert f"Todavía no hay libro de calificaciones en {tmp_path / 'gradebook.db'}" in header
    assert not (tmp_path / "gradebook.db").exists()


# ---- the page in the reader's language ---------------------------------------------------------
SPANISH_PAGE = ("Avance del curso · ", "Calendario revisado al 10 dic 2026", "terminaron todos los niveles obligatorios",
                "Participante", "Vencido y sin aprobar", "Días de atraso (máx.)", "90% (aprobado)", "sin entregar")
ENGLISH_PAGE = ("Course progress · ", "Schedule checked on 10 Dec 2026", "completed every required level",
                "Learner", "Due and not passed", "Most days late", "90% (passed)", "not started")


def _page_words(result) -> str:
    header, kpis, *_, behind, grid = result
    frames = [f for f in (behind, grid) if f is not None]
    cells = [str(v) for f in frames for v in [*f.columns, *f.to_numpy().ravel()]]
    return "\n".join([header, kpis, *cells])


@pytest.fixture
def course_env(course, monkeypatch):
    root, programme = course
    monkeypatch.setenv("GENLAB_COURSE", str(root))
    monkeypatch.setenv("GENLAB_PROGRAMME", str(programme))
    monkeypatch.setenv("GENLAB_AS_OF", AS_OF.isoformat())
    monkeypatch.delenv("GENLAB_PSEUDONYMISE", raising=False)
    monkeypatch.delenv("GENLAB_GRADEBOOK", raising=False)
    return course


@pytest.mark.parametrize("lang, words, other", [("es", SPANISH_PAGE, ENGLISH_PAGE), ("en", ENGLISH_PAGE, SPANISH_PAGE)])
def test_page_text_is_in_the_readers_language(course_env, lang, words, other):
    text = _page_words(progress_page.page(lang))
    for w in words:
        assert w in text, (w, text)
    for w in other[:6]:
        assert w not in text, (w, text)


def test_the_language_comes_from_the_browser_else_genlab_lang_else_spanish(monkeypatch):
    class Request:
        def __init__(self, header=None):
            self.headers = {"accept-language": header} if header else {}

    monkeypatch.delenv("GENLAB_LANG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    for name in ("GENLAB_DEFAULT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert progress_page.page_language(Request("es-MX,es;q=0.9")) == "es"
    assert progress_page.page_language(Request("en-US,en;q=0.9")) == "en"
    assert progress_page.page_language(Request()) == "es"
    monkeypatch.setenv("GENLAB_LANG", "en")
    assert progress_page.page_language(Request()) == "en"
    assert progress_page.page_language(Request("es-MX")) == "es"


@pytest.mark.browser
def test_spanish_browser_reads_a_spanish_page(app, page_es):
    page_es.goto(app.url)
    page_es.wait_for_function(HEATMAP_LOADED, timeout=60_000)
    page_es.get_by_text("Carla Cruz").first.wait_for(state="visible", timeout=30_000)
    shown = page_es.locator("body").inner_text()
    for words in ("Avance del curso", "Dónde va cada quien", "Con atraso", "Cada participante y cada ejercicio",
                  "Solo lectura", "terminaron todos los niveles obligatorios", "Vencido y sin aprobar", "90% (aprobado)"):
        assert words in shown, words
    for words in ("Course progress", "Who is where", "Behind the schedule", "Read-only", "Due and not passed", "(passed)"):
        assert words not in shown, words


@pytest.mark.browser
def test_english_browser_reads_an_english_page(app, page):
    page.goto(app.url)
    page.wait_for_function(HEATMAP_LOADED, timeout=60_000)
    page.get_by_text("Carla Cruz").first.wait_for(state="visible", timeout=30_000)
    shown = page.locator("body").inner_text()
    for words in ("Course progress", "Who is where", "Behind the schedule", "Every learner and assignment", "Read-only",
                  "completed every required level", "Due and not passed"):
        assert words in shown, words
    for words in ("Avance del curso", "Dónde va cada quien", "Solo lectura", "Participante"):
        assert words not in shown, words
