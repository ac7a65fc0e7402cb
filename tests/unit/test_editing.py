"""genlab.lessons.editing: masks (white = repaint), padding for outpainting, recolouring, keeping
the untouched pixels. Masks and pads need no model; outpaint/recolour run the tiny model at 2 steps."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from genlab.lessons import editing
from genlab.tiny.world import COLOURS


def white(mask) -> np.ndarray:
    return np.asarray(mask.convert("L")) > 127


def test_box_mask_in_fractions_and_in_pixels_covers_what_it_says():
    half = editing.box_mask((100, 50), (0, 0, 0.5, 1))
    assert half.mode == "L" and half.size == (100, 50)
    assert editing.mask_coverage(half) == 0.5
    assert white(half)[:, :50].all() and not white(half)[:, 50:].any(), "the left half, exactly"
    pixels = editing.box_mask((100, 100), (10, 20, 30, 60))
    assert editing.mask_coverage(pixels) == pytest.approx(20 * 40 / 10_000)
    assert white(pixels)[20:60, 10:30].all()
    feathered = editing.box_mask((100, 100), (0.25, 0.25, 0.75, 0.75), feather=4)
    values = np.unique(np.asarray(feathered))
    assert len(values) > 2, "feathering makes a soft edge"
    assert editing.mask_coverage(feathered) == pytest.approx(0.25, abs=0.02)


def test_ellipse_mask_covers_about_pi_over_four_of_its_box():
    mask = editing.ellipse_mask((200, 200), (0, 0, 1, 1))
    assert editing.mask_coverage(mask) == pytest.approx(np.pi / 4, abs=0.01)
    assert not white(mask)[0, 0] and white(mask)[100, 100], "corners kept, centre repainted"


def test_border_mask_and_coverage_of_a_picture_file(tmp_path):
    mask = editing.border_mask((10, 10), left=2, bottom=3)
    a = white(mask)
    assert a[:, :2].all() and a[7:, :].all() and not a[:7, 2:].any()
    assert editing.mask_coverage(mask) == pytest.approx((2 * 10 + 3 * 8) / 100)
    mask.save(tmp_path / "mask.png")
    assert editing.mask_coverage(tmp_path / "mask.png") == editing.mask_coverage(mask), "a path works too"
    with pytest.raises(TypeError, match="Expected a picture"):
        editing.mask_coverage(42)


def test_colour_mask_finds_the_shape_and_grows_over_its_edges():
    star = editing.picture_of("a red star on a white background", 64)
    tight = editing.colour_mask(star, "red", grow=0)
    grown = editing.colour_mask(star, "red", grow=2)
    by_rgb = editing.colour_mask(star, COLOURS["red"], grow=0)
    assert 0.02 < editing.mask_coverage(tight) < 0.5
    assert np.array_equal(np.asarray(tight), np.asarray(by_rgb)), "a name and its (r, g, b) are the same colour"
    assert editing.mask_coverage(grown) > editing.mask_coverage(tight)
    assert (white(grown) | ~white(tight)).all(), "growing only adds pixels"
    assert editing.mask_coverage(editing.colour_mask(star, "blue")) == 0
    with pytest.raises(ValueError, match="Unknown colour 'mauve'"):
        editing.colour_mask(star, "mauve")


def test_pad_adds_the_new_area_and_its_mask():
    picture = editing.picture_of("a blue circle on a yellow background", 64)
    canvas, mask = editing.pad(picture, left=16, top=8, keep_size=False)
    assert canvas.size == mask.size == (80, 72)
    assert np.array_equal(np.asarray(canvas)[8:, 16:], np.asarray(picture)), "the picture sits where it was, whole"
    assert editing.mask_coverage(mask) == pytest.approx(1 - (64 * 64) / (80 * 72))
    assert np.array_equal(np.asarray(canvas)[0, 0], np.asarray(picture)[0, 0]), "edge fill repeats the outer pixels"
    filled, _ = editing.pad(picture, right=10, fill="black", keep_size=False)
    assert filled.size == (74, 64) and (np.asarray(filled)[:, 64:] == 0).all()
    same, small_mask = editing.pad(picture, left=16, right=16)
    assert same.size == small_mask.size == (64, 64), "keep_size scales back to the model's size"
    assert set(np.unique(np.asarray(small_mask))) <= {0, 255}, "the mask stays hard-edged"
    with pytest.raises(ValueError, match="at least one side"):
        editing.pad(picture)
    with pytest.raises(ValueError, match="left must be a whole number"):
        editing.pad(picture, left=-3)


def test_keep_outside_changes_only_the_masked_area():
    original = Image.new("RGB", (32, 32), "white")
    edited = Image.new("RGB", (32, 32), "black")
    mask = editing.box_mask((32, 32), (0, 0, 0.5, 1))
    out = np.asarray(editing.keep_outside(original, edited, mask))
    assert (out[:, :16] == 0).all() and (out[:, 16:] == 255).all()


def test_picture_of_draws_the_prompt_and_refuses_half_a_prompt():
    star = editing.picture_of("a red star on a white background", 64)
    assert star.size == (64, 64)
    assert tuple(np.asarray(star)[0, 0]) == COLOURS["white"]
    with pytest.raises(ValueError, match="Say a shape, its colour and a background"):
        editing.picture_of("a star")


def test_outpaint_and_recolour_return_pictures_with_inpaint_recipes():
    picture = editing.picture_of("a red star on a white background", 128)
    out = editing.outpaint(picture, "a red star on a white background", left=32, seed=1, steps=2, profile="tiny")
    assert out.image.size == (128, 128)
    assert (out.recipe.task, out.recipe.strength, out.recipe.seed) == ("inpaint", 1.0, 1)
    made, mask = editing.recolour(picture, "red", "a purple star on a white background", seed=2, steps=2, profile="tiny")
    assert made.recipe.task == "inpaint" and made.recipe.prompt == "a purple star on a white background"
    assert editing.mask_coverage(mask) > 0.02
    with pytest.raises(ValueError, match="No pixels of colour 'green'"):
        editing.recolour(picture, "green", "a blue star", steps=2, profile="tiny")
