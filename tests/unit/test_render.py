"""The one renderer (genlab.core.render): pictures, clips and the explorer's steps are made by the same
code and get the same recipe; a clip's recipe reads back whole from its MP4 and from its GIF."""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import pytest
from PIL import Image

import genlab
from genlab.core import video
from genlab.core.checks import check_settings
from genlab.core.lora import active_loras
from genlab.core.pipelines import load_pipeline
from genlab.core.recipe import Recipe, read_recipe
from genlab.core.render import BatchKey, PictureItem, render, render_clip
from genlab.core.steps import run_steps

# The values a clip's recipe must share with a picture's made on the same machine and models.
SHARED = ("loras", "model", "model_source", "model_revision", "scheduler", "scheduler_config", "versions", "device", "dtype")


@pytest.fixture
def lora_on_pictures_and_clips():
    """The same small LoRA (zero-initialised: it changes no pixel) on the picture and the video
    pipelines, switched on at weight 0.5, as `genlab.lora.load_lora` leaves an adapter."""
    from peft import LoraConfig

    pipes = [load_pipeline("txt2img", "tiny"), load_pipeline("video", "tiny-video")]
    for pipe in pipes:
        pipe.unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_k", "to_q", "to_v", "to_out.0"]), adapter_name="brand")
        pipe.set_adapters(["brand"], adapter_weights=[0.5])
    yield
    for pipe in pipes:
        pipe.unet.delete_adapters("brand")
        assert active_loras(pipe) == {}


def test_a_clips_recipe_has_every_field_of_a_pictures_in_mp4_and_gif(tmp_path, lora_on_pictures_and_clips):
    picture = genlab.generate("a red circle on a blue background", seed=4, steps=2, profile="tiny")
    png = read_recipe(picture.save(tmp_path / "picture.png")[0])
    request = video.check_clip("a red circle moving right on a blue background", seed=4, steps=2, frames=2, fps=6, loop=True, profile="tiny-video")
    clip = video.make_clip(request, folder=tmp_path)
    from_mp4, from_gif = video.read_clip_recipe(clip.mp4), video.read_clip_recipe(clip.gif)

    assert set(asdict(from_mp4)) == set(asdict(from_gif)) == set(asdict(png))
    assert asdict(from_gif) == asdict(from_mp4), "the GIF carries the whole recipe, like the MP4"
    for name in SHARED:
        assert getattr(from_mp4, name) == getattr(png, name), name
    assert png.loras == {"brand": 0.5} and png.scheduler_config and png.dtype == "float32" and png.versions["diffusers"]
    assert (from_mp4.task, from_mp4.frames, from_mp4.fps, from_mp4.steps, from_mp4.seed) == ("video", 2, 6, 2, 4)
    assert from_mp4.profile == "tiny-video" and from_mp4.extra["loop"] == "ping-pong"
    assert from_mp4.extra["motion_adapter"].endswith("tiny-shapes-motion"), "the motion weights are named too"
    assert Image.open(clip.gif).info["comment"].decode().startswith(request.prompt), "other tools still read the A1111 text"


def test_image_to_video_recipe_records_strength_and_the_still_task():
    still = genlab.generate("a large yellow star on a blue background", seed=1, steps=2, profile="tiny").image
    request = replace(video.check_clip("a large yellow star on a blue background", seed=2, steps=2, frames=2, profile="tiny-video"), strength=0.5)
    frames, recipe = video.make_frames(request, image=still)
    assert len(frames) == 2 and frames[0].size == (128, 128)
    assert (recipe.task, recipe.strength, recipe.frames) == ("i2v", 0.5, 2)
    again, _ = video.make_frames(request, image=still)
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(frames, again)), "same seed, same clip"


def test_a_gif_from_before_gifs_carried_json_still_reads_its_a1111_text(tmp_path):
    recipe = Recipe(prompt="a red circle", seed=7, steps=3, guidance=7.0, width=64, height=64, sampler="Euler", frames=2, fps=4)
    path = tmp_path / "old.gif"
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=250, loop=0, comment=video.clip_text(recipe).encode())
    back = video.read_clip_recipe(path)
    assert (back.prompt, back.seed, back.steps, back.sampler) == ("a red circle", 7, 3, "Euler")
    plain = tmp_path / "plain.gif"
    frames[0].save(plain, save_all=True, append_images=frames[1:])
    with pytest.raises(ValueError, match="carries no recipe"):
        video.read_clip_recipe(plain)


def test_gif_with_the_recipe_extension_still_plays_every_frame(tmp_path):
    recipe = Recipe(prompt="a " + "long " * 200 + "prompt", seed=1, steps=1, guidance=1.0, width=32, height=32)  # JSON over 255 bytes
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "green", "blue")]
    path = video.export_gif(frames, 5, tmp_path / "clip.gif", recipe)
    gif = Image.open(path)
    assert gif.n_frames == 3 and gif.info["loop"] == 0 and gif.info["duration"] == 200
    colours = []
    for i in range(3):
        gif.seek(i)
        colours.append(gif.convert("RGB").getpixel((0, 0)))
    assert colours == [(255, 0, 0), (0, 128, 0), (0, 0, 255)]
    assert video.read_clip_recipe(path) == recipe


@pytest.mark.parametrize("sampler", ["DPM++ 2M", "Euler a"])
def test_explorer_steps_end_on_the_picture_generate_makes(sampler):
    """Ancestral samplers ("Euler a") draw fresh noise at every step from the run's generator, in the explorer too."""
    s = replace(check_settings("a green circle on a white background", seed=5, steps=3, sampler=sampler, profile="tiny"), seed=5)
    run = run_steps(s, "noisy")
    made = genlab.generate(s.prompt, seed=5, steps=3, sampler=sampler, profile="tiny")
    assert len(run.frames) == 4
    assert np.array_equal(np.asarray(run.final), np.asarray(made.image))
    assert asdict(run.recipe) == asdict(made.recipe)


def test_steps_are_reported_and_tasks_go_to_their_own_call():
    seen = []
    key = BatchKey("tiny", "img2img", 4, 7.0, 128, 128, None, strength=0.5)
    still = Image.new("RGB", (128, 128), "white")
    [(picture, recipe)] = render(key, [PictureItem("a red circle", None, 1, image=still)], on_step=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 2), (2, 2)], "an edit at strength 0.5 runs half the steps"
    assert recipe.task == "img2img" and recipe.strength == 0.5 and recipe.frames is None
    with pytest.raises(ValueError, match="render_clip"):
        render(replace(key, task="video"), [PictureItem("a red circle", None, 1)])
    with pytest.raises(ValueError, match="makes clips"):
        render_clip(key, PictureItem("a red circle", None, 1))
