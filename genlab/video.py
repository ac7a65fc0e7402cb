"""Short clips from words (text to video) or from a still picture (image to video), with their recipe.

On the shipped `tiny-video` profile (and `animatediff`) the clip comes from AnimateDiff: a motion
adapter on the image model (`load_pipeline("video")` = `AnimateDiffPipeline`). Image to video on
AnimateDiff uses diffusers' `AnimateDiffVideoToVideoPipeline`, built with `from_pipe` on the same
weights, fed the still picture repeated as a video: `strength` says how far the frames may move
away from it (diffusers has no dedicated AnimateDiff image-to-video pipeline). Profiles whose
tasks include "i2v" (LTX-Video) use their own image-to-video pipeline instead.

Exports, each with the recipe inside:

* MP4, H.264 (yuv420p, plays in every browser), written with imageio-ffmpeg (the same writer
  diffusers' `export_to_video` uses, called directly so the recipe can go into the file's
  `comment` (A1111 text) and `description` (genlab JSON) metadata);
* GIF, looping, the recipe in its comment block.

`read_clip_recipe(path)` reads it back from either.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import gradio as gr
from PIL import Image

from .generation import draw_seed, generation_lock, library_versions, sampler_name_of, slug
from .i18n import UserError
from .profiles import Profile, get_profile
from .recipe import Recipe

MAX_FPS = 30
MIN_FRAMES = 2


@dataclass(frozen=True)
class VideoOptions:
    profile: str
    title: str
    tasks: tuple[str, ...]
    width: int
    height: int
    steps: int
    guidance: float
    frames: int
    max_frames: int
    fps: int


@lru_cache(maxsize=8)
def options(profile: str | None = None) -> VideoOptions:
    prof = get_profile(profile, video=True)
    if not prof.is_video:
        raise UserError("errors.profile_not_video", profile=prof.name)
    d = prof.defaults
    frames = int(d.get("frames", 16))
    width, height = (prof.sizes[0] if prof.sizes else (d.get("width", 512), d.get("height", 512)))
    return VideoOptions(
        profile=prof.name,
        title=prof.title,
        tasks=prof.tasks,
        width=int(d.get("width", width)),
        height=int(d.get("height", height)),
        steps=int(d.get("steps", 20)),
        guidance=float(d.get("guidance", 7.0)),
        frames=frames,
        max_frames=int(d.get("max_frames", min(max(16, 2 * frames), 161))),
        fps=int(d.get("fps", 8)),
    )


@dataclass(frozen=True)
class ClipRequest:
    prompt: str
    negative_prompt: str | None
    seed: int | None
    steps: int
    guidance: float
    frames: int
    fps: int
    loop: bool
    profile: str
    width: int
    height: int
    strength: float | None = None  # image to video only


def check_clip(prompt, negative_prompt=None, seed=-1, steps=None, guidance=None, frames=None, fps=None, loop=False, profile=None) -> ClipRequest:
    from .studio import MAX_GUIDANCE, MAX_PROMPT_CHARS, MAX_STEPS, _number, _whole_number, check_prompt, check_seed

    opts = options(profile)
    prompt = check_prompt(prompt)
    negative = (str(negative_prompt).strip() if negative_prompt is not None else "") or None
    if negative and len(negative) > MAX_PROMPT_CHARS:
        raise UserError("errors.negative_long", n=len(negative), limit=MAX_PROMPT_CHARS)
    return ClipRequest(
        prompt=prompt,
        negative_prompt=negative,
        seed=check_seed(seed),
        steps=opts.steps if steps in (None, "") else _whole_number(steps, "errors.steps", 1, MAX_STEPS, good=opts.steps),
        guidance=opts.guidance if guidance in (None, "") else _number(guidance, "errors.guidance", 0, MAX_GUIDANCE, good=f"{opts.guidance:g}"),
        frames=opts.frames if frames in (None, "") else _whole_number(frames, "errors.frames", MIN_FRAMES, opts.max_frames),
        fps=opts.fps if fps in (None, "") else _whole_number(fps, "errors.fps", 1, MAX_FPS),
        loop=bool(loop),
        profile=opts.profile,
        width=opts.width,
        height=opts.height,
    )


# ---- pipelines ----------------------------------------------------------------------------------
_i2v_cache: dict[tuple[str, str], object] = {}


def image_to_video_pipeline(profile: Profile):
    """The profile's own i2v pipeline, or AnimateDiffVideoToVideoPipeline on the AnimateDiff weights."""
    from .pipelines import apply_memory_strategy, load_pipeline

    if "i2v" in profile.tasks:
        return load_pipeline("i2v", profile)
    base = load_pipeline("video", profile)
    if profile.motion_adapter is None:
        raise UserError("errors.task_not_offered", task="image to video", profile=profile.name)
    key = (profile.name, str(base.device))
    if key not in _i2v_cache:
        from diffusers import AnimateDiffVideoToVideoPipeline

        _i2v_cache[key] = apply_memory_strategy(AnimateDiffVideoToVideoPipeline.from_pipe(base), profile, str(base.device))
    return _i2v_cache[key]


