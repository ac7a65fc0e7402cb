"""The Studio's logic: check the settings, make the pictures, keep this session's history.

`apps/studio.py` is only the layout; everything it does lives here so that lessons and tests can
call the same functions. Every picture is saved as a PNG with its recipe inside, and the app
hands Gradio that file (not a PIL image), so the `parameters` and `genlab` text chunks reach the
browser and gradio_client unchanged.

Four ways to make pictures, one settings panel: text to image, image to image (`strength`: how
much to change the picture), inpainting (paint or upload a mask: white = repaint) and the X/Y
grid (two settings, several values each: a labelled contact sheet plus every cell as its own
PNG). Style presets come from assets/presets/styles.toml. Dropping a genlab or AUTOMATIC1111 PNG
on the app brings its settings back.

The Gradio handlers turn every mistake into a `gr.Error` in the person's language (es / en, from
the browser), so the app stays up and the designer sees what to change. Picture requests go
through `genlab.room`'s Batcher: one at a time normally, merged into one pipeline call in room mode.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
from PIL import Image

from genlab.core.checks import (  # noqa: F401 (apps read the limits as studio.MAX_STEPS, ...)
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
from genlab.core.imaging import labelled_grid, slug
from genlab.core.memory import OutOfMemory
from genlab.core.recipe import Recipe, read_recipe, save_png
from genlab.core.render import draw_seed
from genlab.core.samplers import samplers
from genlab.core.styles import NO_STYLE, all_styles, apply_style, style_label, text_in  # noqa: F401
from genlab.core.uploads import MAX_UPLOAD_PIXELS, check_inpaint, check_source, fit, open_picture, path_of  # noqa: F401
from genlab.ui import room
from genlab.ui.i18n import L, as_gr_error

HISTORY_LIMIT = 40  # pictures kept per browser session; older ones drop off the end
MAX_FILE_SIZE = "10mb"  # launch(max_file_size=...): bigger uploads never reach the app (HTTP 413)

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


# ---- checking the settings --------------------------------------------------------------------


# ---- uploaded pictures ------------------------------------------------------------------------


# ---- the X/Y grid -------------------------------------------------------------------------------


# ---- making and keeping pictures --------------------------------------------------------------
@dataclass(frozen=True)
class Picture:
    """One finished picture: the PNG on disk (recipe inside) and its recipe's text."""

    path: str
    parameters: str
    seed: int
    caption: str
    settings: dict = field(default_factory=dict)


_output_dir: Path | None = None


def output_dir() -> Path:
    """A temporary folder for this process's pictures (Gradio copies them into its own cache)."""
    global _output_dir
    if _output_dir is None:
        _output_dir = Path(tempfile.mkdtemp(prefix="genlab-studio-"))
        atexit.register(shutil.rmtree, _output_dir, ignore_errors=True)
    return _output_dir


def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def save_picture(image: Image.Image, recipe: Recipe, s: Settings, strength: float | None = None, caption: str | None = None) -> Picture:
    # A folder per picture keeps the file name the designer downloads short and readable.
    path = output_dir() / uuid.uuid4().hex[:12] / f"{recipe.seed}-{slug(s.prompt)}.png"
    save_png(image, recipe, path)
    return Picture(
        path=str(path),
        parameters=recipe.to_parameters(),
        seed=recipe.seed,
        caption=caption or f"{recipe.seed} · {_short(s.prompt)}",
        settings=dict(
            prompt=s.prompt,
            negative_prompt=s.negative_prompt or "",
            seed=recipe.seed,
            steps=recipe.steps,
            guidance=recipe.guidance,
            size=size_label(recipe.width, recipe.height),
            sampler=recipe.sampler,
            style=s.style,
            strength=strength,
            task=recipe.task,
        ),
    )


def _render(key, items, on_step):
    from genlab.core.render import render

    return render(key, items, on_step)


def make_pictures(
    s: Settings,
    *,
    task: str = "txt2img",
    strength: float | None = None,
    image: Image.Image | None = None,
    mask: Image.Image | None = None,
    on_progress=None,
    tracker=None,
) -> list[Picture]:
    """Make `s.n` pictures through the Batcher and save each as `<seed>-<prompt words>.png`."""
    from genlab.core.render import BatchKey, PictureItem, seeds_for

    first = s.seed if s.seed is not None else draw_seed()
    prompt, negative = s.styled
    key = BatchKey(s.profile, task, s.steps, s.guidance, s.width, s.height, s.sampler, strength if task != "txt2img" else None)
    items = [
        PictureItem(prompt, negative, seed, image=image, mask=mask, batch_size=s.n, batch_index=i, extra=s.extra())
        for i, seed in enumerate(seeds_for(first, s.n))
    ]
    results = room.batcher("studio", _render).submit(room.Job(key, items, tracker), on_progress)
    return [save_picture(img, rec, s, strength) for img, rec in results]


