"""Read a shapes-world picture back from its pixels, to measure how well a model follows prompts.

The evaluator answers, for an image, the same questions :func:`genlab.tiny.world.parse_prompt`
answers for a prompt (shape, colour, background, size, position, style, and for two-object
scenes the second object and the relation), and for a clip also the motion. So
``adherence(prompt, image)`` is just "parse the prompt, read the image, compare what the prompt
states".

Design (measured, not guessed: see ``validate_evaluator`` and the evaluator's README)
------------------------------------------------------------------------------------
Most attributes are *geometry and colour*, which simple, explainable pixel rules read exactly;
only *shape* and *style* need learning, and they are learned from a colour-free input so the
tiny network cannot pick up colour/shape correlations (held-out combinations read as well as
seen ones).

1. **Background**: every pixel of a 4-px ring just inside the frame (the outermost 2 px are
   ignored: VAE decoders often draw a faint frame there) votes for its nearest palette colour; the winner
   (if it holds at least half the border) names the background, and the median of its border
   pixels is the *actual* background RGB used below (generated images drift in colour).
2. **Objects**: pixels farther than ``FG_THRESHOLD`` (or 4x the ring's median distance, on a
   noisy background) from that actual background RGB are foreground; the foreground, dilated by 3 px (so stripes or dots a generator breaks apart stay
   one object), is split into 8-connected components (batched max-label propagation in torch).
   Components smaller than ``MIN_AREA`` px or 15% of the largest are noise. The largest is the
   first object; a second one (if any) is the second object.
3. **Colour**: the object's purest pixels (its 40% farthest from the background: blur, stripes
   and dots mix the others with the background) each vote for the palette colour whose *shade
   segments* are nearest (the colour mixed up to 45% with white, black or mid-grey: the world's
   "gradient" style shades it so, and a blurred gradient averages to the grey mix); the
   background's colour cannot win. Majority wins. (Plain nearest colour of the median misread
   1-5% of degraded pictures; this reads 99%+.)
4. **Position / size / relation**: from the component's bounding box: its centre against the 3x3
   grid (``POSITION_MARGIN`` = 0.1 of the frame either side of the middle), its larger side
   against ``SIZE_THRESHOLD`` (0.4 of the frame, between small <= 0.30 and large >= 0.48), and the
   two centres' larger offset for the relation.
5. **Shape and style**: a ~100 k-parameter CNN on a 32x32 crop around the component, whose three
   channels are colour-free: how far each pixel is from the background (normalised by the
   object's own distance), its brightness relative to the object's median brightness (for
   gradients), and the component mask. It is trained (``train_evaluator``) on crops made by this
   very pipeline from world renders, half of them degraded (blur, down/up-sampling, noise, colour
   drift, box jitter) so it transfers to imperfect generated images. Below ``MIN_CONFIDENCE`` it
   answers None.
6. **Motion** (clips): the first object's box centre and size per frame; least-squares slopes
   over the clip give the travel in x, y and size; the largest of the three (if above
   ``MIN_MOTION`` of the frame) names the motion.

Anything the evaluator cannot read (a blank or noisy image, no object, low confidence) is None;
it never raises on pixel content. Reading is batched (``read_images``/``read_clips``) and runs
torch on one thread meanwhile (~10 ms a picture, measured on 2 cores busy with other work).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from genlab.tiny import world

# The shipped evaluator; GENLAB_TINY_EVALUATOR points elsewhere (e.g. a freshly trained one).
EVALUATOR_DIR = Path(
    os.environ.get("GENLAB_TINY_EVALUATOR") or Path(__file__).resolve().parents[2] / "assets" / "models" / "tiny-shapes-evaluator"
)
SIZE = 128  # images are read at this size (others are resized)

ATTRIBUTES = ("shape", "colour", "background", "size", "position", "style")
OBJECT_KEYS = ("shape", "colour", "size", "style")

# Rules (fractions of the frame unless stated; RGB distances on the 0..255 scale).
EDGE = 2  # px: the outermost pixels are ignored (VAE decoders often draw a faint frame there)
BORDER = 4  # px: the background is read from the ring just inside them
BG_MATCH = 70.0  # a border pixel votes for a palette colour only if this close to it
BG_MIN_SHARE = 0.5  # the background's palette colour must hold this share of the border
FG_THRESHOLD = 34.0  # foreground: this far from the actual background colour
READABLE_BORDER_SHARE = 0.3  # share of border pixels near the actual background, else unreadable
MAX_FOREGROUND = 0.6  # more foreground than this (of the frame): unreadable (noise)
DILATE = 3  # px, joins pieces of one object before labelling
MIN_AREA = 30  # px, smaller components are noise
MIN_SECOND = 0.15  # a second object must have this share of the first object's area
POSITION_MARGIN = 0.10
SIZE_THRESHOLD = 0.40
MIN_CONFIDENCE = 0.4
MIN_MOTION = 0.08
CROP = 32
CROP_MARGIN = 1.2  # crop side = larger box side x this (+ 2 px)

PALETTE_NAMES = tuple(world.COLOURS)
PALETTE = np.array([world.COLOURS[c] for c in PALETTE_NAMES], np.float32)
CORE = 0.6  # colour is voted by the object pixels above this quantile of distance from the background
SHADE = 0.45  # the world's gradient mixes the colour up to 45% with white (top) / black (bottom)
TOWARD = (255.0, 0.0, 127.5)  # white (gradient top), black (bottom), grey (their mean: a blurred gradient)


# ---------------------------------------------------------------------------------------------
# Pixels


def _to_array(img: Any) -> np.ndarray:
    """Any picture (PIL image, HxWx3 / HxW array, uint8 or float 0..1) -> float32 SIZE x SIZE x 3, 0..255."""
    from PIL import Image

    if isinstance(img, Image.Image):
        pil = img.convert("RGB")
    else:
        a = np.asarray(img)
        if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[-1] not in (1, 3, 4):
            a = np.moveaxis(a, 0, -1)  # CHW -> HWC
        if a.ndim == 2:
            a = a[..., None]
        if a.ndim != 3 or a.shape[-1] not in (1, 3, 4):
            raise TypeError(f"expected an RGB picture, got an array of shape {a.shape}")
        if a.shape[-1] == 1:
            a = np.repeat(a, 3, axis=-1)
        a = a[..., :3]
        if a.dtype != np.uint8:
            a = np.nan_to_num(a.astype(np.float32))
            if a.size and a.max() <= 1.0:
                a = a * 255.0
            a = np.clip(a, 0, 255).round().astype(np.uint8)
        pil = Image.fromarray(np.ascontiguousarray(a), "RGB")
    if pil.size != (SIZE, SIZE):
        pil = pil.resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    return np.asarray(pil, dtype=np.float32)


def _nearest_palette(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, distance) of the nearest palette colour for each row of an (N, 3) array."""
    d = np.linalg.norm(rgb[:, None, :] - PALETTE[None, :, :], axis=-1)
    i = d.argmin(1)
    return i, d[np.arange(len(rgb)), i]