def make_frames(request: ClipRequest, image: Image.Image | None = None, on_step=None) -> tuple[list[Image.Image], Recipe]:
    """The clip's frames (ping-pong applied when asked) and its recipe."""
    from .core import remote  # the hub's shared service (GENLAB_SERVICE_URL) holds the model, when there is one

    if remote.wanted(request.profile, video=True):
        return remote.make_frames(request, image, on_step)
    import torch

    from .pipelines import load_pipeline
    from .room import in_chunks

    prof = get_profile(request.profile)
    seed = request.seed if request.seed is not None else draw_seed()
    task = "video" if image is None else "i2v"
    kwargs = dict(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        num_frames=request.frames,
        num_inference_steps=request.steps,
        guidance_scale=request.guidance,
        width=request.width,
        height=request.height,
        generator=torch.Generator("cpu").manual_seed(seed),
        output_type="pil",
    )
    if image is None:
        pipe = load_pipeline("video", prof)
    else:
        pipe = image_to_video_pipeline(prof)
        if prof.motion_adapter is not None:  # AnimateDiff video-to-video: the still, repeated, is the video
            kwargs["video"] = [image] * kwargs.pop("num_frames")
            kwargs["strength"] = request.strength
        else:
            kwargs["image"] = image
    if on_step is not None:
        total = request.steps if image is None or prof.motion_adapter is None else max(1, int(request.steps * request.strength))

        def callback(_pipe, i, _t, tensors):
            on_step(min(i + 1, total), total)
            return tensors

        kwargs["callback_on_step_end"] = callback

    def run(_chunk):
        with generation_lock:
            return [pipe(**kwargs)]

    out = in_chunks([None], run)[0]  # out of memory: a clear message (a clip cannot be split)
    frames = ping_pong(list(out.frames[0])) if request.loop else list(out.frames[0])
    source = prof.source or get_profile(prof.base).source
    recipe = Recipe(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        seed=seed,
        steps=request.steps,
        guidance=request.guidance,
        width=request.width,
        height=request.height,
        sampler=sampler_name_of(pipe.scheduler),
        profile=prof.name,
        model=source.path.name if source.path else source.repo,
        model_source=source.describe(),
        task=task,
        strength=request.strength if image is not None else None,
        frames=request.frames,
        fps=request.fps,
        scheduler=type(pipe.scheduler).__name__,
        device=str(pipe.device),
        versions=library_versions(),
        extra={"loop": "ping-pong"} if request.loop else {},
    )
    return frames, recipe


# ---- export -------------------------------------------------------------------------------------
def clip_text(recipe: Recipe) -> str:
    """The A1111-style text of a clip's recipe, with frames, fps and loop added."""
    text = recipe.to_parameters()
    more = f"Frames: {recipe.frames}, FPS: {recipe.fps}"
    if recipe.extra.get("loop"):
        more += f", Loop: {recipe.extra['loop']}"
    return f"{text}, {more}"


def export_mp4(frames: list[Image.Image], fps: int, path: str | Path, recipe: Recipe | None = None) -> Path:
    """H.264 MP4 (yuv420p: plays in browsers) with the recipe in the file's metadata."""
    import imageio.v2 as imageio
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    params = ["-movflags", "+faststart"]
    if recipe is not None:
        params += ["-metadata", f"comment={clip_text(recipe)}", "-metadata", f"description={recipe.to_json()}"]
    writer = imageio.get_writer(
        str(path), fps=fps, codec="libx264", quality=8, pixelformat="yuv420p", macro_block_size=16,
        output_params=params, ffmpeg_log_level="error",
    )
    try:
        for frame in frames:
            writer.append_data(np.asarray(frame.convert("RGB")))
    finally:
        writer.close()
    return path


