"""The shapes world: a seeded, procedural generator of captioned images and clips.

Everything genlab's tiny models know comes from here. A *scene* is one or two flat shapes on a
plain background; :func:`render` draws it (pure PIL + numpy, supersampled 2x for smooth edges,
well over 500 images/s per core at 128 px), :func:`caption` describes it in a small English
grammar, and :func:`parse_prompt` reads that grammar back, so an evaluator can check what a
generated image *should* show.

Vocabulary
----------
* shapes: circle, square, triangle, star, heart
* colours (object and background): red, orange, yellow, green, blue, purple, white, black;
  the object's colour is never the background's.
* sizes: small (~28% of the frame wide), large (~60%), each with a +-6% size jitter.
* positions: centre, left, right, top, bottom, top left, top right, bottom left, bottom right
  (a 3x3 grid; large shapes sit a little closer to the middle so they stay in frame), with a
  small jitter (+-2.5% of the frame).
* styles: flat (solid fill), outlined (thick outline, background inside), striped (diagonal
  stripes of the background colour across the fill), dotted (polka dots of the background
  colour), gradient (light at the top to dark at the bottom, of the object's colour).
* relations (two-object scenes, both objects small): left of, right of, above, below.
* motions (clips): moving left/right/up/down (the object travels 44% of the frame width over the
  clip), growing (small -> large), shrinking (large -> small).

Grammar (``[...]`` optional, ``|`` alternatives; ``a`` becomes ``an`` before a vowel)
-----------------------------------------------------------------------------------
::

    object    := [size] [style] colour shape             e.g. "large striped red star"
    position  := "in the centre" | "on the left" | "on the right" | "at the top"
               | "at the bottom" | "in the top left" | "in the top right"
               | "in the bottom left" | "in the bottom right"
    bg        := colour "background"

    one object (templates 0, 1, 2; 0 is the canonical phrasing, used when rng is None):
      0: "a" object [position] "on a" bg     "a red circle on a blue background"
      1: "a" object "on a" bg [", " position] "a red circle on a blue background, on the left"
      2: "a" bg "with a" object [position]   "a blue background with a red circle on the left"
    two objects (relation in "left of" | "right of" | "above" | "below"):
      0: "a" object relation "a" object "on a" bg
      1: "a" bg "with a" object rel2 "a" object   (rel2: "to the left of", "to the right of",
                                                   "above", "below")
    clips (motion in MOTIONS; clip objects are flat and have no size/position words):
      0: "a" colour shape motion "on a" bg   "a yellow star moving right on a black background"
      1: "a" colour shape "on a" bg ", " motion
      2: "a" bg "with a" colour shape motion

Size, position and style are *optional*: ``caption(..., mention=...)`` says which of them the
caption states (two-object scenes only ever state styles; their size is always small and their
positions follow from the relation).

Defaults when a caption omits an attribute
------------------------------------------
:func:`sample_training_example` first decides which optional attributes its caption will state
(each independently with probability ``MENTION_PROB`` = 0.6). A stated attribute is drawn
uniformly; an omitted one is drawn from ``DEFAULTS``, a deliberate default distribution:

* size: large 80%, small 20%
* position: centre 80%, the eight others 2.5% each
* style: flat 85%, the four others 3.75% each

So a model trained on these examples should draw "a red circle on a blue background" as a large,
flat, centred circle most of the time; a later lesson probes exactly this.

Held-out combinations
---------------------
``HELD_OUT`` (green star, blue heart, purple triangle, orange circle, yellow square) never appear
in ``split="train"`` scenes or clips (neither object of a two-object scene); ``split="heldout"``
gives the first object a held-out pair; ``split="any"`` draws from everything.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle", "star", "heart")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (245, 135, 20),
    "yellow": (245, 220, 30),
    "green": (35, 165, 60),
    "blue": (30, 80, 220),
    "purple": (135, 45, 175),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}
SIZES = ("small", "large")
POSITIONS = (
    "centre",
    "left",
    "right",
    "top",
    "bottom",
    "top left",
    "top right",
    "bottom left",
    "bottom right",
)
STYLES = ("flat", "outlined", "striped", "dotted", "gradient")
MOTIONS = ("moving left", "moving right", "moving up", "moving down", "growing", "shrinking")
OPPOSITE_MOTION = {
    "moving left": "moving right",
    "moving right": "moving left",
    "moving up": "moving down",
    "moving down": "moving up",
    "growing": "shrinking",
    "shrinking": "growing",
}
RELATIONS = ("left of", "right of", "above", "below")

HELD_OUT: frozenset[tuple[str, str]] = frozenset(
    {
        ("star", "green"),
        ("heart", "blue"),
        ("triangle", "purple"),
        ("circle", "orange"),
        ("square", "yellow"),
    }
)

# Geometry, as fractions of the frame.
SIZE_FRACTION = {"small": 0.28, "large": 0.60}
SIZE_JITTER = 0.06  # relative
POSITION_JITTER = 0.025
# Offset of a non-centre position from the middle of the frame, by size.
POSITION_OFFSET = {"small": 0.26, "large": 0.19}
_POS_DIR = {
    "centre": (0, 0),
    "left": (-1, 0),
    "right": (1, 0),
    "top": (0, -1),
    "bottom": (0, 1),
    "top left": (-1, -1),
    "top right": (1, -1),
    "bottom left": (-1, 1),
    "bottom right": (1, 1),
}
POSITION_PHRASES = {
    "centre": "in the centre",
    "left": "on the left",
    "right": "on the right",
    "top": "at the top",
    "bottom": "at the bottom",
    "top left": "in the top left",
    "top right": "in the top right",
    "bottom left": "in the bottom left",
    "bottom right": "in the bottom right",
}
# Two-object scenes: where each (small) object sits for a relation "first <relation> second".
RELATION_POSITIONS = {
    "left of": ("left", "right"),
    "right of": ("right", "left"),
    "above": ("top", "bottom"),
    "below": ("bottom", "top"),
}
RELATION_OFFSET = 0.23
# Clips.
MOTION_TRAVEL = 0.44  # fraction of the frame travelled over the whole clip
MOTION_START = {
    "moving left": "right",
    "moving right": "left",
    "moving up": "bottom",
    "moving down": "top",
    "growing": "centre",
    "shrinking": "centre",
}

MENTION_PROB = 0.6
DEFAULTS: dict[str, dict[str, float]] = {
    "size": {"large": 0.8, "small": 0.2},
    "position": {"centre": 0.8, **{p: 0.2 / 8 for p in POSITIONS if p != "centre"}},
    "style": {"flat": 0.85, **{s: 0.15 / 4 for s in STYLES if s != "flat"}},
}
OPTIONAL_ATTRIBUTES = ("size", "position", "style")

SUPERSAMPLE = 2


@dataclass(frozen=True)
class Shape:
    """One object. ``dx``, ``dy`` (fractions of the frame) and ``scale`` are the jitter."""

    shape: str
    colour: str
    size: str
    position: str
    style: str
    dx: float = 0.0
    dy: float = 0.0
    scale: float = 1.0


@dataclass(frozen=True)
class Scene:
    objects: tuple[Shape, ...]
    background: str
    relation: str | None = None


@dataclass(frozen=True)
class ClipSpec:
    """A clip: ``scene`` is its first frame's layout (position = where the motion starts)."""

    scene: Scene
    motion: str
    n_frames: int


