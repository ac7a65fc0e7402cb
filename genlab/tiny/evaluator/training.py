"""Training the evaluator's shape/style network on the world's ground truth.

Crops are made by the very pipeline that reads pictures (:func:`~.pixels.analyse` +
:func:`~.network.crop_inputs`) from world renders, half of them damaged (:func:`degrade`: blur,
down/up-sampling, noise, colour drift) and with jittered boxes, so the network transfers to
imperfect generated pictures. ``genlab tiny train-evaluator`` runs :func:`train_evaluator`.
Nothing that reads pictures imports this module.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from genlab import settings
from genlab.tiny import world
from genlab.tiny.evaluator.network import CROP, build_net, crop_inputs, forget_loaded
from genlab.tiny.evaluator.pixels import SIZE, Frame, analyse, to_array


def degrade(img, rng: random.Random):
    """A randomly damaged copy of a picture, like a small generator's output: blur or
    down/up-sampling, colour drift, noise (used to train and to stress-test the evaluator)."""
    from PIL import Image, ImageFilter

    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    else:
        f = rng.choice((2, 3))
        img = img.resize((SIZE // f, SIZE // f), Image.Resampling.BILINEAR).resize((SIZE, SIZE), Image.Resampling.BICUBIC)
    a = np.asarray(img, np.float32)
    gain = np.array([rng.uniform(0.9, 1.1) for _ in range(3)], np.float32)
    off = np.array([rng.uniform(-10, 10) for _ in range(3)], np.float32)
    nrng = np.random.default_rng(rng.randrange(2**32))
    a = a * gain + off + nrng.normal(0, rng.uniform(0, 8), a.shape).astype(np.float32)
    return Image.fromarray(np.clip(a, 0, 255).round().astype(np.uint8), "RGB")


def truth_sample(rng: random.Random, kind: str, split: str):
    """(image, list of (cx, cy, Shape), Scene | None) from the world; ``kind``: one, two, clip."""
    if kind == "clip":
        clip = world.sample_clip(rng, n_frames=8, split=split)
        i = rng.randrange(clip.n_frames)
        frames = world.render_clip(clip)
        cx, cy, _ = world.clip_geometry(clip, i)
        return frames[i], [(cx, cy, clip.scene.objects[0])], None
    scene = world.sample_scene(rng, split=split, two_object_prob=1.0 if kind == "two" else 0.0)
    objs = [(*world.object_geometry(o, scene)[:2], o) for o in scene.objects]
    return world.render(scene), objs, scene


def match_truth(frame: Frame, truth: list) -> list[tuple[int, Any]]:
    """[(object index, true Shape)] pairing read objects with true ones by nearest centre."""
    out = []
    for oi, ob in enumerate(frame.objects):
        cx, cy = ob.centre
        d = [math.hypot(cx - tx, cy - ty) for tx, ty, _ in truth]
        j = int(np.argmin(d))
        if d[j] < 0.12:
            out.append((oi, truth[j][2]))
    return out


def make_training_set(n_images: int, seed: int = 0, degrade_prob: float = 0.5, log=print):
    """Crops (N, 3, CROP, CROP) and shape/style labels from world renders (split "any")."""
    import torch

    rng = random.Random(seed)
    xs, ys_shape, ys_style = [], [], []
    t0 = time.time()
    chunk = 256
    for s in range(0, n_images, chunk):
        imgs, truths = [], []
        for _ in range(min(chunk, n_images - s)):
            kind = rng.choices(("one", "two", "clip"), weights=(0.65, 0.2, 0.15))[0]
            img, truth, _ = truth_sample(rng, kind, "any")
            if rng.random() < degrade_prob:
                img = degrade(img, rng)
            imgs.append(img)
            truths.append(truth)
        frames = analyse(np.stack([to_array(im) for im in imgs]))
        which, labels = [], []
        for fi, (fr, tr) in enumerate(zip(frames, truths)):
            for oi, obj in match_truth(fr, tr):
                which.append((fi, oi))
                labels.append(obj)
        jit = np.array(
            [(rng.uniform(-0.06, 0.06), rng.uniform(-0.06, 0.06), rng.uniform(0.9, 1.12)) for _ in which], np.float32
        ).reshape(-1, 3)
        xs.append(crop_inputs(frames, which, jitter=jit))
        ys_shape += [world.SHAPES.index(o.shape) for o in labels]
        ys_style += [world.STYLES.index(o.style) for o in labels]
        if log and (s // chunk) % 10 == 0:
            log(f"  crops: {s + len(imgs)}/{n_images} images, {sum(len(x) for x in xs)} crops, {time.time() - t0:.0f}s")
    return torch.cat(xs), torch.tensor(ys_shape), torch.tensor(ys_style)


def train_evaluator(
    out_dir: str | Path | None = None,
    *,
    n_images: int = 12000,
    epochs: int = 8,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
    log=print,
) -> dict:
    """Train the shape/style CNN on world renders (CPU, seeded) and save it to ``out_dir``
    (default: :func:`genlab.settings.tiny_evaluator_dir`)."""
    import torch
    from safetensors.torch import save_file

    t0 = time.time()
    torch.manual_seed(seed)
    log(f"making {n_images} training images (seed {seed})")
    x, ys, yt = make_training_set(n_images, seed=seed, log=log)
    n = len(x)
    log(f"{n} crops in {time.time() - t0:.0f}s")
    net = build_net(len(world.SHAPES), len(world.STYLES))
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(n / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    g = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(n, generator=g)
        tot, correct_s, correct_t = 0.0, 0, 0
        for s in range(0, n, batch_size):
            idx = perm[s : s + batch_size]
            xb = x[idx]
            flip = torch.rand(len(idx), generator=g) < 0.5  # mirror left-right (all classes allow it)
            xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
            ls, lt = net(xb)
            loss = loss_fn(ls, ys[idx]) + loss_fn(lt, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(idx)
            correct_s += int((ls.argmax(1) == ys[idx]).sum())
            correct_t += int((lt.argmax(1) == yt[idx]).sum())
        log(
            f"epoch {ep + 1}/{epochs}: loss {tot / n:.3f}, train shape acc {correct_s / n:.3f}, "
            f"style acc {correct_t / n:.3f} ({time.time() - t0:.0f}s)"
        )
    net.eval()
    out = Path(out_dir) if out_dir is not None else settings.tiny_evaluator_dir()
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(out / "model.safetensors"))
    meta = {
        "shapes": list(world.SHAPES),
        "styles": list(world.STYLES),
        "input": f"{CROP}x{CROP}, 3 colour-free channels (foreground-ness, relative brightness, component mask)",
        "n_images": n_images,
        "n_crops": n,
        "epochs": epochs,
        "seed": seed,
        "train_seconds": round(time.time() - t0, 1),
        "parameters": sum(p.numel() for p in net.parameters()),
    }
    (out / "labels.json").write_text(json.dumps(meta, indent=2) + "\n")
    forget_loaded()
    return meta
