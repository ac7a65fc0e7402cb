"""Sampling the tiny models for measurement: load the pipelines (float32, offline, quiet) and
generate seeded pictures and clips whose seeds do not depend on the batch size."""

from __future__ import annotations

import os
from pathlib import Path


def quiet_libraries() -> None:
    """Offline, no progress bars, no library chatter: what a measurement run prints is its own."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import diffusers.utils.logging as dlog
        import transformers.utils.logging as tlog

        dlog.disable_progress_bar()
        tlog.disable_progress_bar()
    except Exception:  # older versions: bars are only cosmetic
        pass

def load_image_pipeline(model_dir: str | Path):
    """``StableDiffusionPipeline.from_pretrained(model_dir)`` in float32, offline, no progress bars."""
    quiet_libraries()
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(model_dir), dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_controlnet_pipeline(image_pipe, controlnet_dir: str | Path):
    """A ``StableDiffusionControlNetPipeline`` sharing the image pipeline's weights, with the ControlNet."""
    import torch
    from diffusers import ControlNetModel, StableDiffusionControlNetPipeline

    net = ControlNetModel.from_pretrained(str(controlnet_dir), dtype=torch.float32)
    pipe = StableDiffusionControlNetPipeline.from_pipe(image_pipe, controlnet=net)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_motion_pipeline(image_pipe, motion_dir: str | Path):
    """An ``AnimateDiffPipeline`` sharing the image pipeline's weights, with the motion adapter."""
    import torch
    from diffusers import AnimateDiffPipeline, MotionAdapter

    adapter = MotionAdapter.from_pretrained(str(motion_dir), dtype=torch.float32)
    pipe = AnimateDiffPipeline.from_pipe(image_pipe, motion_adapter=adapter)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def generate_images(pipe, prompts: list[str], seeds: list[int], *, steps: int, guidance: float, batch: int = 8,
                    controls: list | None = None):
    """Pictures for ``prompts``; picture i uses ``torch.Generator().manual_seed(seeds[i])`` (so the
    result does not depend on the batch size). ``controls``: one control image per prompt, for a
    ControlNet pipeline."""
    import torch

    out = []
    for s in range(0, len(prompts), batch):
        p, sd = prompts[s : s + batch], seeds[s : s + batch]
        extra = {} if controls is None else {"image": controls[s : s + batch]}
        with torch.inference_mode():
            res = pipe(
                **extra,
                prompt=p,
                num_inference_steps=steps,
                guidance_scale=guidance,
                height=128,
                width=128,
                generator=[torch.Generator().manual_seed(x) for x in sd],
            )
        out += list(res.images)
    return out

def generate_clips(pipe, prompts: list[str], seeds: list[int], *, steps: int, guidance: float, frames: int = 8, batch: int = 2):
    """Clips (lists of PIL frames) for ``prompts``, seeded like :func:`generate_images`."""
    import torch

    out = []
    for s in range(0, len(prompts), batch):
        p, sd = prompts[s : s + batch], seeds[s : s + batch]
        with torch.inference_mode():
            res = pipe(
                prompt=p,
                num_frames=frames,
                num_inference_steps=steps,
                guidance_scale=guidance,
                height=128,
                width=128,
                generator=[torch.Generator().manual_seed(x) for x in sd],
                output_type="pil",
            )
        out += [list(f) for f in res.frames]
    return out
