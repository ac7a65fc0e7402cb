"""The Studio in a real browser: what a designer sees and clicks, in English and in Spanish.

Headless Debian Chromium through Playwright (see app_helpers). Every test ends by asserting, with
Playwright's `expect`, what the person sees: the picture loaded at its size, the recipe and seed
shown, the message in their language. Set GENLAB_SCREENSHOTS to a folder to keep the
screenshots; otherwise they go to pytest's tmp_path.
"""

from __future__ import annotations

import io
import re

import pytest
from app_helpers import (  # noqa: F401  (browser, page, page_es: pytest fixtures)
    MODEL_TIMEOUT_MS,
    app_server,
    browser,
    expect_message,
    page,
    page_es,
    screenshot_path,
    set_number,
    wait_until,
)
from PIL import Image
from playwright.sync_api import expect

import genlab

pytestmark = [pytest.mark.slow, pytest.mark.browser]

studio = app_server("studio")

PICTURE_PX = 128  # the tiny profile's size


def first_result(page):
    return page.locator("#output img").first


def white_share(png: bytes) -> float:
    """How much of a screenshot is (nearly) white."""
    grey = Image.open(io.BytesIO(png)).convert("L")
    return sum(grey.histogram()[245:]) / (grey.width * grey.height)


def make_a_picture(page, url: str, prompt: str, seed: int, steps: int):
    """Open the Studio, type a prompt and a seed, set the steps, press Generate, and see the picture load."""
    page.goto(url)
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_label("Seed", exact=True).fill(str(seed))
    set_number(page, "steps", steps)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(first_result(page)).to_have_js_property("naturalWidth", PICTURE_PX, timeout=MODEL_TIMEOUT_MS)


def test_empty_prompt_shows_a_plain_message(studio, page, tmp_path):
    page.goto(studio.url)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect_message(page, "Write a prompt first: describe the picture you want")
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-error.png")))
    expect(page.locator("#seed-used")).to_be_hidden()  # no 'Seed used' before a picture exists
    expect(page.locator("#output img")).to_have_count(0)


def test_type_prompt_generate_and_see_the_picture(studio, page, tmp_path):
    make_a_picture(page, studio.url, "a red circle on a blue background", seed=42, steps=4)

    # The file the browser shows (and downloads) is the PNG with its recipe inside.
    response = page.request.get(first_result(page).get_attribute("src"))
    assert response.ok
    picture = Image.open(io.BytesIO(response.body()))
    assert picture.format == "PNG" and picture.size == (PICTURE_PX, PICTURE_PX) and {"parameters", "genlab"} <= set(picture.text)
    recipe = genlab.read_recipe(picture)
    assert (recipe.prompt, recipe.seed, recipe.steps) == ("a red circle on a blue background", 42, 4)

    expect(page.locator("#seed-used input")).to_have_value("42")
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"^a red circle on a blue background\n.*Seed: 42,", re.S))
    expect(page.locator("#history img")).to_have_count(1)
    expect(page.locator("#history img").first).to_have_js_property("naturalWidth", PICTURE_PX)
    shot = screenshot_path(tmp_path, "studio.png")
    page.screenshot(path=str(shot), full_page=True)
    assert Image.open(shot).size[0] == 1280

    # Clicking a picture in the history brings its settings back into the controls.
    page.get_by_label("Prompt", exact=True).fill("something else")
    page.get_by_label("Seed", exact=True).fill("7")
    page.locator("#history img").first.click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a red circle on a blue background")
    expect(page.get_by_label("Seed", exact=True)).to_have_value("42")

    # "Use in Image to image" opens that tab with the picture in it; changing it makes a new PNG.
    page.get_by_role("button", name="Use in Image to image").click()
    expect(page.get_by_role("tab", name="Image to image", selected=True)).to_be_visible()
    expect(page.locator("#source img")).to_have_js_property("naturalWidth", PICTURE_PX)
    page.get_by_role("button", name="Change the picture").click()
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"Denoising strength: 0\.6"), timeout=MODEL_TIMEOUT_MS)
    expect(first_result(page)).to_have_js_property("naturalWidth", PICTURE_PX)
    expect(page.locator("#history img")).to_have_count(2)  # newest first: the changed picture, then the first
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-img2img.png")), full_page=True)