# --------------------------------------------------------------------------------------------
# Sampling


def _pairs(split: str) -> list[tuple[str, str]]:
    allp = [(s, c) for s in SHAPES for c in COLOURS]
    if split == "train":
        return [p for p in allp if p not in HELD_OUT]
    if split == "heldout":
        return sorted(HELD_OUT)
    if split == "any":
        return allp
    raise ValueError(f"unknown split {split!r}; use 'train', 'heldout' or 'any'")


def _jitter(rng: random.Random) -> tuple[float, float, float]:
    return (
        rng.uniform(-POSITION_JITTER, POSITION_JITTER),
        rng.uniform(-POSITION_JITTER, POSITION_JITTER),
        1.0 + rng.uniform(-SIZE_JITTER, SIZE_JITTER),
    )


def _weighted(rng: random.Random, dist: dict[str, float]) -> str:
    return rng.choices(list(dist), weights=list(dist.values()))[0]


def _background(rng: random.Random, exclude: set[str]) -> str:
    return rng.choice([c for c in COLOURS if c not in exclude])


def sample_scene(
    rng: random.Random,
    *,
    split: str = "train",
    two_object_prob: float = 0.15,
    attrs: dict[str, str] | None = None,
) -> Scene:
    """A random scene; size, position and style uniform unless fixed in ``attrs``.

    ``split``: "train" never uses a HELD_OUT (shape, colour) pair; "heldout" gives the (first)
    object a HELD_OUT pair; "any" uses everything. With probability ``two_object_prob`` the scene
    has two small objects placed by a relation (the second object is never held out in "train").
    """
    attrs = attrs or {}
    shape, colour = rng.choice(_pairs(split))
    if rng.random() < two_object_prob:
        relation = rng.choice(RELATIONS)
        pos1, pos2 = RELATION_POSITIONS[relation]
        second_pairs = [p for p in _pairs("train" if split == "train" else "any") if p != (shape, colour)]
        shape2, colour2 = rng.choice(second_pairs)
        bg = _background(rng, {colour, colour2})
        objs = []
        for s, c, p in ((shape, colour, pos1), (shape2, colour2, pos2)):
            st = attrs.get("style") or rng.choice(STYLES)
            dx, dy, sc = _jitter(rng)
            objs.append(Shape(s, c, "small", p, st, dx, dy, sc))
        return Scene(tuple(objs), bg, relation)
    size = attrs.get("size") or rng.choice(SIZES)
    position = attrs.get("position") or rng.choice(POSITIONS)
    style = attrs.get("style") or rng.choice(STYLES)
    dx, dy, sc = _jitter(rng)
    bg = _background(rng, {colour})
    return Scene((Shape(shape, colour, size, position, style, dx, dy, sc),), bg, None)


