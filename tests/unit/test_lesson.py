"""genlab.lessons.lesson: what lessons print and draw from recipes — labels, shared settings, the
recipe card, pixel comparisons — without a model (recipes and pictures are made by hand).
(The first helpers' tests live beside the notebooks, in tests/integration/test_notebooks.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from genlab.core.generation import Generation
from genlab.core.recipe import Recipe, save_png
from genlab.lessons import lesson


def recipe(seed=42, **kw) -> Recipe:
    base = dict(prompt="a red circle on a blue background", seed=seed, steps=20, guidance=7.0, width=128, height=128,
                sampler="DPM++ 2M", profile="tiny", model="tiny-shapes")
    return Recipe(**{**base, **kw})


def solid(colour, size=(32, 32)) -> Image.Image:
    return Image.new("RGB", size, colour)


def test_label_for_formats_each_kind_of_setting():
    r = recipe(guidance=7.5, strength=0.25, negative_prompt=None)
    assert lesson.label_for(r, "guidance") == "guidance 7.5"
    assert lesson.label_for(r, "prompt") == "a red circle on a blue background", "the prompt stands on its own"
    assert lesson.label_for(r, ("sampler", "profile")) == "sampler DPM++ 2M · model tiny"
    assert lesson.label_for(r, "strength") == "strength 0.25"
    assert lesson.label_for(r, "batch_size") == "batch size 1", "other recipe fields read with spaces"
    assert lesson.label_for(recipe(strength=None), "strength") == "strength (none)"


def test_shared_settings_lists_only_what_every_picture_has_in_common():
    same_steps = [recipe(1), recipe(2, guidance=3.0)]
    assert lesson.shared_settings(same_steps) == "steps 20 · size 128x128", "seeds and guidance differ; no negative"
    assert lesson.shared_settings(same_steps, skip=["steps"]) == "size 128x128"
    both_negative = [recipe(1, negative_prompt="blurry"), recipe(1, negative_prompt="blurry")]
    assert lesson.shared_settings(both_negative) == "seed 1 · steps 20 · guidance 7 · negative: blurry · size 128x128"
    assert lesson.shared_settings([recipe(1), None]) == "", "a picture without a recipe: nothing to say"
    assert lesson.shared_settings([]) == ""


def test_describe_is_a_card_with_strength_for_edits():
    card = lesson.describe(recipe(7, strength=0.6, task="img2img", negative_prompt=None))
    lines = card.split("\n")
    assert lines[0] == "Prompt           a red circle on a blue background"
    assert "Negative prompt  (none)" in lines
    assert lines.index("Strength         0.6") == 5, "strength right after guidance"
    assert "Size             128 x 128 px" in lines and "Sampler          DPM++ 2M" in lines
    other_tool = lesson.describe(Recipe(prompt="x", seed=1, steps=2, guidance=3, width=64, height=64, scheduler="EulerDiscreteScheduler"))
    assert "Sampler          EulerDiscreteScheduler" in other_tool and "Model            ? (unknown model)" in other_tool


def test_difference_of_pictures_of_two_sizes_says_so_and_the_map_still_draws():
    small, big = solid("red", (16, 16)), solid("red", (32, 32))
    result = lesson.difference(big, small)
    assert not result.same_size and not result.identical and not bool(result)
    assert str(result) == "Different: the two pictures are not the same size." and result.headline == "Different sizes"
    assert lesson.difference_image(big, small).size == (32, 32), "the second is resized onto the first"


def test_difference_counts_pixels_and_the_largest_change():
    a = solid("black")
    b = a.copy()
    for x in range(10):
        b.putpixel((x, 0), (0, 40, 0))
    result = lesson.difference(a, b)
    assert (result.pixels, result.changed, result.largest_change) == (1024, 10, 40)
    assert result.changed_fraction == pytest.approx(10 / 1024)
    assert str(result) == "Different: 10 of the 1,024 pixels changed (largest change 40 of 255)."
    assert result.headline == "Different: 10 pixels changed"
    diff = np.asarray(lesson.difference_image(a, b))
    assert (diff[0, :10] == 160).all() and (diff[1:] == 0).all(), "boosted 4x where they differ, black elsewhere"


def test_same_pixels_takes_generations_and_files(tmp_path):
    red = solid("red")
    path = save_png(red, recipe(1), tmp_path / "red.png")
    assert lesson.same_pixels(Generation([red], [recipe(1)]), path)
    assert lesson.same_pixels(red, red.convert("RGBA")), "compared as colours, whatever the mode"
    assert not lesson.same_pixels(red, solid((254, 0, 0)))
    with pytest.raises(ValueError, match="one picture on each side"):
        lesson.same_pixels(Generation([red, red], [recipe(1), recipe(2)]), red)


def test_compare_draws_both_pictures_and_the_difference_outside_a_notebook():
    result = lesson.compare(solid("red"), solid("blue"), labels=("before", "after"))
    assert not result.identical and result.changed_fraction == 1.0
    with pytest.raises(ValueError, match="two labels"):
        lesson.compare(solid("red"), solid("red"), labels=("only one",))


def test_figure_lays_out_rows_of_four_and_wraps_long_labels():
    pics = [solid(c) for c in ("red", "blue", "green", "white", "black")]
    fig = lesson.figure(pics, [f"picture {i} " + "word " * 12 for i in range(5)], settings=False)
    shapes = {ax.get_subplotspec().get_geometry()[:2] for ax in fig.axes}
    assert shapes == {(2, 4)}, "five pictures: two rows of four"
    assert all("\n" in ax.get_xlabel() for ax in fig.axes), "long labels wrap under the picture"
    fig = lesson.figure(pics, [str(i) for i in range(5)], cols=5, settings=False)
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in fig.axes} == {(1, 5)}


def test_list_saved_gives_one_readable_path_a_line(tmp_path):
    from genlab import settings

    inside = settings.REPO_ROOT / "outputs" / "07" / "a.png"
    assert lesson.list_saved([inside, tmp_path / "b.png"]) == f"outputs/07/a.png\n{(tmp_path / 'b.png').resolve()}"
