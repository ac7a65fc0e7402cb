"""Finishing: bigger pictures, print sizes, colour spaces and file names for hand-off.

* `upscale(picture, 2)`: Lanczos resampling (Pillow; sharp, adds no new detail); on a profile with
  ``hires_fix = true`` in models.toml, ``hires_fix=True`` then repaints the enlarged picture with
  image to image at a low strength, as A1111's *hires fix* does, so the model adds detail at the
  new size. (The tiny model only knows 128 px pictures, so it has no hires fix.)
* `print_pixels(width_cm, height_cm, dpi=300)`: how many pixels a print needs.
* `export_print(picture, path, colour="cmyk")`: a print file with its colour profile embedded: sRGB
  (the web's colour space, ``assets/icc/sRGB.icc``) or CMYK for coated offset paper
  (``assets/icc/genlab-FOGRA39L-coated.icc``, ISO 12647-2 / FOGRA39, built from the free FOGRA39L
  characterisation data: assets/icc/README.md), converted with Pillow's ImageCms (LittleCMS),
  with the resolution (dpi) written in the file. Ask the print shop for their profile and use it
  instead (``icc=``).
* `handoff_name(...)`: a file name a client's team can sort and read: ``client_campaign_piece_16x9_v01.png``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from PIL import Image, ImageCms

from genlab import settings
from genlab.core.i18n import UserError

ICC_DIR = settings.ASSETS_DIR / "icc"
SRGB_ICC = ICC_DIR / "sRGB.icc"
CMYK_ICC = ICC_DIR / "genlab-FOGRA39L-coated.icc"
CM_PER_INCH = 2.54
UPSCALE_FACTORS = (2, 3, 4)
HIRES_STRENGTH = 0.35
MAX_PRINT_PIXELS = 12_000  # per side: an A0 poster at 300 dpi is 9,933 x 14,043 px


def upscale(picture: Image.Image, factor: int = 2, *, hires_fix: bool = False, model: bool = False,
            prompt: str | None = None, strength: float = HIRES_STRENGTH, seed: int = 0, steps: int | None = None,
            profile=None, device: str | None = None) -> Image.Image:
    """``picture`` ``factor`` times larger (2, 3 or 4). With ``hires_fix`` the profile's model
    repaints the enlarged picture at ``strength`` (needs ``prompt``; profiles with hires_fix only).
    With ``model`` the profile's diffusion upscaler (models.toml ``upscaler``, x4 only) draws the
    larger picture from the small one and ``prompt``: new detail, not resampled pixels."""
    if factor not in UPSCALE_FACTORS:
        raise UserError("finishing.bad_factor", factor=factor, factors=", ".join(map(str, UPSCALE_FACTORS)))
    if model:
        return _upscale_with_model(picture, factor, prompt=prompt, seed=seed, steps=steps, profile=profile, device=device)
    big = picture.convert("RGB").resize((picture.width * factor, picture.height * factor), Image.Resampling.LANCZOS)
    if not hires_fix:
        return big
    from genlab.core.generation import generate
    from genlab.core.profiles import Profile, get_profile

    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    if not prof.hires_fix:
        raise UserError("finishing.no_hires_fix", profile=prof.name)
    if not prompt:
        raise UserError("finishing.hires_needs_prompt")
    # hires fix works above the sizes the profile lists for new pictures: that is its point
    wide = Profile(**{**prof.__dict__, "sizes": ()})
    return generate(prompt, image=big, strength=strength, seed=seed, steps=steps, width=big.width, height=big.height,
                    profile=wide, device=device).image


def _upscale_with_model(picture: Image.Image, factor: int, *, prompt, seed, steps, profile, device) -> Image.Image:
    import torch

    from genlab.core.pipelines import upscaler_pipeline
    from genlab.core.profiles import Profile, get_profile

    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    if factor != 4:
        raise UserError("finishing.upscaler_factor", factor=factor)
    pipe = upscaler_pipeline(prof, device=device)
    out = pipe(prompt=prompt or "", image=picture.convert("RGB"), num_inference_steps=steps or 20,
               generator=torch.Generator("cpu").manual_seed(seed))
    return out.images[0]


def print_pixels(width_cm: float, height_cm: float, dpi: int = 300) -> tuple[int, int]:
    """Pixels a print of ``width_cm`` x ``height_cm`` needs at ``dpi`` (300 for print, 150 for large posters)."""
    for name, v in (("width_cm", width_cm), ("height_cm", height_cm), ("dpi", dpi)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise UserError("finishing.bad_print_size", name=name, value=v)
    w, h = round(width_cm / CM_PER_INCH * dpi), round(height_cm / CM_PER_INCH * dpi)
    if max(w, h) > MAX_PRINT_PIXELS:
        raise UserError("finishing.print_too_big", pixels=f"{w}x{h}", limit=MAX_PRINT_PIXELS)
    return w, h


def to_cmyk(picture: Image.Image, icc: str | Path = CMYK_ICC) -> Image.Image:
    """sRGB -> the CMYK of ``icc`` (perceptual rendering, as print shops expect), profile attached."""
    cmyk_profile = ImageCms.getOpenProfile(str(icc))
    if cmyk_profile.profile.xcolor_space.strip() != "CMYK":
        raise UserError("finishing.not_cmyk_icc", icc=Path(icc).name)
    transform = ImageCms.buildTransform(ImageCms.getOpenProfile(str(SRGB_ICC)), cmyk_profile, "RGB", "CMYK",
                                        renderingIntent=ImageCms.Intent.PERCEPTUAL)
    out = ImageCms.applyTransform(picture.convert("RGB"), transform)
    out.info["icc_profile"] = Path(icc).read_bytes()
    return out


def export_print(picture: Image.Image, path: str | Path, *, colour: str = "cmyk", dpi: int = 300,
                 width_cm: float | None = None, height_cm: float | None = None, icc: str | Path | None = None) -> Path:
    """Save a print file: ``colour`` "cmyk" (TIFF or JPEG) or "srgb" (PNG, TIFF or JPEG), the ICC
    profile embedded and ``dpi`` recorded. With ``width_cm``/``height_cm`` the picture is first
    resampled to the pixels that size needs (Lanczos; crop to the shape first if it differs)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if colour not in ("cmyk", "srgb"):
        raise UserError("finishing.bad_colour", colour=colour)
    allowed = (".tif", ".tiff", ".jpg", ".jpeg") if colour == "cmyk" else (".png", ".tif", ".tiff", ".jpg", ".jpeg")
    if suffix not in allowed:
        raise UserError("finishing.bad_format", colour=colour.upper(), suffix=suffix or "-", allowed=", ".join(allowed))
    img = picture.convert("RGB")
    if width_cm is not None or height_cm is not None:
        wcm = width_cm if width_cm is not None else height_cm * img.width / img.height
        hcm = height_cm if height_cm is not None else width_cm * img.height / img.width
        img = img.resize(print_pixels(wcm, hcm, dpi), Image.Resampling.LANCZOS)
    if colour == "cmyk":
        img = to_cmyk(img, icc or CMYK_ICC)
        icc_bytes = img.info["icc_profile"]
    else:
        icc_bytes = Path(icc or SRGB_ICC).read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"dpi": (dpi, dpi), "icc_profile": icc_bytes}
    if suffix in (".jpg", ".jpeg"):
        options.update(quality=95, subsampling=0)
    elif suffix in (".tif", ".tiff"):
        options["compression"] = "tiff_lzw"
    img.save(path, **options)
    return path


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def handoff_name(client: str, campaign: str, piece: str, *, size: str | None = None, version: int = 1,
                 ext: str = "png", colour: str | None = None) -> str:
    """``client_campaign_piece[_size][_colour]_vNN.ext``: lower case ASCII (accents dropped), words
    joined by hyphens, fields by underscores, so the name sorts and survives every system.
    ``size`` is a ratio or print size ("16:9" -> "16x9", "A4"), ``colour`` e.g. "cmyk"."""
    parts = [_slug(client), _slug(campaign), _slug(piece)]
    if not all(parts):
        raise UserError("finishing.name_parts")
    if size:
        parts.append(_slug(str(size).replace(":", "x")))
    if colour:
        parts.append(_slug(colour))
    if not isinstance(version, int) or version < 1:
        raise UserError("finishing.bad_version", version=version)
    return "_".join(parts) + f"_v{version:02d}." + ext.lstrip(".").lower()