def sample_training_example(rng: random.Random, *, split: str = "train", two_object_prob: float = 0.15):
    """(image, caption) for training: optional attributes stated with MENTION_PROB each; an
    omitted attribute is drawn from ``DEFAULTS`` (see the module docstring)."""
    mention = {a for a in OPTIONAL_ATTRIBUTES if rng.random() < MENTION_PROB}
    attrs = {a: _weighted(rng, DEFAULTS[a]) for a in OPTIONAL_ATTRIBUTES if a not in mention}
    scene = sample_scene(rng, split=split, two_object_prob=two_object_prob, attrs=attrs)
    return render(scene), caption(scene, rng, mention=mention)


def sample_clip(rng: random.Random, *, n_frames: int = 8, split: str = "train") -> ClipSpec:
    """A one-object, flat-style clip; the scene's position is where the motion starts."""
    shape, colour = rng.choice(_pairs(split))
    motion = rng.choice(MOTIONS)
    bg = _background(rng, {colour})
    size = "large" if motion == "shrinking" else "small"
    dx, dy, sc = _jitter(rng)
    obj = Shape(shape, colour, size, MOTION_START[motion], "flat", dx, dy, sc)
    return ClipSpec(Scene((obj,), bg, None), motion, n_frames)


# --------------------------------------------------------------------------------------------
# Rendering


