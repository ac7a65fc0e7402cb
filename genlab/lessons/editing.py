"""Editing pictures: masks, outpainting (pad + mask + inpaint) and recolouring.

Masks follow the diffusers convention `genlab.generate(..., mask_image=...)` uses: a greyscale
("L") picture, **white = repaint**, black = keep.

- `box_mask`, `ellipse_mask`, `border_mask`, `colour_mask`: masks for common edits;
- `pad(image, left=, right=, top=, bottom=)`: a bigger canvas with the picture on it, and the mask
  of the new area; `outpaint(...)` pads and inpaints the new area in one call (same size out);
- `recolour(image, old, new, ...)`: repaint one colour of a picture as another through
  inpainting (the mask is made from the old colour);
- `mask_coverage(mask)`: the share of the picture a mask repaints.

Composition control (`genlab.generate(prompt, control=drawing, condition=...)`) takes a drawing:
dark strokes on a white page. Draw one in the studio's Composition tab, in any drawing app, or here:

- `layout_drawing(box)`: a box where the object goes (condition "layout");
- `sketch_drawing(shape, box)`: the outline of a shape inside the box (condition "sketch");
- `layout_iou(picture, box, background)`: how well the picture's object fills the box
  (1 = exactly the box; measured from pixels, as `genlab.tiny.control.adherence` does).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from genlab.core.i18n import add_texts, say

# Messages of the drawing helpers, in both languages (they live here, beside the helpers).
add_texts("editing.bad_box", {
    "en": "The box {box} does not fit a {size} page: give (left, top, right, bottom) with left < right and "
          "top < bottom, in pixels inside the page or in fractions from 0.0 to 1.0.",
    "es": "La caja {box} no cabe en una página de {size}: da (izquierda, arriba, derecha, abajo) con "
          "izquierda < derecha y arriba < abajo, en píxeles dentro de la página o en fracciones de 0.0 a 1.0.",
})
add_texts("editing.unknown_shape", {
    "en": "Unknown shape {shape}; use one of {shapes}.",
    "es": "No conozco la figura {shape}; usa una de estas: {shapes}.",
})


def _open(img) -> Image.Image:
    if isinstance(img, (str, Path)):
        img = Image.open(img)
    if not isinstance(img, Image.Image):
        raise TypeError(say("editing.not_a_picture", kind=type(img).__name__))
    return img


def _size(size_or_image) -> tuple[int, int]:
    if isinstance(size_or_image, (Image.Image, str, Path)):
        return _open(size_or_image).size
    w, h = size_or_image
    return int(w), int(h)


def box_mask(size_or_image, box: tuple[float, float, float, float], *, feather: int = 0) -> Image.Image:
    """White rectangle (left, top, right, bottom) on black. Values 0-1 are fractions of the picture."""
    w, h = _size(size_or_image)
    x0, y0, x1, y1 = box
    if all(0 <= v <= 1 for v in box):
        x0, x1, y0, y1 = x0 * w, x1 * w, y0 * h, y1 * h
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rectangle([round(x0), round(y0), round(x1) - 1, round(y1) - 1], fill=255)
    return mask.filter(ImageFilter.GaussianBlur(feather)) if feather else mask


def ellipse_mask(size_or_image, box: tuple[float, float, float, float], *, feather: int = 0) -> Image.Image:
    """White ellipse inside the box (left, top, right, bottom; fractions 0-1 or pixels) on black."""
    w, h = _size(size_or_image)
    x0, y0, x1, y1 = box
    if all(0 <= v <= 1 for v in box):
        x0, x1, y0, y1 = x0 * w, x1 * w, y0 * h, y1 * h
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse([round(x0), round(y0), round(x1) - 1, round(y1) - 1], fill=255)
    return mask.filter(ImageFilter.GaussianBlur(feather)) if feather else mask


def border_mask(size_or_image, *, left: int = 0, right: int = 0, top: int = 0, bottom: int = 0) -> Image.Image:
    """White bands (pixels) along the edges, black inside: the area outpainting fills."""
    w, h = _size(size_or_image)
    a = np.zeros((h, w), np.uint8)
    if left:
        a[:, :left] = 255
    if right:
        a[:, w - right:] = 255
    if top:
        a[:top, :] = 255
    if bottom:
        a[h - bottom:, :] = 255
    return Image.fromarray(a, "L")


def colour_mask(image, rgb, *, tolerance: float = 60.0, grow: int = 2) -> Image.Image:
    """White where the picture is close to the colour `rgb` (a name from the shapes world or an
    (r, g, b) tuple), grown by `grow` pixels so anti-aliased edges are repainted too."""
    if isinstance(rgb, str):
        from genlab.tiny.world import COLOURS

        if rgb not in COLOURS:
            raise ValueError(say("editing.unknown_colour", colour=repr(rgb), colours=", ".join(COLOURS)))
        rgb = COLOURS[rgb]
    a = np.asarray(_open(image).convert("RGB"), np.float32)
    d = np.sqrt(((a - np.array(rgb, np.float32)) ** 2).sum(-1))
    mask = Image.fromarray(np.where(d < tolerance, 255, 0).astype(np.uint8), "L")
    return mask.filter(ImageFilter.MaxFilter(2 * grow + 1)) if grow else mask


def mask_coverage(mask) -> float:
    """Share of the picture (0-1) the mask repaints (pixels brighter than half)."""
    return float((np.asarray(_open(mask).convert("L")) > 127).mean())


def pad(image, *, left: int = 0, right: int = 0, top: int = 0, bottom: int = 0, fill="edge",
        keep_size: bool = True) -> tuple[Image.Image, Image.Image]:
    """The picture on a larger canvas, and the mask of the new area (white = to be painted).

    `fill`: "edge" repeats the outermost pixels (a good start for inpainting), or a colour.
    With `keep_size` (default) the result is scaled back to the picture's size, so a model that
    only draws one size (like the tiny one) can paint it; the picture itself then looks smaller.
    """
    img = _open(image).convert("RGB")
    for name, v in (("left", left), ("right", right), ("top", top), ("bottom", bottom)):
        if not isinstance(v, int) or v < 0:
            raise ValueError(say("editing.pixels", name=name, value=repr(v)))
    if not (left or right or top or bottom):
        raise ValueError(say("editing.no_side"))
    a = np.asarray(img)
    if fill == "edge":
        big = np.pad(a, ((top, bottom), (left, right), (0, 0)), mode="edge")
    else:
        big = np.empty((a.shape[0] + top + bottom, a.shape[1] + left + right, 3), np.uint8)
        big[...] = Image.new("RGB", (1, 1), fill).getpixel((0, 0))
        big[top:top + a.shape[0], left:left + a.shape[1]] = a
    canvas = Image.fromarray(big, "RGB")
    mask = border_mask(canvas, left=left, right=right, top=top, bottom=bottom)
    if keep_size:
        canvas = canvas.resize(img.size, Image.LANCZOS)
        mask = mask.resize(img.size, Image.NEAREST)
    return canvas, mask


def outpaint(image, prompt: str, *, left: int = 0, right: int = 0, top: int = 0, bottom: int = 0,
             strength: float = 1.0, **generate_kwargs):
    """Extend a picture beyond its edges: pad it, then inpaint only the new area.

    Returns the `Generation` (pictures and recipes) that `genlab.generate` gives. Pass `seed`,
    `profile`, `steps`... as to `generate`.
    """
    import genlab

    canvas, mask = pad(image, left=left, right=right, top=top, bottom=bottom)
    return genlab.generate(prompt, image=canvas, mask_image=mask, strength=strength, **generate_kwargs)


def recolour(image, old, new_prompt: str, *, strength: float = 1.0, tolerance: float = 60.0, grow: int = 2,
             **generate_kwargs):
    """Repaint the parts of `image` that have colour `old` following `new_prompt`
    (e.g. "a purple circle on a white background"). Inpainting with a mask made from the colour.

    Returns (Generation, mask).
    """
    import genlab

    mask = colour_mask(image, old, tolerance=tolerance, grow=grow)
    if mask_coverage(mask) == 0:
        raise ValueError(say("editing.colour_absent", colour=repr(old)))
    out = genlab.generate(new_prompt, image=_open(image).convert("RGB"), mask_image=mask, strength=strength,
                          **generate_kwargs)
    return out, mask


def keep_outside(original, edited, mask) -> Image.Image:
    """Paste the original back wherever the mask is black, so only the masked area changes.

    Inpainting pipelines re-encode the whole picture, which softens it slightly everywhere; this
    puts back the untouched pixels (what designers do with a layer mask)."""
    o = _open(original).convert("RGB")
    e = _open(edited).convert("RGB").resize(o.size)
    m = _open(mask).convert("L").resize(o.size)
    return Image.composite(e, o, m)


def picture_of(prompt: str, size: int = 128) -> Image.Image:
    """A clean, exact picture of a shapes-world prompt, drawn by the world's renderer (no model):
    a stand-in for a client's brand asset, e.g. picture_of("a red star on a white background")."""
    from genlab.tiny import world

    p = world.parse_prompt(prompt)
    if not p.get("shape") or not p.get("colour") or not p.get("background"):
        raise ValueError(say("editing.say_shape"))
    obj = world.Shape(p["shape"], p["colour"], p.get("size") or "large", p.get("position") or "centre",
                      p.get("style") or "flat")
    return world.render(world.Scene((obj,), p["background"]), size)


