"""Outpainting to social formats: a picture grows to 16:9, 9:16, 4:5 (or any ratio), for real.

A model draws pictures of its own size (the tiny model 128 x 128, SD 1.5 512 x 512), so a wider
canvas is filled window by window, as A1111's "outpainting mk2" and Krita's AI tools do: the
original sits in the middle of the new canvas; a window of the model's size that overlaps what is
already there by half is inpainted (white mask = the empty part only), the new pixels are pasted
in, and the next window moves further out until the canvas is full. The original's pixels are
kept exactly. The canvas is finally cut to the exact ratio (``k * 16`` x ``k * 9`` pixels with the
largest whole ``k`` that the picture allows), so a 128 x 128 picture becomes 224 x 126 (16:9),
126 x 224 (9:16) or 128 x 160 (4:5).
"""

from __future__ import annotations

import re
from dataclasses import replace

from PIL import Image

from genlab.core.i18n import UserError

RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "4:5": (4, 5), "1:1": (1, 1), "3:2": (3, 2), "2:3": (2, 3)}


def parse_ratio(ratio: str | tuple[int, int]) -> tuple[int, int]:
    """(width, height) parts of "16:9", "9x16" or (16, 9)."""
    if isinstance(ratio, tuple) and len(ratio) == 2 and all(isinstance(v, int) and v > 0 for v in ratio):
        return ratio
    m = re.fullmatch(r"\s*(\d{1,3})\s*[:x×/]\s*(\d{1,3})\s*", str(ratio))
    if not m or int(m.group(1)) == 0 or int(m.group(2)) == 0:
        raise UserError("canvas.bad_ratio", ratio=ratio, examples=", ".join(RATIOS))
    return int(m.group(1)), int(m.group(2))


def canvas_size(width: int, height: int, ratio) -> tuple[int, int]:
    """The exact-ratio canvas a ``width`` x ``height`` picture grows to: k*rw x k*rh, the picture's
    short side kept (less the few pixels that make the ratio exact)."""
    rw, rh = parse_ratio(ratio)
    if rw * height >= rh * width:  # wider than the picture: keep the height
        k = height // rh
    else:  # taller: keep the width
        k = width // rw
    return k * rw, k * rh


def windows(known: tuple[int, int], total: int, side: int) -> list[int]:
    """Starts of the windows (of ``side`` px) that fill ``[0, total)`` outwards from the known span
    ``[known[0], known[1])``, each overlapping what is already known by half a window."""
    lo, hi = known
    starts = []
    while lo > 0 or hi < total:
        if lo > 0:
            lo = max(0, lo - side // 2)
            starts.append(lo)
        if hi < total:
            hi = min(total, hi + side // 2)
            starts.append(hi - side)
    return starts


def outpaint(picture: Image.Image, ratio, prompt: str, *, negative_prompt: str | None = None, seed: int = 0,
             steps: int | None = None, guidance: float | None = None, profile=None, device: str | None = None):
    """Grow ``picture`` to ``ratio`` (e.g. "16:9") by inpainting outwards; a `Generation` with one
    picture of the exact ratio and its recipe (task "outpaint": the ratio, the windows, the seed;
    the source picture's SHA-256)."""
    from genlab.core.composition import picture_sha256
    from genlab.core.generation import Generation, generate
    from genlab.core.profiles import Profile, get_profile

    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    if "inpaint" not in prof.tasks:
        raise UserError("errors.task_not_offered", task="outpainting", profile=prof.name)
    side_w, side_h = prof.defaults.get("width", 512), prof.defaults.get("height", 512)
    src = picture.convert("RGB")
    if src.size != (side_w, side_h):
        raise UserError("canvas.wrong_size", size=f"{src.width}x{src.height}", model_size=f"{side_w}x{side_h}", profile=prof.name)
    target_w, target_h = canvas_size(src.width, src.height, ratio)
    # Work on a canvas that keeps the whole picture, then cut to the exact ratio at the end.
    work_w, work_h = max(target_w, src.width), max(target_h, src.height)
    x0, y0 = (work_w - src.width) // 2, (work_h - src.height) // 2
    fill = src.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    canvas = Image.new("RGB", (work_w, work_h), fill)
    canvas.paste(src, (x0, y0))
    known = Image.new("L", (work_w, work_h), 0)
    known.paste(255, (x0, y0, x0 + src.width, y0 + src.height))
    horizontal = work_w > src.width
    if work_w == src.width and work_h == src.height:
        raise UserError("canvas.nothing_to_add", ratio=ratio, size=f"{src.width}x{src.height}")
    starts = windows((x0, x0 + src.width), work_w, side_w) if horizontal else windows((y0, y0 + src.height), work_h, side_h)
    recipes = []
    for i, start in enumerate(starts):
        box = (start, 0, start + side_w, side_h) if horizontal else (0, start, side_w, start + side_h)
        window, window_known = canvas.crop(box), known.crop(box)
        mask = window_known.point(lambda v: 0 if v else 255)
        made = generate(prompt, negative_prompt=negative_prompt, seed=seed + i, steps=steps, guidance=guidance,
                        image=window, mask_image=mask, strength=1.0, profile=prof, device=device)
        canvas.paste(made.image, box[:2], mask)  # only the new part: what was there stays exactly
        known.paste(255, box)
        recipes.append(made.recipe)
    left, top = (work_w - target_w) // 2, (work_h - target_h) // 2
    result = canvas.crop((left, top, left + target_w, top + target_h))
    rw, rh = parse_ratio(ratio)
    recipe = replace(recipes[-1], task="outpaint", width=target_w, height=target_h, seed=seed, strength=None, batch_size=1, batch_index=0)
    recipe.extra = {**recipe.extra, "outpaint": {"ratio": f"{rw}:{rh}", "source_sha256": picture_sha256(src),
                                                 "source_size": [src.width, src.height], "windows": starts,
                                                 "axis": "x" if horizontal else "y", "seeds": [seed + i for i in range(len(starts))]}}
    return Generation(images=[result], recipes=[recipe])
