"""Short clips from words (text to video) or from a still picture (image to video), with their recipe.

Clips are made by the one renderer (`genlab.core.render.render_clip`), so a clip's recipe has the
same fields as a picture's (LoRAs, model revision, scheduler and its config, dtype, versions...).
On the shipped `tiny-video` profile (and `animatediff`) the clip comes from AnimateDiff: a motion
adapter on the image model (`load_pipeline("video")` = `AnimateDiffPipeline`). Image to video on
AnimateDiff uses diffusers' `AnimateDiffVideoToVideoPipeline`, built with `from_pipe` on the same
weights, fed the still picture repeated as a video: `strength` says how far the frames may move
away from it (diffusers has no dedicated AnimateDiff image-to-video pipeline). Profiles whose
tasks include "i2v" (LTX-Video) use their own image-to-video pipeline instead
(genlab.core.pipelines.image_to_video_pipeline).

Exports, each with the recipe inside:

* MP4, H.264 (yuv420p, plays in every browser), written with imageio-ffmpeg (the same writer
  diffusers' `export_to_video` uses, called directly so the recipe can go into the file's
  `comment` (A1111 text) and `description` (genlab JSON) metadata);
* GIF, looping, the A1111 text in its comment block and the genlab JSON in an application
  extension (`GIF_RECIPE_APP`).

`read_clip_recipe(path)` reads it back from either.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from genlab.core.checks import MAX_GUIDANCE, MAX_PROMPT_CHARS, MAX_STEPS, check_prompt, check_seed, number_in_range, whole_number
from genlab.core.i18n import UserError
from genlab.core.imaging import slug
from genlab.core.profiles import get_profile
from genlab.core.recipe import Recipe
from genlab.core.render import BatchKey, PictureItem, draw_seed, render_clip

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
    opts = options(profile)
    prompt = check_prompt(prompt)
    negative = (str(negative_prompt).strip() if negative_prompt is not None else "") or None
    if negative and len(negative) > MAX_PROMPT_CHARS:
        raise UserError("errors.negative_long", n=len(negative), limit=MAX_PROMPT_CHARS)
    return ClipRequest(
        prompt=prompt,
        negative_prompt=negative,
        seed=check_seed(seed),
        steps=opts.steps if steps in (None, "") else whole_number(steps, "errors.steps", 1, MAX_STEPS, good=opts.steps),
        guidance=opts.guidance if guidance in (None, "") else number_in_range(guidance, "errors.guidance", 0, MAX_GUIDANCE, good=f"{opts.guidance:g}"),
        frames=opts.frames if frames in (None, "") else whole_number(frames, "errors.frames", MIN_FRAMES, opts.max_frames),
        fps=opts.fps if fps in (None, "") else whole_number(fps, "errors.fps", 1, MAX_FPS),
        loop=bool(loop),
        profile=opts.profile,
        width=opts.width,
        height=opts.height,
    )


# ---- making clips -------------------------------------------------------------------------------
def clip_key(request: ClipRequest, image: Image.Image | None = None) -> BatchKey:
    """The renderer's settings for this clip (image to video when a still `image` is given)."""
    return BatchKey(
        profile=request.profile, task="video" if image is None else "i2v", steps=request.steps,
        guidance=request.guidance, width=request.width, height=request.height, sampler=None,
        strength=request.strength if image is not None else None, frames=request.frames, fps=request.fps,
    )


