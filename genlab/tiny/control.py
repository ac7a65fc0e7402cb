"""Composition control in the shapes world: the drawings genlab's tiny ControlNet follows, and
how closely a picture follows one.

Two *conditions*, as a designer would draw them on paper (dark strokes on white):

* ``sketch``: the outline of the object, where and as large as it should be (an edge map, like
  the canny / scribble ControlNets of Stable Diffusion 1.5);
* ``layout``: a box where the object goes (a layout map: the prompt says *what*, the box says
  *where* and *how big*).

A drawing becomes the ControlNet's input with :func:`control_image` (white strokes on black, as
diffusers' canny and scribble ControlNets expect). The training examples put one object anywhere
in the frame at any size between :data:`SIDE_RANGE` (not only the nine positions and two sizes
that prompts can ask for), so the drawing, not the prompt, decides composition.

Adherence is measured from pixels: the object is what differs from the background colour (the
largest connected part, holes filled), and :func:`iou` compares it with the drawn shape (sketch)
or its bounding box with the drawn box (layout).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from genlab.tiny import world

CONDITIONS = ("sketch", "layout")
SIDE_RANGE = (0.24, 0.68)  # the object's side, as a fraction of the frame
MARGIN = 0.03  # the object stays this far inside the frame
STROKE = 3  # px of a drawn line at 128 px
FLAT_PROB = 0.7  # training scenes: flat most of the time, the other styles otherwise


@dataclass(frozen=True)
class ControlExample:
    """One object at a free place: ``geometry`` = (centre x, centre y, side) as fractions."""

    scene: world.Scene
    geometry: tuple[float, float, float]
    condition: str

    @property
    def shape(self) -> str:
        return self.scene.objects[0].shape


def free_geometry(rng: random.Random) -> tuple[float, float, float]:
    """A centre and side anywhere in the frame (the whole object inside, MARGIN from the edge)."""
    side = rng.uniform(*SIDE_RANGE)
    lo, hi = side / 2 + MARGIN, 1 - side / 2 - MARGIN
    return rng.uniform(lo, hi), rng.uniform(lo, hi), side


def sample_example(rng: random.Random, *, split: str = "train", condition: str | None = None,
                   style: str | None = None) -> ControlExample:
    """A random one-object scene at a free place, with the condition that will be drawn."""
    if style is None:
        style = "flat" if rng.random() < FLAT_PROB else rng.choice([s for s in world.STYLES if s != "flat"])
    scene = world.sample_scene(rng, split=split, two_object_prob=0.0, attrs={"style": style})
    return ControlExample(scene, free_geometry(rng), condition or rng.choice(CONDITIONS))


def caption(example: ControlExample, rng: random.Random | None = None) -> str:
    """What the prompt says: colour, shape, style, background; never where or how big."""
    return world.caption(example.scene, rng, mention={"style"} if example.scene.objects[0].style != "flat" else set())


def render(example: ControlExample, size: int = 128) -> Image.Image:
    """The picture the drawing asks for (what the ControlNet learns to make)."""
    return world._render_frame(example.scene, size, [example.geometry])


def shape_mask(shape: str, geometry: tuple[float, float, float], size: int = 128) -> np.ndarray:
    """bool (size, size): where the shape is, drawn at ``geometry``."""
    n = size * world.SUPERSAMPLE
    img = Image.new("L", (n, n), 0)
    cx, cy, side = geometry
    world._draw_shape(ImageDraw.Draw(img), shape, cx * n, cy * n, side * n, fill=255)
    return np.asarray(img.resize((size, size), Image.Resampling.BOX)) >= 128


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1), inclusive, of a mask's pixels; None if it is empty."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def box_mask(box: tuple[int, int, int, int] | None, size: int = 128) -> np.ndarray:
    out = np.zeros((size, size), bool)
    if box is not None:
        x0, y0, x1, y1 = box
        out[y0 : y1 + 1, x0 : x1 + 1] = True
    return out


def draw(example: ControlExample, size: int = 128, stroke: int = STROKE) -> Image.Image:
    """The drawing of an example (dark strokes on white), as a designer would make it."""
    img = Image.new("RGB", (size, size), (255, 255, 255))
    d = ImageDraw.Draw(img)
    if example.condition == "sketch":
        cx, cy, side = (v * size for v in example.geometry)
        world._draw_shape(d, example.shape, cx, cy, side, fill=(255, 255, 255), outline=(0, 0, 0), width=stroke)
    elif example.condition == "layout":
        box = bounding_box(shape_mask(example.shape, example.geometry, size))
        if box is not None:
            d.rectangle(box, outline=(0, 0, 0), width=stroke)
    else:
        raise ValueError(f"unknown condition {example.condition!r}; use one of {', '.join(CONDITIONS)}")
    return img


def control_image(drawing: Image.Image, size: int = 128) -> Image.Image:
    """A drawing (dark strokes on a light page, any size or mode) as the ControlNet's input:
    ``size`` x ``size`` RGB, white strokes on black (diffusers' canny / scribble convention)."""
    grey = ImageOps.grayscale(drawing.convert("RGB"))
    if grey.size != (size, size):
        grey = grey.resize((size, size), Image.Resampling.BOX)
    strokes = ImageOps.invert(grey).point(lambda v: 255 if v >= 96 else 0)
    return Image.merge("RGB", (strokes, strokes, strokes))


def target_mask(example: ControlExample, size: int = 128) -> np.ndarray:
    """What the picture's object should cover: the shape (sketch) or the drawn box (layout)."""
    mask = shape_mask(example.shape, example.geometry, size)
    return mask if example.condition == "sketch" else box_mask(bounding_box(mask), size)


def object_mask(picture: Image.Image, background: str) -> np.ndarray:
    """bool (H, W): the largest connected part of what differs from the ``background`` colour,
    holes filled (so outlined, striped and dotted objects count as their whole silhouette)."""
    from scipy import ndimage

    arr = np.asarray(picture.convert("RGB"), np.float32)
    bg = np.asarray(world.COLOURS[background], np.float32)
    fg = np.sqrt(((arr - bg) ** 2).sum(-1)) > 60.0
    lab, n = ndimage.label(fg)
    if n == 0:
        return fg
    sizes = ndimage.sum(fg, lab, index=np.arange(1, n + 1))
    return ndimage.binary_fill_holes(lab == 1 + int(np.argmax(sizes)))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def adherence(example: ControlExample, picture: Image.Image) -> float:
    """IoU of the picture's object with the drawing: the shape for a sketch, the box for a layout."""
    obj = object_mask(picture, example.scene.background)
    if example.condition == "layout":
        obj = box_mask(bounding_box(obj), obj.shape[0])
    return iou(obj, target_mask(example, obj.shape[0]))
