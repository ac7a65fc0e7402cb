"""The Studio's handlers and this session's history: what `apps/studio.py` (only the layout) calls.

Four ways to make pictures, one settings panel: text to image, image to image (`strength`: how
much to change the picture), inpainting (paint or upload a mask: white = repaint) and the X/Y
grid (two settings, several values each: a labelled contact sheet plus every cell as its own
PNG). Style presets come from assets/presets/styles.toml. Dropping a genlab or AUTOMATIC1111 PNG
on the app brings its settings back.

Where the rest lives: the settings are checked in genlab.core.checks (uploads in
genlab.core.uploads, presets in genlab.core.styles); pictures are made and saved as PNGs with
their recipe inside in genlab.ui.pictures (through room mode's Batcher, genlab.ui.room); every
handler runs inside genlab.ui.errors' `handling`, which turns each mistake into a `gr.Error` in
the person's language (es / en, from the browser), so the app stays up and the designer sees
what to change. The app hands Gradio the PNG file (not a PIL image), so the `parameters` and
`genlab` text chunks reach the browser and gradio_client unchanged.
"""

from __future__ import annotations

import contextlib

import gradio as gr

from genlab.core.checks import (  # noqa: F401 (apps and lessons read the limits as studio.MAX_STEPS, ...)
    AXES,
    MAX_BATCH_COUNT,
    MAX_GRID_CELLS,
    MAX_GRID_VALUES,
    MAX_GUIDANCE,
    MAX_PROMPT_CHARS,
    MAX_STEPS,
    RANDOM_SEED,
    Settings,
    StudioOptions,
    axis_value_label,
    check_prompt,
    check_seed,
    check_settings,
    check_strength,
    options,
    parse_axis,
    parse_size,
    size_label,
    style_choices,
)
from genlab.core.i18n import UserError, add_texts, language_of, t
from genlab.core.recipe import Recipe, read_recipe
from genlab.core.samplers import samplers
from genlab.core.styles import NO_STYLE, all_styles, apply_style, style_label, text_in  # noqa: F401
from genlab.core.uploads import MAX_UPLOAD_PIXELS, check_inpaint, check_source, fit, open_picture, path_of  # noqa: F401
from genlab.ui.demo import MAX_FILE_SIZE  # noqa: F401 (studio.MAX_FILE_SIZE: what the apps launch with)
from genlab.ui.errors import handling
from genlab.ui.i18n import L, as_gr_error
from genlab.ui.pictures import Picture, make_grid, make_pictures, warm_up  # noqa: F401 (studio.warm_up: apps/)

HISTORY_LIMIT = 40  # pictures kept per browser session; older ones drop off the end

# Small pictures (the tiny model's 128 px) fill their box instead of sitting in its middle.
CSS = """
#output img { object-fit: contain; }
#frame-a img, #frame-b img, #final img, #source img { width: 100%; height: 100%; object-fit: contain; }
#history .caption-label { font-size: 11px; }
.genlab-note { font-size: 13px; opacity: 0.85; }
"""


# ---- what the controls offer (checked in genlab.core.checks) ----------------------------------
def style_menu(profile: str | None = None) -> list[tuple]:
    """The preset menu for the app: labels the browser translates, preset names as values."""
    menu = [(L("studio.style_none"), NO_STYLE)]
    for name in options(profile).styles:
        menu.append((L(add_texts(f"style.{name}", all_styles()[name].get("label", name))), name))
    return menu


def settings_notes(sampler=None, steps=None, style=None, lang: str = "en") -> str:
    """What the chosen sampler and style preset do, in plain words (Markdown, under the controls),
    and a warning when the sampler needs more steps than chosen (assets/samplers.toml `min_steps`)."""
    spec = samplers().get(str(sampler)) if sampler else None
    lines = []
    if spec is not None:
        lines.append(f"**{sampler}**: {text_in(lang, spec.get('about'))}")
        need = spec.get("min_steps")
        try:
            few = need is not None and steps not in (None, "") and int(float(steps)) < need
        except (TypeError, ValueError, OverflowError):
            few = False  # a bad value is explained when the picture is asked for
        if few:
            lines.append("⚠️ " + t("notes.sampler_few_steps", lang, sampler=sampler, steps=int(float(steps)), need=need))
    if style not in (None, "", NO_STYLE) and style in all_styles():
        lines.append(f"**{style_label(style, lang)}**: {text_in(lang, all_styles()[style].get('about'))}")
    return "\n\n".join(lines)


def settings_notes_for(sampler, steps, style, request: gr.Request = None) -> str:
    """`settings_notes` in the language of the person's browser (an app event handler)."""
    return settings_notes(sampler, steps, style, language_of(request))


def axis_menu(with_none: bool = False) -> list[tuple]:
    menu = [(L("studio.axis_" + a), a) for a in AXES]
    return [(L("studio.axis_none"), "none"), *menu] if with_none else menu