@lru_cache(maxsize=None)
def _unit_outline(shape: str) -> tuple[tuple[float, float], ...]:
    """Polygon of a shape inscribed in the box [-0.5, 0.5]^2 (y down); circle handled apart."""
    if shape == "square":
        h = 0.43
        return ((-h, -h), (h, -h), (h, h), (-h, h))
    if shape == "triangle":
        # Equilateral, pointing up, fills the box's width; centred on its bounding box.
        hgt = math.sqrt(3) / 2
        return ((0.0, -hgt / 2), (0.5, hgt / 2), (-0.5, hgt / 2))
    if shape == "star":
        pts = []
        for k in range(10):
            r = 0.5 if k % 2 == 0 else 0.5 * 0.45
            a = -math.pi / 2 + k * math.pi / 5
            pts.append((r * math.cos(a), r * math.sin(a)))
        # Centre vertically on the bounding box.
        ys = [p[1] for p in pts]
        off = (max(ys) + min(ys)) / 2
        return tuple((x, y - off) for x, y in pts)
    raise ValueError(f"unknown shape {shape!r}")


OUTLINE_WIDTH = 0.12  # of the object's side


@lru_cache(maxsize=None)
def _unit_inset(shape: str, d: float = OUTLINE_WIDTH) -> tuple[tuple[float, float], ...]:
    """The shape's polygon moved inwards by ``d`` (mitred offset), for the outlined style."""
    pts = _unit_outline(shape)
    n = len(pts)
    area = sum(pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1] for i in range(n))
    sgn = 1.0 if area > 0 else -1.0
    lines = []
    for i in range(n):
        (x0, y0), (x1, y1) = pts[i], pts[(i + 1) % n]
        ex, ey = x1 - x0, y1 - y0
        ln = math.hypot(ex, ey)
        # Inward normal (y down, so for positive area the interior is to the right: (-ey, ex)).
        nx, ny = -ey / ln * sgn, ex / ln * sgn
        lines.append(((x0 + nx * d, y0 + ny * d), (ex, ey)))
    out = []
    for i in range(n):
        (p0, e0), (p1, e1) = lines[i - 1], lines[i]
        den = e0[0] * e1[1] - e0[1] * e1[0]
        if abs(den) < 1e-9:
            out.append(p1)
            continue
        t = ((p1[0] - p0[0]) * e1[1] - (p1[1] - p0[1]) * e1[0]) / den
        out.append((p0[0] + e0[0] * t, p0[1] + e0[1] * t))
    return tuple(out)


# The heart is the classic union of a square turned 45 degrees and two circles on its upper
# edges, scaled to a unit-wide box and centred on its bounding box.
_HEART_A = 1.0 / (1.0 + 1.0 / math.sqrt(2))  # square side
_HEART_C = (0.5 - _HEART_A / math.sqrt(2)) / 2  # square centre y


def _heart_parts(cx: float, cy: float, side: float, d: float = 0.0):
    """(diamond polygon, [circle boxes]) of a heart, moved inwards by ``d`` pixels."""
    a = _HEART_A * side
    h = a / math.sqrt(2) - d * math.sqrt(2)  # half diagonal of the inset diamond
    c = cy + _HEART_C * side
    diamond = [(cx, c - h), (cx + h, c), (cx, c + h), (cx - h, c)]
    r = a / 2 - d
    boxes = []
    for sx in (-1, 1):
        ox, oy = cx + sx * a / (2 * math.sqrt(2)), c - a / (2 * math.sqrt(2))
        boxes.append((ox - r, oy - r, ox + r, oy + r))
    return diamond, boxes


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, side: float, fill, outline=None, width: int = 0):
    """Fill the shape; with ``outline``/``width``, also stroke its border ``width`` px wide."""
    if shape == "circle":
        r = side / 2
        box = (cx - r, cy - r, cx + r, cy + r)
        if width:
            draw.ellipse(box, fill=fill, outline=outline, width=width)
        else:
            draw.ellipse(box, fill=fill)
        return
    if shape == "heart":
        layers = [(0.0, outline), (float(width), fill)] if width else [(0.0, fill)]
        for d, col in layers:
            diamond, boxes = _heart_parts(cx, cy, side, d)
            draw.polygon(diamond, fill=col)
            for box in boxes:
                draw.ellipse(box, fill=col)
        return
    pts = [(cx + x * side, cy + y * side) for x, y in _unit_outline(shape)]
    if width:
        draw.polygon(pts, fill=outline)
        inner = [(cx + x * side, cy + y * side) for x, y in _unit_inset(shape, width / max(side, 1e-6))]
        draw.polygon(inner, fill=fill)
    else:
        draw.polygon(pts, fill=fill)


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b))


