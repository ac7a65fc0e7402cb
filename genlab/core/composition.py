"""Composition control: a drawing, a layout or a control map says where things go (ControlNet).

A profile lists its ControlNets in models.toml (``[profiles.NAME.controls.CONDITION]``), each
with the kind of picture a person hands in (``input``):

* ``drawing``: dark strokes on a light page (a sketch, layout boxes, a scribble). It becomes
  white strokes on black, what diffusers' scribble and canny ControlNets (and genlab's tiny one)
  were trained on.
* ``edges``: any picture; its edges are found (Pillow's edge filter per colour channel, then a threshold) and drawn
  white on black, as A1111's canny preprocessor does. A clean line drawing works too.
* ``map``: a ready control map (depth, pose), used as it is.

`genlab.generate(prompt, control=picture, condition="sketch")` makes the picture with the
profile's ControlNet for that condition; ``control_strength`` scales what the ControlNet adds
(diffusers' ``controlnet_conditioning_scale``) and ``control_start`` / ``control_end`` say on
which part of the denoising steps it acts (``control_guidance_start`` / ``_end``, A1111's
"Guidance Start / End"). The recipe keeps the condition, the settings, the ControlNet and the
control picture's SHA-256 (and its file, when saved beside the picture).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter, ImageOps

from genlab.core.i18n import UserError
from genlab.core.imaging import picture_sha256
from genlab.core.profiles import ControlModel, Profile, control_model

STROKE_THRESHOLD = 96  # how dark (0-255, inverted) a pixel must be to count as a stroke
EDGE_THRESHOLD = 40
MIN_STROKE_FRACTION = 0.002  # a drawing with fewer stroke pixels than this is empty


@dataclass(frozen=True)
class Control:
    """One control for a picture: the prepared control image and how strongly it acts."""

    condition: str
    model: ControlModel
    image: Image.Image  # RGB, at the picture's size, ready for the pipeline
    scale: float = 1.0
    start: float = 0.0
    end: float = 1.0

    @property
    def sha256(self) -> str:
        return picture_sha256(self.image)

    def recipe(self) -> dict:
        """What the recipe records: condition, settings, the ControlNet and the control picture's hash."""
        return {
            "condition": self.condition,
            "input": self.model.input,
            "model": self.model.model_name,
            "model_source": self.model.source.describe(),
            "scale": self.scale,
            "start": self.start,
            "end": self.end,
            "image_sha256": self.sha256,
        }


def _fit(img: Image.Image, width: int, height: int) -> Image.Image:
    """Crop from the middle to the picture's shape, then scale (as uploads.fit; no stretching)."""
    return img if img.size == (width, height) else ImageOps.fit(img, (width, height), Image.Resampling.LANCZOS)


def _on_white(img: Image.Image) -> Image.Image:
    """RGB, transparent parts as white paper (drawing tools hand in RGBA with a clear background)."""
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        page = Image.new("RGB", rgba.size, "white")
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    return img.convert("RGB")


def drawing_to_control(drawing: Image.Image, width: int, height: int) -> Image.Image:
    """Dark strokes on a light page -> white strokes on black, ``width`` x ``height`` RGB."""
    grey = ImageOps.grayscale(_fit(_on_white(drawing), width, height))
    strokes = ImageOps.invert(grey).point(lambda v: 255 if v >= STROKE_THRESHOLD else 0)
    return Image.merge("RGB", (strokes, strokes, strokes))


def edges_to_control(picture: Image.Image, width: int, height: int) -> Image.Image:
    """The edges of any picture, white on black (Pillow's edge filter on each colour channel, the
    strongest kept, then a threshold: a red shape on a blue ground of the same brightness has edges too)."""
    rgb = _fit(_on_white(picture), width, height)
    channels = [c.filter(ImageFilter.FIND_EDGES) for c in rgb.split()]
    strongest = ImageChops.lighter(ImageChops.lighter(channels[0], channels[1]), channels[2])
    edges = strongest.point(lambda v: 255 if v >= EDGE_THRESHOLD else 0)
    edges = edges.crop((1, 1, width - 1, height - 1))  # the filter marks the frame's border
    framed = Image.new("L", (width, height), 0)
    framed.paste(edges, (1, 1))
    return Image.merge("RGB", (framed, framed, framed))


def prepare_control(picture, model: ControlModel, width: int, height: int) -> Image.Image:
    """The control image a pipeline takes, from what a person handed in (path, upload or PIL image).

    Refuses a missing or unreadable picture, and a drawing or edge map with nothing on it, with a
    message that says what to do.
    """
    from genlab.core.uploads import open_picture

    img = open_picture(picture, what="control")
    if img is None:
        raise UserError("composition.no_picture", condition=model.condition)
    if model.input == "map":
        return _fit(_on_white(img), width, height)
    control = drawing_to_control(img, width, height) if model.input == "drawing" else edges_to_control(img, width, height)
    lit = sum(control.getchannel(0).histogram()[128:])
    if lit < MIN_STROKE_FRACTION * width * height:
        raise UserError("composition.empty_drawing" if model.input == "drawing" else "composition.no_edges",
                        condition=model.condition)
    return control


def make_control(profile: Profile, picture, condition: str | None, width: int, height: int, *,
                 strength: float = 1.0, start: float = 0.0, end: float = 1.0) -> Control:
    """Check the settings and prepare the control image: a `Control` ready for the renderer."""
    model = control_model(profile, condition)
    if not 0.0 <= start < end <= 1.0:
        raise UserError("composition.bad_steps", start=start, end=end)
    if not 0.0 <= strength <= 2.0:
        raise UserError("composition.bad_strength", strength=strength)
    return Control(condition, model, prepare_control(picture, model, width, height), float(strength), float(start), float(end))


def prepare_reference(profile: Profile, picture) -> Image.Image:
    """A brand reference picture for the profile's IP-Adapter (RGB; the image encoder resizes it)."""
    from genlab.core.uploads import open_picture

    if profile.ip_adapter is None:
        raise UserError("composition.no_reference", profile=profile.name)
    img = open_picture(picture, what="reference")
    if img is None:
        raise UserError("composition.no_reference_picture")
    return _on_white(img)
