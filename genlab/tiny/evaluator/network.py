"""The learned half of the evaluator (step 5 of its design): shape and style from a crop.

A ~100 k-parameter CNN reads a 32x32 crop around each object, whose three channels are
colour-free (how far each pixel is from the background, its brightness relative to the
object's, and the component mask), so it cannot learn colour/shape correlations. Its weights
live in the evaluator folder (``model.safetensors`` + ``labels.json``):
:func:`genlab.settings.tiny_evaluator_dir` (``$GENLAB_TINY_EVALUATOR``, else the shipped one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from genlab import settings
from genlab.tiny.evaluator.pixels import SIZE, Frame

MIN_CONFIDENCE = 0.4  # below this the network's answer is None
CROP = 32
CROP_MARGIN = 1.2  # crop side = larger box side x this (+ 2 px)
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def crop_inputs(frames: list[Frame], which: list[tuple[int, int]], jitter: np.ndarray | None = None):
    """(N, 3, CROP, CROP) colour-free CNN inputs for objects ``which`` = [(frame, object)];
    ``jitter`` (N, 3): shifts of the centre and a scale of the side (training only)."""
    import torch
    import torch.nn.functional as F

    if not which:
        return torch.zeros((0, 3, CROP, CROP))
    chans, thetas = [], []
    for n, (fi, oi) in enumerate(which):
        fr, ob = frames[fi], frames[fi].objects[oi]
        a = fr.arr
        d_bg = np.linalg.norm(a - fr.bg_rgb, axis=-1)
        scale = max(float(np.linalg.norm(ob.rgb - fr.bg_rgb)), 40.0)
        fgness = np.clip(d_bg / scale, 0.0, 1.5)
        lum = a @ LUMA
        lum_obj = float(ob.rgb @ LUMA)
        rel = np.clip((lum - lum_obj) / 100.0, -1.5, 1.5) * np.clip(fgness, 0.0, 1.0)
        region = ob.region.astype(np.float32)
        chans.append(np.stack([fgness * region, rel * region, region]))
        x0, y0, x1, y1 = ob.box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        side = max(x1 - x0, y1 - y0) * CROP_MARGIN + 2
        if jitter is not None:
            jx, jy, js = jitter[n]
            cx, cy, side = cx + jx * side, cy + jy * side, side * js
        # affine_grid works in [-1, 1] coordinates of the whole image (align_corners=False).
        s = side / SIZE
        tx, ty = cx / SIZE * 2 - 1, cy / SIZE * 2 - 1
        thetas.append([[s, 0.0, tx], [0.0, s, ty]])
    x = torch.from_numpy(np.stack(chans)).float()
    theta = torch.tensor(thetas, dtype=torch.float32)
    grid = F.affine_grid(theta, (len(which), 3, CROP, CROP), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def build_net(n_shapes: int, n_styles: int):
    """The shape/style CNN, untrained: (N, 3, 32, 32) -> (shape logits, style logits)."""
    import torch
    from torch import nn

    def block(i, o):
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

    class ShapeStyleNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                block(3, 24), block(24, 24), nn.MaxPool2d(2),  # 16
                block(24, 48), block(48, 48), nn.MaxPool2d(2),  # 8
                block(48, 64), nn.MaxPool2d(2),  # 4
                block(64, 64),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
            )
            self.shape = nn.Linear(64, n_shapes)
            self.style = nn.Linear(64, n_styles)

        def forward(self, x: torch.Tensor):
            h = self.features(x)
            return self.shape(h), self.style(h)

    return ShapeStyleNet()


@dataclass
class Evaluator:
    """The shape/style CNN and its labels (``load_evaluator`` caches one)."""

    net: Any
    shapes: tuple[str, ...]
    styles: tuple[str, ...]
    meta: dict

    def classify(self, x) -> list[tuple[str | None, str | None]]:
        """(shape, style) for each crop of ``x``; None where the network is not confident."""
        import torch

        if len(x) == 0:
            return []
        with torch.inference_mode():
            ls, lt = self.net(x)
            ps, pt = ls.softmax(-1), lt.softmax(-1)
        out = []
        for a, b in zip(ps, pt):
            sa, ia = a.max(0)
            sb, ib = b.max(0)
            out.append(
                (
                    self.shapes[int(ia)] if float(sa) >= MIN_CONFIDENCE else None,
                    self.styles[int(ib)] if float(sb) >= MIN_CONFIDENCE else None,
                )
            )
        return out


@lru_cache(maxsize=4)
def _load(path: str) -> Evaluator:
    from safetensors.torch import load_file

    p = Path(path)
    wfile, lfile = p / "model.safetensors", p / "labels.json"
    if not wfile.exists() or not lfile.exists():
        raise FileNotFoundError(
            f"no evaluator weights in {p}; train them with `python -m genlab.tiny.cli train-evaluator`"
        )
    meta = json.loads(lfile.read_text())
    net = build_net(len(meta["shapes"]), len(meta["styles"]))
    net.load_state_dict(load_file(str(wfile)))
    net.eval()
    return Evaluator(net, tuple(meta["shapes"]), tuple(meta["styles"]), meta)


def load_evaluator(path: str | Path | None = None) -> Evaluator:
    """The evaluator in ``path``, else in :func:`genlab.settings.tiny_evaluator_dir` (read now,
    so ``$GENLAB_TINY_EVALUATOR`` may change at run time). Cached: loading it again is free."""
    return _load(str(Path(path) if path is not None else settings.tiny_evaluator_dir()))


def forget_loaded() -> None:
    """Drop the cached evaluators (after training new weights into a folder)."""
    _load.cache_clear()