def _pattern(style: str, x0: int, y0: int, w: int, h: int, cx: float, cy: float, side: float) -> np.ndarray:
    """bool array (h, w) for the window at (x0, y0): True where the background colour shows."""
    xx = np.arange(x0, x0 + w, dtype=np.float32)[None, :] - cx
    yy = np.arange(y0, y0 + h, dtype=np.float32)[:, None] - cy
    if style == "striped":
        period = max(side / 3.5, 6.0)
        return ((xx + yy) % period) < period * 0.38
    if style == "dotted":
        period = max(side / 3.2, 6.0)
        r = period * 0.27
        u = xx % period - period / 2
        v = yy % period - period / 2
        return u * u + v * v < r * r
    raise ValueError(style)


def _draw_object(img: Image.Image, draw: ImageDraw.ImageDraw, obj: Shape, bg_rgb, cx: float, cy: float, side: float):
    """Draw one object centred at (cx, cy) with bounding side ``side`` (pixels of ``img``)."""
    rgb = COLOURS[obj.colour]
    n = img.size[0]
    if obj.style == "flat":
        _draw_shape(draw, obj.shape, cx, cy, side, fill=rgb)
        return
    width = max(2, int(round(side * OUTLINE_WIDTH)))
    if obj.style == "outlined":
        _draw_shape(draw, obj.shape, cx, cy, side, fill=bg_rgb, outline=rgb, width=width)
        return
    # Work on the object's bounding box only (fast at any frame size).
    half = side / 2 + 2
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    x1, y1 = min(n, int(math.ceil(cx + half))), min(n, int(math.ceil(cy + half)))
    if x1 <= x0 or y1 <= y0:
        return
    w, h = x1 - x0, y1 - y0
    mask = Image.new("L", (w, h), 0)
    _draw_shape(ImageDraw.Draw(mask), obj.shape, cx - x0, cy - y0, side, fill=255)
    if obj.style == "gradient":
        light = np.array(_mix(rgb, (255, 255, 255), 0.45), np.float32)
        dark = np.array(_mix(rgb, (0, 0, 0), 0.45), np.float32)
        t = np.clip((np.arange(y0, y1, dtype=np.float32) - (cy - side / 2)) / max(side, 1.0), 0, 1)
        col = light[None, :] * (1 - t[:, None]) + dark[None, :] * t[:, None]
        layer = np.ascontiguousarray(np.broadcast_to(col[:, None, :], (h, w, 3))).astype(np.uint8)
    else:
        pat = _pattern(obj.style, x0, y0, w, h, cx, cy, side)
        # A thin rim keeps the silhouette crisp where stripes or dots would cut the edge.
        rim = Image.new("L", (w, h), 0)
        _draw_shape(ImageDraw.Draw(rim), obj.shape, cx - x0, cy - y0, side, fill=0, outline=255, width=max(2, int(round(side * 0.05))))
        pat &= np.asarray(rim) == 0
        layer = np.empty((h, w, 3), np.uint8)
        layer[...] = rgb
        layer[pat] = bg_rgb
    img.paste(Image.fromarray(layer, "RGB"), (x0, y0), mask)


def object_geometry(obj: Shape, scene: Scene) -> tuple[float, float, float]:
    """(centre x, centre y, side) of an object, as fractions of the frame."""
    side = SIZE_FRACTION[obj.size] * obj.scale
    if scene.relation is not None:
        ux, uy = _POS_DIR[obj.position]
        off = RELATION_OFFSET
    else:
        ux, uy = _POS_DIR[obj.position]
        off = POSITION_OFFSET[obj.size]
    return 0.5 + ux * off + obj.dx, 0.5 + uy * off + obj.dy, side


