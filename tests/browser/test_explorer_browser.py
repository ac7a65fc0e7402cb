"""The denoising explorer in a real browser: run, see the strip, scrub through the steps.

Every check is Playwright's `expect` on what the person sees (pictures loaded, the step shown)."""

from __future__ import annotations

import re

import pytest
from app_helpers import MODEL_TIMEOUT_MS, app_server, browser, page, screenshot_path, set_number  # noqa: F401  (pytest fixtures)
from playwright.sync_api import expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

explorer_app = app_server("explorer")

PICTURE_PX = 128  # the tiny profile's size


def test_watch_the_steps_and_scrub_back(explorer_app, page, tmp_path):
    page.goto(explorer_app.url)
    page.get_by_label("Prompt", exact=True).fill("a large striped red star on a blue background")
    set_number(page, "steps", 4)
    page.get_by_role("button", name="Show the steps").click()

    # The strip: noise + 4 steps across, one row per guidance scale compared (two rows).
    strip = page.locator("#strip img")
    expect(strip).to_have_js_property("complete", True, timeout=MODEL_TIMEOUT_MS)
    width, height = strip.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width > 5 * 100 and height > 2 * 100, (width, height)
    expect(page.locator("#final img")).to_have_js_property("naturalWidth", PICTURE_PX)
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"Steps: 4,"))
    # The frames open at the last step, A and B side by side.
    expect(page.locator("#step input[type=number]")).to_have_value("4")
    expect(page.locator("#frame-a img")).to_have_attribute("src", re.compile(r"0-004\.png$"))
    expect(page.locator("#frame-b img")).to_have_attribute("src", re.compile(r"1-004\.png$"))
    for frame in ("#frame-a img", "#frame-b img"):
        expect(page.locator(frame)).to_have_js_property("naturalWidth", PICTURE_PX)

    set_number(page, "step", 1)
    expect(page.locator("#frame-a img")).to_have_attribute("src", re.compile(r"0-001\.png$"))
    expect(page.locator("#frame-b img")).to_have_attribute("src", re.compile(r"1-001\.png$"))
    expect(page.locator("#frame-a img")).to_have_js_property("naturalWidth", PICTURE_PX)
    page.screenshot(path=str(screenshot_path(tmp_path, "explorer.png")), full_page=True)