def export_gif(frames: list[Image.Image], fps: int, path: str | Path, recipe: Recipe | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    first, *rest = [f.convert("RGB") for f in frames]
    extra = {"comment": clip_text(recipe).encode("utf-8")} if recipe is not None else {}
    first.save(path, format="GIF", save_all=True, append_images=rest, duration=max(1, round(1000 / fps)), loop=0, **extra)
    return path


def mp4_metadata(path: str | Path) -> dict[str, str]:
    """The metadata tags of an MP4 (read with the ffmpeg that imageio-ffmpeg ships)."""
    import imageio_ffmpeg

    out = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
        capture_output=True, text=True, timeout=60,
    ).stdout
    tags, key = {}, None
    for line in out.splitlines():
        if line.startswith(";") or not line:
            continue
        if key and tags[key].endswith("\\"):
            tags[key] = tags[key][:-1] + "\n" + line
            continue
        key, _, value = line.partition("=")
        tags[key] = value
    return {k: v.replace("\\=", "=").replace("\\;", ";").replace("\\#", "#").replace("\\\\", "\\") for k, v in tags.items()}


def read_clip_recipe(path: str | Path) -> Recipe:
    """The recipe inside a genlab MP4 or GIF."""
    path = Path(path)
    if path.suffix.lower() == ".gif":
        comment = Image.open(path).info.get("comment", b"")
        text = comment.decode("utf-8") if isinstance(comment, bytes) else str(comment)
        if not text:
            raise ValueError(f"{path.name} carries no recipe.")
        return Recipe.from_parameters(text.rsplit(", Frames:", 1)[0])
    tags = mp4_metadata(path)
    if "description" in tags:
        return Recipe.from_dict(json.loads(tags["description"]))
    raise ValueError(f"{path.name} carries no recipe.")


@dataclass(frozen=True)
class Clip:
    mp4: str
    gif: str
    parameters: str
    seed: int
    frames: int


def make_clip(request: ClipRequest, image: Image.Image | None = None, on_step=None) -> Clip:
    from .studio import output_dir

    frames, recipe = make_frames(request, image, on_step)
    folder = output_dir() / uuid.uuid4().hex[:12]
    name = f"{recipe.seed}-{slug(request.prompt)}"
    mp4 = export_mp4(frames, request.fps, folder / f"{name}.mp4", recipe)
    gif = export_gif(frames, request.fps, folder / f"{name}.gif", recipe)
    return Clip(mp4=str(mp4), gif=str(gif), parameters=clip_text(recipe), seed=recipe.seed, frames=len(frames))


def ping_pong(frames: list) -> list:
    """Forwards then backwards without repeating the ends: 1 2 3 4 → 1 2 3 4 3 2."""
    return frames + frames[-2:0:-1] if len(frames) > 2 else list(frames)


def warm_up(profile: str | None = None) -> None:
    from .pipelines import load_pipeline

    load_pipeline("video", options(profile).profile)


# ---- Gradio handler -----------------------------------------------------------------------------
def generate(
    prompt: str,
    negative_prompt: str | None = None,
    seed: float = -1,
    steps: float | None = None,
    guidance: float | None = None,
    frames: float | None = None,
    fps: float | None = None,
    loop: bool = False,
    image=None,
    strength: float = 0.6,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """Text to video (no `image`) or image to video. Returns (MP4 path, GIF path, recipe text, seed)."""
    from .studio import check_source, check_strength, handling, progress_reporter

    with handling("video", "generate", request) as h:
        req = check_clip(prompt, negative_prompt, seed, steps, guidance, frames, fps, loop)
        still = None
        if image is not None and image != "":
            from dataclasses import replace

            still = check_source(image, req.width, req.height)
            req = replace(req, strength=check_strength(strength, 0.6))
        h.tracker.settings = dict(
            task="i2v" if still is not None else "video", steps=req.steps, guidance=f"{req.guidance:g}",
            frames=req.frames, fps=req.fps, loop=req.loop, strength=req.strength,
        )
        h.tracker.prompt = req.prompt
        report = progress_reporter(progress, h.lang, what="progress.frames")
        clip = make_clip(req, still, on_step=report)
    return clip.mp4, clip.gif, clip.parameters, clip.seed