def _render_frame(scene: Scene, size: int, geoms: list[tuple[float, float, float]]) -> Image.Image:
    n = size * SUPERSAMPLE
    bg_rgb = COLOURS[scene.background]
    img = Image.new("RGB", (n, n), bg_rgb)
    draw = ImageDraw.Draw(img)
    for obj, (fx, fy, fs) in zip(scene.objects, geoms):
        _draw_object(img, draw, obj, bg_rgb, fx * n, fy * n, fs * n)
    if SUPERSAMPLE == 1:
        return img
    return img.resize((size, size), Image.Resampling.BOX)


def render(scene: Scene, size: int = 128) -> Image.Image:
    """Draw a scene (RGB, ``size`` x ``size``); the same scene always gives the same pixels."""
    return _render_frame(scene, size, [object_geometry(o, scene) for o in scene.objects])


def clip_geometry(clip: ClipSpec, i: int) -> tuple[float, float, float]:
    """(centre x, centre y, side) of the clip's object in frame ``i``, fractions of the frame."""
    obj = clip.scene.objects[0]
    t = i / max(clip.n_frames - 1, 1)
    cx, cy = 0.5 + obj.dx, 0.5 + obj.dy
    side = SIZE_FRACTION[obj.size] * obj.scale
    half = MOTION_TRAVEL / 2
    m = clip.motion
    if m == "moving right":
        cx += -half + MOTION_TRAVEL * t
    elif m == "moving left":
        cx += half - MOTION_TRAVEL * t
    elif m == "moving down":
        cy += -half + MOTION_TRAVEL * t
    elif m == "moving up":
        cy += half - MOTION_TRAVEL * t
    elif m == "growing":
        side = (SIZE_FRACTION["small"] + (SIZE_FRACTION["large"] - SIZE_FRACTION["small"]) * t) * obj.scale
    elif m == "shrinking":
        side = (SIZE_FRACTION["large"] + (SIZE_FRACTION["small"] - SIZE_FRACTION["large"]) * t) * obj.scale
    else:
        raise ValueError(f"unknown motion {m!r}")
    return cx, cy, side


def render_clip(clip: ClipSpec, size: int = 128) -> list[Image.Image]:
    """The clip's frames (deterministic for a clip)."""
    return [render_clip_frame(clip, i, size) for i in range(clip.n_frames)]


def render_clip_frame(clip: ClipSpec, i: int, size: int = 128) -> Image.Image:
    """Frame ``i`` of a clip alone (``render_clip(clip)[i]``, without drawing the others)."""
    return _render_frame(clip.scene, size, [clip_geometry(clip, i)])


# --------------------------------------------------------------------------------------------
# Captions


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _a(phrase: str) -> str:
    return f"{_article(phrase)} {phrase}"


def _object_phrase(obj: Shape, mention: set[str], *, allow_size: bool = True) -> str:
    words = []
    if allow_size and "size" in mention:
        words.append(obj.size)
    if "style" in mention:
        words.append(obj.style)
    words += [obj.colour, obj.shape]
    return " ".join(words)


REL_PHRASE_ALT = {"left of": "to the left of", "right of": "to the right of", "above": "above", "below": "below"}


CAPTION_TEMPLATES = 3  # one-object templates (two-object scenes have 2, clips 3)
TWO_OBJECT_TEMPLATES = 2
CLIP_TEMPLATES = 3


