"""The picture at every denoising step: one text-to-image run with each step's latents decoded
(the explorer app and lesson 03 show them side by side)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from genlab.core.recipe import Recipe
from genlab.core.samplers import generation_lock, sampler_name_of, use_sampler


@dataclass
class StepRun:
    frames: list[Image.Image]  # frame 0 = the starting noise, then one per step
    final: Image.Image
    recipe: Recipe
    label: str
    show: str


def _decode(pipe, latents) -> Image.Image:
    import torch

    with torch.no_grad():
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
    return pipe.image_processor.postprocess(image, output_type="pil")[0]


def _x0_of(scheduler, step_output):
    if isinstance(step_output, tuple):  # return_dict=False: (prev_sample, pred_original_sample) when it has one
        x0 = step_output[1] if len(step_output) > 1 and hasattr(step_output[1], "shape") else None
    else:
        x0 = getattr(step_output, "pred_original_sample", None)
    if x0 is not None:
        return x0
    outputs = getattr(scheduler, "model_outputs", None)
    config = dict(scheduler.config)
    predicts_x0 = config.get("algorithm_type", "") in ("dpmsolver++", "sde-dpmsolver++") or config.get("predict_x0", False)
    if outputs and predicts_x0 and outputs[-1] is not None:
        return outputs[-1]
    return None


def run_steps(s, show: str = "noisy", on_step=None) -> StepRun:
    """One text-to-image run of settings `s` (genlab.studio.Settings, seed set), every step decoded."""
    import torch

    from genlab.core.pipelines import load_pipeline
    from genlab.core.profiles import get_profile
    from genlab.core.render import BatchKey, make_recipe

    prof = get_profile(s.profile)
    pipe = load_pipeline("txt2img", prof)
    prompt, negative = s.styled
    latents_per_step, guesses = [], []
    start, last_x0 = [], [None]

    with generation_lock:
        scheduler = use_sampler(pipe, s.sampler)
        sigma_based = float(getattr(scheduler, "init_noise_sigma", 1.0)) > 1.0

        def step(*args, **kwargs):
            sample = kwargs.get("sample", args[2] if len(args) > 2 else None)
            if not start and sample is not None:
                start.append(sample.detach().clone() / (float(scheduler.init_noise_sigma) if sigma_based else 1.0))
            out = type(scheduler).step(scheduler, *args, **kwargs)
            x0 = _x0_of(scheduler, out)
            last_x0[0] = None if x0 is None else x0.detach().clone()
            return out

        def callback(_pipe, i, _t, tensors):
            latents = tensors["latents"].detach().clone()
            if sigma_based:
                index = min(getattr(scheduler, "step_index", 0) or 0, len(scheduler.sigmas) - 1)
                sigma = float(scheduler.sigmas[index])
                latents = latents / math.sqrt(sigma**2 + 1)
            latents_per_step.append(latents)
            guesses.append(last_x0[0])
            if on_step:
                on_step(i + 1, s.steps)
            return tensors

        scheduler.step = step  # this run only: read x0 on the way through
        try:
            out = pipe(
                prompt=prompt,
                negative_prompt=negative,
                num_inference_steps=s.steps,
                guidance_scale=s.guidance,
                width=s.width,
                height=s.height,
                generator=torch.Generator("cpu").manual_seed(s.seed),
                callback_on_step_end=callback,
            )
        finally:
            del scheduler.step
        used = sampler_name_of(scheduler)
        config = {k: v for k, v in dict(scheduler.config).items() if not k.startswith("_")}
        chosen = [g if (show == "guess" and g is not None) else n for n, g in zip(latents_per_step, guesses)]
        frames = [_decode(pipe, lat) for lat in [*start[:1], *chosen]]
    key = BatchKey(prof.name, "txt2img", s.steps, s.guidance, s.width, s.height, s.sampler)
    recipe = make_recipe(pipe, prof, scheduler, key, prompt, negative, s.seed, used, config, extra=s.extra())
    return StepRun(frames=frames, final=out.images[0], recipe=recipe, label="", show=show)