def make_grid(s: Settings, x_axis: str, x_values: list, y_axis: str | None, y_values: list, *, on_progress=None, tracker=None, lang="en"):
    """Every combination of the X and Y values (other settings from `s`). Returns (grid Picture, cell Pictures)."""
    from dataclasses import replace

    from genlab.core.render import BatchKey, PictureItem

    base_seed = s.seed if s.seed is not None else draw_seed()
    prompt, negative = s.styled
    y_values = y_values if y_axis else [None]
    cells = []  # (row, col, settings)
    for r, yv in enumerate(y_values):
        for c, xv in enumerate(x_values):
            cell = replace(s, seed=base_seed, n=1)
            for axis, value in ((x_axis, xv), (y_axis, yv)):
                if axis:
                    cell = replace(cell, **{axis: value})
            cells.append((r, c, cell))
    jobs = {}
    for r, c, cell in cells:  # one job per group of cells that can share a pipeline call
        key = BatchKey(cell.profile, "txt2img", cell.steps, cell.guidance, cell.width, cell.height, cell.sampler)
        jobs.setdefault(key, []).append((r, c, cell))
    b = room.batcher("studio", _render)
    queued = []  # every cell is in line at once, in calls of at most the batcher's size
    for key, group in jobs.items():
        for i in range(0, len(group), b.max_pictures):
            part = group[i : i + b.max_pictures]
            items = [
                PictureItem(prompt, negative, cell.seed, extra={**cell.extra(), "xy_grid": {"x": x_axis, "y": y_axis}})
                for _, _, cell in part
            ]
            queued.append((part, b.enqueue(room.Job(key, items, tracker))))
    done = {}
    finished = 0
    for part, job in queued:

        def progress(step, total, _done=finished, _n=len(part)):
            if on_progress:
                on_progress(_done * total + step * _n, total * len(cells))

        results = b.wait(job, progress)
        finished += len(part)
        for (r, c, cell), (img, rec) in zip(part, results):
            label = " · ".join(
                f"{t('studio.axis_' + a, lang)} {axis_value_label(a, getattr(cell, a))}" for a in (x_axis, y_axis) if a
            )
            done[(r, c)] = save_picture(img, rec, cell, caption=label), img
    rows = [[done[(r, c)][1] for c in range(len(x_values))] for r in range(len(y_values))]
    sheet = labelled_grid(
        rows,
        t("studio.axis_" + x_axis, lang),
        [axis_value_label(x_axis, v) for v in x_values],
        t("studio.axis_" + y_axis, lang) if y_axis else None,
        [axis_value_label(y_axis, v) for v in y_values] if y_axis else [],
    )
    first_cell = done[(0, 0)][0]
    grid_recipe = read_recipe(first_cell.path)
    grid_recipe.extra = {
        **grid_recipe.extra,
        "xy_grid": {"x": x_axis, "x_values": x_values, "y": y_axis, "y_values": y_values if y_axis else []},
    }
    path = output_dir() / uuid.uuid4().hex[:12] / f"grid-{slug(s.prompt)}.png"
    save_png(sheet, grid_recipe, path)
    title = f"{t('studio.grid_caption', lang)}: {t('studio.axis_' + x_axis, lang)}" + (
        f" × {t('studio.axis_' + y_axis, lang)}" if y_axis else ""
    )
    grid = Picture(path=str(path), parameters=grid_recipe.to_parameters(), seed=first_cell.seed, caption=title, settings=first_cell.settings)
    return grid, [done[(r, c)][0] for r in range(len(y_values)) for c in range(len(x_values))]


def remember(history: list[Picture] | None, picture: Picture | list[Picture], limit: int = HISTORY_LIMIT) -> list[Picture]:
    """The session's history with `picture` (or several) added at the front (newest first)."""
    new = picture if isinstance(picture, list) else [picture]
    return [*new, *(history or [])][:limit]


def warm_up(profile: str | None = None) -> None:
    """Load the model before the first click, so a live demo does not stall on it."""
    from genlab.core.pipelines import load_pipeline

    opts = options(profile)
    load_pipeline("txt2img", opts.profile)


# ---- errors in the person's language ---------------------------------------------------------
def explain(err: Exception) -> Exception:
    """A UserError for what the designer (or the trainer) can act on; other errors pass through."""
    from genlab.core.pipelines import ModelNotFoundError
    from genlab.core.profiles import ProfileError

    if isinstance(err, UserError):
        return err
    if isinstance(err, OutOfMemory):
        return UserError("errors.out_of_memory", title="errors.title_busy")
    if isinstance(err, (ProfileError, ModelNotFoundError)):
        return UserError("errors.model", detail=str(err))
    if isinstance(err, (ValueError, TypeError)):
        return UserError("errors.settings_failed", detail=str(err)[:300])
    return err