# ---- this session's history ---------------------------------------------------------------------
def remember(history: list[Picture] | None, picture: Picture | list[Picture], limit: int = HISTORY_LIMIT) -> list[Picture]:
    """The session's history with `picture` (or several) added at the front (newest first)."""
    new = picture if isinstance(picture, list) else [picture]
    return [*new, *(history or [])][:limit]


# ---- the picture handlers --------------------------------------------------------------------------
@contextlib.contextmanager
def studio_request(event: str, request, progress, panel: tuple, task: str = "txt2img"):
    """What every picture handler starts with: `handling` (room mode's bookkeeping, errors as a
    `gr.Error` in the person's language), the settings panel checked (`panel`: the values of
    prompt, negative prompt, seed, steps, guidance, size, sampler, batch count and style), the
    pipeline `task` offered by the profile, and the log line's settings. Yields (handling, Settings)."""
    with handling("studio", event, request, progress) as h:
        s = check_settings(*panel)
        opts = options()
        if task != "txt2img" and task not in opts.tasks:
            raise UserError("errors.task_not_offered", task=task, profile=opts.profile)
        h.record(s.prompt, **s.log_fields(task=task))
        yield h, s


def gallery_value(pictures: list[Picture] | None):
    """A gallery's value (the results, the history): (file, caption) pairs."""
    return [(p.path, p.caption) for p in pictures or []]


def _finish(pictures: list[Picture], history):
    """The picture handlers' outputs: results, recipe text and seed of the first, history, shown pictures."""
    first = pictures[0]
    return gallery_value(pictures), first.parameters, first.seed, remember(history, pictures), pictures


