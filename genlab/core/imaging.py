"""Pictures put together and named: contact sheets, labelled grids, file names from prompts.

One home for the picture-grid makers that lessons, the studio, the explorer and production use.
"""

from __future__ import annotations

import math
import re

from PIL import Image, ImageDraw, ImageFont


def slug(text: str, words: int = 6) -> str:
    parts = re.findall(r"[a-z0-9]+", text.lower())[:words]
    return "-".join(parts) or "untitled"


def contact_sheet(images: list[Image.Image], cols: int | None = None, gap: int = 4, background="white") -> Image.Image:
    """Pictures side by side in a grid (what designers call a contact sheet)."""
    if not images:
        raise ValueError("No pictures to put on a contact sheet.")
    cols = cols or min(len(images), 4)
    rows = math.ceil(len(images) / cols)
    w = max(i.width for i in images)
    h = max(i.height for i in images)
    sheet = Image.new("RGB", (cols * w + (cols - 1) * gap, rows * h + (rows - 1) * gap), background)
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        sheet.paste(img.convert("RGB"), (c * (w + gap), r * (h + gap)))
    return sheet


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
    for r, row in enumerate(rows):
        y = top + r * (cell_h + gap)
        if y_title is not None:
            draw.text((left - gap, y + cell_h / 2), y_labels[r], fill=ink, font=font, anchor="rm")
        for c, img in enumerate(row):
            sheet.paste(img.convert("RGB"), (left + c * (cell_w + gap), y))
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
