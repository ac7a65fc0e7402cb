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


# ---- composition and social formats (issue #15) -----------------------------------------------
import re  # noqa: E402

import numpy as np  # noqa: E402
import tomllib  # noqa: E402
from PIL import Image  # noqa: E402

from genlab.core import canvas  # noqa: E402
from genlab.core.profiles import all_profiles  # noqa: E402
from genlab.lessons import editing  # noqa: E402
from genlab.tiny import control  # noqa: E402

EXERCISE = settings.REPO_ROOT / "exercises" / "source" / "04_editing" / "04_editing.ipynb"
PROGRAMME = settings.REPO_ROOT / "workshops" / "programme.toml"


def _lesson_text() -> str:
    return "\n".join(c.source for c in nbformat.read(LESSON, as_version=4).cells)


def test_the_controlnets_the_lesson_names_are_the_profiles_own():
    """"canny/scribble/depth (SD 1.5), canny and depth (SDXL)", sketch and layout on tiny: as models.toml lists them."""
    profiles = all_profiles()
    assert sorted(profiles["tiny"].controls) == ["layout", "sketch"]
    assert sorted(profiles["sd15"].controls) == ["canny", "depth", "scribble"]
    assert sorted(profiles["sdxl"].controls) == ["canny", "depth"]
    text = _lesson_text()
    assert "**canny** edges, **scribble** and **depth** maps (SD 1.5), and **canny** and **depth** (SDXL)" in text
    assert "p.controls" in text  # and the lesson prints the list from the profiles


@pytest.mark.parametrize("ratio, size", [("16:9", (224, 126)), ("9:16", (126, 224)), ("4:5", (128, 160))])
def test_outpainting_a_128_picture_gives_the_exact_ratio_the_lesson_states(ratio, size):
    w, h = canvas.canvas_size(128, 128, ratio)
    rw, rh = canvas.parse_ratio(ratio)
    assert (w, h) == size and w * rh == h * rw  # exactly the ratio, not "about"
    assert f"{size[0]} x {size[1]} ({ratio})" in _lesson_text()


def test_the_16_9_cell_is_a_real_outpaint_not_the_old_square_pad():
    code = "\n".join(c.source for c in nbformat.read(LESSON, as_version=4).cells if c.cell_type == "code")
    assert 'genlab.outpaint(star, "16:9"' in code and 'genlab.outpaint(star, "9:16"' in code
    assert "editing.pad(" not in code and "editing.outpaint(" not in code


def test_layout_iou_is_one_for_an_object_exactly_in_the_box_and_falls_as_it_leaves():
    box = (60, 55, 113, 108)
    obj = Image.new("RGB", (128, 128), control.world.COLOURS["white"])
    from PIL import ImageDraw
    ImageDraw.Draw(obj).ellipse(box, fill=control.world.COLOURS["blue"])
    assert editing.layout_iou(obj, box, "white") == pytest.approx(1.0)
    moved = Image.new("RGB", (128, 128), control.world.COLOURS["white"])
    ImageDraw.Draw(moved).ellipse((14, 19, 67, 72), fill=control.world.COLOURS["blue"])
    assert editing.layout_iou(moved, box, "white") < 0.05  # the boxes touch at one corner only
    # the helper's drawing is the tiny ControlNet's training drawing of that box
    example = control.ControlExample(control.world.Scene((control.world.Shape("circle", "blue", "large", "centre", "flat"),), "white"),
                                     (0.68, 0.64, 0.42), "layout")
    assert control.bounding_box(control.shape_mask("circle", example.geometry)) == box
    assert np.array_equal(np.asarray(editing.layout_drawing(box)), np.asarray(control.draw(example)))


def test_exercise_points_minutes_and_gaming_all_agree_with_the_programme():
    nb = nbformat.read(EXERCISE, as_version=4)
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    intro = nb.cells[0].source
    found = re.search(r"\*\*Points:\*\* (\d+) \((\d+) checked by the computer, (\d+) by your trainer\)", intro)
    auto = sum(v for k, v in points.items() if k != "reflection")
    assert (int(found[1]), int(found[2]), int(found[3])) == (sum(points.values()), auto, points["reflection"])
    raw = tomllib.loads(PROGRAMME.read_text())
    w = next(x for x in raw["workshops"] if x["id"] == "04_editing")
    assert f"**Teaching:** {w['teaching_minutes']} min · **Exercises:** {w['exercise_minutes']} min" in intro
    pass_mark = next(lv for lv in raw["levels"] if lv["id"] == "4").get("pass_mark", raw["programme"]["pass_mark"])
    fixtures = tomllib.loads((settings.REPO_ROOT / "tests" / "fixtures" / "exercises" / "04" / "exercise.toml").read_text())
    lost = fixtures["exercise"][0]["wrong"]["gaming_all"]["loses"]
    best = sum(points.values()) - sum(points[k] for k in lost)  # even with the reflection's full marks
    assert 100 * best / sum(points.values()) < pass_mark
