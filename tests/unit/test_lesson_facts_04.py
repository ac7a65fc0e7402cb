"""What lesson 04 (editing) says about strength and noise, computed from the noise schedules themselves.

Image to image adds noise to the picture for the step the strength picks, then runs the rest of the
steps. At that step the start is sqrt(alpha_bar) parts picture and sqrt(1 - alpha_bar) parts noise.
Stable Diffusion 1.5's schedule (scaled_linear, beta 0.00085 to 0.012, 1000 steps) never reaches
pure noise: at its last step, where strength 1.0 starts, about 7 % of the picture is left.
No download: the schedulers are built from their configs (the tiny model's is shipped in assets/).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import diffusers
import nbformat
import pytest
from diffusers import DDPMScheduler, StableDiffusionImg2ImgPipeline

from genlab import settings
from genlab.core.profiles import get_profile

SD15_SCHEDULE = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000)
TINY_SCHEDULER = settings.REPO_ROOT / "assets" / "models" / "tiny-shapes" / "scheduler"
LESSON = settings.REPO_ROOT / "notebooks" / "04_editing.ipynb"


def signal_left(scheduler, t: int) -> float:
    """The share of the picture in the noisy start at timestep t: sqrt(alpha_bar_t)."""
    return math.sqrt(float(scheduler.alphas_cumprod[t]))


def lesson_start(scheduler, steps: int, strength: float) -> tuple[int, int]:
    """(steps that run, timestep the edit starts from), as the lesson's noise cell computes them."""
    scheduler.set_timesteps(steps)
    runs = min(int(steps * strength), steps)
    return runs, int(scheduler.timesteps[(steps - runs) * scheduler.order])


def tiny_scheduler():
    config = diffusers.DPMSolverMultistepScheduler.load_config(TINY_SCHEDULER)
    return getattr(diffusers, config["_class_name"]).from_config(config)


def test_sd15_schedule_keeps_about_7_percent_of_the_picture_at_its_last_step():
    sd15 = DDPMScheduler(**SD15_SCHEDULE)
    assert signal_left(sd15, 999) == pytest.approx(0.0683, abs=5e-4)
    assert round(100 * signal_left(sd15, 999)) == 7  # strength 1.0 is not "all noise"
    assert signal_left(sd15, 750) == pytest.approx(0.2370, abs=5e-4)
    assert round(100 * signal_left(sd15, 750)) == 24
    assert float(sd15.alphas_cumprod[999]) > 0  # some of the picture is left at every step


def test_the_tiny_model_uses_sd15s_noise_schedule():
    """The lesson says the tiny model's schedule is Stable Diffusion's: the same betas, the same numbers."""
    config = tiny_scheduler().config
    assert {k: config[k] for k in SD15_SCHEDULE} == SD15_SCHEDULE
    sd15 = DDPMScheduler(**SD15_SCHEDULE)
    assert tiny_scheduler().alphas_cumprod.tolist() == sd15.alphas_cumprod.tolist()


@pytest.mark.parametrize("strength", [0.2, 0.4, 0.6, 0.8, 1.0])
def test_the_lessons_arithmetic_is_diffusers_img2img(strength):
    """The lesson's cell computes the start step as diffusers' image-to-image pipeline does."""
    steps = get_profile("tiny").defaults["steps"]
    scheduler = tiny_scheduler()
    runs, start = lesson_start(scheduler, steps, strength)
    timesteps, n = StableDiffusionImg2ImgPipeline.get_timesteps(SimpleNamespace(scheduler=scheduler), steps, strength, "cpu")
    assert (runs, start) == (n, int(timesteps[0]))
    assert runs == int(steps * strength)


def test_on_the_tiny_profile_strength_1_starts_at_the_last_step_with_7_percent_left():
    steps = get_profile("tiny").defaults["steps"]
    scheduler = tiny_scheduler()
    runs, start = lesson_start(scheduler, steps, 1.0)
    assert (runs, start) == (steps, 999)
    assert round(100 * signal_left(scheduler, start)) == 7
    shares = [signal_left(scheduler, lesson_start(scheduler, steps, s)[1]) for s in (0.2, 0.4, 0.6, 0.8, 1.0)]
    assert shares == sorted(shares, reverse=True)  # more strength, less of the picture left


def test_the_lesson_computes_the_noise_left_instead_of_calling_strength_1_all_noise():
    nb = nbformat.read(LESSON, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "all of the original is noise" not in text
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "alphas_cumprod" in code and "recipe.scheduler_config" in code
