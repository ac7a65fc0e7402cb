"""The Studio in a real browser: what a designer sees and clicks.

Headless Debian Chromium through Playwright (see app_helpers). Set GENLAB_SCREENSHOTS to a
folder to keep the screenshots; otherwise they go to pytest's tmp_path.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from app_helpers import app_server, browser, page  # noqa: F401  (pytest fixtures)
from PIL import Image

import genlab

pytestmark = [pytest.mark.slow, pytest.mark.browser]

studio = app_server("studio")

IMAGE_LOADED = """() => {
    const img = document.querySelector('#output img');
    return img !== null && img.complete && img.naturalWidth > 0;
}"""


def screenshot_path(tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("GENLAB_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def test_empty_prompt_shows_a_plain_message(studio, page, tmp_path):
    page.goto(studio.url)
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text("Write a prompt first").first.wait_for(state="visible", timeout=30_000)
    assert not page.locator("#seed-used").is_visible(), "no 'Seed used' before a picture exists"
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-error.png")))


def test_type_prompt_generate_and_see_the_picture(studio, page, tmp_path):
    page.goto(studio.url)
    page.get_by_label("Prompt", exact=True).fill("a red circle on a blue background")
    page.get_by_label("Seed", exact=True).fill("42")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_function(IMAGE_LOADED, timeout=90_000)

    img = page.locator("#output img")
    assert img.evaluate("i => i.naturalWidth") == 128
    # The file the browser shows (and downloads) is the PNG with its recipe inside.
    response = page.request.get(img.get_attribute("src"))
    assert response.ok
    picture = Image.open(io.BytesIO(response.body()))
    assert picture.format == "PNG" and {"parameters", "genlab"} <= set(picture.text)
    recipe = genlab.read_recipe(picture)
    assert (recipe.prompt, recipe.seed) == ("a red circle on a blue background", 42)

    page.locator("#seed-used input").wait_for(state="visible", timeout=30_000)
    assert page.locator("#seed-used input").input_value() == "42"
    assert "Seed: 42" in page.locator("#recipe textarea").input_value()
    page.locator("#history img").first.wait_for(state="visible", timeout=30_000)
    assert page.locator("#history img").count() == 1

    shot = screenshot_path(tmp_path, "studio.png")
    page.screenshot(path=str(shot), full_page=True)
    assert Image.open(shot).size[0] == 1280
    print(f"screenshot: {shot}")

    # Clicking a picture in the history brings its settings back into the controls.
    page.get_by_label("Prompt", exact=True).fill("something else")
    page.get_by_label("Seed", exact=True).fill("7")
    page.locator("#history img").first.click()
    page.wait_for_function(
        "() => document.querySelector('#prompt textarea').value === 'a red circle on a blue background'", timeout=30_000
    )
    assert page.get_by_label("Seed", exact=True).input_value() == "42"