def test_the_sampler_note_says_what_it_does_and_warns_below_its_steps(studio, page, tmp_path):
    page.goto(studio.url)
    expect(page.get_by_text("Fast and sharp in 20-25 steps")).to_be_visible()  # the default, DPM++ 2M
    sampler = page.get_by_label("Sampler", exact=True)
    sampler.click()
    page.get_by_role("option", name="LMS", exact=True).click()
    warning = page.get_by_text("LMS needs about 40 steps for a clean picture; at 20 it may stay grainy")
    expect(warning).to_be_visible()
    expect(page.get_by_text("Linear multistep")).to_be_visible()
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-sampler-note.png")), full_page=True)
    set_number(page, "steps", 40)
    expect(warning).to_have_count(0)
    expect(page.get_by_text("Linear multistep")).to_be_visible()


def test_xy_grid_in_the_browser(studio, page, tmp_path):
    page.goto(studio.url)
    page.get_by_label("Prompt", exact=True).fill("a yellow star on a black background")
    set_number(page, "steps", 2)
    page.get_by_role("tab", name="X/Y grid").click()
    page.get_by_role("button", name="Make the grid").click()
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"Seed: 1,"), timeout=MODEL_TIMEOUT_MS)
    # The contact sheet opens large: 3 guidance values across, 2 seeds down, with room for labels.
    sheet = first_result(page)
    expect(sheet).to_have_js_property("complete", True)
    width, height = sheet.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width > 3 * PICTURE_PX and height > 2 * PICTURE_PX, (width, height)
    expect(page.locator("#output")).to_contain_text("X/Y grid: Guidance × Seed")
    expect(page.locator("#history img")).to_have_count(7)  # the sheet and its six cells
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-grid.png")), full_page=True)


def test_spanish_browser_sees_spanish_labels_and_messages(studio, page_es, tmp_path):
    page_es.goto(studio.url)
    for label in (
        page_es.get_by_role("button", name="Generar", exact=True),
        page_es.get_by_label("Semilla", exact=True),
        page_es.get_by_role("tab", name="Texto a imagen"),
        page_es.get_by_role("tab", name="Retocar (inpainting)"),
        page_es.get_by_text("Crea imágenes a partir de palabras"),
        page_es.get_by_text("Rápido y nítido en 20-25 pasos"),  # the sampler note
    ):
        expect(label).to_be_visible()
    expect(page_es.get_by_role("button", name="Generate", exact=True)).to_have_count(0)
    page_es.get_by_role("button", name="Generar", exact=True).click()
    expect_message(page_es, "Primero escribe un prompt: describe la imagen que quieres")
    page_es.screenshot(path=str(screenshot_path(tmp_path, "studio-es.png")))  # the viewport: the message shows at its top
    expect(page_es.get_by_text("Write a prompt first")).to_have_count(0)


def test_send_a_picture_to_inpaint_paint_over_it_and_repaint(studio, page, tmp_path):
    make_a_picture(page, studio.url, "a blue square on a white background", seed=8, steps=3)
    page.get_by_role("button", name="Use in Inpaint").click()
    expect(page.get_by_role("tab", name="Inpaint", selected=True)).to_be_visible()
    canvas = page.locator("#editor canvas").first
    expect(canvas).to_be_visible()
    # Paint only once the editor shows the picture (an empty editor is nearly all white).
    wait_until(lambda: white_share(canvas.screenshot()) < 0.8, timeout=30, what="the picture in the inpaint editor")
    box = canvas.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 40, cy)
    page.mouse.down()
    for dx in range(-40, 41, 8):  # a brush stroke across the middle
        page.mouse.move(cx + dx, cy + dx / 4)
    page.mouse.up()
    page.get_by_role("button", name="Repaint the painted part").click()
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"Denoising strength: 0\.9"), timeout=MODEL_TIMEOUT_MS)
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"^a blue square on a white background\n.*Seed: 8,", re.S))
    expect(first_result(page)).to_have_js_property("naturalWidth", PICTURE_PX)
    expect(page.locator("#history img")).to_have_count(2)
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-inpaint.png")), full_page=True)


