"""Pictures put together, compared and named: contact sheets, labelled grids, same_pixels, file
names from prompts.

The one home of the picture-grid makers: `contact_sheet` (plain, or with a caption under each
picture: production's review sheet), `labelled_grid` (axis titles and values: the studio's and
prompting's X/Y grids, the explorer's strip) and `grid_shape` (also the layout of lesson.figure).
"""

from __future__ import annotations

import math
import re

from PIL import Image, ImageDraw, ImageFont

from genlab.core.i18n import say


def slug(text: str, words: int = 6) -> str:
    parts = re.findall(r"[a-z0-9]+", text.lower())[:words]
    return "-".join(parts) or "untitled"


def grid_shape(n: int, cols: int | None = None, max_cols: int = 4) -> tuple[int, int]:
    """(columns, rows) for `n` pictures: `cols` when given, else up to `max_cols` side by side."""
    cols = max(1, cols) if cols else min(n, max_cols)
    return cols, math.ceil(n / cols)


def contact_sheet(
    images: list[Image.Image | None], cols: int | None = None, gap: int = 4, background="white", *,
    margin: int = 0, captions: list[str] | None = None, caption_height: int = 16,
) -> Image.Image:
    """Pictures side by side in a grid (what designers call a contact sheet).

    `None` leaves its cell empty (rows of different lengths). `margin`: a border around the
    grid. `captions`: a line of text under each picture, shortened to the picture's width.
    """
    if not [i for i in images if i is not None]:
        raise ValueError(say("imaging.no_pictures"))
    cols, rows = grid_shape(len(images), cols)
    w = max(i.width for i in images if i is not None)
    h = max(i.height for i in images if i is not None)
    below = caption_height if captions is not None else 0
    size = (cols * w + (cols - 1) * gap + 2 * margin, rows * (h + below) + (rows - 1) * gap + 2 * margin)
    sheet = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(sheet) if captions is not None else None
    for k, img in enumerate(images):
        if img is None:
            continue
        r, c = divmod(k, cols)
        x, y = margin + c * (w + gap), margin + r * (h + below + gap)
        sheet.paste(img.convert("RGB"), (x, y))
        if draw is not None:
            text = captions[k]
            while draw.textlength(text) > w and len(text) > 4:
                text = text[:-2]
            draw.text((x, y + h + 2), text, fill="black")
    return sheet


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    """True when two pictures are identical, pixel for pixel (compared as RGB)."""
    import numpy as np

    return a.size == b.size and np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def labelled_grid(
    rows: list[list[Image.Image]], x_title: str, x_labels: list[str], y_title: str | None, y_labels: list[str]
) -> Image.Image:
    """A contact sheet with the X values above the columns and the Y values left of the rows."""
    cell_w, cell_h = rows[0][0].size
    draw_probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    font_px = max(12, cell_w // 10)
    while font_px > 8 and max(draw_probe.textlength(s, font=_font(font_px)) for s in x_labels) > cell_w - 4:
        font_px -= 1  # long column labels (sampler names) shrink to fit their column
    font, title_font = _font(font_px), _font(max(font_px, 12))
    gap = max(4, cell_w // 32)
    left = 0
    if y_title is not None:
        widest = max([draw_probe.textlength(s, font=font) for s in y_labels] + [draw_probe.textlength(y_title, font=title_font)])
        left = int(widest) + 2 * gap
    top = 2 * font_px + 3 * gap
    cols = max(len(r) for r in rows)
    sheet = Image.new("RGB", (left + cols * (cell_w + gap), top + len(rows) * (cell_h + gap)), "white")
    cells = [row[c] if c < len(row) else None for row in rows for c in range(cols)]
    sheet.paste(contact_sheet(cells, cols=cols, gap=gap), (left, top))
    draw = ImageDraw.Draw(sheet)
    ink = (30, 30, 30)
    grey = (110, 110, 110)
    # X title centred over the columns; Y title heading the column of row labels (like a table).
    draw.text((left + (cols * (cell_w + gap) - gap) / 2, gap), x_title, fill=grey, font=title_font, anchor="mt")
    if y_title:
        draw.text((left - gap, top - gap), y_title, fill=grey, font=title_font, anchor="rs")
    for c, label in enumerate(x_labels):
        x = left + c * (cell_w + gap) + cell_w / 2
        draw.text((x, top - gap), label, fill=ink, font=font, anchor="ms")
    if y_title is not None:
        for r in range(len(rows)):
            draw.text((left - gap, top + r * (cell_h + gap) + cell_h / 2), y_labels[r], fill=ink, font=font, anchor="rm")
    return sheet


def figure_png(fig, dpi: int = 100, *, tight: bool = True) -> bytes:
    """A matplotlib figure as PNG bytes on white, without a "Software" chunk (the same figure gives
    the same bytes). ``tight``: crop to what is drawn, with a small margin (what a notebook shows);
    ``tight=False`` keeps the figure's own size, so positions measured on it stay true (the
    progress dashboard's heatmap says where its cells are)."""
    import io

    buf = io.BytesIO()
    extra = {"bbox_inches": "tight", "pad_inches": 0.15} if tight else {}
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None}, **extra)
    return buf.getvalue()


def picture_sha256(img: Image.Image) -> str:
    """SHA-256 of a picture's PNG bytes (mode and pixels; no metadata): the same picture, the same hash."""
    import hashlib
    import io

    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=6)
    return hashlib.sha256(buf.getvalue()).hexdigest()