def status_of(err: Exception) -> str:
    err = explain(err)
    return f"refused:{err.key}" if isinstance(err, UserError) else f"error:{type(err).__name__}"


def progress_reporter(progress, lang: str, what: str = "progress.steps"):
    if progress is None:
        return None

    def report(step: int, total: int):
        try:
            progress((step, total), desc=t(what, lang), unit="steps")
        except Exception:  # progress is a nicety; never let it break a picture
            pass

    return report


class handling:
    """`with handling("studio", "generate", request) as h:` — tracks the request for room mode and
    turns any error into a gr.Error in the person's language."""

    def __init__(self, app: str, event: str, request):
        self.lang = language_of(request)
        self._track = room.track(app, event, request)

    def __enter__(self):
        self.tracker = self._track.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            self._track.__exit__(None, None, None)
            return False
        self.tracker.status = status_of(exc)
        self._track.__exit__(None, None, None)
        if isinstance(exc, gr.Error):
            return False
        raise as_gr_error(explain(exc), self.lang) from exc


# ---- Gradio handlers --------------------------------------------------------------------------
def results_value(pictures: list[Picture]):
    """The result gallery's value: (file, caption) pairs."""
    return [(p.path, p.caption) for p in pictures]


def _finish(pictures: list[Picture], history, shown: list[Picture] | None = None):
    first = pictures[0]
    history = remember(history, pictures)
    return results_value(shown or pictures), first.parameters, first.seed, history, shown or pictures


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
    with handling("studio", "generate", request) as h:
        s = check_settings(prompt, negative_prompt, seed, steps, guidance, size, sampler, batch_count, style)
        h.tracker.settings, h.tracker.prompt = s.log_fields(task="txt2img"), s.prompt
        pictures = make_pictures(s, on_progress=progress_reporter(progress, h.lang), tracker=h.tracker)
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
    with handling("studio", "img2img", request) as h:
        s = check_settings(prompt, negative_prompt, seed, steps, guidance, size, sampler, batch_count, style)
        _needs_task("img2img")
        amount = check_strength(strength, 0.6)
        source = check_source(image, s.width, s.height)
        h.tracker.settings, h.tracker.prompt = s.log_fields(task="img2img", strength=amount), s.prompt
        pictures = make_pictures(s, task="img2img", strength=amount, image=source, on_progress=progress_reporter(progress, h.lang), tracker=h.tracker)
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
    with handling("studio", "inpaint", request) as h:
        s = check_settings(prompt, negative_prompt, seed, steps, guidance, size, sampler, batch_count, style)
        _needs_task("inpaint")
        amount = check_strength(strength, 0.9)
        picture, mask_image = check_inpaint(editor, mask, s.width, s.height)
        h.tracker.settings, h.tracker.prompt = s.log_fields(task="inpaint", strength=amount), s.prompt
        pictures = make_pictures(
            s, task="inpaint", strength=amount, image=picture, mask=mask_image,
            on_progress=progress_reporter(progress, h.lang), tracker=h.tracker,
        )
    return _finish(pictures, history)


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
    with handling("studio", "xy_grid", request) as h:
        s = check_settings(prompt, negative_prompt, seed, steps, guidance, size, sampler, 1, style)
        opts = options()
        xs = parse_axis(x_axis, x_values, opts)
        y_axis = None if y_axis in (None, "", "none") else y_axis
        if y_axis == x_axis:
            raise UserError("errors.grid_same_axis")
        ys = parse_axis(y_axis, y_values, opts) if y_axis else []
        cells = len(xs) * max(1, len(ys))
        if cells > MAX_GRID_CELLS:
            raise UserError("errors.grid_too_big", n=cells, limit=MAX_GRID_CELLS)
        h.tracker.settings, h.tracker.prompt = s.log_fields(task="xy_grid", x=x_axis, y=y_axis, cells=cells), s.prompt
        grid, pictures = make_grid(s, x_axis, xs, y_axis, ys, on_progress=progress_reporter(progress, h.lang), tracker=h.tracker, lang=h.lang)
    return _finish([grid, *pictures], history, shown=[grid, *pictures])


def _needs_task(task: str):
    opts = options()
    if task not in opts.tasks:
        raise UserError("errors.task_not_offered", task=task, profile=opts.profile)


def show_history(history: list[Picture] | None):
    """The history gallery's value: (file, caption) pairs, newest first."""
    return [(p.path, p.caption) for p in history or []]


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
