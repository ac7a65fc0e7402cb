"""Bad input never takes a demo down: every mistake is a clear message, and the next request works.

One running Studio (the app with the most inputs), swept through gradio_client: empty and
overlong prompts, out-of-range and non-numeric numbers, sizes and samplers the model cannot do,
uploads that are not pictures or are too big, masks of the wrong size, grids that are too big,
and the GPU running out of memory (simulated: the pipeline call raises torch.OutOfMemoryError).
"""

from __future__ import annotations

import os

import pytest
import torch
from app_helpers import app_server, spanish
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

import genlab
import genlab.core.render
from genlab.ui import studio as st

studio = app_server("studio")

FAST = dict(steps=2, sampler="Euler")


@pytest.fixture(scope="module")
def client(studio):
    return studio.client()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uploads")
    Image.new("RGB", (128, 128), (30, 30, 200)).save(folder / "picture.png")
    Image.new("L", (64, 64), 255).save(folder / "small-mask.png")
    Image.new("L", (128, 128), 0).save(folder / "black-mask.png")
    (folder / "notes.png").write_text("this is not a picture, only text with a .png name")
    Image.new("RGB", (5000, 4000), "white").save(folder / "huge.png")  # 20 megapixels, a small file
    with open(folder / "big.png", "wb") as f:  # over the 10 MB upload limit
        f.write(os.urandom(11 * 1024 * 1024))
    return folder


def editor(path) -> dict:
    return {"background": handle_file(str(path)), "layers": [], "composite": handle_file(str(path))}


GENERATE_CASES = [
    (dict(prompt=""), "Write a prompt first"),
    (dict(prompt="   \n "), "Write a prompt first"),
    (dict(prompt="a circle " * 300), "keep it under 2000"),
    (dict(prompt="a circle", negative_prompt="x" * 2500), "negative prompt is 2500 characters"),
    (dict(prompt="a circle", steps=0), "Steps must be a whole number from 1 to 100"),
    (dict(prompt="a circle", steps=500), "you gave 500"),
    (dict(prompt="a circle", steps=2.5), "Steps must be a whole number"),
    (dict(prompt="a circle", steps="many"), "Steps must be a whole number"),
    (dict(prompt="a circle", guidance=99), "Guidance must be a number from 0 to 20"),
    (dict(prompt="a circle", guidance=-1), "Guidance must be a number from 0 to 20"),
    (dict(prompt="a circle", seed=-5), "or -1 for a random seed"),
    (dict(prompt="a circle", seed=2**40), "The seed must be a whole number from 0 to 4294967295"),
    (dict(prompt="a circle", seed=2.5), "The seed must be a whole number"),
    (dict(prompt="a circle", batch_count=9), "Pictures at once must be a whole number from 1 to 4"),
    (dict(prompt="a circle", size="512x512"), "makes pictures of 128x128 pixels, not 512x512"),
    (dict(prompt="a circle", size="big"), "Write it as width x height"),
    (dict(prompt="a circle", sampler="Magic"), "There is no sampler called 'Magic'"),
    (dict(prompt="a circle", style="vaporwave"), "no style preset called 'vaporwave'"),
]


@pytest.mark.parametrize("bad, message", GENERATE_CASES, ids=[m for _, m in GENERATE_CASES])
def test_text_to_image_mistakes_are_plain_messages(client, bad, message):
    with pytest.raises(AppError, match=message):
        client.predict(**bad, api_name="/generate")


def test_upload_mistakes_are_plain_messages(client, files):
    cases = [
        (dict(api_name="/img2img"), "Add a picture first"),
        (dict(image=handle_file(str(files / "notes.png")), api_name="/img2img"), "is not a picture this demo can read"),
        (dict(image=handle_file(str(files / "huge.png")), api_name="/img2img"), "too big \\(over 16 megapixels\\)"),
        (dict(image=handle_file(str(files / "picture.png")), strength=0, api_name="/img2img"), "would change nothing"),
        (dict(image=handle_file(str(files / "picture.png")), strength=3, api_name="/img2img"), "Strength must be a number from 0 to 1"),
        (dict(api_name="/inpaint"), "Add a picture to the editor first"),
        (dict(editor=editor(files / "picture.png"), api_name="/inpaint"), "Nothing to repaint"),
        (dict(editor=editor(files / "picture.png"), mask=handle_file(str(files / "black-mask.png")), api_name="/inpaint"), "Nothing to repaint"),
        (
            dict(editor=editor(files / "picture.png"), mask=handle_file(str(files / "small-mask.png")), api_name="/inpaint"),
            "The mask is 64x64 pixels but the picture is 128x128",
        ),
        (dict(editor=editor(files / "notes.png"), api_name="/inpaint"), "is not a picture"),
    ]
    for kwargs, message in cases:
        with pytest.raises(AppError, match=message):
            client.predict(prompt="a red circle", **FAST, **kwargs)


