"""The Studio's Composición / Composition tab: draw where things go, then finish the picture.

* `compose`: the designer draws on a white page (or uploads a drawing); the profile's ControlNet
  for the chosen condition (`get_profile(...).controls`: sketch and layout on the tiny model,
  canny / scribble / depth on sd15 and sdxl) decides where the object goes. `control_strength`
  (0-2) and the part of the steps it acts on (`control_start`, `control_end`, 0-1) are A1111's
  "Control Weight" and "Guidance Start / End". The pictures go through room mode's Batcher like
  every other Studio picture (requests with the same condition and control settings share a
  pipeline call; each brings its own drawing), and the PNG carries the recipe with its control
  fields and A1111's "ControlNet 0" unit.
* `outpaint`: the picture grows to 16:9, 9:16 or 4:5 (genlab.core.canvas); the prompt box says
  what the new area shows (filled in with the background part of the picture's own prompt).
* `upscale`: x2 or x4 (Lanczos; with hires fix the model repaints the enlarged picture, on
  profiles with ``hires_fix = true`` only) (genlab.core.finishing).

Outpainting and hires fix do not go through the Batcher: an outpaint is several inpainting calls
one after the other (each window starts from the pixels the previous one made), so it cannot be
merged with other people's pictures. They still are model events (`room.model_event`): the same
per-person cap, the same "model" queue, the same log line; each pipeline call runs under the
renderer's generation lock, between the Batcher's calls.

Uploads (the drawing, the picture to finish) are checked before anything runs: too big, not a
picture, or a pixel format the person should export differently (CMYK, 16 bits per channel) is a
message in their language (es / en) that says what to do; palette and black-and-white PNGs are
converted, as they hold nothing to lose.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import gradio as gr
from PIL import Image

from genlab.core.checks import RANDOM_SEED, check_settings, options, size_label
from genlab.core.i18n import UserError, t
from genlab.core.imaging import slug
from genlab.core.profiles import get_profile
from genlab.core.recipe import Recipe, read_recipe, save_png
from genlab.core.render import BatchKey, PictureItem, draw_seed, render, seeds_for
from genlab.core.styles import NO_STYLE
from genlab.core.uploads import open_picture
from genlab.ui import room
from genlab.ui.errors import handling
from genlab.ui.i18n import L
from genlab.ui.pictures import Picture, output_dir, save_picture

RATIOS = ("16:9", "9:16", "4:5")  # the social formats the tab offers (canvas.outpaint takes any)
FACTORS = (2, 4)
MAX_UPSCALED_SIDE = 4096  # px: an upscale in the app stops here (an SDXL picture x4)
CANVAS_SIDE = 512  # px: the drawing page's long side in the browser (the drawing is scaled to the model)
NAMED_CONDITIONS = ("sketch", "layout")  # genlab's own conditions have a label in both languages
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
CONVERTIBLE_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBa", "La")


# ---- what the tab offers ----------------------------------------------------------------------
def conditions(profile: str | None = None) -> list[str]:
    """The profile's composition conditions, in models.toml order."""
    return list(get_profile(options(profile).profile).controls)


def condition_menu(profile: str | None = None) -> list[tuple]:
    """The condition dropdown: genlab's own conditions in the reader's words, the others by name."""
    return [(L(f"composition_tab.condition_{c}") if c in NAMED_CONDITIONS else c, c) for c in conditions(profile)]


def offers_hires_fix(profile: str | None = None) -> bool:
    return get_profile(options(profile).profile).hires_fix


def offers_outpaint(profile: str | None = None) -> bool:
    return "inpaint" in options(profile).tasks


def ratio_menu() -> list[tuple]:
    return [(L("composition_tab.ratio_" + r.replace(":", "_")), r) for r in RATIOS]


def factor_menu() -> list[tuple]:
    return [(f"×{f}", f) for f in FACTORS]


def blank_page(profile: str | None = None) -> Image.Image:
    """The white page the drawing starts on: the model's shape, CANVAS_SIDE px on its long side."""
    opts = options(profile)
    w, h = (int(v) for v in opts.size.split("x"))
    scale = CANVAS_SIDE / max(w, h)
    return Image.new("RGB", (round(w * scale), round(h * scale)), "white")


def background_part(prompt: str | None) -> str:
    """What a wider canvas most likely shows: the part of the prompt after its last " on "
    ("a red circle on a blue background" -> "a blue background"), else the whole prompt."""
    text = (prompt or "").strip()
    head, sep, tail = text.rpartition(" on ")
    return tail.strip() if sep and head.strip() and tail.strip() else text


