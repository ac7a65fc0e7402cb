"""The Studio, driven the way trainers script it: gradio_client against the launched app.

Pictures are 128x128 from the tiny profile with few steps, so each request takes about a second.
Nothing here depends on what the picture shows (the shipped model may be a placeholder), except
test_composition_a_drawn_sketch_puts_the_object_where_it_was_drawn, which needs the trained tiny ControlNet.
Bad input in breadth is in test_bad_input.py; room mode in test_room.py.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from app_helpers import app_server, spanish
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from PIL.PngImagePlugin import PngInfo

import genlab
from genlab.core import i18n
from genlab.core.generation import MAX_SEED
from genlab.core.imaging import labelled_grid
from genlab.tiny import control as world_control
from genlab.ui import composition as comp
from genlab.ui import demo as genlab_demo
from genlab.ui import studio as st

studio = app_server("studio")

FAST = dict(steps=3, guidance=7.0, size="128x128", sampler="Euler")


@pytest.fixture(scope="module")
def client(studio):
    return studio.client()


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def first(pictures) -> str:
    return pictures[0]["image"]


# ---- through gradio_client --------------------------------------------------------------------
def test_api_is_named_for_scripting(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/generate", "/img2img", "/inpaint", "/xy_grid", "/read_recipe"} <= set(info), list(info)
    params = {p["parameter_name"]: p for p in info["/generate"]["parameters"]}
    assert list(params)[:5] == ["prompt", "negative_prompt", "seed", "steps", "guidance"]
    assert {"size", "sampler", "batch_count", "style"} <= set(params)
    assert not params["prompt"]["parameter_has_default"]
    assert all(params[n]["parameter_has_default"] for n in params if n != "prompt")
    assert params["seed"]["parameter_default"] == st.RANDOM_SEED
    assert len(info["/generate"]["returns"]) == 3  # pictures, recipe text, seed used (no session state)
    assert {"image", "strength"} <= {p["parameter_name"] for p in info["/img2img"]["parameters"]}
    assert {"editor", "mask", "strength"} <= {p["parameter_name"] for p in info["/inpaint"]["parameters"]}


def test_fixed_seed_recipe_matches_inputs(client):
    pictures, parameters, seed_used = client.predict(
        prompt="a red circle on a blue background",
        negative_prompt="blurry, dark",
        seed=1234,
        steps=3,
        guidance=5.5,
        size="128x128",
        sampler="Euler a",
        batch_count=2,
        api_name="/generate",
    )
    assert len(pictures) == 2
    image = Image.open(first(pictures))
    assert image.format == "PNG" and image.size == (128, 128)
    assert {"parameters", "genlab"} <= set(image.text), "the downloaded PNG lost its recipe chunks"
    recipe = genlab.read_recipe(first(pictures))
    assert (recipe.prompt, recipe.negative_prompt) == ("a red circle on a blue background", "blurry, dark")
    assert (recipe.seed, recipe.steps, recipe.guidance) == (1234, 3, 5.5)
    assert (recipe.width, recipe.height, recipe.sampler) == (128, 128, "Euler a")
    assert recipe.profile == "tiny" and recipe.task == "txt2img"
    assert (recipe.batch_size, recipe.batch_index) == (2, 0)
    second = genlab.read_recipe(pictures[1]["image"])
    assert (second.seed, second.batch_index) == (1235, 1)
    assert seed_used == 1234
    assert parameters == image.text["parameters"] == recipe.to_parameters()
    assert "Negative prompt: blurry, dark" in parameters and "Seed: 1234" in parameters
    assert os.path.basename(first(pictures)) == "1234-a-red-circle-on-a-blue.png"
    assert pictures[0]["caption"].startswith("1234")


def test_same_seed_gives_same_pixels_and_matches_genlab_generate(client):
    one, _, _ = client.predict(prompt="a green square", seed=77, **FAST, api_name="/generate")
    again, _, _ = client.predict(prompt="a green square", seed=77, **FAST, api_name="/generate")
    other, _, _ = client.predict(prompt="a green square", seed=78, **FAST, api_name="/generate")
    assert np.array_equal(pixels(first(one)), pixels(first(again)))
    assert not np.array_equal(pixels(first(one)), pixels(first(other))), "a different seed should give a different picture"
    # The studio's pictures are genlab.regenerate()'s pictures: the recipe alone makes them again.
    remade = genlab.regenerate(first(one))
    assert np.array_equal(pixels(first(one)), np.asarray(remade.image.convert("RGB")))


def test_random_seed_is_reported_and_reproducible(client):
    pictures, parameters, seed_used = client.predict(prompt="a yellow star", seed=st.RANDOM_SEED, **FAST, api_name="/generate")
    assert isinstance(seed_used, int) and 0 <= seed_used <= MAX_SEED
    assert genlab.read_recipe(first(pictures)).seed == seed_used
    assert f"Seed: {seed_used}" in parameters
    again, _, seed_again = client.predict(prompt="a yellow star", seed=seed_used, **FAST, api_name="/generate")
    assert seed_again == seed_used
    assert np.array_equal(pixels(first(pictures)), pixels(first(again)))
    _, _, another = client.predict(prompt="a yellow star", **FAST, api_name="/generate")  # seed left out: random
    assert another != seed_used


def test_style_preset_goes_into_the_recipe(client):
    pictures, parameters, _ = client.predict(
        prompt="a red star on a blue background", style="striped pattern", seed=3, **FAST, api_name="/generate"
    )
    recipe = genlab.read_recipe(first(pictures))
    assert recipe.prompt == "a striped red star on a blue background"
    assert "outlined" in recipe.negative_prompt and "flat" in recipe.negative_prompt
    assert recipe.extra["style"] == "striped pattern" and recipe.extra["words"] == "a red star on a blue background"
    assert parameters.startswith("a striped red star")


def test_image_to_image_crops_scales_and_records_strength(client, tmp_path):
    source = tmp_path / "wide.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(source)
    pictures, parameters, seed = client.predict(
        prompt="a red circle on a blue background", image=handle_file(str(source)), strength=0.5, seed=9, **FAST,
        api_name="/img2img",
    )
    recipe = genlab.read_recipe(first(pictures))
    assert (recipe.task, recipe.strength, recipe.seed) == ("img2img", 0.5, 9)
    assert Image.open(first(pictures)).size == (128, 128)
    assert "Denoising strength: 0.5" in parameters


def _editor(background: str, layers: list[str] = ()) -> dict:
    return {"background": handle_file(background), "layers": [handle_file(x) for x in layers], "composite": handle_file(background)}


def test_inpaint_with_a_painted_layer_and_with_an_uploaded_mask(client, tmp_path):
    picture = tmp_path / "picture.png"
    Image.new("RGB", (128, 128), (20, 20, 200)).save(picture)
    stroke = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    stroke.paste((255, 0, 255, 255), (40, 40, 90, 90))
    stroke.save(tmp_path / "layer.png")
    pictures, _, _ = client.predict(
        prompt="a yellow heart", editor=_editor(str(picture), [str(tmp_path / "layer.png")]), seed=5, **FAST, api_name="/inpaint"
    )
    recipe = genlab.read_recipe(first(pictures))
    assert recipe.task == "inpaint" and recipe.strength == 0.9

    mask = Image.new("L", (128, 128), 0)
    mask.paste(255, (0, 0, 64, 128))
    mask.save(tmp_path / "mask.png")
    pictures, _, _ = client.predict(
        prompt="a yellow heart", editor=_editor(str(picture)), mask=handle_file(str(tmp_path / "mask.png")),
        strength=0.8, seed=5, **FAST, api_name="/inpaint",
    )
    recipe = genlab.read_recipe(first(pictures))
    assert (recipe.task, recipe.strength) == ("inpaint", 0.8)


def test_xy_grid_is_a_labelled_sheet_plus_every_cell_with_its_recipe(client):
    pictures, parameters, seed = client.predict(
        prompt="a blue circle", seed=11, steps=2, x_axis="guidance", x_values="2, 9", y_axis="sampler", y_values="Euler, DDIM",
        api_name="/xy_grid",
    )
    assert len(pictures) == 1 + 4
    grid = Image.open(first(pictures))
    assert grid.width > 2 * 128 and grid.height > 2 * 128, "the sheet has room for its labels"
    assert "Guidance" in pictures[0]["caption"] and "Sampler" in pictures[0]["caption"]
    cells = [genlab.read_recipe(p["image"]) for p in pictures[1:]]
    assert [(c.guidance, c.sampler) for c in cells] == [(2.0, "Euler"), (9.0, "Euler"), (2.0, "DDIM"), (9.0, "DDIM")]
    assert {c.seed for c in cells} == {11} and seed == 11
    assert [p["caption"] for p in pictures[1:3]] == ["Guidance 2 · Sampler Euler", "Guidance 9 · Sampler Euler"]
    assert genlab.read_recipe(first(pictures)).extra["xy_grid"]["x_values"] == [2.0, 9.0]


def test_dropping_a_png_restores_its_settings(client, tmp_path):
    pictures, _, _ = client.predict(
        prompt="a small dotted green heart", negative_prompt="blurry", seed=21, steps=4, guidance=6.5, sampler="DDIM",
        style="flat brand", api_name="/generate",
    )
    values = client.predict(png=handle_file(first(pictures)), api_name="/read_recipe")
    prompt, negative, seed, steps, guidance, size, sampler, style, *_ = values
    assert (prompt, negative, seed, steps, guidance, size, sampler, style) == (
        "a small dotted green heart", "blurry", 21, 4, 6.5, "128x128", "DDIM", "flat brand"
    ), "a styled picture restores the designer's own words and the preset"

    a1111 = tmp_path / "a1111.png"
    info = PngInfo()
    info.add_text("parameters", "a cat astronaut\nNegative prompt: ugly\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 5, Seed: 777, Size: 512x512, Model: sd15")
    Image.new("RGB", (64, 64)).save(a1111, pnginfo=info)
    prompt, negative, seed, steps, guidance, size, sampler, *_ = client.predict(png=handle_file(str(a1111)), api_name="/read_recipe")
    assert (prompt, negative, seed, steps, guidance, sampler) == ("a cat astronaut", "ugly", 777, 30, 5.0, "DPM++ 2M Karras")
    assert size == {"__type__": "update"}, "a size this model cannot make is left as it was"

    plain = tmp_path / "plain.png"
    Image.new("RGB", (64, 64)).save(plain)
    with pytest.raises(AppError, match="carries no recipe"):
        client.predict(png=handle_file(str(plain)), api_name="/read_recipe")


def test_errors_come_back_in_the_browsers_language(studio):
    es = Client(studio.url, verbose=False, **spanish())
    with pytest.raises(AppError, match="Primero escribe un prompt"):
        es.predict(prompt="  ", api_name="/generate")
    with pytest.raises(AppError, match="Los pasos deben ser un número entero de 1 a 100"):
        es.predict(prompt="un círculo", steps=500, api_name="/generate")
    en = Client(studio.url, verbose=False, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    with pytest.raises(AppError, match="Write a prompt first"):
        en.predict(prompt="", api_name="/generate")


def test_app_keeps_working_after_errors(client):
    for bad in (dict(prompt=""), dict(prompt="x", steps=1000), dict(prompt="x", sampler="nope")):
        with pytest.raises(AppError):
            client.predict(**bad, api_name="/generate")
    pictures, _, seed = client.predict(prompt="a blue triangle", seed=5, **FAST, api_name="/generate")
    assert seed == 5 and genlab.read_recipe(first(pictures)).prompt == "a blue triangle"


# ---- the logic, without a server --------------------------------------------------------------
def test_check_fills_defaults_from_the_profile():
    s = st.check_settings("  a circle  ")
    opts = st.options()
    assert s.prompt == "a circle" and s.negative_prompt is None and s.seed is None and s.n == 1
    assert (s.steps, s.guidance, s.size) == (opts.steps, opts.guidance, opts.size)
    assert s.sampler == "DPM++ 2M"  # what the tiny model's scheduler config says
    assert st.check_settings("a circle", seed=42.0).seed == 42
    assert st.check_settings("a circle", seed="").seed is None


def test_style_presets_fit_the_model_world():
    tiny = st.options("tiny").styles
    assert {"flat brand", "outlined icon", "striped pattern"} <= set(tiny)
    assert "product photo" not in tiny, "real-model presets would only confuse the tiny model"
    assert st.apply_style("a red star on a blue background", None, "striped pattern")[0] == "a striped red star on a blue background"
    assert st.apply_style("a large dotted red star on a blue background", None, "flat brand")[0] == "a large flat red star on a blue background"
    assert st.apply_style("an outlined red star on a blue background", None, "flat brand")[0] == "a flat red star on a blue background"
    assert st.apply_style("a red heart on a black background", "blurry", "outlined icon") == (
        "an outlined red heart on a black background, in the centre",
        "blurry, flat, striped, dotted, gradient",
    )
    photo, negative = st.apply_style("a mug", None, "product photo")
    assert photo.startswith("a mug, studio product photograph") and "blurry" in negative
    with pytest.raises(i18n.UserError, match="no style preset called"):
        st.apply_style("a mug", None, "nope")


def test_every_text_exists_in_both_languages_with_the_same_placeholders():
    en, es = i18n.catalogue("en"), i18n.catalogue("es")
    assert set(en) == set(es), f"missing in es: {set(en) - set(es)}; missing in en: {set(es) - set(en)}"
    for key in en:
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", es[key])), key
    for name, spec in st.all_styles().items():
        assert {"en", "es"} <= set(spec["label"]) and {"en", "es"} <= set(spec["about"]), name
    for name, spec in st.samplers().items():
        assert {"en", "es"} <= set(spec["about"]), name


def test_settings_notes_explain_the_sampler_and_warn_below_its_min_steps():
    """The Studio shows what the chosen sampler and style do, and warns (in the person's language)
    when the sampler needs more steps than chosen: LMS is grainy below 40 on the tiny model."""
    assert st.settings_notes("DPM++ 2M", 20) == "**DPM++ 2M**: Fast and sharp in 20-25 steps. A good default."
    assert "⚠️" not in st.settings_notes("LMS", 40) and "⚠️" not in st.settings_notes("LMS Karras", 20)
    warned = st.settings_notes("LMS", 20)
    assert "⚠️ LMS needs about 40 steps for a clean picture; at 20 it may stay grainy." in warned
    assert "necesita unos 40 pasos" in st.settings_notes("LMS", "25", lang="es")
    assert "Rápido y nítido" in st.settings_notes("DPM++ 2M", 20, lang="es")
    styled = st.settings_notes("Euler", 20, "flat brand", lang="es")
    assert "**Euler**" in styled and "**Marca plana**: Color plano y sólido" in styled
    for bad in ("many", "inf", float("nan")):  # bad steps: no crash, no warning (the picture request explains)
        assert st.settings_notes("LMS", bad, st.NO_STYLE).count("⚠️") == 0
    assert st.settings_notes(None, None) == "" and st.settings_notes("nope", 3) == ""


def test_language_comes_from_accept_language():
    assert i18n.language_of(header="es-MX,es;q=0.9,en;q=0.8") == "es"
    assert i18n.language_of(header="en-US,en;q=0.9,es;q=0.8") == "en"
    assert i18n.language_of(header="fr-FR,es;q=0.5,en;q=0.4") == "es"
    assert i18n.language_of(header="de") == "en" and i18n.language_of() == "en"
    err = i18n.UserError("errors.steps", lo=1, hi=100, good=20, value=0)
    assert str(err).startswith("Steps must be") and err.message("es").startswith("Los pasos deben")


def test_history_is_newest_first_and_capped():
    def pic(i):
        return st.Picture(path=f"/p/{i}.png", parameters="", seed=i, caption=f"seed {i}", settings={})

    history = []
    for i in range(5):
        history = st.remember(history, pic(i), limit=3)
    assert [p.seed for p in history] == [4, 3, 2]
    assert st.show_history(history)[0] == ("/p/4.png", "seed 4")
    assert [p.seed for p in st.remember(history, [pic(8), pic(9)], limit=3)] == [8, 9, 4]


def test_history_item_brings_back_its_settings():
    settings = dict(prompt="a star", negative_prompt="", seed=9, steps=4, guidance=3.0, size="128x128", sampler="DDIM", style="flat brand", strength=0.4)
    history = [st.Picture(path="/p.png", parameters="", seed=9, caption="", settings=settings)]
    assert st.use_history_item(history, 0) == ("a star", "", 9, 4, 3.0, "128x128", "DDIM", "flat brand", 0.4, 0.4)
    with pytest.raises(Exception, match="no longer in this session's history"):
        st.use_history_item(history, 3)


def test_grid_sheet_has_room_for_labels():
    cells = [[Image.new("RGB", (128, 128), c) for c in ("red", "blue", "green")] for _ in range(2)]
    sheet = labelled_grid(cells, "Guidance", ["3", "7", "12"], "Seed", ["1", "2"])
    assert sheet.width > 3 * 128 and sheet.height > 2 * 128
    plain = labelled_grid(cells[:1], "Guidance", ["3", "7", "12"], None, [])
    assert plain.width < sheet.width


# ---- genlab demo ------------------------------------------------------------------------------
def test_demo_lists_apps_when_name_is_missing_or_unknown(capsys):
    assert genlab_demo.main([]) == 2
    out = capsys.readouterr().out
    assert {"studio", "video", "explorer"} <= set(re.findall(r"^\s+(\w+)", out, re.M))
    assert genlab_demo.main(["no-such-app"]) == 2
    err = capsys.readouterr().err
    assert "There is no demo called 'no-such-app'" in err and "studio" in err
    assert genlab_demo.main(["--list"]) == 0


def test_password_forms():
    assert genlab_demo.parse_password("tacos") == ("", "tacos")
    assert genlab_demo.parse_password("ana:tacos") == ("ana", "tacos")
    assert genlab_demo.parse_password(None) is None
    with pytest.raises(genlab_demo.DemoError, match="needs a password"):
        genlab_demo.parse_password("ana:")
    anyone = genlab_demo.make_auth("", "tacos")
    assert anyone("Lupita", "tacos") and anyone("genlab", "tacos")
    assert not anyone("Lupita", "nachos") and not anyone("", "tacos")
    only_ana = genlab_demo.make_auth("ana", "tacos")
    assert only_ana("ana", "tacos") and not only_ana("beto", "tacos")


# ---- the Composition tab: drawing in, picture out; outpaint and upscale on the result -----------


def page_value(path) -> dict:
    """The drawing editor's value as the browser sends it: the page, no layers, the flattened drawing."""
    return {"background": handle_file(str(path)), "layers": [], "composite": handle_file(str(path))}


def drawn(shape="circle", geometry=(0.3, 0.35, 0.4), condition="sketch", size=512):
    ex = world_control.ControlExample(
        scene=world_control.world.Scene((world_control.world.Shape(shape, "red", "large", "centre", "flat"),), "blue"),
        geometry=geometry, condition=condition)
    return world_control.draw(ex, size=size, stroke=max(3, size // 40)), ex


@pytest.fixture(scope="module")
def uploads(tmp_path_factory):
    folder = tmp_path_factory.mktemp("composition")
    drawn()[0].save(folder / "sketch.png")
    drawn(condition="layout", geometry=(0.65, 0.6, 0.45))[0].save(folder / "layout.png")
    Image.new("RGB", (512, 512), "white").save(folder / "blank.png")
    Image.new("RGB", (5000, 4000), "white").save(folder / "huge.png")  # 20 megapixels, a small file
    Image.new("RGB", (128, 128), (30, 30, 200)).save(folder / "small.png")  # the tiny model's size, no recipe
    Image.new("RGB", (2100, 2100), "white").save(folder / "wide.png")  # x2 is over the app's 4096 px
    drawn()[0].convert("CMYK").save(folder / "cmyk.jpg")
    Image.new("I;16", (256, 256), 65535).save(folder / "sixteen.png")
    drawn()[0].convert("P").save(folder / "palette.png")
    return folder


def composed(client, uploads, **more) -> tuple[list, str, int]:
    args = dict(prompt="a red circle on a blue background", drawing=page_value(uploads / "sketch.png"), condition="sketch",
                seed=7, **FAST)
    return client.predict(**{**args, **more}, api_name="/compose")


def test_composition_request_returns_a_picture_and_a_recipe_with_its_control_fields(client, uploads):
    pictures, parameters, seed = composed(client, uploads, control_strength=0.8, control_start=0.1, control_end=0.9)
    image = Image.open(first(pictures))
    assert image.format == "PNG" and image.size == (128, 128) and {"parameters", "genlab"} <= set(image.text)
    recipe = genlab.read_recipe(first(pictures))
    assert (recipe.prompt, recipe.seed, recipe.task, seed) == ("a red circle on a blue background", 7, "txt2img", 7)
    ctl = recipe.control
    assert (ctl["condition"], ctl["model"], ctl["scale"], ctl["start"], ctl["end"]) == ("sketch", "tiny-shapes-controlnet", 0.8, 0.1, 0.9)
    assert len(ctl["image_sha256"]) == 64
    assert 'ControlNet 0: "Module: none, Model: tiny-shapes-controlnet' in parameters and "Weight: 0.8" in parameters
    assert parameters == image.text["parameters"]
    # the layout box; a palette PNG is fine too
    boxed, _, _ = composed(client, uploads, drawing=page_value(uploads / "layout.png"), condition="layout")
    assert genlab.read_recipe(first(boxed)).control["condition"] == "layout"
    pal, _, _ = composed(client, uploads, drawing=page_value(uploads / "palette.png"))
    assert genlab.read_recipe(first(pal)).control["image_sha256"] == ctl["image_sha256"], "the same drawing, the same control"


def test_composition_api_is_named_for_scripting(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/compose", "/outpaint", "/upscale"} <= set(info)
    params = [p["parameter_name"] for p in info["/compose"]["parameters"]]
    assert params[:9] == ["prompt", "negative_prompt", "seed", "steps", "guidance", "size", "sampler", "batch_count", "style"]
    assert params[9:] == ["drawing", "condition", "control_strength", "control_start", "control_end"]
    assert [p["parameter_name"] for p in info["/outpaint"]["parameters"]][:3] == ["picture", "ratio", "prompt"]
    assert [p["parameter_name"] for p in info["/upscale"]["parameters"]][:3] == ["picture", "factor", "hires_fix"]


def test_composition_outpaint_to_16_9_gives_a_16_9_picture_with_its_recipe(client, uploads):
    pictures, _, _ = composed(client, uploads)
    wide, parameters, _ = client.predict(picture=handle_file(first(pictures)), ratio="16:9", seed=3, steps=2, api_name="/outpaint")
    image = Image.open(first(wide))
    assert image.size == (224, 126) and image.width * 9 == image.height * 16
    recipe = genlab.read_recipe(first(wide))
    assert recipe.task == "outpaint" and recipe.extra["outpaint"]["ratio"] == "16:9"
    assert recipe.prompt == "a blue background", "an empty box means the background part of the picture's prompt"
    assert "Size: 224x126" in parameters
    # the original's pixels are kept in the middle
    src = pixels(first(pictures))
    assert np.array_equal(pixels(first(wide))[:, 48:176][:, :, :], src[1:127])
    tall, _, _ = client.predict(picture=handle_file(first(pictures)), ratio="4:5", prompt="a green background", seed=3, steps=2,
                                api_name="/outpaint")
    assert Image.open(first(tall)).size == (128, 160) and genlab.read_recipe(first(tall)).prompt == "a green background"


def test_composition_upscale_x2_doubles_the_size_and_keeps_the_recipe(client, uploads):
    pictures, _, _ = composed(client, uploads)
    big, parameters, seed = client.predict(picture=handle_file(first(pictures)), factor=2, api_name="/upscale")
    image = Image.open(first(big))
    assert image.size == (256, 256)
    recipe = genlab.read_recipe(first(big))
    assert recipe.task == "upscale" and recipe.extra["upscale"]["factor"] == 2 and recipe.extra["upscale"]["source_size"] == [128, 128]
    assert recipe.control["condition"] == "sketch" and seed == 7, "the source's recipe travels with the bigger picture"
    four, _, _ = client.predict(picture=handle_file(first(pictures)), factor=4, hires_fix=True, api_name="/upscale")
    assert Image.open(first(four)).size == (512, 512), "no hires fix on the tiny model: resampled, with a warning"
    assert genlab.read_recipe(first(four)).extra["upscale"]["hires_fix"] is False


COMPOSITION_MISTAKES = [  # (what, request, English, Spanish)
    ("empty sketch", dict(drawing="blank.png"), "drawing is empty", "está vacío"),
    ("no drawing", dict(drawing=None), "Add a picture for the 'sketch' control", "Primero agrega una imagen"),
    ("huge upload", dict(drawing="huge.png"), r"too big \(over 16 megapixels\)", r"demasiado grande \(más de 16 megapixeles\)"),
    ("CMYK upload", dict(drawing="cmyk.jpg"), "in CMYK", "está en CMYK"),
    ("16-bit upload", dict(drawing="sixteen.png"), "16 bits per channel", "16 bits por canal"),
    ("unknown condition", dict(condition="depth"), "has no 'depth' control", "no tiene el control 'depth'"),
    ("strength out of range", dict(control_strength=3), "from 0 to 2", "va de 0 a 2"),
    ("start after end", dict(control_start=0.8, control_end=0.2), "must start before it ends", "debe empezar antes de terminar"),
    ("outpaint ratio", dict(api="/outpaint", picture="small.png", ratio="banana"), "'banana' is not a picture format", "'banana' no es un formato"),
    ("outpaint size", dict(api="/outpaint", picture="sketch.png"), "this one is 512x512", "esta mide 512x512"),
    ("outpaint nothing", dict(api="/outpaint"), "no picture to finish", "no hay imagen que terminar"),
    ("outpaint same ratio", dict(api="/outpaint", picture="small.png", ratio="1:1", prompt="a sky"), "already has the format", "ya tiene el formato"),
    ("outpaint no words", dict(api="/outpaint", picture="small.png"), "Write what the new area shows", "Escribe qué muestra la parte nueva"),
    ("upscale CMYK", dict(api="/upscale", picture="cmyk.jpg"), "in CMYK", "está en CMYK"),
    ("upscale factor", dict(api="/upscale", picture="sketch.png", factor=8), "Upscale by 8", "Ampliar 8 veces"),
    ("upscale too big", dict(api="/upscale", picture="wide.png", factor=2), "larger than 4096 pixels", "más grande que 4096 pixeles"),
]


@pytest.mark.parametrize("what, bad, english, spanish_text", COMPOSITION_MISTAKES, ids=[m[0] for m in COMPOSITION_MISTAKES])
def test_composition_mistakes_are_clear_in_spanish_and_english(studio, uploads, what, bad, english, spanish_text):
    bad = dict(bad)
    api = bad.pop("api", "/compose")
    for key in ("drawing", "picture"):
        if bad.get(key):
            name = bad[key]
            bad[key] = page_value(uploads / name) if key == "drawing" else handle_file(str(uploads / name))
    if api == "/compose":
        bad = {"prompt": "a red circle", "drawing": page_value(uploads / "sketch.png"), "condition": "sketch", **FAST, **bad}
    for lang, text in (("en", english), ("es", spanish_text)):
        asker = Client(studio.url, verbose=False, **(spanish() if lang == "es" else {}))
        with pytest.raises(AppError, match=text):
            asker.predict(**bad, api_name=api)


def test_composition_app_keeps_serving_after_mistakes(client, uploads):
    for name in ("blank.png", "huge.png", "cmyk.jpg", "sixteen.png"):
        with pytest.raises(AppError):
            composed(client, uploads, drawing=page_value(uploads / name))
    pictures, _, seed = composed(client, uploads, seed=11)
    assert seed == 11 and genlab.read_recipe(first(pictures)).control["condition"] == "sketch"
    plain, _, _ = client.predict(prompt="a blue triangle", seed=5, **FAST, api_name="/generate")
    assert genlab.read_recipe(first(plain)).control == {}


def test_composition_a_drawn_sketch_puts_the_object_where_it_was_drawn(client, tmp_path):
    """Needs the trained tiny ControlNet (assets/models/tiny-shapes-controlnet): with an untrained
    one the object lands anywhere and this fails."""
    for condition, geometry in (("sketch", (0.3, 0.35, 0.4)), ("layout", (0.68, 0.62, 0.5))):
        drawing, ex = drawn(geometry=geometry, condition=condition)
        drawing.save(tmp_path / f"{condition}.png")
        pictures, _, _ = client.predict(prompt="a red circle on a blue background", drawing=page_value(tmp_path / f"{condition}.png"),
                                        condition=condition, seed=4, api_name="/compose")  # the profile's steps, as a designer would
        assert world_control.adherence(ex, Image.open(first(pictures))) >= 0.75, f"the {condition} was not followed"


def test_composition_helpers():
    assert comp.background_part("a red circle on a blue background") == "a blue background"
    assert comp.background_part("a red circle") == "a red circle" and comp.background_part(None) == ""
    assert comp.conditions() == ["sketch", "layout"] and [v for _, v in comp.condition_menu()] == ["sketch", "layout"]
    assert comp.blank_page().size == (512, 512) and comp.blank_page().getextrema() == ((255, 255),) * 3
    assert not comp.offers_hires_fix() and comp.offers_outpaint()
    en, es = i18n.catalogue("en"), i18n.catalogue("es")
    assert (es["composition_tab.condition_sketch"], en["composition_tab.condition_sketch"]) == ("Contorno (boceto)", "Outline (sketch)")
    assert (es["composition_tab.condition_layout"], en["composition_tab.condition_layout"]) == ("Caja de composición", "Layout box")
