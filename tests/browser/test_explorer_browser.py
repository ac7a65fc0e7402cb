"""The denoising explorer in a real browser: run, see the strip, scrub through the steps."""

from __future__ import annotations

import pytest
from app_helpers import app_server, browser, page, screenshot_path  # noqa: F401  (pytest fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

explorer_app = app_server("explorer")

LOADED = """(sel) => {
    const img = document.querySelector(sel + ' img');
    return img !== null && img.complete && img.naturalWidth > 0;
}"""


def test_watch_the_steps_and_scrub_back(explorer_app, page, tmp_path):
    page.goto(explorer_app.url)
    page.get_by_label("Prompt", exact=True).fill("a large striped red star on a blue background")
    box = page.locator("#steps input[type=number]")
    box.fill("4")
    box.press("Enter")
    page.get_by_role("button", name="Show the steps").click()
    page.wait_for_function(LOADED, arg="#strip", timeout=120_000)
    for sel in ("#final", "#frame-a", "#frame-b"):
        page.wait_for_function(LOADED, arg=sel, timeout=30_000)
    assert page.locator("#strip img").evaluate("i => i.naturalWidth") > 5 * 100, "noise + 4 steps, two rows"
    last = page.locator("#frame-a img").get_attribute("src")
    assert last.endswith("0-004.png")

    step = page.locator("#step input[type=number]")
    step.fill("1")
    step.press("Enter")
    page.wait_for_function("() => document.querySelector('#frame-a img').src.endsWith('0-001.png')", timeout=30_000)
    assert page.locator("#frame-b img").get_attribute("src").endswith("1-001.png")
    page.screenshot(path=str(screenshot_path(tmp_path, "explorer.png")), full_page=True)