def _box_pixels(box, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) in pixels, inclusive; fractions 0-1 are read as shares of the page."""
    w, h = size
    x0, y0, x1, y1 = box
    if all(isinstance(v, float) and 0 <= v <= 1 for v in box):
        x0, x1, y0, y1 = x0 * (w - 1), x1 * (w - 1), y0 * (h - 1), y1 * (h - 1)
    x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
    if not (0 <= x0 < x1 < w and 0 <= y0 < y1 < h):
        raise ValueError(say("editing.bad_box", box=repr(box), size=f"{w}x{h}"))
    return x0, y0, x1, y1


def layout_drawing(box, size=(128, 128), *, stroke: int = 3) -> Image.Image:
    """A layout: a black box (left, top, right, bottom; pixels, or fractions 0-1) on a white page.
    With condition="layout" the box says where and how big the object is; the prompt says what."""
    page = Image.new("RGB", _size(size) if not isinstance(size, int) else (size, size), "white")
    ImageDraw.Draw(page).rectangle(_box_pixels(box, page.size), outline="black", width=stroke)
    return page


def sketch_drawing(shape: str, box, size=(128, 128), *, stroke: int = 3) -> Image.Image:
    """A sketch: the black outline of one of the world's shapes ("circle", "star"...) filling the
    box (as large as its shorter side), on a white page. For condition="sketch"."""
    from genlab.tiny import world

    if shape not in world.SHAPES:
        raise ValueError(say("editing.unknown_shape", shape=repr(shape), shapes=", ".join(world.SHAPES)))
    page = Image.new("RGB", _size(size) if not isinstance(size, int) else (size, size), "white")
    x0, y0, x1, y1 = _box_pixels(box, page.size)
    side = min(x1 - x0, y1 - y0)
    world._draw_shape(ImageDraw.Draw(page), shape, (x0 + x1 + 1) / 2, (y0 + y1 + 1) / 2, side,
                      fill="white", outline="black", width=stroke)
    return page


def layout_iou(picture, box, background: str) -> float:
    """How well the picture's object fills ``box`` (pixels or fractions, as in `layout_drawing`): the
    IoU (overlap / union, 0-1) of the object's bounding box with the box. The object is what differs
    from the ``background`` colour (`genlab.tiny.control.object_mask`)."""
    from genlab.tiny import control

    img = _open(picture).convert("RGB")
    obj = control.object_mask(img, background)
    x0, y0, x1, y1 = _box_pixels(box, img.size)
    target = np.zeros(obj.shape, bool)
    target[y0:y1 + 1, x0:x1 + 1] = True
    found = control.bounding_box(obj)
    seen = np.zeros(obj.shape, bool)
    if found is not None:
        seen[found[1]:found[3] + 1, found[0]:found[2] + 1] = True
    return control.iou(seen, target)
