"""Seeded generation: prompt in, pictures and their recipes out.

`generate()` is the one call that lessons, exercises, apps, the CLI and tests share. Every picture
comes with a `Recipe`; saving writes the recipe into the PNG, and `regenerate()` makes the same
pixels again from it (same device).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from genlab.core.i18n import say
from genlab.core.imaging import contact_sheet, slug
from genlab.core.profiles import Profile, get_profile
from genlab.core.recipe import Recipe, read_recipe, save_png
from genlab.core.render import MAX_SEED, BatchKey, PictureItem, draw_seed, render

# ---- samplers ---------------------------------------------------------------------------------


# ---- results ----------------------------------------------------------------------------------
@dataclass
class Generation:
    """Pictures plus the recipe of each one."""

    images: list[Image.Image]
    recipes: list[Recipe]

    @property
    def image(self) -> Image.Image:
        return self.images[0]

    @property
    def recipe(self) -> Recipe:
        return self.recipes[0]

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.recipes]

    def save(self, path: str | Path) -> list[Path]:
        """Save as PNG(s) with the recipe inside.

        `path` ending in .png: that file (with -1, -2, ... added when there are several pictures);
        otherwise a folder, in which each picture is named `<seed>-<prompt words>.png`.
        """
        path = Path(path)
        if path.suffix.lower() == ".png":
            if len(self.images) == 1:
                targets = [path]
            else:
                targets = [path.with_name(f"{path.stem}-{i + 1}.png") for i in range(len(self.images))]
        else:
            targets = [path / f"{r.seed}-{slug(r.prompt)}.png" for r in self.recipes]
        return [save_png(img, rec, t) for img, rec, t in zip(self.images, self.recipes, targets)]

    def grid(self, cols: int | None = None) -> Image.Image:
        return contact_sheet(self.images, cols=cols)

    def _repr_png_(self) -> bytes:  # shows the pictures when a notebook cell ends with a Generation
        buf = io.BytesIO()
        self.grid().save(buf, format="PNG")
        return buf.getvalue()


# ---- generation -------------------------------------------------------------------------------


def _check(name: str, value, lo, hi, kind=int):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or (kind is int and not float(value).is_integer()):
        raise TypeError(say("generation.whole_number" if kind is int else "generation.number", name=name, value=repr(value)))
    if not lo <= value <= hi:
        raise ValueError(say("generation.between", name=name, lo=lo, hi=hi, value=value))
    return kind(value)


def _prepare_image(img, width: int, height: int, what: str) -> Image.Image:
    if isinstance(img, (str, Path)):
        img = Image.open(img)
    if not isinstance(img, Image.Image):
        raise TypeError(say("generation.not_a_picture", what=what, kind=type(img).__name__))
    mode = "L" if what == "mask_image" else "RGB"
    img = img.convert(mode)
    return img if img.size == (width, height) else img.resize((width, height), Image.LANCZOS)


def generate(
    prompt: str,
    *,
    negative_prompt: str | None = None,
    seed: int | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    width: int | None = None,
    height: int | None = None,
    n: int = 1,
    profile: str | Profile | None = None,
    sampler: str | None = None,
    image=None,
    mask_image=None,
    strength: float | None = None,
    control=None,
    condition: str | None = None,
    control_strength: float = 1.0,
    control_start: float = 0.0,
    control_end: float = 1.0,
    reference=None,
    reference_strength: float = 0.6,
    device: str | None = None,
) -> Generation:
    """Make `n` pictures from a text prompt, each with its recipe.

    Text to image by default. Give `image` (and `strength`, how much to change it, 0-1) for
    image to image, and also `mask_image` (white = repaint) for inpainting. Unset settings come
    from the profile's defaults. With no `seed`, one is drawn at random and recorded; picture i of
    a batch uses seed + i, so every picture can be made again from its recipe.

    Composition: give `control` (a drawing, layout or control map: a path or a picture) and
    `condition` (one of the profile's controls, e.g. "sketch" or "layout" on the tiny model); the
    profile's ControlNet then decides where things go. `control_strength` (0-2, 1 = as trained)
    scales its effect; `control_start` / `control_end` (0-1) say on which part of the steps it acts.
    See genlab.core.composition.

    A brand reference: give `reference` (a picture) on a profile with an IP-Adapter (sd15, sdxl);
    `reference_strength` (0-1, 0.6 by default) says how much it steers colours, style and subject.
    """
    if not isinstance(prompt, str):
        raise TypeError(say("generation.prompt_not_text", kind=type(prompt).__name__))
    if negative_prompt is not None and not isinstance(negative_prompt, str):
        raise TypeError(say("generation.negative_not_text"))
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    d = prof.defaults
    steps = _check("steps", d.get("steps", 20) if steps is None else steps, 1, 200)
    guidance = _check("guidance", d.get("guidance", 7.0) if guidance is None else guidance, 0, 30, float)
    width = _check("width", d.get("width", 512) if width is None else width, 64, 2048)
    height = _check("height", d.get("height", 512) if height is None else height, 64, 2048)
    n = _check("n", n, 1, 64)
    seed = draw_seed() if seed is None else _check("seed", seed, 0, MAX_SEED)
    prof.check_size(width, height)

    task = "inpaint" if mask_image is not None else "img2img" if image is not None else "txt2img"
    if mask_image is not None and image is None:
        raise ValueError(say("generation.inpaint_needs_image"))
    kwargs = {}
    if task != "txt2img":
        strength = _check("strength", 0.75 if strength is None else strength, 0.0, 1.0, float)
        if strength == 0:
            raise ValueError(say("generation.strength_zero"))
        kwargs["image"] = _prepare_image(image, width, height, "image")
        kwargs["strength"] = strength
        if task == "inpaint":
            kwargs["mask_image"] = _prepare_image(mask_image, width, height, "mask_image")
    elif strength is not None:
        raise ValueError(say("generation.strength_without_image"))

    ctl = None
    if control is not None or condition is not None:
        from genlab.core.composition import make_control

        if task != "txt2img":
            raise ValueError(say("composition.control_with_image"))
        ctl = make_control(prof, control, condition, width, height, strength=control_strength,
                           start=control_start, end=control_end)
    ref = None
    if reference is not None:
        from genlab.core.composition import prepare_reference

        if task != "txt2img" or ctl is not None:
            raise ValueError(say("composition.reference_alone"))
        ref = prepare_reference(prof, reference)
        reference_strength = _check("reference_strength", reference_strength, 0.0, 1.0, float)
    key = BatchKey(profile=prof, task=task, steps=steps, guidance=guidance, width=width, height=height,
                   sampler=sampler, strength=kwargs.get("strength"), control=ctl and ctl.condition,
                   reference_scale=reference_strength if ref is not None else None,
                   control_scale=ctl.scale if ctl else 1.0, control_start=ctl.start if ctl else 0.0,
                   control_end=ctl.end if ctl else 1.0)
    seeds = [(seed + i) % (MAX_SEED + 1) for i in range(n)]
    items = [
        PictureItem(prompt=prompt, negative_prompt=negative_prompt or None, seed=s, image=kwargs.get("image"),
                    mask=kwargs.get("mask_image"), control=ctl, reference=ref, batch_size=n, batch_index=i)
        for i, s in enumerate(seeds)
    ]
    from genlab.core import remote  # the hub's shared service (GENLAB_SERVICE_URL) holds the model, when there is one

    use_service = remote.wanted(profile, device) and ctl is None and ref is None  # the shared service: plain pictures and edits
    made = remote.render(key, items) if use_service else render(key, items, device=device)
    return Generation(images=[img for img, _ in made], recipes=[rec for _, rec in made])


def regenerate(source: Recipe | str | Path | Image.Image, *, control=None, device: str | None = None) -> Generation:
    """Make a picture again from its recipe (or from a PNG that carries one).

    Text-to-image recipes only: an edit's recipe does not carry the picture it started from. A
    picture made with composition control needs its control picture again (`control=`); its
    SHA-256 must match the one in the recipe.
    """
    recipe = source if isinstance(source, Recipe) else read_recipe(source)
    if recipe.task != "txt2img":
        raise ValueError(say("generation.edit_recipe", task=recipe.task))
    if not recipe.profile:
        raise ValueError(say("generation.no_profile"))
    first_seed = (recipe.seed - recipe.batch_index) % (MAX_SEED + 1)
    ctl = recipe.control or {}
    if ctl and control is None:
        raise ValueError(say("generation.control_needed", condition=ctl.get("condition", "?")))
    out = generate(
        recipe.prompt,
        negative_prompt=recipe.negative_prompt,
        seed=first_seed,
        steps=recipe.steps,
        guidance=recipe.guidance,
        width=recipe.width,
        height=recipe.height,
        n=recipe.batch_size,
        profile=recipe.profile,
        sampler=recipe.sampler,
        device=device,
        **({"control": control, "condition": ctl.get("condition"), "control_strength": ctl.get("scale", 1.0),
            "control_start": ctl.get("start", 0.0), "control_end": ctl.get("end", 1.0)} if ctl else {}),
    )
    if ctl.get("image_sha256") and out.recipe.control.get("image_sha256") != ctl["image_sha256"]:
        raise ValueError(say("generation.control_differs"))
    i = recipe.batch_index
    return Generation(images=[out.images[i]], recipes=[out.recipes[i]])
