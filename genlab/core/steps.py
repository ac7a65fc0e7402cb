"""The picture at every denoising step: one text-to-image run with each step's latents decoded
(the explorer app and lesson 03 show them side by side)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from PIL import Image

from genlab.core.profiles import get_profile
from genlab.core.recipe import Recipe
from genlab.core.render import BatchKey, PictureItem, StepHook, pipeline_for, render
from genlab.core.samplers import generation_lock


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


class StepRecorder(StepHook):
    """Keeps each step's latents (and, when the sampler gives one, its guess of the final picture)."""

    def __init__(self):
        self.start_noise = None
        self.latents: list = []
        self.guesses: list = []
        self._last_x0 = None
        self._scheduler = None
        self._sigma_based = False

    def start(self, pipe, scheduler) -> None:
        self._scheduler = scheduler
        self._sigma_based = float(getattr(scheduler, "init_noise_sigma", 1.0)) > 1.0

        # functools.wraps keeps the scheduler's signature: the pipeline passes `generator` (and `eta`)
        # only to a step function whose signature takes them, and ancestral samplers ("Euler a")
        # draw their fresh noise from that generator; without it the noise came from torch's
        # global generator and the explorer's "Euler a" runs could not be made again.
        @functools.wraps(scheduler.step)
        def step(*args, **kwargs):
            sample = kwargs.get("sample", args[2] if len(args) > 2 else None)
            if self.start_noise is None and sample is not None:
                scale = float(scheduler.init_noise_sigma) if self._sigma_based else 1.0
                self.start_noise = sample.detach().clone() / scale
            out = type(scheduler).step(scheduler, *args, **kwargs)
            x0 = _x0_of(scheduler, out)
            self._last_x0 = None if x0 is None else x0.detach().clone()
            return out

        scheduler.step = step  # this run only: read x0 on the way through

    def step(self, pipe, step_index, timestep, tensors) -> None:
        scheduler = self._scheduler
        latents = tensors["latents"].detach().clone()
        if self._sigma_based:
            index = min(getattr(scheduler, "step_index", 0) or 0, len(scheduler.sigmas) - 1)
            sigma = float(scheduler.sigmas[index])
            latents = latents / math.sqrt(sigma**2 + 1)
        self.latents.append(latents)
        self.guesses.append(self._last_x0)

    def finish(self, pipe, scheduler) -> None:
        del scheduler.step

    def frames(self, pipe, show: str) -> list[Image.Image]:
        """The starting noise, then each step: the noisy latents, or (show="guess") the sampler's guess."""
        chosen = [g if (show == "guess" and g is not None) else n for n, g in zip(self.latents, self.guesses)]
        start = [] if self.start_noise is None else [self.start_noise]
        return [_decode(pipe, lat) for lat in [*start, *chosen]]


def run_steps(s, show: str = "noisy", on_step=None) -> StepRun:
    """One text-to-image run of settings `s` (genlab.core.checks.Settings, seed set), every step decoded.

    The run goes through the one renderer (genlab.core.render), so the final picture and its
    recipe are what `genlab.generate` makes with these settings.
    """
    prompt, negative = s.styled
    key = BatchKey(s.profile, "txt2img", s.steps, s.guidance, s.width, s.height, s.sampler)
    item = PictureItem(prompt=prompt, negative_prompt=negative, seed=s.seed, extra=s.extra())
    recorder = StepRecorder()
    prof = get_profile(s.profile)
    with generation_lock:  # decode the steps before another run uses the pipeline (the lock is re-entrant)
        [(final, recipe)] = render(key, [item], on_step=on_step, hook=recorder)
        frames = recorder.frames(pipeline_for(key, prof), show)
    return StepRun(frames=frames, final=final, recipe=recipe, label="", show=show)
