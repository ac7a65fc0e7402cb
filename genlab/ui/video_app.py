"""The video app's handler: text or a still picture to a clip (genlab.core.video makes it)."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr

from genlab.core.checks import check_strength
from genlab.core.uploads import check_source
from genlab.core.video import check_clip, make_clip
from genlab.ui.errors import handling
from genlab.ui.pictures import output_dir


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
    with handling("video", "generate", request, progress, what="progress.frames") as h:
        req = check_clip(prompt, negative_prompt, seed, steps, guidance, frames, fps, loop)
        still = None
        if image is not None and image != "":
            still = check_source(image, req.width, req.height)
            req = replace(req, strength=check_strength(strength, 0.6))
        h.record(
            req.prompt, task="i2v" if still is not None else "video", steps=req.steps, guidance=f"{req.guidance:g}",
            frames=req.frames, fps=req.fps, loop=req.loop, strength=req.strength,
        )
        clip = make_clip(req, still, on_step=h.on_progress, folder=output_dir())
    return clip.mp4, clip.gif, clip.parameters, clip.seed
