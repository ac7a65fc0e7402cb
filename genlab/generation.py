"""Seeded generation: prompt in, pictures and their recipes out.

`generate()` is the one call that lessons, exercises, apps, the CLI and tests share. Every picture
comes with a `Recipe`; saving writes the recipe into the PNG, and `regenerate()` makes the same
pixels again from it (same device).
"""

from __future__ import annotations

import io
import math
import random
import re
import threading
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from . import paths
from .profiles import Profile, get_profile
from .recipe import Recipe, read_recipe, save_png

MAX_SEED = 2**32 - 1
generation_lock = threading.RLock()  # a scheduler holds state while it runs: one run at a time per process


# ---- samplers ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def samplers() -> dict[str, dict]:
    """Sampler names designers know (from assets/samplers.toml) → diffusers scheduler class and options."""
    with open(paths.SAMPLERS_TOML, "rb") as f:
        return tomllib.load(f)["samplers"]


def sampler_name_of(scheduler) -> str:
    """The familiar name of a diffusers scheduler object ("DPM++ 2M", "Euler a", ...)."""
    cls = type(scheduler).__name__
    config = dict(scheduler.config)
    matches = [
        (len(spec["options"]), name)
        for name, spec in samplers().items()
        if spec["scheduler"] == cls and all(config.get(k) == v for k, v in spec["options"].items())
    ]
    # the most specific match wins: "DPM++ 2M Karras" (use_karras_sigmas) before plain "DPM++ 2M"
    return max(matches, key=lambda m: m[0])[1] if matches else cls


def make_scheduler(name: str, base_config):
    import diffusers

    table = samplers()
    if name not in table:
        raise ValueError(f"Unknown sampler '{name}'. Choose one of: {', '.join(table)}.")
    spec = table[name]
    cls = getattr(diffusers, spec["scheduler"])
    # Start from the model's own scheduler settings (betas, timesteps), then the sampler's options.
    config = {k: v for k, v in dict(base_config).items() if k not in ("use_karras_sigmas",)}
    return cls.from_config(config, **spec["options"])


_default_schedulers: dict[int, object] = {}


def use_sampler(pipe, name: str | None):
    """Set the pipeline's scheduler for this run; None restores the model's own."""
    key = id(pipe)
    if key not in _default_schedulers:
        _default_schedulers[key] = pipe.scheduler
    default = _default_schedulers[key]
    pipe.scheduler = default if name is None or name == sampler_name_of(default) else make_scheduler(name, default.config)
    return pipe.scheduler


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


# ---- generation -------------------------------------------------------------------------------
def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {}
    for m in ("genlab", "torch", "diffusers", "transformers"):
        try:
            out[m] = version(m)
        except Exception:
            out[m] = "unknown"
    return out


def _check(name: str, value, lo, hi, kind=int):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or (kind is int and not float(value).is_integer()):
        raise TypeError(f"{name} must be a {'whole number' if kind is int else 'number'}, got {value!r}.")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}.")
    return kind(value)


def draw_seed() -> int:
    return random.SystemRandom().randrange(MAX_SEED + 1)


