"""progress.html in a real browser (headless Debian Chromium through Playwright; see app_helpers).

Set GENLAB_SCREENSHOTS to a folder to keep the screenshots."""

from __future__ import annotations

import json

import numpy as np
import pytest
from app_helpers import browser, page, screenshot_path  # noqa: F401  (pytest fixtures)
from PIL import Image
from playwright.sync_api import expect

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

from course_builders import A1, AS_OF, BIG_AS_OF, BIG_LEVELS, BIG_TITLES, build_big_course, build_programme_course  # noqa: E402

from genlab.course.progress import figures  # noqa: E402
from genlab.course.progress import states as st  # noqa: E402
from genlab.course.progress import report  # noqa: E402

IMAGES_LOADED = """() => [...document.images].length > 0 &&
    [...document.images].every(i => i.complete && i.naturalWidth > 0)"""


def _report_html(base, build, as_of):
    """`genlab report` on the course ``build(exercises, workshops)`` makes; its progress.html."""
    course, programme = build(base / "exercises", base / "workshops")
    out = base / "reports"
    assert report.main(["--course", str(course), "--programme", str(programme), "--as-of", as_of.isoformat(), "--out", str(out)]) == 0
    return out / "progress.html"


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    return _report_html(tmp_path_factory.mktemp("dash-browser"), build_programme_course, AS_OF)


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def test_heatmap_is_visible_and_not_started_differs_from_zero(html, page, tmp_path):
    page.goto(html.as_uri())
    page.wait_for_function(IMAGES_LOADED, timeout=30_000)
    heat = page.locator("#heatmap")
    expect(heat).to_be_visible()
    assert heat.evaluate("i => i.naturalWidth") > 1000
    box = heat.bounding_box()
    assert box["width"] > 600 and box["height"] > 300
    assert box["y"] < 900, "the heatmap is on the first screen"

    shot = screenshot_path(tmp_path, "dashboard.png")
    page.screenshot(path=str(shot), full_page=True)
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)

    x0, y0, x1, y1 = (float(v) for v in heat.get_attribute("data-grid").split())
    learners = json.loads(heat.get_attribute("data-learners"))
    assignments = json.loads(heat.get_attribute("data-assignments"))
    geo = figures.Geometry(x0, y0, x1, y1, learners, assignments)
    scroll_y = page.evaluate("window.scrollY")

    def colour(learner, assignment):
        cx0, cy0, cx1, cy1 = geo.cell_box(learner, assignment)
        x = box["x"] + (cx0 + 0.15 * (cx1 - cx0)) * box["width"]
        y = box["y"] + scroll_y + (cy0 + cy1) / 2 * box["height"]
        return img[int(y), int(x)]

    never, zero, full = colour("dani", A1), colour("carla", A1), colour("jose", A1)
    assert np.abs(never - _rgb(st.COLOURS[st.NOT_STARTED])).max() <= 3, never
    assert np.abs(zero - _rgb(st.COLOURS[st.BELOW])).max() <= 3, zero
    assert np.abs(full - _rgb(st.COLOURS[st.PASSED])).max() <= 3, full
    assert np.abs(never - zero).max() > 60, "a never-started cell must not look like a score of 0"


def test_charts_tables_and_learner_table_render(html, page, tmp_path):
    page.set_viewport_size({"width": 1300, "height": 1000})
    page.goto(html.as_uri())
    page.wait_for_function(IMAGES_LOADED, timeout=30_000)
    for elem in ("#by-team", "#by-level", "#scores"):
        expect(page.locator(elem)).to_be_visible()
    behind = page.locator("table.behind")
    behind.scroll_into_view_if_needed()
    assert behind.locator("tr[data-behind]").count() == 7
    assert "First images: 0%, under the pass mark" in behind.locator("tr[data-behind='carla']").inner_text()
    # The learner table keeps its colours: the graded bar green, the manual-grading amber.
    table = page.locator("table.progress").last
    table.scroll_into_view_if_needed()
    shot = screenshot_path(tmp_path, "dashboard-table.png")
    table.screenshot(path=str(shot))
    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3)
    for rgb in ((0x16, 0xA3, 0x4A), (0xD9, 0x77, 0x06)):
        assert (pixels == np.array(rgb)).all(axis=1).any(), rgb
    assert page.locator("tr[data-learner='dani'] td").first.get_attribute("data-status") == "not started"


@pytest.fixture(scope="module")
def big_html(tmp_path_factory):
    """progress.html for twelve levels with long names and forty learners."""
    return _report_html(tmp_path_factory.mktemp("dash-big"), build_big_course, BIG_AS_OF)


LABELS = """sel => [...document.querySelectorAll(sel)].map(e => ({
    text: e.innerText, title: e.getAttribute('title'), scroll: e.scrollWidth, client: e.clientWidth,
    lines: Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)),
    overflow: getComputedStyle(e).textOverflow, clip: getComputedStyle(e).overflow}))"""


@pytest.mark.parametrize("width", [1300, 900])
def test_long_level_names_wrap_whole_with_the_full_name_on_hover(big_html, page, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(big_html.as_uri())
    page.wait_for_function(IMAGES_LOADED, timeout=30_000)
    chart = page.locator("#by-level")
    expect(chart).to_be_visible()
    labels = page.evaluate(LABELS, "#by-level .bar-label")
    assert [lab["title"] for lab in labels] == [name for _, name in BIG_LEVELS]
    for lab in labels:
        assert " ".join(lab["text"].split()) == lab["title"], lab  # the whole name is shown, not cut
        assert lab["scroll"] <= lab["client"], lab  # nothing hidden past the box
        assert lab["overflow"] != "ellipsis"
    assert any(lab["lines"] >= 2 for lab in labels), "long names wrap"
    # Each row: label, bar and note side by side, none over another; the bars equally long.
    bars = []
    for row in page.locator("#by-level .bar-row").all():
        label, bar, note = (row.locator(sel).bounding_box() for sel in (".bar-label", ".stack", ".bar-note"))
        assert label["x"] + label["width"] <= bar["x"] + 0.5 and bar["x"] + bar["width"] <= note["x"] + 0.5
        bars.append((round(bar["x"]), round(bar["width"])))
    assert len(set(bars)) == 1, bars
    # A share written on a bar segment fits inside it.
    for seg in page.evaluate(LABELS, "#by-level .stack .fill"):
        assert seg["scroll"] <= seg["client"], seg
    # The heatmap picture: its column and level titles carry the full text on hover (image map).
    areas = page.locator("map#heatmap-labels area")
    titles = [a.get_attribute("title") for a in areas.all()]
    assert sorted(titles) == sorted(BIG_TITLES + [name for _, name in BIG_LEVELS])
    heat = page.locator("#heatmap")
    assert heat.get_attribute("usemap") == "#heatmap-labels"
    # shown at its own size (scrolling sideways if need be), so the areas sit on their titles
    assert heat.evaluate("i => i.clientWidth") == int(heat.get_attribute("width"))
    chart.scroll_into_view_if_needed()
    shot = screenshot_path(tmp_path, f"dashboard-big-levels-{width}.png")
    chart.screenshot(path=str(shot))
    page.screenshot(path=str(screenshot_path(tmp_path, f"dashboard-big-{width}.png")), full_page=True)
