"""The Studio, driven the way trainers script it: gradio_client against the launched app.

Pictures are 128x128 from the tiny profile with few steps, so each request takes about a second.
Nothing here depends on what the picture shows (the shipped model may be a placeholder).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from app_helpers import app_server, free_port
from gradio_client.exceptions import AppError
from PIL import Image

import genlab
from genlab import demo as genlab_demo
from genlab import studio as st
from genlab.generation import MAX_SEED

studio = app_server("studio")

FAST = dict(steps=3, guidance=7.0, size="128x128", sampler="Euler")


@pytest.fixture(scope="module")
def client(studio):
    return studio.client()


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


# ---- through gradio_client --------------------------------------------------------------------
def test_api_is_named_for_scripting(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert "/generate" in info, f"the studio must expose api_name='generate', found {list(info)}"
    params = {p["parameter_name"]: p for p in info["/generate"]["parameters"]}
    assert list(params)[:5] == ["prompt", "negative_prompt", "seed", "steps", "guidance"]
    assert {"size", "sampler"} <= set(params)
    assert not params["prompt"]["parameter_has_default"]
    assert all(params[n]["parameter_has_default"] for n in params if n != "prompt")
    assert params["seed"]["parameter_default"] == st.RANDOM_SEED
    assert len(info["/generate"]["returns"]) == 3  # picture, recipe text, seed used (no session state)


def test_fixed_seed_recipe_matches_inputs(client):
    png, parameters, seed_used = client.predict(
        prompt="a red circle on a blue background",
        negative_prompt="blurry, dark",
        seed=1234,
        steps=3,
        guidance=5.5,
        size="128x128",
        sampler="Euler a",
        api_name="/generate",
    )
    image = Image.open(png)
    assert image.format == "PNG" and image.size == (128, 128)
    assert {"parameters", "genlab"} <= set(image.text), "the downloaded PNG lost its recipe chunks"
    recipe = genlab.read_recipe(png)
    assert (recipe.prompt, recipe.negative_prompt) == ("a red circle on a blue background", "blurry, dark")
    assert (recipe.seed, recipe.steps, recipe.guidance) == (1234, 3, 5.5)
    assert (recipe.width, recipe.height, recipe.sampler) == (128, 128, "Euler a")
    assert recipe.profile == "tiny" and recipe.task == "txt2img"
    assert seed_used == 1234
    assert parameters == image.text["parameters"] == recipe.to_parameters()
    assert "Negative prompt: blurry, dark" in parameters and "Seed: 1234" in parameters
    assert os.path.basename(png) == "1234-a-red-circle-on-a-blue.png"


def test_same_seed_gives_same_pixels(client):
    first, _, _ = client.predict(prompt="a green square", seed=77, **FAST, api_name="/generate")
    again, _, _ = client.predict(prompt="a green square", seed=77, **FAST, api_name="/generate")
    other, _, _ = client.predict(prompt="a green square", seed=78, **FAST, api_name="/generate")
    assert np.array_equal(pixels(first), pixels(again))
    assert not np.array_equal(pixels(first), pixels(other)), "a different seed should give a different picture"


def test_random_seed_is_reported_and_reproducible(client):
    png, parameters, seed_used = client.predict(prompt="a yellow star", seed=st.RANDOM_SEED, **FAST, api_name="/generate")
    assert isinstance(seed_used, int) and 0 <= seed_used <= MAX_SEED
    assert genlab.read_recipe(png).seed == seed_used
    assert f"Seed: {seed_used}" in parameters
    again, _, seed_again = client.predict(prompt="a yellow star", seed=seed_used, **FAST, api_name="/generate")
    assert seed_again == seed_used
    assert np.array_equal(pixels(png), pixels(again))
    _, _, another = client.predict(prompt="a yellow star", **FAST, api_name="/generate")  # seed left out: random
    assert another != seed_used


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(prompt=""), "Write a prompt first"),
        (dict(prompt="   \n "), "Write a prompt first"),
        (dict(prompt="a circle", steps=0), "Steps must be a whole number from 1 to 100"),
        (dict(prompt="a circle", steps=500), "you gave 500"),
        (dict(prompt="a circle", guidance=99), "Guidance must be a number from 0 to 20"),
        (dict(prompt="a circle", seed=-5), "or -1 for a random seed"),
        (dict(prompt="a circle", seed=2.5), "The seed must be a whole number"),
        (dict(prompt="a circle", size="512x512"), "makes pictures of 128x128 pixels, not 512x512"),
        (dict(prompt="a circle", size="big"), "Write it as width x height"),
        (dict(prompt="a circle", sampler="Magic"), "There is no sampler called 'Magic'"),
    ],
)
def test_bad_input_is_a_plain_error(client, bad, message):
    with pytest.raises(AppError, match=message):
        client.predict(**bad, api_name="/generate")


def test_app_keeps_working_after_errors(client):
    for bad in (dict(prompt=""), dict(prompt="x", steps=1000), dict(prompt="x", sampler="nope")):
        with pytest.raises(AppError):
            client.predict(**bad, api_name="/generate")
    png, _, seed = client.predict(prompt="a blue triangle", seed=5, **FAST, api_name="/generate")
    assert seed == 5 and genlab.read_recipe(png).prompt == "a blue triangle"


# ---- the logic, without a server --------------------------------------------------------------
def test_check_fills_defaults_from_the_profile():
    req = st.check_text_to_image("  a circle  ")
    opts = st.options()
    assert req.prompt == "a circle" and req.negative_prompt is None and req.seed is None
    assert (req.steps, req.guidance, f"{req.width}x{req.height}") == (opts.steps, opts.guidance, opts.size)
    assert req.sampler == "DPM++ 2M"  # what the tiny model's scheduler config says
    assert st.check_text_to_image("a circle", seed=42.0).seed == 42


def test_history_is_newest_first_and_capped():
    def pic(i):
        return st.Picture(path=f"/p/{i}.png", parameters="", seed=i, caption=f"seed {i}", settings={})

    history = []
    for i in range(5):
        history = st.remember(history, pic(i), limit=3)
    assert [p.seed for p in history] == [4, 3, 2]
    assert st.show_history(history)[0] == ("/p/4.png", "seed 4")


def test_history_item_brings_back_its_settings():
    settings = dict(prompt="a star", negative_prompt="", seed=9, steps=4, guidance=3.0, size="128x128", sampler="DDIM")
    history = [st.Picture(path="/p.png", parameters="", seed=9, caption="", settings=settings)]
    assert st.use_history_item(history, 0) == ("a star", "", 9, 4, 3.0, "128x128", "DDIM")
    with pytest.raises(Exception, match="no longer in this session's history"):
        st.use_history_item(history, 3)


# ---- genlab demo ------------------------------------------------------------------------------
def test_demo_lists_apps_when_name_is_missing_or_unknown(capsys):
    assert genlab_demo.main([]) == 2
    assert "studio" in capsys.readouterr().out
    assert genlab_demo.main(["no-such-app"]) == 2
    err = capsys.readouterr().err
    assert "There is no demo called 'no-such-app'" in err and "studio" in err
    assert genlab_demo.main(["--list"]) == 0


def test_demo_rejects_room_mode_for_now(capsys):
    assert genlab_demo.main(["studio", "--room"]) == 2
    assert "--room is not available yet" in capsys.readouterr().err


def test_share_password_forms():
    assert genlab_demo.parse_password("tacos") == ("genlab", "tacos")
    assert genlab_demo.parse_password("ana:tacos") == ("ana", "tacos")
    assert genlab_demo.parse_password(None) is None
    with pytest.raises(genlab_demo.DemoError, match="needs a password"):
        genlab_demo.parse_password("ana:")


def _wait_for(url: str, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.slow
def test_genlab_demo_command_starts_the_studio_with_a_password():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "genlab", "demo", "studio", "--port", str(port), "--share-password", "tacos"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        assert _wait_for(url + "config") == 401, "without the password the app must not open"
        from gradio_client import Client

        client = Client(url, auth=("genlab", "tacos"), verbose=False)
        png, _, seed = client.predict(prompt="a red circle", seed=3, steps=2, api_name="/generate")
        assert seed == 3 and genlab.read_recipe(png).steps == 2
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "127.0.0.1" in out and "Loading the model" in out