def _shade_distance(rgb: np.ndarray) -> np.ndarray:
    """(N, 8): distance of each pixel to each palette colour's shade segment (c mixed with up to
    SHADE white or black)."""
    p = rgb[:, None, :]  # N,1,3
    c = PALETTE[None, :, :]  # 1,8,3
    out = None
    for toward in TOWARD:
        u = toward - c  # direction of mixing
        uu = np.maximum((u * u).sum(-1), 1e-6)
        t = np.clip(((p - c) * u).sum(-1) / uu, 0.0, SHADE)
        d = np.linalg.norm(p - (c + t[..., None] * u), axis=-1)
        out = d if out is None else np.minimum(out, d)
    return out


def _components(fg: np.ndarray, dilate: int = DILATE) -> np.ndarray:
    """Label the 8-connected components of the dilated foreground (B, H, W) bool -> int labels
    (0 = none), batched in torch: max-label propagation with pointer jumping, at half resolution
    (objects are far more than 2 px apart), labels brought back to full resolution."""
    import torch
    import torch.nn.functional as F

    b, h, w = fg.shape
    m = F.max_pool2d(torch.from_numpy(fg).float()[:, None], 2, stride=2)  # half resolution
    r = max(1, (dilate + 1) // 2)
    m = F.max_pool2d(m, 2 * r + 1, stride=1, padding=r)
    mask = m[:, 0] > 0
    hh, ww = mask.shape[1:]
    idx = torch.arange(1, hh * ww + 1, dtype=torch.float32).reshape(1, hh, ww).expand(b, hh, ww)
    lab = torch.where(mask, idx, torch.zeros(()))
    flat_mask = mask.reshape(b, -1)
    for _ in range(4 * (hh + ww)):
        new = F.max_pool2d(lab[:, None], 3, stride=1, padding=1)[:, 0]
        new = torch.where(mask, new, torch.zeros(()))
        # Pointer jumping: adopt the label of the pixel your label points to.
        flat = new.reshape(b, -1)
        jumped = torch.gather(flat, 1, (flat.long() - 1).clamp(min=0))
        new = torch.where(flat_mask, torch.maximum(flat, jumped), flat).reshape(b, hh, ww)
        if torch.equal(new, lab):
            break
        lab = new
    full = lab.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)[:, :h, :w]
    return full.long().numpy()


