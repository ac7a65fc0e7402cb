"""Measuring the evaluator itself on the world's ground truth (``genlab tiny evaluate
--evaluator-only``): accuracy per attribute on clean, damaged or VAE-round-tripped renders."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from genlab.tiny import world
from genlab.tiny.evaluator.network import Evaluator, load_evaluator
from genlab.tiny.evaluator.pixels import to_array
from genlab.tiny.evaluator.reading import ATTRIBUTES, adherence_of, compare, read_clips, read_images, swapped
from genlab.tiny.evaluator.training import degrade, truth_sample


def vae_roundtrip(model_dir: str | Path, batch: int = 16):
    """A function list-of-pictures -> the same pictures encoded and decoded by ``model_dir``'s VAE.

    Reading ground truth *through the model's own VAE* gives the ceiling of what the model can
    show: a detail the VAE cannot draw (small stripes, say) no UNet can make it draw."""
    import torch
    from diffusers import AutoencoderKL
    from PIL import Image

    vae = AutoencoderKL.from_pretrained(str(Path(model_dir) / "vae"), dtype=torch.float32).eval()

    def run(images: list) -> list:
        out = []
        for s in range(0, len(images), batch):
            x = np.stack([to_array(im) for im in images[s : s + batch]]) / 127.5 - 1.0
            with torch.inference_mode():
                z = vae.encode(torch.from_numpy(x).permute(0, 3, 1, 2).float()).latent_dist.mode()
                y = vae.decode(z).sample.clamp(-1, 1)
            y = ((y + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
            out += [Image.fromarray(a, "RGB") for a in y]
        return out

    return run


def validate_evaluator(
    n: int = 600,
    *,
    seed: int = 1234,
    n_clips: int = 120,
    degraded: bool = False,
    transform=None,
    evaluator: Evaluator | None = None,
) -> dict:
    """Accuracy of the evaluator per attribute on ground-truth world renders.

    Images: ``n`` one-object scenes from each split ("train" = seen combinations, "heldout"),
    and ``n // 2`` two-object scenes ("two"); clips: ``n_clips`` clips (motion, shape, colour,
    background). ``degraded`` reads damaged copies (see :func:`degrade`) instead; ``transform``
    (a function on a list of pictures, e.g. :func:`vae_roundtrip`) is applied before reading.
    Style is also reported apart for small and large objects.
    Returns {group: {attribute: {"accuracy", "n"}}}.
    """
    ev = evaluator if evaluator is not None else load_evaluator()
    rng = random.Random(seed)
    res: dict[str, dict[str, list[bool]]] = {}

    def add(group, key, ok):
        res.setdefault(group, {}).setdefault(key, []).append(bool(ok))

    groups = [("seen", "one", "train", n), ("held-out", "one", "heldout", n), ("two-object", "two", "any", n // 2)]
    for group, kind, split, count in groups:
        imgs, scenes = [], []
        for _ in range(count):
            img, _, scene = truth_sample(rng, kind, split)
            imgs.append(degrade(img, rng) if degraded else img)
            scenes.append(scene)
        if transform is not None:
            imgs = transform(imgs)
        reads = read_images(imgs, evaluator=ev)
        for scene, r in zip(scenes, reads):
            expect = world.parse_prompt(world.caption(scene))
            if kind == "one":
                for k in ATTRIBUTES:
                    add(group, k, r[k] == expect[k] if k != "size" and k != "position" else r[k] == getattr(scene.objects[0], k))
                add(group, "no extra object", r["second"] is None)
                add(group, f"style ({scene.objects[0].size})", r["style"] == scene.objects[0].style)
            else:
                ad = adherence_of(world.caption(scene), r)
                # Ground truth: also sizes and positions of both objects.
                o1, o2 = scene.objects
                sw = r if (r.get("second") and compare(expect, r) == ad) else swapped(r)
                for k, ok in ad.items():
                    add(group, k, ok)
                add(group, "position", sw.get("position") == o1.position)
                add(group, "second position", (sw.get("second") or {}).get("position") == o2.position)
                add(group, "size", sw.get("size") == "small")
                add(group, "second size", (sw.get("second") or {}).get("size") == "small")
    clips, specs = [], []
    for _ in range(n_clips):
        c = world.sample_clip(rng, n_frames=8, split="any")
        fr = world.render_clip(c)
        fr = [degrade(f, rng) for f in fr] if degraded else fr
        clips.append(transform(fr) if transform is not None else fr)
        specs.append(c)
    for c, r in zip(specs, read_clips(clips, evaluator=ev)):
        o = c.scene.objects[0]
        add("clips", "motion", r["motion"] == c.motion)
        add("clips", "shape", r["shape"] == o.shape)
        add("clips", "colour", r["colour"] == o.colour)
        add("clips", "background", r["background"] == c.scene.background)
        add("clips", "style", r["style"] == "flat")
    return {
        g: {k: {"accuracy": round(sum(v) / len(v), 4), "n": len(v)} for k, v in d.items()} for g, d in res.items()
    }
