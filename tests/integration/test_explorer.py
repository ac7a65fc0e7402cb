"""The denoising explorer through gradio_client: every step decoded, two settings side by side.

3-4 steps of the tiny model at 128x128; nothing depends on what the pictures show.
"""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import app_server, spanish
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

import genlab
from genlab.ui import explorer

explorer_app = app_server("explorer")


@pytest.fixture(scope="module")
def client(explorer_app):
    return explorer_app.client()


def arr(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)


def test_api_is_named_for_scripting(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    params = [p["parameter_name"] for p in info["/explore"]["parameters"]]
    assert params[:6] == ["prompt", "negative_prompt", "seed", "steps", "guidance", "sampler"]
    assert {"show", "compare", "guidance_b", "sampler_b"} <= set(params)


def test_every_step_is_a_frame_and_the_strip_shows_them_all(client):
    sheet, final, parameters, slider, frame_a, frame_b = client.predict(
        prompt="a large striped red star on a blue background", seed=3, steps=4, sampler="Euler", compare="none",
        api_name="/explore",
    )
    recipe = genlab.read_recipe(final)
    assert (recipe.seed, recipe.steps, recipe.sampler, recipe.task) == (3, 4, "Euler", "txt2img")
    assert "Seed: 3" in parameters
    strip = Image.open(sheet)
    assert strip.width > 5 * 128, "frame 0 (noise) and 4 steps, left to right, with labels"
    assert strip.height < 2 * 128 + 100, "one row without a comparison"
    assert (slider["maximum"], slider["value"]) == (4, 4), "the step slider now runs over the 4 steps"
    assert frame_b["visible"] is False and frame_b.get("value") is None, "no comparison picture"
    last = arr(frame_a)
    assert np.abs(last - arr(final)).mean() < 2, "the last step is the final picture"


def test_frames_change_from_noise_to_picture(explorer_app):
    from genlab.ui import studio

    # DPM++ 2M: with Stable Diffusion's DDIM settings (no alpha set to one) DDIM's last step, from
    # t=1 to t=0, changes the latents too little to show in 8-bit pixels.
    s = studio.check_settings("a green circle on a white background", seed=5, steps=4, sampler="DPM++ 2M")
    run = explorer.run_steps(s, "noisy")
    assert len(run.frames) == 5
    diffs = [np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean() for a, b in zip(run.frames, run.frames[1:])]
    assert all(d > 0 for d in diffs), "each step changes the picture"
    guess = explorer.run_steps(s, "guess")
    assert len(guess.frames) == 5
    assert not np.array_equal(np.asarray(guess.frames[1]), np.asarray(run.frames[1])), "the model's guess is not the noisy picture"
    assert np.array_equal(np.asarray(guess.final), np.asarray(run.final)), "showing steps does not change the picture"


def test_two_guidance_scales_side_by_side_on_the_same_seed(client):
    sheet, final, parameters, slider, frame_a, frame_b = client.predict(
        prompt="a small blue heart on a yellow background", seed=9, steps=3, guidance=2, compare="guidance", guidance_b=14,
        api_name="/explore",
    )
    strip = Image.open(sheet)
    assert strip.height > 2 * 100, "two rows"
    assert frame_b["visible"] and not np.array_equal(arr(frame_a), arr(frame_b["value"]))
    assert genlab.read_recipe(final).guidance == 2.0


def test_two_samplers_side_by_side(client):
    sheet, final, parameters, slider, frame_a, frame_b = client.predict(
        prompt="a red square", seed=2, steps=3, sampler="DDIM", compare="sampler", sampler_b="Euler a", show="guess",
        api_name="/explore",
    )
    assert frame_b["visible"] and slider["maximum"] == 3


def test_mistakes_are_plain_messages(explorer_app, client):
    for kwargs, message in [
        (dict(prompt=""), "Write a prompt first"),
        (dict(prompt="a star", steps=80), "Steps must be a whole number from 1 to 50"),
        (dict(prompt="a star", compare="sampler", sampler_b="Magic"), "There is no sampler called 'Magic'"),
        (dict(prompt="a star", compare="guidance", guidance_b=50), "Guidance must be a number from 0 to 20"),
    ]:
        with pytest.raises(AppError, match=message):
            client.predict(**kwargs, api_name="/explore")
    with pytest.raises(AppError, match="Los pasos deben ser un número entero de 1 a 50"):
        Client(explorer_app.url, verbose=False, **spanish()).predict(prompt="una estrella", steps=80, api_name="/explore")
    out = client.predict(prompt="a star", seed=1, steps=2, compare="none", api_name="/explore")
    assert genlab.read_recipe(out[1]).seed == 1
