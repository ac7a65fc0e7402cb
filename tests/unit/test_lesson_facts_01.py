"""Facts lesson 01 states about steps, guidance and negative prompts, pinned to the code that
makes them true.

* diffusers switches classifier-free guidance off at guidance 1 or below (the pipeline genlab's
  profiles load computes one guess per step there), so guidance 0 gives the guidance-1 picture and a
  negative prompt does nothing; above 1 a negative prompt changes the picture. Checked on the
  tiny model itself.
* sd-turbo's default guidance switches guidance off (0), and its default steps are 1-4.
* The lesson's own choices, run for every picture profile of assets/models.toml: the steps it
  compares include the default and twice the default; the guidance scales include 1 and the
  default (or 2 where the default is 1 or less); the guidance of the negative-prompt demo is above 1.
"""

from __future__ import annotations

import ast
from types import SimpleNamespace

import nbformat
import pytest

import genlab
from genlab import settings
from genlab.lessons import lesson

LESSON = settings.NOTEBOOKS_DIR / "01_first_images.ipynb"
PICTURE_PROFILES = [name for name, p in genlab.all_profiles().items() if not p.is_video]


def _assignment(name: str) -> ast.stmt:
    """The statement of lesson 01's code that assigns `name` (exactly one)."""
    nb = nbformat.read(LESSON, as_version=4)
    found = [node for c in nb.cells if c.cell_type == "code" for node in ast.parse(c.source).body
             if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]
    assert len(found) == 1, f"lesson 01 assigns {name} {len(found)} times"
    return found[0]


def _lesson_value(name: str, profile: str, **given):
    namespace = {"defaults": genlab.get_profile(profile).defaults, **given}
    exec(compile(ast.Module(body=[_assignment(name)], type_ignores=[]), "lesson 01", "exec"), namespace)  # noqa: S102 (the lesson's own code, run on purpose)
    return namespace[name]


def test_the_lesson_reads_the_profiles_defaults():
    src = ast.unparse(_assignment("defaults"))
    assert src == "defaults = genlab.get_profile(profile).defaults"


@pytest.mark.parametrize("profile", PICTURE_PROFILES)
def test_the_lessons_steps_guidance_and_negative_guidance_fit_every_profile(profile):
    d = genlab.get_profile(profile).defaults
    steps = _lesson_value("step_counts", profile)
    assert steps == sorted(set(steps)) and steps[0] >= 1 and all(type(s) is int for s in steps)
    assert d["steps"] in steps and steps[-1] == 2 * d["steps"] and len(steps) >= 3
    base = _lesson_value("base", profile)
    scales = _lesson_value("scales", profile, base=base)
    assert 1.0 in scales and base in scales and all(g > 0 for g in scales)
    assert base == (d["guidance"] if d["guidance"] > 1 else 2.0)
    assert _lesson_value("neg_guidance", profile) > 1  # where a negative prompt acts


def test_sd_turbo_switches_guidance_off_and_uses_few_steps():
    d = genlab.get_profile("sd-turbo").defaults
    assert d["guidance"] == 0 and 1 <= d["steps"] <= 4


def test_diffusers_switches_guidance_off_at_1_or_below():
    from diffusers import StableDiffusionPipeline

    def cfg(g):
        stub = SimpleNamespace(_guidance_scale=g, unet=SimpleNamespace(config=SimpleNamespace(time_cond_proj_dim=None)))
        return StableDiffusionPipeline.do_classifier_free_guidance.fget(stub)

    assert [cfg(g) for g in (0.0, 0.5, 1.0, 1.01, 2.0, 7.0)] == [False, False, False, True, True, True]
    pipe_class = genlab.load_pipeline("txt2img", "tiny").__class__
    assert issubclass(pipe_class, StableDiffusionPipeline), pipe_class


def test_on_the_tiny_model_guidance_0_is_guidance_1_and_a_negative_prompt_needs_guidance_above_1():
    star = "a yellow star on a black background"
    make = lambda **kw: genlab.generate(star, seed=3, steps=6, profile="tiny", **kw)
    assert lesson.same_pixels(make(guidance=0.0), make(guidance=1.0))
    assert lesson.same_pixels(make(guidance=1.0), make(guidance=1.0, negative_prompt="large"))
    neg_guidance = _lesson_value("neg_guidance", "tiny")
    assert not lesson.same_pixels(make(guidance=neg_guidance), make(guidance=neg_guidance, negative_prompt="large"))
