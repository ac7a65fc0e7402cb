"""Pictures people hand in (uploads, the inpainting editor, files), checked and fitted to the model.

Whatever arrives (a path, a Gradio FileData dict, a PIL image, an editor with layers) becomes a
picture of the model's size, or a `UserError` saying what to fix.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from genlab.core.checks import size_label
from genlab.core.i18n import UserError

MAX_UPLOAD_PIXELS = 4096 * 4096  # bigger uploads are refused (the model works at its own size anyway)


def path_of(value):
    """A file path from what Gradio hands over (raw FileData dict, path, or PIL image)."""
    if value is None or isinstance(value, Image.Image):
        return value
    if isinstance(value, dict):
        return value.get("path") or value.get("name")
    if isinstance(value, (str, Path)):
        return str(value)
    raise UserError("errors.not_a_picture")


def open_picture(value, *, what: str = "picture") -> Image.Image | None:
    """The uploaded picture, fully loaded; None when nothing was uploaded. Refuses non-pictures and huge ones."""
    source = path_of(value)
    if source is None or source == "":
        return None
    if isinstance(source, Image.Image):
        img = source
    else:
        try:
            img = Image.open(source)
        except (UnidentifiedImageError, OSError, ValueError):
            raise UserError("errors.not_a_picture") from None
        except Image.DecompressionBombError:
            raise UserError("errors.picture_too_big", limit=MAX_UPLOAD_PIXELS // 1_000_000) from None
    if img.width * img.height > MAX_UPLOAD_PIXELS:
        raise UserError("errors.picture_too_big", limit=MAX_UPLOAD_PIXELS // 1_000_000)
    try:
        img.load()
    except (OSError, ValueError, SyntaxError):
        raise UserError("errors.not_a_picture") from None
    return img


def fit(img: Image.Image, width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Crop to the model's shape from the middle, then scale to its size (no stretching)."""
    if img.mode in ("RGBA", "LA", "P") and mode == "RGB":
        background = Image.new("RGB", img.size, "white")
        background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
        img = background
    img = img.convert(mode)
    return img if img.size == (width, height) else ImageOps.fit(img, (width, height), Image.LANCZOS)


def check_source(value, width: int, height: int) -> Image.Image:
    img = open_picture(value)
    if img is None:
        raise UserError("errors.picture_missing")
    return fit(img, width, height)


def mask_from_editor(editor) -> tuple[Image.Image | None, Image.Image | None]:
    """(picture, painted mask) from a gr.ImageEditor value: the background, and white where painted."""
    if editor is None:
        return None, None
    if not isinstance(editor, dict):
        raise UserError("errors.not_a_picture")
    background = open_picture(editor.get("background"))
    if background is None:
        return None, None
    mask = Image.new("L", background.size, 0)
    for layer in editor.get("layers") or []:
        img = open_picture(layer)
        if img is None:
            continue
        alpha = img.convert("RGBA").getchannel("A")
        if alpha.size != background.size:
            alpha = alpha.resize(background.size, Image.NEAREST)
        mask = Image.fromarray(__import__("numpy").maximum(_arr(mask), _arr(alpha)))
    return background, mask


def _arr(img):
    import numpy as np

    return np.asarray(img, dtype=np.uint8)


def check_inpaint(editor, mask_upload, width: int, height: int) -> tuple[Image.Image, Image.Image]:
    """The picture and its mask (white = repaint), both at the model's size."""
    picture, painted = mask_from_editor(editor)
    if picture is None:
        raise UserError("errors.picture_missing_inpaint")
    uploaded = open_picture(mask_upload)
    if uploaded is not None:
        if uploaded.size != picture.size:
            raise UserError(
                "errors.mask_size",
                mask=size_label(*uploaded.size),
                picture=size_label(*picture.size),
            )
        mask = uploaded.convert("L")
    else:
        mask = painted
    if mask is None or mask.getextrema()[1] < 16:
        raise UserError("errors.mask_empty")
    return fit(picture, width, height), fit(mask, width, height, mode="L")
