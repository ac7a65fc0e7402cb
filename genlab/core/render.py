"""Several people's pictures in one pipeline call, each with its own recipe.

`genlab.generate()` makes `n` pictures of *one* prompt. The demos' `Batcher` (genlab.room) needs
pictures of *different* prompts, negatives, seeds and source pictures in one call, as long as the
settings the pipeline takes once per call agree: that is the `BatchKey`. `render(key, items)`
does that call and writes each picture's recipe exactly as `generate()` would (task, strength,
sampler, scheduler config, versions...), so `regenerate()` and `read_recipe()` work on it.

Out of memory on the GPU: the call is retried in halves (genlab.core.memory.in_chunks).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from PIL import Image

from genlab.core.hardware import library_versions
from genlab.core.lora import active_loras
from genlab.core.recipe import Recipe
from genlab.core.samplers import generation_lock, sampler_name_of, use_sampler


@dataclass(frozen=True)
class BatchKey:
    """What all pictures of one pipeline call share."""

    profile: str  # a profile name (generate() may pass a Profile object read from another models.toml)
    task: str  # txt2img, img2img, inpaint
    steps: int
    guidance: float
    width: int
    height: int
    sampler: str | None
    strength: float | None = None


@dataclass
class PictureItem:
    """One picture to make: its own words, seed and (for edits) source picture and mask."""

    prompt: str
    negative_prompt: str | None
    seed: int
    image: Image.Image | None = None  # RGB, already at the key's size
    mask: Image.Image | None = None  # L, white = repaint, already at the key's size
    batch_size: int = 1  # how many pictures the person asked for together (for the recipe)
    batch_index: int = 0
    extra: dict | None = None


def _call_pipeline(pipe, kwargs: dict):
    """The one place a pipeline runs (tests replace it to simulate a GPU running out of memory)."""
    return pipe(**kwargs)


def render(key: BatchKey, items: list[PictureItem], on_step: Callable[[int, int], None] | None = None,
           device: str | None = None) -> list[tuple[Image.Image, Recipe]]:
    """Make every item's picture, in one call when memory allows. Returns (picture, recipe) per item."""
    import torch

    from genlab.core.memory import in_chunks
    from genlab.core.pipelines import load_pipeline
    from genlab.core.profiles import Profile, get_profile

    prof = key.profile if isinstance(key.profile, Profile) else get_profile(key.profile)
    pipe = load_pipeline(key.task, prof, device=device)

    def run_chunk(chunk: list[PictureItem]):
        kwargs = dict(
            prompt=[it.prompt for it in chunk],
            negative_prompt=[it.negative_prompt or "" for it in chunk] if any(it.negative_prompt for it in chunk) else None,
            num_inference_steps=key.steps,
            guidance_scale=key.guidance,
            width=key.width,
            height=key.height,
            generator=[torch.Generator("cpu").manual_seed(it.seed) for it in chunk],
        )
        if key.task != "txt2img":
            kwargs["image"] = [it.image for it in chunk]
            kwargs["strength"] = key.strength
        if key.task == "inpaint":
            kwargs["mask_image"] = [it.mask for it in chunk]
        if on_step is not None:
            total = key.steps if key.task == "txt2img" else max(1, int(key.steps * (key.strength or 1.0)))

            def callback(_pipe, i, _t, tensors):
                on_step(min(i + 1, total), total)
                return tensors

            kwargs["callback_on_step_end"] = callback
        with generation_lock:
            scheduler = use_sampler(pipe, key.sampler)
            out = _call_pipeline(pipe, kwargs)
            used = sampler_name_of(scheduler)
            config = {k: v for k, v in dict(scheduler.config).items() if not k.startswith("_")}
        recipes = [
            make_recipe(pipe, prof, scheduler, key, it.prompt, it.negative_prompt, it.seed, used, config,
                        batch_size=it.batch_size, batch_index=it.batch_index, extra=it.extra)
            for it in chunk
        ]
        return list(zip(out.images, recipes))

    return in_chunks(items, run_chunk)


def make_recipe(pipe, prof, scheduler, key: BatchKey, prompt, negative_prompt, seed, sampler_used, scheduler_config,
                batch_size=1, batch_index=0, extra=None) -> Recipe:
    """The recipe `generate()` would write for this picture."""
    from genlab.core.profiles import get_profile

    source = prof.source or get_profile(prof.base).source
    return Recipe(
        prompt=prompt,
        negative_prompt=negative_prompt or None,
        seed=seed,
        steps=key.steps,
        guidance=key.guidance,
        width=key.width,
        height=key.height,
        sampler=sampler_used,
        profile=prof.name,
        model=source.path.name if source.path else source.repo,
        model_source=source.describe(),
        model_revision=None if source.path else source.revision,
        task=key.task,
        strength=key.strength if key.task != "txt2img" else None,
        batch_size=batch_size,
        batch_index=batch_index,
        scheduler=type(scheduler).__name__,
        scheduler_config=scheduler_config,
        loras=active_loras(pipe),
        device=str(pipe.device),
        dtype=str(pipe.unet.dtype).replace("torch.", "") if hasattr(pipe, "unet") else None,
        versions=library_versions(),
        extra=dict(extra or {}),
    )


def seeds_for(first: int, n: int) -> list[int]:
    """Picture i of a request uses seed + i (as generate() does)."""
    return [(first + i) % (MAX_SEED + 1) for i in range(n)]


MAX_SEED = 2**32 - 1


def draw_seed() -> int:
    return random.SystemRandom().randrange(MAX_SEED + 1)