# ---- the Composition tab -----------------------------------------------------------------------
def draw_a_circle(page, canvas, radius_share: float = 0.22):
    """Draw a circle's outline with the mouse, left of the page's middle, as a designer sketches."""
    import math

    canvas.scroll_into_view_if_needed()  # the mouse draws in the viewport: the page must be in sight
    box = canvas.bounding_box()
    cx, cy = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45
    r = min(box["width"], box["height"]) * radius_share
    page.mouse.move(cx + r, cy)
    page.mouse.down()
    for i in range(1, 41):
        a = 2 * math.pi * i / 40
        page.mouse.move(cx + r * math.cos(a), cy + r * math.sin(a))
    page.mouse.up()


FIRST_LOAD_TIMEOUT_MS = 3 * MODEL_TIMEOUT_MS  # the ControlNet and the inpainting pipeline load on their first use


def test_composition_tab_in_spanish_draw_generate_and_finish(studio, page_es, tmp_path):
    page = page_es
    page.goto(studio.url)
    page.get_by_label("Prompt (descripción)", exact=True).fill("a red circle on a blue background")
    page.get_by_label("Semilla", exact=True).fill("12")
    set_number(page, "steps", 3)
    page.get_by_role("tab", name="Composición").click()
    for label in (
        page.get_by_text("Dibuja dónde va cada cosa"),
        page.get_by_label("Tipo de dibujo"),
        page.get_by_text("Fuerza del dibujo"),
        page.get_by_text("Empieza a guiar en"),
        page.get_by_text("Deja de guiar en"),
        page.get_by_role("button", name="Generar a partir del dibujo"),
        page.get_by_role("button", name="Ampliar el lienzo"),
        page.get_by_role("button", name="Agrandar la imagen"),
    ):
        expect(label).to_be_visible()
    expect(page.get_by_label("Tipo de dibujo")).to_have_value("Contorno (boceto)")
    expect(page.get_by_text("Hires fix")).to_have_count(0)  # the tiny model has none: no checkbox

    # An empty page is a plain message in Spanish, and nothing breaks.
    page.get_by_role("button", name="Generar a partir del dibujo").click()
    expect_message(page, "está vacío: dibuja el contorno o la caja")

    canvas = page.locator("#drawing canvas").first
    expect(canvas).to_be_visible()
    draw_a_circle(page, canvas)
    page.get_by_role("button", name="Generar a partir del dibujo").click()
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"ControlNet 0: \"Module: none, Model: tiny-shapes-controlnet"),
                                                           timeout=FIRST_LOAD_TIMEOUT_MS)
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"^a red circle on a blue background\n.*Seed: 12,", re.S))
    expect(first_result(page)).to_have_js_property("naturalWidth", PICTURE_PX)
    # The result becomes the picture to finish, and the new area's words come from its prompt.
    expect(page.locator("#finish-source img")).to_have_js_property("naturalWidth", PICTURE_PX)
    expect(page.locator("#outpaint-prompt textarea")).to_have_value("a blue background")
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-composition-es.png")), full_page=True)

    page.get_by_role("button", name="Ampliar el lienzo").click()
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"Size: 224x126"), timeout=FIRST_LOAD_TIMEOUT_MS)
    expect(first_result(page)).to_have_js_property("naturalWidth", 224)
    expect(page.locator("#output")).to_contain_text("Ampliada a 16:9")
    page.get_by_role("button", name="Agrandar la imagen").click()
    expect(page.locator("#recipe textarea")).to_have_value(re.compile(r"Size: 448x252"), timeout=MODEL_TIMEOUT_MS)
    expect(first_result(page)).to_have_js_property("naturalWidth", 448)
    expect(page.locator("#history img")).to_have_count(3)
    page.screenshot(path=str(screenshot_path(tmp_path, "studio-composition-finished-es.png")), full_page=True)