def caption(
    scene: Scene,
    rng: random.Random | None = None,
    *,
    mention: set[str] | None = None,
    template: int | None = None,
) -> str:
    """Describe a scene in the grammar of the module docstring.

    ``rng=None`` gives the canonical phrasing (template 0); otherwise ``rng`` picks a template
    (the canonical one half of the time). ``template`` forces one. ``mention`` is the set of
    optional attributes (size, position, style) to state; None = all of them.
    """
    mention = set(OPTIONAL_ATTRIBUTES) if mention is None else set(mention)
    bg = f"{scene.background} background"
    if len(scene.objects) >= 2 and scene.relation is not None:
        o1 = _object_phrase(scene.objects[0], mention, allow_size=False)
        o2 = _object_phrase(scene.objects[1], mention, allow_size=False)
        t = template if template is not None else (0 if rng is None else rng.choice((0, 0, 1)))
        if t == 0:
            return f"{_a(o1)} {scene.relation} {_a(o2)} on {_a(bg)}"
        return f"{_a(bg)} with {_a(o1)} {REL_PHRASE_ALT[scene.relation]} {_a(o2)}"
    obj = scene.objects[0]
    o = _object_phrase(obj, mention)
    pos = POSITION_PHRASES[obj.position] if "position" in mention else None
    t = template if template is not None else (0 if rng is None else rng.choice((0, 0, 1, 2)))
    if t == 0:
        return f"{_a(o)}{' ' + pos if pos else ''} on {_a(bg)}"
    if t == 1:
        return f"{_a(o)} on {_a(bg)}{', ' + pos if pos else ''}"
    return f"{_a(bg)} with {_a(o)}{' ' + pos if pos else ''}"


def clip_caption(clip: ClipSpec, rng: random.Random | None = None, *, template: int | None = None) -> str:
    """"a yellow star moving right on a black background" (rng picks among 3 templates)."""
    obj = clip.scene.objects[0]
    o = f"{obj.colour} {obj.shape}"
    bg = f"{clip.scene.background} background"
    t = template if template is not None else (0 if rng is None else rng.choice((0, 0, 1, 2)))
    if t == 0:
        return f"{_a(o)} {clip.motion} on {_a(bg)}"
    if t == 1:
        return f"{_a(o)} on {_a(bg)}, {clip.motion}"
    return f"{_a(bg)} with {_a(o)} {clip.motion}"


# --------------------------------------------------------------------------------------------
# Parsing

_COLOUR_SYNONYMS = {c: c for c in COLOURS} | {"violet": "purple"}
_SHAPE_SYNONYMS = {s: s for s in SHAPES} | {s + "s": s for s in SHAPES}
_SIZE_SYNONYMS = {"small": "small", "tiny": "small", "little": "small", "large": "large", "big": "large", "huge": "large"}
_STYLE_SYNONYMS = {
    "flat": "flat",
    "solid": "flat",
    "outlined": "outlined",
    "outline": "outlined",
    "striped": "striped",
    "stripy": "striped",
    "stripey": "striped",
    "dotted": "dotted",
    "spotted": "dotted",
    "spotty": "dotted",
    "gradient": "gradient",
}
_COLOUR_RE = "|".join(sorted(_COLOUR_SYNONYMS, key=len, reverse=True))


def _empty() -> dict:
    return {
        "shape": None,
        "colour": None,
        "background": None,
        "size": None,
        "position": None,
        "style": None,
        "motion": None,
        "second": None,
        "relation": None,
    }


def _parse_object(words: list[str]) -> dict | None:
    """Shape, colour, size, style from a word list; adjectives apply to the first shape word."""
    idx = next((i for i, w in enumerate(words) if w in _SHAPE_SYNONYMS), None)
    pre = words if idx is None else words[:idx]
    out = {"shape": None if idx is None else _SHAPE_SYNONYMS[words[idx]], "colour": None, "size": None, "style": None}
    for w in pre:
        if w in _COLOUR_SYNONYMS:
            out["colour"] = _COLOUR_SYNONYMS[w]
        elif w in _SIZE_SYNONYMS:
            out["size"] = _SIZE_SYNONYMS[w]
        elif w in _STYLE_SYNONYMS:
            out["style"] = _STYLE_SYNONYMS[w]
    if out["colour"] is None and idx is not None:
        # "a star, red" style phrasings: a colour word after the shape.
        for w in words[idx + 1 :]:
            if w in _COLOUR_SYNONYMS:
                out["colour"] = _COLOUR_SYNONYMS[w]
                break
    if all(v is None for v in out.values()):
        return None
    return out