def generate(
    prompt: str,
    negative_prompt: str | None = None,
    seed: float = RANDOM_SEED,
    steps: float | None = None,
    guidance: float | None = None,
    size: str | None = None,
    sampler: str | None = None,
    batch_count: float = 1,
    style: str | None = NO_STYLE,
    history: list | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """Text to image. Returns (pictures, recipe text of the first, its seed) [+ session state].

    The parameter names are the API's: trainers can call
    `Client(url).predict(prompt="a red circle", seed=42, api_name="/generate")`.
    """
    panel = (prompt, negative_prompt, seed, steps, guidance, size, sampler, batch_count, style)
    with studio_request("generate", request, progress, panel) as (h, s):
        pictures = make_pictures(s, on_progress=h.on_progress, tracker=h.tracker)
    return _finish(pictures, history)


def image_to_image(
    prompt: str,
    negative_prompt: str | None = None,
    seed: float = RANDOM_SEED,
    steps: float | None = None,
    guidance: float | None = None,
    size: str | None = None,
    sampler: str | None = None,
    batch_count: float = 1,
    style: str | None = NO_STYLE,
    image=None,
    strength: float = 0.6,
    history: list | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """Change an existing picture: `strength` 0.1 keeps almost all of it, 0.9 keeps only its colours."""
    panel = (prompt, negative_prompt, seed, steps, guidance, size, sampler, batch_count, style)
    with studio_request("img2img", request, progress, panel, task="img2img") as (h, s):
        amount = check_strength(strength, 0.6)
        source = check_source(image, s.width, s.height)
        h.record(strength=amount)
        pictures = make_pictures(s, task="img2img", strength=amount, image=source, on_progress=h.on_progress, tracker=h.tracker)
    return _finish(pictures, history)


def inpaint(
    prompt: str,
    negative_prompt: str | None = None,
    seed: float = RANDOM_SEED,
    steps: float | None = None,
    guidance: float | None = None,
    size: str | None = None,
    sampler: str | None = None,
    batch_count: float = 1,
    style: str | None = NO_STYLE,
    editor=None,
    mask=None,
    strength: float = 0.9,
    history: list | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """Repaint part of a picture: paint over it in the editor, or upload a mask (white = repaint)."""
    panel = (prompt, negative_prompt, seed, steps, guidance, size, sampler, batch_count, style)
    with studio_request("inpaint", request, progress, panel, task="inpaint") as (h, s):
        amount = check_strength(strength, 0.9)
        picture, mask_image = check_inpaint(editor, mask, s.width, s.height)
        h.record(strength=amount)
        pictures = make_pictures(
            s, task="inpaint", strength=amount, image=picture, mask=mask_image, on_progress=h.on_progress, tracker=h.tracker
        )
    return _finish(pictures, history)


def check_grid(x_axis: str, x_values, y_axis: str | None, y_values) -> tuple[list, str | None, list]:
    """The X/Y grid's axes and values, checked: (x values, y axis or None, y values)."""
    opts = options()
    xs = parse_axis(x_axis, x_values, opts)
    y_axis = None if y_axis in (None, "", "none") else y_axis
    if y_axis == x_axis:
        raise UserError("errors.grid_same_axis")
    ys = parse_axis(y_axis, y_values, opts) if y_axis else []
    cells = len(xs) * max(1, len(ys))
    if cells > MAX_GRID_CELLS:
        raise UserError("errors.grid_too_big", n=cells, limit=MAX_GRID_CELLS)
    return xs, y_axis, ys


def xy_grid(
    prompt: str,
    negative_prompt: str | None = None,
    seed: float = RANDOM_SEED,
    steps: float | None = None,
    guidance: float | None = None,
    size: str | None = None,
    sampler: str | None = None,
    style: str | None = NO_STYLE,
    x_axis: str = "guidance",
    x_values: str = "3, 7, 12",
    y_axis: str | None = "seed",
    y_values: str = "1, 2",
    history: list | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """The same picture with two settings varied: a labelled contact sheet, then every cell's PNG."""
    panel = (prompt, negative_prompt, seed, steps, guidance, size, sampler, 1, style)
    with studio_request("xy_grid", request, progress, panel) as (h, s):
        xs, y_axis, ys = check_grid(x_axis, x_values, y_axis, y_values)
        h.record(task="xy_grid", x=x_axis, y=y_axis, cells=len(xs) * max(1, len(ys)))
        grid, pictures = make_grid(s, x_axis, xs, y_axis, ys, on_progress=h.on_progress, tracker=h.tracker, lang=h.lang)
    return _finish([grid, *pictures], history)


# ---- picking, sending and restoring ------------------------------------------------------------
def show_history(history: list[Picture] | None):
    """The history gallery's value: (file, caption) pairs, newest first."""
    return gallery_value(history)


CONTROL_ORDER = ("prompt", "negative_prompt", "seed", "steps", "guidance", "size", "sampler", "style")


def use_history_item(history: list[Picture] | None, index: int, lang: str = "en"):
    """Settings of history picture `index`, in CONTROL_ORDER (+ strength twice: image to image, inpaint)."""
    if not history or not 0 <= index < len(history):
        raise as_gr_error(UserError("errors.history_gone"), lang)
    s = history[index].settings
    strength = s.get("strength")
    return (
        *(s.get(k, NO_STYLE if k == "style" else None) for k in CONTROL_ORDER),
        gr.skip() if strength is None else strength,
        gr.skip() if strength is None else strength,
    )


def select_result(shown: list[Picture] | None, index: int):
    """Clicking a result shows its recipe and seed, and remembers which one 'send to' uses."""
    if not shown or not 0 <= index < len(shown):
        return gr.skip(), gr.skip(), 0
    p = shown[index]
    return p.parameters, p.seed, index


def send_to(shown: list[Picture] | None, index: int | None, target: str, lang: str = "en"):
    """The chosen result as the picture of the image-to-image tab or the inpaint editor."""
    if not shown:
        raise as_gr_error(UserError("errors.nothing_to_send"), lang)
    index = index if index is not None and 0 <= index < len(shown) else 0
    path = shown[index].path
    if target == "img2img":
        return path, gr.skip()
    return gr.skip(), {"background": path, "layers": [], "composite": path}


def settings_from_recipe(recipe: Recipe, lang: str = "en") -> tuple[tuple, list[str]]:
    """Control values (CONTROL_ORDER + strength twice) from a recipe, and notes on what could not come back."""
    opts = options()
    notes = []
    extra = recipe.extra or {}
    style = extra.get("style") if extra.get("style") in opts.styles else NO_STYLE
    prompt = extra.get("words") if style != NO_STYLE and extra.get("words") else recipe.prompt
    negative = extra.get("negative_words") if style != NO_STYLE else recipe.negative_prompt
    size = size_label(recipe.width, recipe.height)
    if size not in opts.sizes:
        notes.append(t("notes.size_kept", lang, size=size, sizes=", ".join(opts.sizes)))
        size = gr.skip()
    sampler = recipe.sampler if recipe.sampler in opts.samplers else gr.skip()
    if recipe.sampler and recipe.sampler not in opts.samplers:
        notes.append(t("notes.sampler_kept", lang, sampler=recipe.sampler))
    steps = min(max(int(recipe.steps), 1), MAX_STEPS)
    guidance = min(max(float(recipe.guidance), 0.0), MAX_GUIDANCE)
    if recipe.profile and recipe.profile != opts.profile:
        notes.append(t("notes.other_model", lang, profile=recipe.profile))
    elif not recipe.profile and recipe.model:
        notes.append(t("notes.other_tool", lang, model=recipe.model))
    strength = gr.skip() if recipe.strength is None else float(recipe.strength)
    values = (prompt, negative or "", recipe.seed, steps, guidance, size, sampler, style, strength, strength)
    return values, notes


def restore_from_png(png, request: gr.Request = None):
    """Settings back from a dropped PNG that carries a recipe (genlab or AUTOMATIC1111)."""
    lang = language_of(request)
    path = path_of(png[0] if isinstance(png, list) and png else png)
    if not path:
        raise as_gr_error(UserError("errors.picture_missing"), lang)
    try:
        open_picture(path)
        recipe = read_recipe(path)
    except UserError as err:
        raise as_gr_error(err, lang) from err
    except (ValueError, OSError) as err:
        raise as_gr_error(UserError("errors.no_recipe"), lang) from err
    values, notes = settings_from_recipe(recipe, lang)
    gr.Info(" ".join([t("notes.restored", lang), *notes]), duration=8)
    return values