def make_frames(request: ClipRequest, image: Image.Image | None = None, on_step=None) -> tuple[list[Image.Image], Recipe]:
    """The clip's frames (ping-pong applied when asked) and its recipe, made by the one renderer
    (genlab.core.render.render_clip), so the recipe has every field a picture's has."""
    from genlab.core import remote  # the hub's shared service (GENLAB_SERVICE_URL) holds the model, when there is one

    if remote.wanted(request.profile, video=True):
        return remote.make_frames(request, image, on_step)
    seed = request.seed if request.seed is not None else draw_seed()
    item = PictureItem(prompt=request.prompt, negative_prompt=request.negative_prompt, seed=seed, image=image,
                       extra={"loop": "ping-pong"} if request.loop else {})
    frames, recipe = render_clip(clip_key(request, image), item, on_step=on_step)
    return (ping_pong(frames) if request.loop else frames), recipe


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
    """Looping GIF with the recipe inside: the A1111 text in its comment (what other tools show) and
    the full genlab JSON in an application extension (what `read_clip_recipe` reads)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    first, *rest = [f.convert("RGB") for f in frames]
    extra = {"comment": clip_text(recipe).encode("utf-8")} if recipe is not None else {}
    first.save(path, format="GIF", save_all=True, append_images=rest, duration=max(1, round(1000 / fps)), loop=0, **extra)
    if recipe is not None:
        path.write_bytes(_with_gif_extension(path.read_bytes(), GIF_RECIPE_APP, recipe.to_json().encode("utf-8")))
    return path


# A GIF89a application extension carries the genlab recipe JSON: an 8-byte application identifier
# and a 3-byte authentication code, then the data in sub-blocks of at most 255 bytes. Decoders
# skip application extensions they do not know, as the GIF89a specification asks.
GIF_RECIPE_APP = b"GENLAB  " + b"RCP"


def _gif_blocks_start(data: bytes) -> int:
    """Offset of the first block after the GIF header, logical screen descriptor and global palette."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF file")
    flags = data[10]
    return 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)


def _sub_blocks(data: bytes, pos: int) -> tuple[list[bytes], int]:
    """The data sub-blocks starting at `pos`, and the offset after their terminator."""
    blocks = []
    while pos < len(data) and data[pos]:
        n = data[pos]
        blocks.append(data[pos + 1 : pos + 1 + n])
        pos += 1 + n
    return blocks, pos + 1


def _with_gif_extension(data: bytes, app: bytes, payload: bytes) -> bytes:
    """The GIF with an application extension `app` carrying `payload`, placed before the first frame."""
    pos = _gif_blocks_start(data)
    while data[pos] == 0x21 and data[pos + 1] != 0xF9:  # skip the leading extensions (loop, comment)
        _, pos = _sub_blocks(data, pos + 2)
    chunks = [payload[i : i + 255] for i in range(0, len(payload), 255)]
    block = b"\x21\xff" + bytes([len(app)]) + app + b"".join(bytes([len(c)]) + c for c in chunks) + b"\x00"
    return data[:pos] + block + data[pos:]


def gif_extension(path: str | Path, app: bytes = GIF_RECIPE_APP) -> bytes | None:
    """The payload of the application extension `app` before a GIF's first frame, or None."""
    data = Path(path).read_bytes()
    pos = _gif_blocks_start(data)
    while pos < len(data) and data[pos] == 0x21:
        label = data[pos + 1]
        blocks, pos = _sub_blocks(data, pos + 2)
        if label == 0xFF and blocks and blocks[0] == app:
            return b"".join(blocks[1:])
    return None


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
    """The recipe inside a genlab MP4 or GIF: the full JSON (a GIF made before GIFs carried it: its A1111 text)."""
    path = Path(path)
    if path.suffix.lower() == ".gif":
        payload = gif_extension(path)
        if payload:
            return Recipe.from_dict(json.loads(payload.decode("utf-8")))
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


def make_clip(request: ClipRequest, image: Image.Image | None = None, on_step=None, folder: str | Path | None = None) -> Clip:
    """The clip as MP4 and GIF (both carry the recipe) in a new folder inside `folder` (default: a
    temporary folder)."""
    import tempfile

    frames, recipe = make_frames(request, image, on_step)
    folder = Path(folder or tempfile.gettempdir()) / uuid.uuid4().hex[:12]
    name = f"{recipe.seed}-{slug(request.prompt)}"
    mp4 = export_mp4(frames, request.fps, folder / f"{name}.mp4", recipe)
    gif = export_gif(frames, request.fps, folder / f"{name}.gif", recipe)
    return Clip(mp4=str(mp4), gif=str(gif), parameters=clip_text(recipe), seed=recipe.seed, frames=len(frames))


def ping_pong(frames: list) -> list:
    """Forwards then backwards without repeating the ends: 1 2 3 4 → 1 2 3 4 3 2."""
    return frames + frames[-2:0:-1] if len(frames) > 2 else list(frames)


def warm_up(profile: str | None = None) -> None:
    from genlab.core.pipelines import load_pipeline

    load_pipeline("video", options(profile).profile)