def parse_prompt(text: str) -> dict:
    """Read a caption of the grammar back into attributes; unknown text gives Nones.

    Keys: shape, colour, background, size, position, style, motion, second (a dict with shape,
    colour, size, style, or None) and relation. Also accepts a few synonyms (center/middle,
    big/tiny, polka dot, "to the left of", "moves right", "grows"...).
    """
    out = _empty()
    if not isinstance(text, str):
        return out
    s = " " + re.sub(r"[^a-z ]+", " ", text.lower().replace("-", " ")) + " "
    s = re.sub(r"\s+", " ", s)
    s = s.replace(" polka dot ", " dotted ").replace(" polka dots ", " dotted ").replace(" center ", " centre ")
    s = s.replace(" upper ", " top ").replace(" lower ", " bottom ")

    # Motion first ("moving left" must not read as a position).
    m = re.search(r" (?:moving|moves|move|going|goes|sliding|slides) (left|right|up|down) ", s)
    if m:
        out["motion"] = f"moving {m.group(1)}"
        s = s[: m.start()] + " " + s[m.end() :]
    else:
        m = re.search(r" (growing|grows|grow|expanding|getting bigger|shrinking|shrinks|shrink|getting smaller) ", s)
        if m:
            g = m.group(1)
            out["motion"] = "growing" if g.startswith(("grow", "expand", "getting bigger")) else "shrinking"
            s = s[: m.start()] + " " + s[m.end() :]

    # Relation: split the text into the first and the second object.
    second_words = None
    m = re.search(r" (?:to the |on the )?(left|right) of ", s) or re.search(r" (above|below|under|beneath|over) ", s)
    if m:
        r = m.group(1)
        out["relation"] = {"under": "below", "beneath": "below", "over": "above"}.get(r, r if r in ("above", "below") else f"{r} of")
        before, after = s[: m.start()], s[m.end() :]
    else:
        before, after = s, ""

    # Background.
    bgm = re.search(rf" ({_COLOUR_RE}) (?:background|backdrop) ", s)
    if bgm:
        out["background"] = _COLOUR_SYNONYMS[bgm.group(1)]
        bg_span = (bgm.start(), bgm.end())

        def strip_bg(part: str, offset: int) -> str:
            a, b = bg_span[0] - offset, bg_span[1] - offset
            if 0 <= a and b <= len(part):
                return part[:a] + " " + part[b:]
            return part

        before = strip_bg(before, 0)
        if m:
            after = strip_bg(after, m.end())

    if m:
        second_words = after.split()
        s_obj = before
    else:
        s_obj = before
        # Position (single-object scenes).
        pm = re.search(r" (top|bottom) (left|right) ", s_obj) or re.search(r" (left|right) (top|bottom) ", s_obj)
        if pm:
            a, b = pm.group(1), pm.group(2)
            if a in ("left", "right"):
                a, b = b, a
            out["position"] = f"{a} {b}"
            s_obj = s_obj[: pm.start()] + " " + s_obj[pm.end() :]
        else:
            pm = re.search(r" (centre|middle|left|right|top|bottom) ", s_obj)
            if pm:
                out["position"] = "centre" if pm.group(1) in ("centre", "middle") else pm.group(1)
                s_obj = s_obj[: pm.start()] + " " + s_obj[pm.end() :]

    first = _parse_object(s_obj.split())
    if first:
        for k, v in first.items():
            out[k] = v
    if second_words is not None:
        out["second"] = _parse_object(second_words)
    return out


__all__ = [
    "SHAPES",
    "COLOURS",
    "SIZES",
    "POSITIONS",
    "STYLES",
    "MOTIONS",
    "RELATIONS",
    "HELD_OUT",
    "DEFAULTS",
    "MENTION_PROB",
    "Shape",
    "Scene",
    "ClipSpec",
    "sample_scene",
    "sample_training_example",
    "sample_clip",
    "render",
    "render_clip",
    "render_clip_frame",
    "caption",
    "clip_caption",
    "parse_prompt",
    "object_geometry",
    "clip_geometry",
]