# ---- uploads ----------------------------------------------------------------------------------------
def check_picture(value, what: str = "picture") -> Image.Image | None:
    """An uploaded picture, loaded and in a pixel format the tab can use; None when there is none.

    Too big or not a picture: genlab.core.uploads' messages. CMYK and 16-bit pictures are refused
    with a message that says how to export them (a quiet conversion would change their colours or
    turn a 16-bit drawing white); palette and black-and-white pictures are converted later.
    """
    img = open_picture(value, what=what)
    if img is None:
        return None
    if img.mode == "CMYK":
        raise UserError("composition_tab.cmyk")
    if img.mode in SIXTEEN_BIT_MODES:
        raise UserError("composition_tab.sixteen_bit", mode=img.mode)
    if img.mode not in CONVERTIBLE_MODES:
        raise UserError("composition_tab.odd_mode", mode=img.mode)
    return img


def drawing_of(value) -> Image.Image | None:
    """The drawing from the tab's editor (its composite: the page and the strokes), an upload, a
    path or a picture; None when there is nothing."""
    if isinstance(value, dict) and ({"composite", "background", "layers"} & set(value)):
        for part in ("composite", "background"):
            img = check_picture(value.get(part), what="control")
            if img is not None:
                return img
        return None
    return check_picture(value, what="control")


def _number(value, default: float) -> float | None:
    """A slider's value as a number (None when it is not one: the caller says what is wrong)."""
    if value in (None, ""):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# ---- making pictures --------------------------------------------------------------------------------
def make_control_pictures(s, drawing, condition, strength, start, end, *, on_progress=None, tracker=None) -> list[Picture]:
    """`s.n` pictures that follow the drawing, through room mode's Batcher, each saved as a PNG
    with its recipe (control fields included)."""
    from genlab.core.composition import make_control

    ctl = make_control(get_profile(s.profile), drawing, condition, s.width, s.height, strength=strength, start=start, end=end)
    first = s.seed if s.seed is not None else draw_seed()
    prompt, negative = s.styled
    key = BatchKey(s.profile, "txt2img", s.steps, s.guidance, s.width, s.height, s.sampler,
                   control=ctl.condition, control_scale=ctl.scale, control_start=ctl.start, control_end=ctl.end)
    items = [
        PictureItem(prompt, negative, seed, control=ctl, batch_size=s.n, batch_index=i, extra=s.extra())
        for i, seed in enumerate(seeds_for(first, s.n))
    ]
    results = room.batcher("studio", render).submit(room.Job(key, items, tracker), on_progress)
    return [save_picture(img, rec, s) for img, rec in results]


def check_control_settings(condition, strength, start, end, profile: str | None = None) -> tuple[str, float, float, float]:
    """The condition (the profile's first when none is given) and the control's numbers; their
    ranges are checked by genlab.core.composition.make_control."""
    offered = conditions(profile)
    condition = offered[0] if condition in (None, "") and offered else condition
    amount = _number(strength, 1.0)
    if amount is None:
        raise UserError("composition.bad_strength", strength=str(strength)[:40])
    first, last = _number(start, 0.0), _number(end, 1.0)
    if first is None or last is None:
        raise UserError("composition.bad_steps", start=str(start)[:40], end=str(end)[:40])
    return condition, amount, first, last


def save_finished(image: Image.Image, recipe: Recipe, caption: str) -> Picture:
    """A finished picture (outpainted, upscaled) saved as a PNG with its recipe, like the others."""
    path = output_dir() / uuid.uuid4().hex[:12] / f"{recipe.seed}-{slug(recipe.prompt or 'picture')}-{image.width}x{image.height}.png"
    save_png(image, recipe, path)
    return Picture(
        path=str(path), parameters=recipe.to_parameters(), seed=recipe.seed, caption=caption,
        settings=dict(prompt=recipe.prompt, negative_prompt=recipe.negative_prompt or "", seed=recipe.seed,
                      steps=recipe.steps, guidance=recipe.guidance, size=size_label(recipe.width, recipe.height),
                      sampler=recipe.sampler, style=NO_STYLE, strength=None, task=recipe.task),
    )


def recipe_of(value) -> Recipe | None:
    """The recipe inside an uploaded or chosen picture, if it carries one."""
    from genlab.core.uploads import path_of

    source = path_of(value)
    if source is None:
        return None
    try:
        return read_recipe(source)
    except (ValueError, OSError):
        return None


