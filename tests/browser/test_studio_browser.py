"""The Studio in a real browser: what a designer sees and clicks, in English and in Spanish.

Headless Debian Chromium through Playwright (see app_helpers). Set GENLAB_SCREENSHOTS to a
folder to keep the screenshots; otherwise they go to pytest's tmp_path.
"""

from __future__ import annotations

import io

import pytest
from app_helpers import app_server, browser, page, page_es, screenshot_path  # noqa: F401  (pytest fixtures)
from PIL import Image

import genlab

pytestmark = [pytest.mark.slow, pytest.mark.browser]

studio = app_server("studio")

RESULT_LOADED = """() => {
    const img = document.querySelector('#output img');
    return img !== null && img.complete && img.naturalWidth > 0;
}"""


def set_steps(page, value: int):
    box = page.locator("#steps input[type=number]")
    box.fill(str(value))
    box.press("Enter")


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
    set_steps(page, 4)
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_function(RESULT_LOADED, timeout=90_000)

    img = page.locator("#output img").first
    # The file the browser shows (and downloads) is the PNG with its recipe inside.
    response = page.request.get(img.get_attribute("src"))
    assert response.ok
    picture = Image.open(io.BytesIO(response.body()))
    assert picture.format == "PNG" and picture.size == (128, 128) and {"parameters", "genlab"} <= set(picture.text)
    recipe = genlab.read_recipe(picture)
    assert (recipe.prompt, recipe.seed, recipe.steps) == ("a red circle on a blue background", 42, 4)

    page.locator("#seed-used input").wait_for(state="visible", timeout=30_000)
    assert page.locator("#seed-used input").input_value() == "42"
    assert "Seed: 42" in page.locator("#recipe textarea").input_value()
    page.locator("#history img").first.wait_for(state="visible", timeout=30_000)
    assert page.locator("#history img").count() == 1

    shot = screenshot_path(tmp_path, "studio.png")
    page.screenshot(path=str(shot), full_page=True)
    assert Image.open(shot).size[0] == 1280

    # Clicking a picture in the history brings its settings back into the controls.
    page.get_by_label("Prompt", exact=True).fill("something else")
    page.get_by_label("Seed", exact=True).fill("7")
    page.locator("#history img").first.click()
    page.wait_for_function(
        "() => document.querySelector('#prompt textarea').value === 'a red circle on a blue background'", timeout=30_000
    )
    assert page.get_by_label("Seed", exact=True).input_value() == "42"

    # "Use in Image to image" opens that tab with the picture in it; changing it makes a new PNG.
    page.get_by_role("button", name="Use in Image to image").click()
    page.locator("#source img").wait_for(state="visible", timeout=30_000)
    page.get_by_role("button", name="Change the picture").click()
    page.wait_for_function(
        "() => document.querySelector('#recipe textarea').value.includes('Denoising strength: 0.6')", timeout=90_000
    )
    page.wait_for_function(RESULT_LOADED, timeout=30_000)
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-img2img.png")), full_page=True)


def test_the_sampler_note_says_what_it_does_and_warns_below_its_steps(studio, page, tmp_path):
    page.goto(studio.url)
    page.get_by_text("Fast and sharp in 20-25 steps").wait_for(state="visible", timeout=30_000)  # the default, DPM++ 2M
    sampler = page.get_by_label("Sampler", exact=True)
    sampler.click()
    page.get_by_role("option", name="LMS", exact=True).click()
    warning = page.get_by_text("LMS needs about 40 steps for a clean picture; at 20 it may stay grainy")
    warning.wait_for(state="visible", timeout=30_000)
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-sampler-note.png")), full_page=True)
    set_steps(page, 40)
    warning.wait_for(state="detached", timeout=30_000)
    assert page.get_by_text("Linear multistep").is_visible()


def test_xy_grid_in_the_browser(studio, page, tmp_path):
    page.goto(studio.url)
    page.get_by_label("Prompt", exact=True).fill("a yellow star on a black background")
    set_steps(page, 2)
    page.get_by_role("tab", name="X/Y grid").click()
    page.get_by_role("button", name="Make the grid").click()
    page.wait_for_function(RESULT_LOADED, timeout=120_000)
    page.wait_for_function("() => document.querySelector('#recipe textarea').value.includes('Seed: 1')", timeout=30_000)
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-grid.png")), full_page=True)


def test_spanish_browser_sees_spanish_labels_and_messages(studio, page_es, tmp_path):
    page_es.goto(studio.url)
    page_es.get_by_role("button", name="Generar", exact=True).wait_for(state="visible", timeout=30_000)
    for label in (
        page_es.get_by_label("Semilla", exact=True),
        page_es.get_by_role("tab", name="Texto a imagen"),
        page_es.get_by_role("tab", name="Retocar (inpainting)"),
        page_es.get_by_text("Crea imágenes a partir de palabras"),
    ):
        label.wait_for(state="visible", timeout=30_000)
    assert page_es.get_by_role("button", name="Generate", exact=True).count() == 0
    page_es.get_by_role("button", name="Generar", exact=True).click()
    page_es.get_by_text("Primero escribe un prompt").first.wait_for(state="visible", timeout=30_000)
    page_es.get_by_text("Rápido y nítido en 20-25 pasos").wait_for(state="visible", timeout=30_000)  # the sampler note
    page_es.screenshot(path=str(screenshot_path(tmp_path, "studio-es.png")), full_page=True)


def test_send_a_picture_to_inpaint_paint_over_it_and_repaint(studio, page, tmp_path):
    page.goto(studio.url)
    page.get_by_label("Prompt", exact=True).fill("a blue square on a white background")
    page.get_by_label("Seed", exact=True).fill("8")
    set_steps(page, 3)
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_function(RESULT_LOADED, timeout=90_000)
    page.get_by_role("button", name="Use in Inpaint").click()
    page.get_by_role("tab", name="Inpaint", selected=True).wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # the editor draws the picture onto its canvas
    box = page.locator("#editor canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 40, cy)
    page.mouse.down()
    for dx in range(-40, 41, 8):  # a brush stroke across the middle
        page.mouse.move(cx + dx, cy + dx / 4)
    page.mouse.up()
    page.get_by_role("button", name="Repaint the painted part").click()
    page.wait_for_function(
        "() => document.querySelector('#recipe textarea').value.includes('Denoising strength: 0.9')", timeout=90_000
    )
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-inpaint.png")), full_page=True)