# ---------------------------------------------------------------------------------------------
# Reading pictures


@dataclass
class _Object:
    area: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (inclusive-exclusive)
    region: np.ndarray  # bool H,W: the dilated component (for the crop's mask channel)
    colour: str | None
    rgb: np.ndarray  # median colour of the object's core pixels

    @property
    def centre(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return (x0 + x1) / 2 / SIZE, (y0 + y1) / 2 / SIZE

    @property
    def extent(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(x1 - x0, y1 - y0) / SIZE

    @property
    def position(self) -> str:
        cx, cy = self.centre
        ux = -1 if cx < 0.5 - POSITION_MARGIN else (1 if cx > 0.5 + POSITION_MARGIN else 0)
        uy = -1 if cy < 0.5 - POSITION_MARGIN else (1 if cy > 0.5 + POSITION_MARGIN else 0)
        v = {-1: "top", 0: "", 1: "bottom"}[uy]
        h = {-1: "left", 0: "", 1: "right"}[ux]
        return " ".join(p for p in (v, h) if p) or "centre"

    @property
    def size(self) -> str:
        return "large" if self.extent > SIZE_THRESHOLD else "small"


@dataclass
class _Frame:
    arr: np.ndarray
    background: str | None = None
    bg_rgb: np.ndarray | None = None
    objects: list[_Object] = field(default_factory=list)


def _analyse(arrs: np.ndarray) -> list[_Frame]:
    """Background, objects, colours, boxes of a batch (B, SIZE, SIZE, 3) float 0..255."""
    import torch
    import torch.nn.functional as F

    b = len(arrs)
    frames = [_Frame(a) for a in arrs]
    if b == 0:
        return frames
    fg = np.zeros((b, SIZE, SIZE), bool)
    dist_bg = np.zeros((b, SIZE, SIZE), np.float32)
    readable = np.zeros(b, bool)
    for i, a in enumerate(arrs):
        lo, hi = EDGE, EDGE + BORDER
        border = np.concatenate(
            [
                a[lo:hi, lo : SIZE - lo].reshape(-1, 3),
                a[SIZE - hi : SIZE - lo, lo : SIZE - lo].reshape(-1, 3),
                a[hi : SIZE - hi, lo:hi].reshape(-1, 3),
                a[hi : SIZE - hi, SIZE - hi : SIZE - lo].reshape(-1, 3),
            ]
        )
        near, dist = _nearest_palette(border)
        votes = np.bincount(near[dist < BG_MATCH], minlength=len(PALETTE))
        k = int(votes.argmax())
        if votes[k] >= BG_MIN_SHARE * len(border):
            bg_rgb = np.median(border[(near == k) & (dist < BG_MATCH)], axis=0)
            frames[i].background = PALETTE_NAMES[k]
        else:
            bg_rgb = np.median(border, axis=0)
        frames[i].bg_rgb = bg_rgb
        d = np.linalg.norm(a - bg_rgb, axis=-1)
        dist_bg[i] = d
        # A noisy background (generated pictures) raises the threshold above its own spread.
        d_border = np.linalg.norm(border - bg_rgb, axis=-1)
        thr = max(FG_THRESHOLD, 4.0 * float(np.median(d_border)))
        f = d > thr
        f[:EDGE], f[-EDGE:], f[:, :EDGE], f[:, -EDGE:] = False, False, False, False
        border_near = (d_border < thr).mean()
        if border_near >= READABLE_BORDER_SHARE and f.mean() <= MAX_FOREGROUND:
            fg[i] = f
            readable[i] = True
    if not readable.any():
        return frames
    labels = _components(fg)
    for i in np.nonzero(readable)[0]:
        lab = labels[i]
        comp = lab[fg[i]]
        if comp.size == 0:
            continue
        ids, counts = np.unique(comp, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        top = counts[order[0]]
        kept = [(ids[j], counts[j]) for j in order if counts[j] >= MIN_AREA and counts[j] >= MIN_SECOND * top]
        bg_idx = PALETTE_NAMES.index(frames[i].background) if frames[i].background else None
        for lid, area in kept[:2]:
            region = lab == lid
            pix = region & fg[i]
            ys, xs = np.nonzero(pix)
            box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            # The object's purest pixels: its 40% farthest from the background (blur and
            # stripes/dots mix edge pixels with the background colour).
            d_px = dist_bg[i][pix]
            rgb_px = arrs[i][pix][d_px >= np.quantile(d_px, CORE)]
            rgb_px = rgb_px[:: max(1, len(rgb_px) // 512)]  # enough pixels for a vote
            sd = _shade_distance(rgb_px)
            if bg_idx is not None:
                sd[:, bg_idx] = np.inf
            votes = np.bincount(sd.argmin(1), minlength=len(PALETTE))
            colour = PALETTE_NAMES[int(votes.argmax())] if votes.sum() else None
            frames[i].objects.append(_Object(int(area), box, region, colour, np.median(rgb_px, axis=0)))
    return frames


def _crop_inputs(frames: list[_Frame], which: list[tuple[int, int]], jitter: np.ndarray | None = None):
    """(N, 3, CROP, CROP) colour-free CNN inputs for objects ``which`` = [(frame, object)]."""
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
        lum = a @ np.array([0.299, 0.587, 0.114], np.float32)
        lum_obj = float(ob.rgb @ np.array([0.299, 0.587, 0.114], np.float32))
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


# ---------------------------------------------------------------------------------------------
# The CNN


def _build_net(n_shapes: int, n_styles: int):
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
    net = _build_net(len(meta["shapes"]), len(meta["styles"]))
    net.load_state_dict(load_file(str(wfile)))
    net.eval()
    return Evaluator(net, tuple(meta["shapes"]), tuple(meta["styles"]), meta)


def load_evaluator(path: str | Path | None = None) -> Evaluator:
    """The shipped shape/style CNN (cached: loading it again is free)."""
    return _load(str(Path(path) if path is not None else EVALUATOR_DIR))


# ---------------------------------------------------------------------------------------------
# Public API


def _empty() -> dict:
    return {k: None for k in ("shape", "colour", "background", "size", "position", "style", "motion", "second", "relation")}


def _relation(a: _Object, b: _Object) -> str:
    (ax, ay), (bx, by) = a.centre, b.centre
    dx, dy = ax - bx, ay - by
    if abs(dx) >= abs(dy):
        return "left of" if dx < 0 else "right of"
    return "above" if dy < 0 else "below"


def _read_frames(frames: list[_Frame], evaluator: Evaluator | None) -> list[dict]:
    which = [(fi, oi) for fi, fr in enumerate(frames) for oi in range(len(fr.objects))]
    classes = evaluator.classify(_crop_inputs(frames, which)) if evaluator is not None else [(None, None)] * len(which)
    ss = dict(zip(which, classes))
    out = []
    for fi, fr in enumerate(frames):
        r = _empty()
        r["background"] = fr.background
        objs = []
        for oi, ob in enumerate(fr.objects):
            shape, style = ss[(fi, oi)]
            objs.append({"shape": shape, "colour": ob.colour, "size": ob.size, "position": ob.position, "style": style})
        if objs:
            r.update(objs[0])
        if len(objs) > 1:
            r["second"] = objs[1]
            r["relation"] = _relation(fr.objects[0], fr.objects[1])
        out.append(r)
    return out


@contextmanager
def _one_thread():
    """Run torch on one thread meanwhile: the evaluator's many small tensor operations are faster
    so (much faster on a busy machine); the previous setting is restored afterwards."""
    import torch

    old = torch.get_num_threads()
    if old != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if old != 1:
            torch.set_num_threads(old)


def read_images(images: Sequence[Any], *, evaluator: Evaluator | None = None, batch_size: int = 64) -> list[dict]:
    """:func:`read_image` for many pictures at once (batched; much faster per image)."""
    ev = evaluator if evaluator is not None else load_evaluator()
    out: list[dict] = []
    with _one_thread():
        for s in range(0, len(images), batch_size):
            arrs = np.stack([_to_array(im) for im in images[s : s + batch_size]])
            out += _read_frames(_analyse(arrs), ev)
    return out


def read_image(image: Any, *, evaluator: Evaluator | None = None) -> dict:
    """What a picture shows, with the keys of ``world.parse_prompt`` (None = cannot tell).

    The first object is the largest; ``second`` (a dict: shape, colour, size, position, style)
    is a second object if there is one, and ``relation`` is where the first is relative to it.
    """
    return read_images([image], evaluator=evaluator)[0]


def _slope(t: np.ndarray, v: np.ndarray) -> float:
    tc = t - t.mean()
    den = float((tc * tc).sum())
    return float((tc * (v - v.mean())).sum() / den) if den > 0 else 0.0


def _vote(values: Iterable) -> Any:
    c = Counter(v for v in values if v is not None)
    return c.most_common(1)[0][0] if c else None


def read_clips(clips: Sequence[Sequence[Any]], *, evaluator: Evaluator | None = None) -> list[dict]:
    """:func:`read_clip` for many clips (all frames of all clips read in batches)."""
    ev = evaluator if evaluator is not None else load_evaluator()
    flat = [f for c in clips for f in c]
    frames: list[_Frame] = []
    reads: list[dict] = []
    with _one_thread():
        for s in range(0, len(flat), 64):
            part = _analyse(np.stack([_to_array(im) for im in flat[s : s + 64]]))
            frames += part
            reads += _read_frames(part, ev)
    out, k = [], 0
    for c in clips:
        n = len(c)
        fr, rd = frames[k : k + n], reads[k : k + n]
        k += n
        r = _empty()
        for key in ("shape", "colour", "background", "style"):
            r[key] = _vote(x[key] for x in rd)
        seen = [i for i, f in enumerate(fr) if f.objects]
        if seen:
            r["size"], r["position"] = rd[seen[0]]["size"], rd[seen[0]]["position"]
        if len(seen) >= 2 and len(seen) >= n / 2:
            t = np.array(seen, np.float32)
            xs = np.array([fr[i].objects[0].centre[0] for i in seen])
            ys = np.array([fr[i].objects[0].centre[1] for i in seen])
            es = np.array([fr[i].objects[0].extent for i in seen])
            span = n - 1
            dx, dy, de = _slope(t, xs) * span, _slope(t, ys) * span, _slope(t, es) * span
            best = max((abs(dx), "x"), (abs(dy), "y"), (abs(de), "e"))
            if best[0] >= MIN_MOTION:
                r["motion"] = {
                    "x": "moving right" if dx > 0 else "moving left",
                    "y": "moving down" if dy > 0 else "moving up",
                    "e": "growing" if de > 0 else "shrinking",
                }[best[1]]
        out.append(r)
    return out


def read_clip(frames: Sequence[Any], *, evaluator: Evaluator | None = None) -> dict:
    """What a clip shows: shape, colour, background, style (majority over frames), size and
    position (first frame) and motion (moving left/right/up/down, growing, shrinking)."""
    return read_clips([frames], evaluator=evaluator)[0]


def _stated(parsed: dict) -> dict:
    return {k: v for k, v in parsed.items() if v is not None}


def _compare(parsed: dict, read: dict) -> dict[str, bool]:
    """Compare what a prompt states with what was read (both with parse_prompt's keys)."""
    out: dict[str, bool] = {}
    for k, v in _stated(parsed).items():
        if k == "second":
            got = read.get("second") or {}
            for kk, vv in _stated(v).items():
                out[f"second {kk}"] = got.get(kk) == vv
        else:
            out[k] = read.get(k) == v
    return out


def _swap(read: dict) -> dict:
    """The same reading with the two objects exchanged (and the relation reversed)."""
    if not read.get("second"):
        return read
    inv = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}
    sw = dict(read)
    first = {k: read.get(k) for k in ("shape", "colour", "size", "position", "style")}
    sw.update(read["second"])
    sw["second"] = first
    sw["relation"] = inv.get(read.get("relation"), read.get("relation"))
    return sw


def adherence_of(prompt: str, read: dict) -> dict[str, bool]:
    """:func:`adherence` from an existing reading (``read_image``/``read_clip`` output)."""
    parsed = world.parse_prompt(prompt)
    a = _compare(parsed, read)
    if parsed.get("second") is not None and read.get("second"):
        b = _compare(parsed, _swap(read))
        if sum(b.values()) > sum(a.values()):
            a = b
    return a


def adherence(prompt: str, image_or_frames: Any, *, evaluator: Evaluator | None = None) -> dict[str, bool]:
    """For each attribute the prompt states (and only those), whether the picture/clip shows it.

    A list/tuple of pictures is read as a clip. Two-object prompts are matched to the two objects
    read in whichever order agrees more; their attributes are reported as "second shape", ...
    """
    if isinstance(image_or_frames, (list, tuple)):
        read = read_clip(image_or_frames, evaluator=evaluator)
    else:
        read = read_image(image_or_frames, evaluator=evaluator)
    return adherence_of(prompt, read)


# ---------------------------------------------------------------------------------------------
# Training and validating on the world's ground truth


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


def _truth_sample(rng: random.Random, kind: str, split: str):
    """(image, list of (cx, cy, Shape), Scene | None) from the world."""
    if kind == "clip":
        clip = world.sample_clip(rng, n_frames=8, split=split)
        i = rng.randrange(clip.n_frames)
        frames = world.render_clip(clip)
        cx, cy, _ = world.clip_geometry(clip, i)
        return frames[i], [(cx, cy, clip.scene.objects[0])], None
    scene = world.sample_scene(rng, split=split, two_object_prob=1.0 if kind == "two" else 0.0)
    objs = [(*world.object_geometry(o, scene)[:2], o) for o in scene.objects]
    return world.render(scene), objs, scene


def _match(frame: _Frame, truth: list) -> list[tuple[int, Any]]:
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
            img, truth, _ = _truth_sample(rng, kind, "any")
            if rng.random() < degrade_prob:
                img = degrade(img, rng)
            imgs.append(img)
            truths.append(truth)
        frames = _analyse(np.stack([_to_array(im) for im in imgs]))
        which, labels = [], []
        for fi, (fr, tr) in enumerate(zip(frames, truths)):
            for oi, obj in _match(fr, tr):
                which.append((fi, oi))
                labels.append(obj)
        jit = np.array(
            [(rng.uniform(-0.06, 0.06), rng.uniform(-0.06, 0.06), rng.uniform(0.9, 1.12)) for _ in which], np.float32
        ).reshape(-1, 3)
        xs.append(_crop_inputs(frames, which, jitter=jit))
        ys_shape += [world.SHAPES.index(o.shape) for o in labels]
        ys_style += [world.STYLES.index(o.style) for o in labels]
        if log and (s // chunk) % 10 == 0:
            log(f"  crops: {s + len(imgs)}/{n_images} images, {sum(len(x) for x in xs)} crops, {time.time() - t0:.0f}s")
    return torch.cat(xs), torch.tensor(ys_shape), torch.tensor(ys_style)


def train_evaluator(
    out_dir: str | Path = EVALUATOR_DIR,
    *,
    n_images: int = 12000,
    epochs: int = 8,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
    log=print,
) -> dict:
    """Train the shape/style CNN on world renders (CPU, seeded) and save it to ``out_dir``."""
    import torch
    from safetensors.torch import save_file

    t0 = time.time()
    torch.manual_seed(seed)
    log(f"making {n_images} training images (seed {seed})")
    x, ys, yt = make_training_set(n_images, seed=seed, log=log)
    n = len(x)
    log(f"{n} crops in {time.time() - t0:.0f}s")
    net = _build_net(len(world.SHAPES), len(world.STYLES))
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
    out = Path(out_dir)
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
    _load.cache_clear()
    return meta


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
            x = np.stack([_to_array(im) for im in images[s : s + batch]]) / 127.5 - 1.0
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
            img, _, scene = _truth_sample(rng, kind, split)
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
                sw = r if (r.get("second") and _compare(expect, r) == ad) else _swap(r)
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


__all__ = [
    "EVALUATOR_DIR",
    "Evaluator",
    "load_evaluator",
    "read_image",
    "read_images",
    "read_clip",
    "read_clips",
    "adherence",
    "adherence_of",
    "degrade",
    "train_evaluator",
    "validate_evaluator",
    "vae_roundtrip",
]
