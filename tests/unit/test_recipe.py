"""Recipes: A1111-compatible `parameters` text plus the full genlab JSON, inside PNGs."""

import pytest
from PIL import Image

from genlab.core.recipe import Recipe, read_recipe, save_png


def make(**kw):
    base = dict(prompt="a red circle on a blue background", seed=42, steps=20, guidance=7.5, width=128, height=128,
                sampler="DPM++ 2M", model="tiny-shapes", profile="tiny")
    base.update(kw)
    return Recipe(**base)


def test_parameters_text_follows_a1111():
    text = make(negative_prompt="blurry").to_parameters()
    lines = text.split("\n")
    assert lines[0] == "a red circle on a blue background"
    assert lines[1] == "Negative prompt: blurry"
    assert lines[2].startswith("Steps: 20, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 42, Size: 128x128, Model: tiny-shapes")


def test_values_with_commas_and_colons_are_json_quoted_and_round_trip():
    r = make(prompt="logo, flat\nsecond line", model="brand: v2, final")
    text = r.to_parameters()
    assert 'Model: "brand: v2, final"' in text
    back = Recipe.from_parameters(text)
    assert (back.prompt, back.model, back.seed, back.steps, back.guidance) == (r.prompt, r.model, 42, 20, 7.5)
    assert back.negative_prompt is None


def test_reads_a_png_written_by_automatic1111(tmp_path):
    text = ("portrait of a llama, studio light\nNegative prompt: lowres, watermark\n"
            "Steps: 28, Sampler: Euler a, CFG scale: 6.5, Seed: 1234567, Size: 512x768, Model hash: abc123, Model: sd15")
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", text)
    path = tmp_path / "a1111.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    r = read_recipe(path)
    assert r.prompt == "portrait of a llama, studio light"
    assert r.negative_prompt == "lowres, watermark"
    assert (r.steps, r.sampler, r.guidance, r.seed, r.width, r.height, r.model) == (28, "Euler a", 6.5, 1234567, 512, 768, "sd15")


def test_png_round_trip_prefers_full_json(tmp_path):
    r = make(scheduler="DPMSolverMultistepScheduler", scheduler_config={"beta_schedule": "scaled_linear"},
             versions={"diffusers": "0.42.1"}, device="cpu")
    path = save_png(Image.new("RGB", (128, 128), "red"), r, tmp_path / "x.png")
    with Image.open(path) as im:
        assert set(im.text) >= {"parameters", "genlab"}
    assert read_recipe(path) == r


def test_no_recipe_is_a_clear_error(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.jpg")
    with pytest.raises(ValueError, match="carries no recipe"):
        read_recipe(tmp_path / "plain.jpg")
    with pytest.raises(ValueError, match="PNG"):
        save_png(Image.new("RGB", (8, 8)), make(), tmp_path / "x.jpg")
