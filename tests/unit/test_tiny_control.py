"""The tiny ControlNet's world (genlab.tiny.control) and its trainer: drawings, the adherence
measure on ground truth, the smoke preset end to end into a ControlNet that loads offline."""

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from genlab.settings import MODELS_DIR, REPO_ROOT
from genlab.tiny import control, world
from genlab.tiny.train import presets


def test_examples_put_one_object_anywhere_inside_the_frame():
    rng = random.Random(0)
    xs, sides = [], []
    for _ in range(200):
        ex = control.sample_example(rng)
        cx, cy, side = ex.geometry
        assert control.SIDE_RANGE[0] <= side <= control.SIDE_RANGE[1]
        assert side / 2 <= cx <= 1 - side / 2 and side / 2 <= cy <= 1 - side / 2
        assert len(ex.scene.objects) == 1 and ex.condition in control.CONDITIONS
        caption = control.caption(ex)
        assert not any(p in caption for p in world.POSITION_PHRASES.values()), "the drawing, not the prompt, says where"
        xs.append(cx), sides.append(side)
    assert np.std(xs) > 0.12 and np.std(sides) > 0.08, "free positions and sizes, not the nine prompt positions"


@pytest.mark.parametrize("condition", control.CONDITIONS)
def test_adherence_is_high_on_ground_truth_and_low_when_the_object_is_elsewhere(condition):
    rng = random.Random(1)
    scores, elsewhere = [], []
    for _ in range(40):
        ex = control.sample_example(rng, condition=condition, style="flat")
        scores.append(control.adherence(ex, control.render(ex)))
        cx, cy, side = ex.geometry
        moved = control.ControlExample(ex.scene, (1 - cx, 1 - cy, side), condition)
        elsewhere.append(control.adherence(ex, control.render(moved)))
    assert np.mean(scores) >= 0.95 and min(scores) >= 0.85
    assert np.mean(elsewhere) < 0.5


def test_styled_objects_count_as_their_whole_silhouette():
    rng = random.Random(2)
    for style in ("outlined", "striped", "dotted"):
        ex = control.sample_example(rng, condition="sketch", style=style)
        assert control.adherence(ex, control.render(ex)) >= 0.85, style


def test_drawings_are_dark_strokes_and_become_white_on_black():
    ex = control.sample_example(random.Random(3), condition="sketch")
    d = np.asarray(control.draw(ex).convert("L"))
    assert (d < 128).mean() < 0.15 and (d > 200).mean() > 0.8
    c = np.asarray(control.control_image(control.draw(ex)))
    assert set(np.unique(c)) <= {0, 255} and (c[..., 0] == 255).mean() == pytest.approx((d < 128).mean(), abs=0.02)
    with pytest.raises(ValueError, match="unknown condition"):
        control.draw(control.ControlExample(ex.scene, ex.geometry, "depth"))


def test_presets_have_the_controlnet_keys_and_the_cpu_one_fits_its_budget():
    for p in presets.PRESETS.values():
        assert {"controlnet_steps", "controlnet_batch", "controlnet_lr", "controlnet_examples",
                "controlnet_minutes", "controlnet_ema_decay"} <= set(p)
    assert presets.PRESETS["cpu"]["controlnet_minutes"] <= 90


@pytest.mark.slow
def test_smoke_preset_trains_a_controlnet_that_loads_offline(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_WAIT_POLICY="PASSIVE", PYTHONPATH=str(REPO_ROOT))
    out = tmp_path / "tiny-shapes-controlnet"
    r = subprocess.run([sys.executable, "-m", "genlab.tiny.train", "controlnet", "--preset", "smoke", "--device", "cpu",
                        "--out", str(out), "--image-model", str(MODELS_DIR / "tiny-shapes")],
                       cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    info = json.loads((out / "training.json").read_text())
    assert info["controlnet"]["steps"] == presets.PRESETS["smoke"]["controlnet_steps"]
    assert info["controlnet"]["conditions"] == list(control.CONDITIONS)
    import torch
    from diffusers import ControlNetModel

    net = ControlNetModel.from_pretrained(out, dtype=torch.float32)
    assert net.config.conditioning_embedding_out_channels == [16, 32, 64, 128]
    assert tuple(net.config.block_out_channels) == (64, 128, 128), "a copy of the tiny UNet's encoder"