def suggested_outpaint_prompt(value) -> str:
    """The outpaint box's starting words for a picture: the background part of its own prompt."""
    recipe = recipe_of(value)
    return background_part(recipe.prompt) if recipe is not None else ""


def outpaint_picture(picture, ratio, prompt, negative_prompt, seed, steps, guidance, *, lang="en", tracker_record=None) -> Picture:
    """The picture grown to `ratio` (genlab.core.canvas.outpaint), saved with its recipe."""
    from genlab.core.canvas import outpaint, parse_ratio

    img = check_picture(picture)
    if img is None:
        raise UserError("composition_tab.no_finish_picture")
    rw, rh = parse_ratio(ratio if ratio not in (None, "") else RATIOS[0])
    prof = get_profile(options().profile)
    model_size = (prof.defaults.get("width", 512), prof.defaults.get("height", 512))
    if img.size != model_size:  # said before asking for words: no words make this picture fit
        raise UserError("canvas.wrong_size", size=size_label(*img.size), model_size=size_label(*model_size), profile=prof.name)
    words = (prompt or "").strip() or suggested_outpaint_prompt(picture)
    if not words:
        raise UserError("composition_tab.outpaint_prompt_empty")
    s = check_settings(words, negative_prompt, seed, steps, guidance, None, None, 1, NO_STYLE)
    if tracker_record:
        tracker_record(s.prompt, task="outpaint", ratio=f"{rw}:{rh}", steps=s.steps)
    made = outpaint(img.convert("RGB"), (rw, rh), s.prompt, negative_prompt=s.negative_prompt,
                    seed=s.seed if s.seed is not None else draw_seed(), steps=s.steps, guidance=s.guidance, profile=s.profile)
    caption = t("composition_tab.outpaint_caption", lang, ratio=f"{rw}:{rh}", size=size_label(*made.image.size))
    return save_finished(made.image, made.recipe, caption)


def upscale_picture(picture, factor, hires_fix, prompt, seed, steps, *, lang="en", tracker_record=None, warn=None) -> Picture:
    """The picture `factor` times larger (hires fix on profiles that have it), saved with its recipe
    (the source's, with the upscale noted; a picture without one gets a recipe that says so)."""
    from genlab.core.composition import picture_sha256
    from genlab.core.finishing import HIRES_STRENGTH, UPSCALE_FACTORS, upscale

    img = check_picture(picture)
    if img is None:
        raise UserError("composition_tab.no_finish_picture")
    try:
        factor = int(float(factor if factor not in (None, "") else FACTORS[0]))
    except (TypeError, ValueError):
        raise UserError("finishing.bad_factor", factor=str(factor)[:20], factors=", ".join(map(str, UPSCALE_FACTORS))) from None
    if factor not in UPSCALE_FACTORS:
        raise UserError("finishing.bad_factor", factor=factor, factors=", ".join(map(str, UPSCALE_FACTORS)))
    big_side = max(img.size) * factor
    if big_side > MAX_UPSCALED_SIDE:
        raise UserError("composition_tab.upscale_too_big", factor=factor, size=size_label(*img.size), limit=MAX_UPSCALED_SIDE)
    hires = bool(hires_fix) and str(hires_fix).lower() not in ("false", "0")
    profile = options().profile
    if hires and not get_profile(profile).hires_fix:
        hires = False  # the checkbox is hidden on such profiles; a script that asks anyway is told
        if warn:
            warn(t("finishing.no_hires_fix", lang, profile=profile))
    source = recipe_of(picture)
    words = (source.prompt if source is not None and source.prompt else (prompt or "").strip()) or None
    seed_used, n_steps = (source.seed, source.steps) if source is not None else (0, 0)
    if hires:  # the model repaints: its prompt, seed and steps are checked like any picture's
        if not words:
            raise UserError("finishing.hires_needs_prompt")
        s = check_settings(words, None, seed, steps, None, None, None, 1, NO_STYLE)
        seed_used, n_steps = (s.seed if s.seed is not None else draw_seed()), s.steps
    if tracker_record:
        tracker_record(words, task="upscale", factor=factor, hires_fix=hires)
    big = upscale(img, factor, hires_fix=hires, prompt=words, seed=seed_used, steps=n_steps or None, profile=profile)
    note = {"factor": factor, "upscaler": "Lanczos", "hires_fix": hires, "source_size": list(img.size),
            "source_sha256": picture_sha256(img.convert("RGB"))}
    if hires:
        note.update(hires_strength=HIRES_STRENGTH, hires_seed=seed_used, hires_steps=n_steps)
    if source is not None:
        recipe = replace(source, width=big.width, height=big.height, task="upscale", extra={**source.extra, "upscale": note})
    else:
        recipe = Recipe(prompt=words or "", seed=seed_used, steps=n_steps, guidance=0.0, width=big.width, height=big.height,
                        profile=profile if hires else None, task="upscale", extra={"upscale": note})
    caption = t("composition_tab.upscale_caption", lang, factor=factor, size=size_label(*big.size))
    return save_finished(big, recipe, caption)


