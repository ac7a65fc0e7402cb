"""The facts lesson 3 (notebooks/03_under_the_hood.ipynb) states, checked against the code that makes them.

* how much of the picture is left at timestep t: computed from the schedulers themselves (Stable
  Diffusion 1.5's config, built here without a download, and the tiny model's own config in assets);
* diffusers warns, naming the lost words, when a prompt is cut at 77 tokens;
* the lesson's hand-written loop makes genlab.generate's picture with a profile's defaults, also when
  those defaults switch guidance off (guidance <= 1, as sd-turbo's do).
"""

from __future__ import annotations

import json
import logging

import nbformat
import pytest
import torch

from genlab import settings

# Stable Diffusion 1.5's noise schedule (its scheduler/scheduler_config.json)
SD15 = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000)
LESSON = settings.NOTEBOOKS_DIR / "03_under_the_hood.ipynb"


def _signal(alphas_cumprod, t: int) -> float:
    """The picture's weight in the mix at t: sqrt(alpha_bar[t])."""
    return float(alphas_cumprod[t].sqrt())


@pytest.mark.parametrize("scheduler_class", ["DDPMScheduler", "PNDMScheduler"])
def test_sd15_keeps_part_of_the_picture_at_every_timestep(scheduler_class):
    import diffusers

    ab = getattr(diffusers, scheduler_class)(**SD15).alphas_cumprod
    assert round(_signal(ab, 750), 2) == 0.24  # about a quarter of the picture at t = 750
    assert round(_signal(ab, 999), 2) == 0.07  # and still 7 % at the last timestep: never pure noise
    assert round(_signal(ab, 500), 2) == 0.53
    # picture and noise weigh the same (alpha_bar = 0.5) about a third of the way in
    half = min(range(1000), key=lambda t: abs(float(ab[t]) - 0.5))
    assert 340 <= half <= 360


def test_the_tiny_model_uses_sd15s_schedule():
    """Lesson 3, Challenge 1 says so; read from the tiny model's own scheduler config."""
    from diffusers import DDPMScheduler

    from genlab.core.profiles import get_profile

    folder = get_profile("tiny").source.path
    config = json.loads((folder / "scheduler" / "scheduler_config.json").read_text())
    tiny = DDPMScheduler.from_config(config).alphas_cumprod
    sd15 = DDPMScheduler(**SD15).alphas_cumprod
    assert torch.allclose(tiny, sd15)
    assert round(_signal(tiny, 750), 2) == 0.24 and round(_signal(tiny, 999), 2) == 0.07


def test_the_lesson_reads_the_same_numbers_from_the_pipeline():
    from genlab.lessons import internals

    pipe = internals.pipeline("tiny")
    sd15 = torch.tensor([float(x) for x in __import__("diffusers").DDPMScheduler(**SD15).alphas_cumprod])
    for t in (0, 250, 500, 750, 999):
        assert abs(float(internals.alpha_bar(pipe, t)) - float(sd15[t])) < 1e-6


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_diffusers_warns_when_a_prompt_is_cut_at_77_tokens():
    import diffusers.utils.logging as dlog

    from genlab.lessons import internals

    pipe = internals.pipeline("tiny")
    long_brief = ", ".join(["a large striped yellow star on a purple background in the centre"] * 6) + ", with a small red heart"
    assert internals.count_tokens(pipe, long_brief) > internals.MAX_TOKENS
    handler, root = _Collect(), dlog.get_logger("diffusers")
    root.addHandler(handler)
    try:
        internals.encode_text(pipe, long_brief)
        internals.encode_text(pipe, "a red heart")  # a short prompt: no warning
    finally:
        root.removeHandler(handler)
    cut = [m for m in handler.messages if "truncated" in m]
    assert len(cut) == 1 and "red heart" in cut[0] and "77" in cut[0]


def _lesson_loop(defaults: dict):
    """The lesson's my_generate, defined as the notebook defines it, with these profile defaults."""
    from genlab.lessons import internals

    nb = nbformat.read(LESSON, as_version=4)
    src = next(c.source for c in nb.cells if c.cell_type == "code" and "def my_generate" in c.source)
    definition = src.split("\n\n\n")[0]
    assert definition.startswith("def my_generate")
    scope = {"internals": internals, "pipe": internals.pipeline("tiny"), "defaults": defaults, "torch": torch}
    exec(definition, scope)
    return scope["my_generate"]


@pytest.mark.parametrize("defaults", [
    None,                                 # the tiny profile's own defaults (guidance above 1)
    {"steps": 3, "guidance": 0.0},        # guidance switched off, as sd-turbo's defaults do
    {"steps": 4, "guidance": 1.0},
    {"steps": 5, "guidance": 2.5, "sampler": "Euler"},
])
def test_the_hand_written_loop_is_identical_with_a_profiles_defaults(defaults):
    import genlab
    from genlab.lessons import lesson

    defaults = dict(genlab.get_profile("tiny").defaults) if defaults is None else defaults
    mine = _lesson_loop(defaults)("a red circle on a blue background", seed=42)
    theirs = genlab.generate("a red circle on a blue background", seed=42, profile="tiny", steps=defaults["steps"],
                             guidance=defaults["guidance"], sampler=defaults.get("sampler"))
    assert lesson.same_pixels(mine, theirs)


def test_guidance_0_and_1_give_the_same_picture():
    """Lesson 3's guidance section and Challenge 3 (and lesson 1): diffusers switches guidance off at <= 1."""
    import genlab
    from genlab.lessons import lesson

    g0 = genlab.generate("a green heart on a white background", seed=9, steps=4, guidance=0.0, profile="tiny")
    g1 = genlab.generate("a green heart on a white background", seed=9, steps=4, guidance=1.0, profile="tiny")
    g3 = genlab.generate("a green heart on a white background", seed=9, steps=4, guidance=3.0, profile="tiny")
    assert lesson.same_pixels(g0, g1) and not lesson.same_pixels(g1, g3)


def test_the_lesson_types_no_noise_figures():
    """The shares of picture and noise are printed from the scheduler, not written in the text."""
    nb = nbformat.read(LESSON, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for wrong in ("only noise is left", "almost nothing is left", "without a warning"):
        assert wrong not in text
    assert "%" not in text
