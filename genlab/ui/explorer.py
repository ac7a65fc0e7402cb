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

import uuid
from dataclasses import replace

import gradio as gr
from PIL import Image

from genlab.core.checks import MAX_GUIDANCE, check_settings, number_in_range, options, whole_number
from genlab.core.i18n import UserError, t
from genlab.core.imaging import labelled_grid, slug
from genlab.core.recipe import save_png
from genlab.core.render import draw_seed
from genlab.core.steps import StepRun, run_steps
from genlab.ui.errors import handling
from genlab.ui.pictures import output_dir

MAX_EXPLORER_STEPS = 50
SHOW = ("noisy", "guess")
COMPARE = ("none", "guidance", "sampler")
STRIP_MAX_WIDTH = 2400  # px; cells shrink when there are many steps


def label_of(s, compare: str, lang: str) -> str:
    if compare == "sampler":
        return s.sampler
    return f"{t('studio.axis_guidance', lang)} {s.guidance:g}"


def strip(runs: list[StepRun], lang: str = "en") -> Image.Image:
    """The steps left to right, one row per run, labelled."""
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
    s = check_settings(prompt, negative_prompt, seed, None, guidance, None, sampler)
    opts = options()
    steps = opts.steps if steps in (None, "") else whole_number(steps, "errors.steps", 1, MAX_EXPLORER_STEPS, good=opts.steps)
    s = replace(s, steps=steps, seed=s.seed if s.seed is not None else draw_seed())
    show = show if show in SHOW else "noisy"
    compare = compare if compare in COMPARE else "none"
    other = None
    if compare == "guidance":
        other = replace(s, guidance=number_in_range(guidance_b, "errors.guidance", 0, MAX_GUIDANCE, good=f"{opts.guidance:g}"))
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
    with handling("explorer", "explore", request, progress) as h:
        s, other, show, compare = check_explore(prompt, negative_prompt, seed, steps, guidance, sampler, show, compare, guidance_b, sampler_b)
        h.record(s.prompt, **s.log_fields(show=show, compare=compare))
        both = [s] if other is None else [s, other]
        total, done, runs = sum(x.steps for x in both), 0, []
        for settings in both:  # one progress bar over both runs
            report = (lambda i, n, _done=done: h.on_progress(_done + i, total)) if h.on_progress else None
            run = run_steps(settings, show, on_step=report)
            run.label = label_of(settings, compare, h.lang)
            runs.append(run)
            done += settings.steps
        a = runs[0]
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