# ---- the tab's event handlers (apps/studio.py wires them; gradio_client calls them by name) ----------
def compose(
    prompt: str,
    negative_prompt: str | None = None,
    seed: float = RANDOM_SEED,
    steps: float | None = None,
    guidance: float | None = None,
    size: str | None = None,
    sampler: str | None = None,
    batch_count: float = 1,
    style: str | None = NO_STYLE,
    drawing=None,
    condition: str | None = None,
    control_strength: float = 1.0,
    control_start: float = 0.0,
    control_end: float = 1.0,
    history: list | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """A picture whose composition follows the drawing. Returns (pictures, recipe text of the
    first, its seed) [+ session state], as /generate does.

        page = handle_file("sketch.png")  # the editor's value: the page, its layers, the flattened drawing
        Client(url).predict(prompt="a red circle on a blue background", condition="sketch", seed=42,
                            drawing={"background": page, "layers": [], "composite": page}, api_name="/compose")
    """
    from genlab.ui import studio

    panel = (prompt, negative_prompt, seed, steps, guidance, size, sampler, batch_count, style)
    with studio.studio_request("compose", request, progress, panel) as (h, s):
        condition, amount, start, end = check_control_settings(condition, control_strength, control_start, control_end)
        page = drawing_of(drawing)
        h.record(task="compose", condition=condition, control_strength=amount, control_start=start, control_end=end)
        pictures = make_control_pictures(s, page, condition, amount, start, end, on_progress=h.on_progress, tracker=h.tracker)
    return studio._finish(pictures, history)


def outpaint(
    picture=None,
    ratio: str = RATIOS[0],
    prompt: str | None = None,
    negative_prompt: str | None = None,
    seed: float = RANDOM_SEED,
    steps: float | None = None,
    guidance: float | None = None,
    history: list | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """The picture grown to 16:9, 9:16 or 4:5; `prompt` says what the new area shows (empty: the
    background part of the picture's own prompt). Returns (pictures, recipe text, seed)."""
    from genlab.ui import studio

    with handling("studio", "outpaint", request, progress) as h:
        made = outpaint_picture(picture, ratio, prompt, negative_prompt, seed, steps, guidance, lang=h.lang, tracker_record=h.record)
    return studio._finish([made], history)


def upscale(
    picture=None,
    factor: int = FACTORS[0],
    hires_fix: bool = False,
    prompt: str | None = None,
    seed: float = RANDOM_SEED,
    steps: float | None = None,
    history: list | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """The picture x2 or x4 (hires fix: the model adds detail, on profiles that have it). Returns
    (pictures, recipe text, seed)."""
    from genlab.ui import studio

    with handling("studio", "upscale", request, progress) as h:
        made = upscale_picture(picture, factor, hires_fix, prompt, seed, steps, lang=h.lang, tracker_record=h.record,
                               warn=lambda message: gr.Warning(message, duration=12))
    return studio._finish([made], history)


def picture_to_finish(shown: list[Picture] | None, index: int | None = 0):
    """The result the finishing actions work on (the chosen one, else the first) and the outpaint
    box's suggestion for it."""
    if not shown:
        return gr.skip(), gr.skip()
    index = index if index is not None and 0 <= index < len(shown) else 0
    path = shown[index].path
    return path, suggested_outpaint_prompt(path)


__all__ = [
    "RANDOM_SEED", "RATIOS", "FACTORS", "background_part", "blank_page", "check_picture", "condition_menu", "conditions",
    "drawing_of", "factor_menu", "make_control_pictures", "offers_hires_fix", "offers_outpaint", "outpaint_picture",
    "ratio_menu", "suggested_outpaint_prompt", "upscale_picture", "compose", "outpaint", "upscale", "picture_to_finish",
]
