"""The Video app through gradio_client: text to video, image to video, ping-pong, MP4 + GIF with recipes.

Clips are 4-6 frames of 128x128 from the tiny-video profile with 2 steps (a few seconds each).
Nothing depends on what the frames show (the motion adapter may be untrained).
"""

from __future__ import annotations

import subprocess

import imageio.v2 as imageio
import imageio_ffmpeg
import numpy as np
import pytest
from app_helpers import app_server, spanish
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from genlab.core import video

video_app = app_server("video")

FAST = dict(steps=2, frames=4, fps=6)


@pytest.fixture(scope="module")
def client(video_app):
    return video_app.client()


@pytest.fixture(scope="module")
def clip(client):
    """One text-to-video clip, shared by the tests that only read it."""
    return client.predict(prompt="a yellow star moving right on a black background", seed=7, **FAST, api_name="/generate")


def mp4_path(value) -> str:
    return value["video"] if isinstance(value, dict) else value


def codec_of(path) -> str:
    err = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", path], capture_output=True, text=True).stderr
    return err


def test_api_is_named_for_scripting(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    params = [p["parameter_name"] for p in info["/generate"]["parameters"]]
    assert params[:5] == ["prompt", "negative_prompt", "seed", "steps", "guidance"]
    assert {"frames", "fps", "loop", "image", "strength"} <= set(params)
    assert len(info["/generate"]["returns"]) == 4


def test_text_to_video_gives_an_h264_mp4_and_a_gif_with_the_recipe(clip):
    mp4, gif, parameters, seed = clip
    mp4 = mp4_path(mp4)
    assert seed == 7 and mp4.endswith(".mp4") and gif.endswith(".gif")
    info = codec_of(mp4)
    assert "h264" in info and "yuv420p" in info and "128x128" in info
    frames = imageio.mimread(mp4)
    assert len(frames) == 4 and frames[0].shape[:2] == (128, 128)
    with Image.open(gif) as g:
        assert g.n_frames == 4 and g.size == (128, 128) and abs(g.info["duration"] - 1000 / 6) <= 10  # GIF keeps 1/100 s
    for path in (mp4, gif):
        recipe = video.read_clip_recipe(path)
        assert (recipe.prompt, recipe.seed, recipe.steps) == ("a yellow star moving right on a black background", 7, 2)
    full = video.read_clip_recipe(mp4)  # the MP4 keeps the full genlab recipe
    assert (full.task, full.frames, full.fps, full.profile) == ("video", 4, 6, "tiny-video")
    assert "Frames: 4, FPS: 6" in parameters and "Seed: 7" in parameters


def test_same_seed_gives_the_same_clip(client, clip):
    again = client.predict(prompt="a yellow star moving right on a black background", seed=7, **FAST, api_name="/generate")
    a, b = imageio.mimread(mp4_path(clip[0])), imageio.mimread(mp4_path(again[0]))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_ping_pong_plays_forwards_then_back(client):
    mp4, gif, parameters, _ = client.predict(prompt="a red circle growing on a blue background", seed=3, loop=True, **FAST, api_name="/generate")
    frames = imageio.mimread(mp4_path(mp4))
    assert len(frames) == 4 + 2, "1 2 3 4 3 2: the ends are not repeated, so the loop is smooth"
    with Image.open(gif) as g:
        assert g.n_frames == 6
    assert "Loop: ping-pong" in parameters
    assert video.ping_pong([1, 2, 3, 4]) == [1, 2, 3, 4, 3, 2] and video.ping_pong([1, 2]) == [1, 2]


def test_image_to_video_starts_from_the_picture(client, tmp_path):
    start = tmp_path / "start.png"
    Image.new("RGB", (256, 256), (240, 200, 0)).save(start)
    mp4, gif, parameters, seed = client.predict(
        prompt="a yellow square moving left on a black background", image=handle_file(str(start)), strength=0.5, seed=5,
        **FAST, api_name="/generate",
    )
    recipe = video.read_clip_recipe(mp4_path(mp4))
    assert (recipe.task, recipe.strength, recipe.frames) == ("i2v", 0.5, 4)
    assert "Denoising strength: 0.5" in parameters


def test_mistakes_are_plain_messages_in_the_persons_language(video_app, client, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    for kwargs, message in [
        (dict(prompt=""), "Write a prompt first"),
        (dict(prompt="a star", frames=999), "Frames must be a whole number from 2 to 16"),
        (dict(prompt="a star", fps=0), "Frames per second must be a whole number from 1 to 30"),
        (dict(prompt="a star", steps=0), "Steps must be a whole number"),
        (dict(prompt="a star", image=handle_file(str(notes))), "is not a picture"),
        (dict(prompt="a star", image=handle_file(str(notes)), strength=0), "is not a picture"),
    ]:
        with pytest.raises(AppError, match=message):
            client.predict(**kwargs, api_name="/generate")
    es = Client(video_app.url, verbose=False, **spanish())
    with pytest.raises(AppError, match="Los cuadros deben ser un número entero de 2 a 16"):
        es.predict(prompt="una estrella", frames=999, api_name="/generate")
    mp4, _, _, seed = client.predict(prompt="a star", seed=1, **FAST, api_name="/generate")  # still working
    assert seed == 1
