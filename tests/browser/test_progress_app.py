"""apps/progress.py: the managers' read-only progress page, started as `genlab demo progress` starts it,
driven in headless Chromium and through gradio_client."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from app_helpers import browser, launch_app, page, screenshot_path  # noqa: F401  (pytest fixtures)
from PIL import Image

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

from course_builders import AS_OF, build_programme_course  # noqa: E402

from genlab.course.progress import pseudonyms as ps  # noqa: E402
from genlab.course.progress import states as st  # noqa: E402

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
    client = app.client()
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


def test_missing_gradebook_is_a_message(app, tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_COURSE", str(tmp_path))
    header, *_ = app.client().predict(api_name="/progress")
    assert "no gradebook at" in header
    assert not (tmp_path / "gradebook.db").exists()