def test_grid_mistakes_are_plain_messages(client):
    cases = [
        (dict(x_axis="guidance", x_values=""), "Write the values to try for guidance"),
        (dict(x_axis="guidance", x_values="1,2,3,4,5,6,7"), "7 values for guidance is too many"),
        (dict(x_axis="steps", x_values="2, 500"), "Steps must be a whole number from 1 to 100"),
        (dict(x_axis="sampler", x_values="Euler, Magic"), "There is no sampler called 'Magic'"),
        (dict(x_axis="colour", x_values="1"), "cannot be a grid axis"),
        (dict(x_axis="seed", x_values="1,2", y_axis="seed", y_values="3"), "different settings"),
        (dict(x_axis="seed", x_values="1,2,3,4,5,6", y_axis="guidance", y_values="1,2,3,4,5"), "That grid has 30 pictures"),
    ]
    for kwargs, message in cases:
        with pytest.raises(AppError, match=message):
            client.predict(prompt="a red circle", steps=2, api_name="/xy_grid", **kwargs)


def test_a_file_over_the_upload_limit_is_refused_before_the_app(studio, client, files):
    with pytest.raises(ValueError, match="exceeds the maximum file size of 10485760 bytes"):  # gradio_client checks first
        client.predict(prompt="a red circle", image=handle_file(str(files / "big.png")), api_name="/img2img")
    import httpx

    with open(files / "big.png", "rb") as f:  # a browser's raw upload: the server answers 413 itself
        response = httpx.post(studio.url + "gradio_api/upload", files={"files": ("big.png", f, "image/png")}, timeout=60)
    assert response.status_code == 413


def test_mistakes_speak_spanish(studio, files):
    es = Client(studio.url, verbose=False, **spanish())
    with pytest.raises(AppError, match="Este modelo hace imágenes de 128x128 pixeles, no de 512x512"):
        es.predict(prompt="un círculo", size="512x512", api_name="/generate")
    with pytest.raises(AppError, match="La máscara mide 64x64 pixeles pero la imagen mide 128x128"):
        es.predict(prompt="a red circle", editor=editor(files / "picture.png"), mask=handle_file(str(files / "small-mask.png")), api_name="/inpaint")
    with pytest.raises(AppError, match="no es una imagen"):
        es.predict(prompt="a red circle", image=handle_file(str(files / "notes.png")), api_name="/img2img")


def _oom(message="CUDA out of memory. Tried to allocate 2.00 GiB"):
    kind = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    return kind(message)


def test_out_of_memory_retries_smaller_then_explains(client, monkeypatch):
    real = genlab.render._call_pipeline
    sizes = []

    def only_one_fits(pipe, kwargs):
        sizes.append(len(kwargs["prompt"]))
        if len(kwargs["prompt"]) > 1:
            raise _oom()
        return real(pipe, kwargs)

    monkeypatch.setattr(genlab.render, "_call_pipeline", only_one_fits)
    pictures, _, seed = client.predict(prompt="a red circle", seed=40, batch_count=4, **FAST, api_name="/generate")
    assert [genlab.read_recipe(p["image"]).seed for p in pictures] == [40, 41, 42, 43]
    assert sizes == [4, 2, 1, 1, 1, 1], "retried in halves down to one picture per call"

    def never_fits(pipe, kwargs):
        raise _oom()

    monkeypatch.setattr(genlab.render, "_call_pipeline", never_fits)
    with pytest.raises(AppError, match="ran out of memory, even for one picture"):
        client.predict(prompt="a red circle", **FAST, api_name="/generate")

    monkeypatch.setattr(genlab.render, "_call_pipeline", real)
    pictures, _, seed = client.predict(prompt="a red circle", seed=3, **FAST, api_name="/generate")
    assert seed == 3


def test_an_unexpected_failure_is_a_calm_message(client, monkeypatch):
    def broken(pipe, kwargs):
        raise RuntimeError("the scheduler fell over")

    monkeypatch.setattr(genlab.render, "_call_pipeline", broken)
    with pytest.raises(AppError, match="could not be made \\(RuntimeError: the scheduler fell over\\). The demo is still running"):
        client.predict(prompt="a red circle", **FAST, api_name="/generate")


def test_after_all_of_that_a_normal_request_still_works(client, files):
    pictures, parameters, seed = client.predict(prompt="a green square on a white background", seed=12, **FAST, api_name="/generate")
    assert seed == 12 and "Seed: 12" in parameters
    pictures, _, _ = client.predict(prompt="a green square", image=handle_file(str(files / "picture.png")), seed=1, **FAST, api_name="/img2img")
    assert genlab.read_recipe(pictures[0]["image"]).task == "img2img"
    assert st.MAX_FILE_SIZE == "10mb"