def _prepare_image(img, width: int, height: int, what: str) -> Image.Image:
    if isinstance(img, (str, Path)):
        img = Image.open(img)
    if not isinstance(img, Image.Image):
        raise TypeError(f"{what} must be a PIL image or a path to an image file, got {type(img).__name__}.")
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
    device: str | None = None,
) -> Generation:
    """Make `n` pictures from a text prompt, each with its recipe.

    Text to image by default. Give `image` (and `strength`, how much to change it, 0-1) for
    image to image, and also `mask_image` (white = repaint) for inpainting. Unset settings come
    from the profile's defaults. With no `seed`, one is drawn at random and recorded; picture i of
    a batch uses seed + i, so every picture can be made again from its recipe.
    """
    if not isinstance(prompt, str):
        raise TypeError(f"The prompt must be text, got {type(prompt).__name__}.")
    if negative_prompt is not None and not isinstance(negative_prompt, str):
        raise TypeError("negative_prompt must be text or None.")
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
        raise ValueError("Inpainting needs both `image` (the picture) and `mask_image` (white = repaint).")
    kwargs = {}
    if task != "txt2img":
        strength = _check("strength", 0.75 if strength is None else strength, 0.0, 1.0, float)
        if strength == 0:
            raise ValueError("strength 0 would change nothing; use a value above 0 (0.3 keeps most of the picture).")
        kwargs["image"] = _prepare_image(image, width, height, "image")
        kwargs["strength"] = strength
        if task == "inpaint":
            kwargs["mask_image"] = _prepare_image(mask_image, width, height, "mask_image")
    elif strength is not None:
        raise ValueError("strength only applies when you give an `image` to change (image to image).")

    from .render import BatchKey, PictureItem, render

    key = BatchKey(profile=prof, task=task, steps=steps, guidance=guidance, width=width, height=height,
                   sampler=sampler, strength=kwargs.get("strength"))
    seeds = [(seed + i) % (MAX_SEED + 1) for i in range(n)]
    items = [
        PictureItem(prompt=prompt, negative_prompt=negative_prompt or None, seed=s, image=kwargs.get("image"),
                    mask=kwargs.get("mask_image"), batch_size=n, batch_index=i)
        for i, s in enumerate(seeds)
    ]
    from .core import remote  # the hub's shared service (GENLAB_SERVICE_URL) holds the model, when there is one

    made = remote.render(key, items) if remote.wanted(profile, device) else render(key, items, device=device)
    return Generation(images=[img for img, _ in made], recipes=[rec for _, rec in made])


def vae_adapters(pipe) -> list[str]:
    """Names of the LoRA adapters loaded on the pipeline's VAE (diffusers' `get_list_adapters` does
    not list the VAE; genlab's tiny-model LoRAs put a decoder part there)."""
    vae = getattr(pipe, "vae", None)
    return list(getattr(vae, "peft_config", {}) or {}) if getattr(vae, "_hf_peft_config_loaded", False) else []


def active_loras(pipe) -> dict[str, float]:
    """LoRA adapters switched on in the pipeline, with their weights (empty when none).

    Read from the models themselves, so it is right whoever switched the adapters (genlab.lora or
    diffusers' own `set_adapters` / `disable_lora`): the adapters diffusers lists per model
    (`get_list_adapters()`, plus a LoRA on the VAE), then each model's LoRA layers: a model whose
    layers are switched off counts for nothing; an active adapter's weight is its layer scaling
    divided by the scaling at weight 1 (lora_alpha / r).
    """
    try:
        listed = dict(pipe.get_list_adapters()) if hasattr(pipe, "get_list_adapters") else {}
    except (ValueError, AttributeError):
        listed = {}
    on_vae = vae_adapters(pipe)
    if on_vae:
        listed["vae"] = on_vae
    weights: dict[str, float] = {}
    for part, names in listed.items():
        model = getattr(pipe, part, None)
        if model is None or not names:
            continue
        for layer in model.modules():
            if not all(hasattr(layer, a) for a in ("scaling", "active_adapters", "lora_alpha")):
                continue  # not a LoRA layer
            if layer.disable_adapters:
                break  # this model's adapters are switched off
            for name in layer.active_adapters:
                if name in weights or name not in names or name not in layer.scaling:
                    continue
                r = layer.r[name]
                unit = layer.lora_alpha[name] / (math.sqrt(r) if layer.use_rslora.get(name, False) else r)
                weights[name] = round(float(layer.scaling[name]) / unit, 6) if unit else 0.0
    order = [n for names in listed.values() for n in names]
    return {n: weights[n] for n in sorted(weights, key=order.index)}


def regenerate(source: Recipe | str | Path | Image.Image, *, device: str | None = None) -> Generation:
    """Make a picture again from its recipe (or from a PNG that carries one).

    Text-to-image recipes only: an edit's recipe does not carry the picture it started from.
    """
    recipe = source if isinstance(source, Recipe) else read_recipe(source)
    if recipe.task != "txt2img":
        raise ValueError(
            f"This recipe is a {recipe.task} edit; it needs the original picture too. "
            "Call generate(..., image=original) with the recipe's settings."
        )
    if not recipe.profile:
        raise ValueError("The recipe names no genlab profile (it was made by another tool); pass its settings to generate().")
    first_seed = (recipe.seed - recipe.batch_index) % (MAX_SEED + 1)
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
    )
    i = recipe.batch_index
    return Generation(images=[out.images[i]], recipes=[out.recipes[i]])
