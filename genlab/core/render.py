"""The one renderer: every picture, clip and explorer step genlab makes is made here, with its recipe.

* `render(key, items)` makes pictures: `genlab.generate()` (n pictures of one prompt), the demos'
  `Batcher` (genlab.ui.room: pictures of *different* prompts, negatives, seeds and source pictures
  in one call, as long as the settings the pipeline takes once per call agree: that is the
  `BatchKey`), and the explorer's steps (`genlab.core.steps`, which watches the run through a
  `StepHook`).
* `render_clip(key, item)` makes a clip (text to video, or image to video from `item.image`).

Both run the pipeline the same way (`_run`): the sampler is set and the pipeline called under the
generation lock, progress is reported per denoising step, an out-of-memory error is retried in
halves (genlab.core.memory.in_chunks; a clip cannot be split, so it gets the clear message), and
each result gets the recipe `make_recipe` writes: task, strength, sampler, scheduler class and
config, LoRAs, model source and revision, device, dtype, library versions, batch, frames and fps
for clips. So `regenerate()`, `read_recipe()` and `read_clip_recipe()` read the same fields
whatever made the file.
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

CLIP_TASKS = ("video", "i2v")


@dataclass(frozen=True)
class BatchKey:
    """What all pictures of one pipeline call share."""

    profile: str  # a profile name (generate() may pass a Profile object read from another models.toml)
    task: str  # txt2img, img2img, inpaint; video, i2v (clips)
    steps: int
    guidance: float
    width: int
    height: int
    sampler: str | None
    strength: float | None = None
    frames: int | None = None  # clips: frames the pipeline makes
    fps: int | None = None  # clips: frames per second when played (recorded in the recipe)
    control: str | None = None  # composition: the ControlNet's condition (models.toml controls)
    control_scale: float = 1.0
    control_start: float = 0.0
    control_end: float = 1.0
    reference_scale: float | None = None  # a reference picture through the profile's IP-Adapter


@dataclass
class PictureItem:
    """One picture (or clip) to make: its own words, seed and (for edits) source picture and mask."""

    prompt: str
    negative_prompt: str | None
    seed: int
    image: Image.Image | None = None  # RGB, already at the key's size (image to video: the still)
    mask: Image.Image | None = None  # L, white = repaint, already at the key's size
    control: object | None = None  # a genlab.core.composition.Control (its image at the key's size)
    reference: Image.Image | None = None  # the reference picture (IP-Adapter), RGB
    batch_size: int = 1  # how many pictures the person asked for together (for the recipe)
    batch_index: int = 0
    extra: dict | None = None


class StepHook:
    """Watches one pipeline run from inside the generation lock (the explorer's per-step pictures).

    `start` runs once the sampler is set, before the pipeline is called; `step` after each
    denoising step (diffusers' `callback_on_step_end`, before the progress report); `finish` after
    the call, also when it failed. Subclasses override what they need.
    """

    def start(self, pipe, scheduler) -> None:
        pass

    def step(self, pipe, step_index: int, timestep, tensors: dict) -> None:
        pass

    def finish(self, pipe, scheduler) -> None:
        pass


def _call_pipeline(pipe, kwargs: dict):
    """The one place a pipeline runs (tests replace it to simulate a GPU running out of memory)."""
    return pipe(**kwargs)


def _profile(key: BatchKey):
    from genlab.core.profiles import Profile, get_profile

    if isinstance(key.profile, Profile):
        return key.profile
    return get_profile(key.profile, video=key.task in CLIP_TASKS)


def pipeline_for(key: BatchKey, prof, device: str | None = None):
    """The pipeline that makes `key.task` on the profile (image to video: see pipelines.image_to_video_pipeline)."""
    from genlab.core.pipelines import control_pipeline, image_to_video_pipeline, load_pipeline

    if key.control is not None:
        return control_pipeline(prof, key.control, device=device)
    if key.reference_scale is not None:
        from genlab.core.pipelines import reference_pipeline

        return reference_pipeline(prof, device=device)
    if key.task == "i2v":
        return image_to_video_pipeline(prof, device=device)
    return load_pipeline(key.task, prof, device=device)


def _uses_strength(key: BatchKey, prof) -> bool:
    """Whether the pipeline takes `strength` (edits, and AnimateDiff's image to video)."""
    if key.task in ("img2img", "inpaint"):
        return True
    return key.task == "i2v" and prof.motion_adapter is not None


def steps_run(key: BatchKey, prof) -> int:
    """How many denoising steps the pipeline runs: edits start part way, so they run steps x strength."""
    if _uses_strength(key, prof):
        return max(1, int(key.steps * (key.strength or 1.0)))
    return key.steps


def _run(pipe, prof, key: BatchKey, chunk: list[PictureItem], kwargs: dict,
         on_step: Callable[[int, int], None] | None, hook: StepHook | None):
    """Call the pipeline once for `chunk` (sampler set, under the lock) → (pipeline output, one recipe per item)."""
    if on_step is not None or hook is not None:
        total = steps_run(key, prof)

        def callback(_pipe, i, t, tensors):
            if hook is not None:
                hook.step(_pipe, i, t, tensors)
            if on_step is not None:
                on_step(min(i + 1, total), total)
            return tensors

        kwargs["callback_on_step_end"] = callback
    with generation_lock:
        scheduler = use_sampler(pipe, key.sampler)
        if key.reference_scale is not None:
            pipe.set_ip_adapter_scale(key.reference_scale)
        if hook is not None:
            hook.start(pipe, scheduler)
        try:
            out = _call_pipeline(pipe, kwargs)
        finally:
            if hook is not None:
                hook.finish(pipe, scheduler)
        recipes = [make_recipe(pipe, prof, scheduler, key, it) for it in chunk]
    return out, recipes


def _generators(seeds: list[int]):
    import torch

    return [torch.Generator("cpu").manual_seed(s) for s in seeds]  # CPU noise: the same pictures on every device


def render(key: BatchKey, items: list[PictureItem], on_step: Callable[[int, int], None] | None = None,
           device: str | None = None, hook: StepHook | None = None) -> list[tuple[Image.Image, Recipe]]:
    """Make every item's picture, in one call when memory allows. Returns (picture, recipe) per item.

    `on_step(done, total)` reports progress; `hook` watches the run (one item at a time).
    """
    from genlab.core.memory import in_chunks

    if key.task in CLIP_TASKS:
        raise ValueError(f"render() makes pictures; use render_clip() for the task '{key.task}'.")
    prof = _profile(key)
    pipe = pipeline_for(key, prof, device)

    def run_chunk(chunk: list[PictureItem]):
        kwargs = dict(
            prompt=[it.prompt for it in chunk],
            negative_prompt=[it.negative_prompt or "" for it in chunk] if any(it.negative_prompt for it in chunk) else None,
            num_inference_steps=key.steps,
            guidance_scale=key.guidance,
            width=key.width,
            height=key.height,
            generator=_generators([it.seed for it in chunk]),
        )
        if key.task != "txt2img":
            kwargs["image"] = [it.image for it in chunk]
            kwargs["strength"] = key.strength
        if key.task == "inpaint":
            kwargs["mask_image"] = [it.mask for it in chunk]
        if key.control is not None:
            kwargs.update(image=[it.control.image for it in chunk], controlnet_conditioning_scale=key.control_scale,
                          control_guidance_start=key.control_start, control_guidance_end=key.control_end)
        if key.reference_scale is not None:
            kwargs["ip_adapter_image"] = [it.reference for it in chunk]
        out, recipes = _run(pipe, prof, key, chunk, kwargs, on_step, hook)
        return list(zip(out.images, recipes))

    return in_chunks(items, run_chunk)


def render_clip(key: BatchKey, item: PictureItem, on_step: Callable[[int, int], None] | None = None,
                device: str | None = None) -> tuple[list[Image.Image], Recipe]:
    """Make one clip: (frames, recipe). Text to video (`key.task` "video") or image to video ("i2v",
    from `item.image`). Out of memory: a clear message (a clip cannot be split)."""
    from genlab.core.memory import in_chunks

    if key.task not in CLIP_TASKS:
        raise ValueError(f"render_clip() makes clips (tasks {', '.join(CLIP_TASKS)}), not '{key.task}'.")
    prof = _profile(key)
    pipe = pipeline_for(key, prof, device)
    kwargs = dict(
        prompt=item.prompt,
        negative_prompt=item.negative_prompt,
        num_frames=key.frames,
        num_inference_steps=key.steps,
        guidance_scale=key.guidance,
        width=key.width,
        height=key.height,
        generator=_generators([item.seed])[0],
        output_type="pil",
    )
    if key.task == "i2v":
        if item.image is None:
            raise ValueError("Image to video needs the still picture (item.image).")
        if _uses_strength(key, prof):  # AnimateDiff video-to-video: the still, repeated, is the video
            kwargs["video"] = [item.image] * kwargs.pop("num_frames")
            kwargs["strength"] = key.strength
        else:
            kwargs["image"] = item.image

    def run_chunk(chunk: list[PictureItem]):
        out, recipes = _run(pipe, prof, key, chunk, dict(kwargs), on_step, None)
        return [(list(out.frames[0]), recipes[0])]

    return in_chunks([item], run_chunk)[0]


def make_recipe(pipe, prof, scheduler, key: BatchKey, item: PictureItem) -> Recipe:
    """The recipe of one picture or clip made by `pipe` with `scheduler` (the one recipe builder)."""
    from genlab.core.profiles import get_profile

    source = prof.source or get_profile(prof.base).source
    extra = dict(item.extra or {})
    if key.task in CLIP_TASKS and prof.motion_adapter is not None:
        extra.setdefault("motion_adapter", prof.motion_adapter.describe())  # the motion weights, with their revision
    denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    return Recipe(
        prompt=item.prompt,
        negative_prompt=item.negative_prompt or None,
        seed=item.seed,
        steps=key.steps,
        guidance=key.guidance,
        width=key.width,
        height=key.height,
        sampler=sampler_name_of(scheduler),
        profile=prof.name,
        model=source.path.name if source.path else source.repo,
        model_source=source.describe(),
        model_revision=None if source.path else source.revision,
        task=key.task,
        strength=key.strength if _uses_strength(key, prof) else None,  # only what the pipeline was given
        frames=key.frames if key.task in CLIP_TASKS else None,
        fps=key.fps if key.task in CLIP_TASKS else None,
        batch_size=item.batch_size,
        batch_index=item.batch_index,
        scheduler=type(scheduler).__name__,
        scheduler_config={k: v for k, v in dict(scheduler.config).items() if not k.startswith("_")},
        loras=active_loras(pipe),
        control=item.control.recipe() if item.control is not None else {},
        reference=_reference_recipe(prof, key, item),
        device=str(pipe.device),
        dtype=str(denoiser.dtype).replace("torch.", "") if denoiser is not None else None,
        versions=library_versions(),
        extra=extra,
    )


def _reference_recipe(prof, key: BatchKey, item: PictureItem) -> dict:
    if key.reference_scale is None or item.reference is None:
        return {}
    from genlab.core.imaging import picture_sha256

    ip = prof.ip_adapter
    return {"model": ip.weight_name.rsplit(".", 1)[0], "model_source": ip.source.describe(), "scale": key.reference_scale,
            "image_sha256": picture_sha256(item.reference)}


def seeds_for(first: int, n: int) -> list[int]:
    """Picture i of a request uses seed + i (as generate() does)."""
    return [(first + i) % (MAX_SEED + 1) for i in range(n)]


MAX_SEED = 2**32 - 1


def draw_seed() -> int:
    return random.SystemRandom().randrange(MAX_SEED + 1)
