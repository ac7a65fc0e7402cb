"""The denoising explorer: the picture at every step of the sampler, decoded with the VAE.

`run_steps()` runs the text-to-image pipeline once and, through diffusers'
`callback_on_step_end`, keeps the latents after every step. Two views:

* "noisy": the latents as they are at that step (sigma-scaled samplers such as Euler are brought
  back to the same brightness as the others), decoded by the VAE: noise slowly becoming a picture;
* "guess": the model's prediction of the *final* picture at that step (x0, read from the
  scheduler's step output, or from DPM++/UniPC's last converted model output), which shows the
  layout settling early and the details coming late. Samplers that expose no x0 (PNDM) fall back
  to the noisy view.

Frame 0 is the starting noise. `compare()` runs two settings on the same seed (two guidance scales
or two samplers) and `strip()` lays them out as a labelled contact sheet.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, replace

import gradio as gr
from PIL import Image

from .generation import draw_seed, generation_lock, sampler_name_of, slug, use_sampler
from .i18n import UserError, t
from .recipe import Recipe, save_png

MAX_EXPLORER_STEPS = 50
SHOW = ("noisy", "guess")
COMPARE = ("none", "guidance", "sampler")
STRIP_MAX_WIDTH = 2400  # px; cells shrink when there are many steps


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

    from .pipelines import load_pipeline
    from .profiles import get_profile
    from .render import BatchKey, make_recipe

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


def label_of(s, compare: str, lang: str) -> str:
    if compare == "sampler":
        return s.sampler
    return f"{t('studio.axis_guidance', lang)} {s.guidance:g}"


def strip(runs: list[StepRun], lang: str = "en") -> Image.Image:
    """The steps left to right, one row per run, labelled."""
    from .studio import labelled_grid

    cols = max(len(r.frames) for r in runs)
    cell = runs[0].frames[0].width
    size = max(48, min(cell, STRIP_MAX_WIDTH // cols))
    rows = [[f.resize((size, size), Image.LANCZOS) if f.width != size else f for f in r.frames] for r in runs]
    x_labels = ["0", *[str(i) for i in range(1, cols)]]
    title = t("explorer.step", lang)
    if len(runs) == 1:
        return labelled_grid(rows, title, x_labels, None, [])
    return labelled_grid(rows, title, x_labels, "", [r.label for r in runs])


def check_explore(prompt, negative_prompt, seed, steps, guidance, sampler, show, compare, guidance_b, sampler_b):
    from .studio import MAX_GUIDANCE, _number, _whole_number, check_settings, options

    s = check_settings(prompt, negative_prompt, seed, None, guidance, None, sampler)
    opts = options()
    steps = opts.steps if steps in (None, "") else _whole_number(steps, "errors.steps", 1, MAX_EXPLORER_STEPS, good=opts.steps)
    s = replace(s, steps=steps, seed=s.seed if s.seed is not None else draw_seed())
    show = show if show in SHOW else "noisy"
    compare = compare if compare in COMPARE else "none"
    other = None
    if compare == "guidance":
        other = replace(s, guidance=_number(guidance_b, "errors.guidance", 0, MAX_GUIDANCE, good=f"{opts.guidance:g}"))
    elif compare == "sampler":
        name = str(sampler_b or "")
        if name not in opts.samplers:
            raise UserError("errors.sampler_unknown", sampler=name[:60], samplers=", ".join(opts.samplers))
        other = replace(s, sampler=name)
    return s, other, show, compare


def _save(img: Image.Image, folder, name: str) -> str:
    path = folder / name
    img.save(path, format="PNG")
    return str(path)


def explore(
    prompt: str,
    negative_prompt: str | None = None,
    seed: float = -1,
    steps: float | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    show: str = "noisy",
    compare: str = "none",
    guidance_b: float | None = 12.0,
    sampler_b: str | None = "Euler a",
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """Every step of one run (or of two, side by side). Returns (strip PNG, final PNG, recipe text,
    step slider, frame A, frame B) [+ the frames of each run, kept in the session]."""
    from .studio import handling, output_dir, progress_reporter

    with handling("explorer", "explore", request) as h:
        s, other, show, compare = check_explore(prompt, negative_prompt, seed, steps, guidance, sampler, show, compare, guidance_b, sampler_b)
        h.tracker.settings = s.log_fields(show=show, compare=compare)
        h.tracker.prompt = s.prompt
        report = progress_reporter(progress, h.lang)
        total = s.steps + (other.steps if other else 0)
        a = run_steps(s, show, on_step=(lambda i, n: report(i, total)) if report else None)
        a.label = label_of(s, compare, h.lang)
        runs = [a]
        if other is not None:
            b = run_steps(other, show, on_step=(lambda i, n: report(s.steps + i, total)) if report else None)
            b.label = label_of(other, compare, h.lang)
            runs.append(b)
        folder = output_dir() / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True)
        sheet = _save(strip(runs, h.lang), folder, f"steps-{slug(s.prompt)}.png")
        final = save_png(a.final, a.recipe, folder / f"{a.recipe.seed}-{slug(s.prompt)}.png")
        frames = [[_save(f, folder, f"{k}-{i:03d}.png") for i, f in enumerate(r.frames)] for k, r in enumerate(runs)]
    last = len(frames[0]) - 1
    frames_b = frames[1] if len(frames) > 1 else []
    return (
        sheet,
        str(final),
        a.recipe.to_parameters(),
        gr.Slider(minimum=0, maximum=last, value=last, step=1, interactive=True),
        frames[0][last],
        gr.Image(value=frames_b[min(last, len(frames_b) - 1)] if frames_b else None, visible=bool(frames_b)),
        frames[0],
        frames_b,
    )


def frame_at(frames_a: list[str] | None, frames_b: list[str] | None, step):
    """The pictures of step `step` (the slider) of run A and run B."""
    try:
        k = int(step)
    except (TypeError, ValueError):
        k = 0
    pick = lambda fs: fs[max(0, min(k, len(fs) - 1))] if fs else None  # noqa: E731
    return pick(frames_a), pick(frames_b)
