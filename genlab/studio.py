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
import json
import math
import re
import shutil
import tempfile
import tomllib
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import gradio as gr
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from . import paths, room
from .generation import MAX_SEED, draw_seed, samplers, slug
from .i18n import UserError, as_gr_error, language_of, t
from .profiles import Profile, get_profile
from .recipe import Recipe, read_recipe, save_png

RANDOM_SEED = -1  # the seed box value that means "draw a new seed" (as in AUTOMATIC1111)
MAX_STEPS = 100
MAX_GUIDANCE = 20.0
MAX_PROMPT_CHARS = 2000
MAX_BATCH_COUNT = 4
HISTORY_LIMIT = 40  # pictures kept per browser session; older ones drop off the end
MAX_GRID_VALUES = 6  # values per axis of the X/Y grid
MAX_GRID_CELLS = 25
MAX_UPLOAD_PIXELS = 4096 * 4096  # bigger uploads are refused (the model works at its own size anyway)
MAX_FILE_SIZE = "10mb"  # launch(max_file_size=...): bigger uploads never reach the app (HTTP 413)
NO_STYLE = "none"
STYLES_TOML = paths.ASSETS_DIR / "presets" / "styles.toml"
AXES = ("seed", "guidance", "steps", "sampler")

# Small pictures (the tiny model's 128 px) fill their box instead of sitting in its middle.
CSS = """
#output img { object-fit: contain; }
#frame-a img, #frame-b img, #final img, #source img { width: 100%; height: 100%; object-fit: contain; }
#history .caption-label { font-size: 11px; }
.genlab-note { font-size: 13px; opacity: 0.85; }
"""


# ---- what the controls offer ------------------------------------------------------------------
@dataclass(frozen=True)
class StudioOptions:
    """Choices and starting values for the Studio's controls, taken from a profile."""

    profile: str
    title: str
    tasks: tuple[str, ...]
    sizes: tuple[str, ...]
    samplers: tuple[str, ...]
    size: str
    sampler: str
    steps: int
    guidance: float
    styles: tuple[str, ...]


def size_label(width: int, height: int) -> str:
    return f"{width}x{height}"


def parse_size(label) -> tuple[int, int]:
    try:
        w, h = (int(part) for part in str(label).lower().replace("×", "x").split("x"))
    except ValueError:
        raise UserError("errors.size_format", size=str(label)[:40]) from None
    return w, h


def default_sampler(profile: Profile) -> str:
    """The familiar name of the sampler the model ships with (read from its scheduler config)."""
    names = list(samplers())
    source = profile.source
    if source is not None and source.path is not None:
        config_file = source.path / "scheduler" / "scheduler_config.json"
        if config_file.exists():
            config = json.loads(config_file.read_text())
            for name, spec in samplers().items():
                if spec["scheduler"] == config.get("_class_name") and all(
                    config.get(k) == v for k, v in spec["options"].items()
                ):
                    return name
    return names[0]


@lru_cache(maxsize=8)
def options(profile: str | None = None) -> StudioOptions:
    prof = get_profile(profile)
    if "txt2img" not in prof.tasks:
        raise UserError("errors.profile_not_image", profile=prof.name)
    d = prof.defaults
    width, height = d.get("width", 512), d.get("height", 512)
    sizes = tuple(size_label(w, h) for w, h in prof.sizes) or (size_label(width, height),)
    default_size = size_label(width, height)
    return StudioOptions(
        profile=prof.name,
        title=prof.title,
        tasks=prof.tasks,
        sizes=sizes,
        samplers=tuple(samplers()),
        size=default_size if default_size in sizes else sizes[0],
        sampler=default_sampler(prof),
        steps=int(d.get("steps", 20)),
        guidance=float(d.get("guidance", 7.0)),
        styles=tuple(styles_for(prof)),
    )


# ---- style presets -----------------------------------------------------------------------------
@lru_cache(maxsize=1)
def all_styles() -> dict[str, dict]:
    with open(STYLES_TOML, "rb") as f:
        return tomllib.load(f)["styles"]


def world_of(profile: Profile) -> str:
    return "shapes" if profile.shipped else "real"


def styles_for(profile: Profile) -> list[str]:
    world = world_of(profile)
    return [name for name, s in all_styles().items() if s.get("world", "real") in (world, "any")]


def _in(lang: str, text) -> str:
    """A data text given per language ({"en": ..., "es": ...}) in `lang` (English when missing)."""
    return text.get(lang) or text.get("en", "") if isinstance(text, dict) else str(text or "")


def style_label(name: str, lang: str = "en") -> str:
    if name == NO_STYLE:
        return t("studio.style_none", lang)
    return _in(lang, all_styles()[name].get("label")) or name


def style_choices(profile: str | None = None, lang: str = "en") -> list[tuple[str, str]]:
    return [(style_label(n, lang), n) for n in (NO_STYLE, *options(profile).styles)]


def style_menu(profile: str | None = None) -> list[tuple]:
    """The preset menu for the app: labels the browser translates, preset names as values."""
    from .i18n import L, add_texts

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
        lines.append(f"**{sampler}**: {_in(lang, spec.get('about'))}")
        need = spec.get("min_steps")
        try:
            few = need is not None and steps not in (None, "") and int(float(steps)) < need
        except (TypeError, ValueError, OverflowError):
            few = False  # a bad value is explained when the picture is asked for
        if few:
            lines.append("⚠️ " + t("notes.sampler_few_steps", lang, sampler=sampler, steps=int(float(steps)), need=need))
    if style not in (None, "", NO_STYLE) and style in all_styles():
        lines.append(f"**{style_label(style, lang)}**: {_in(lang, all_styles()[style].get('about'))}")
    return "\n\n".join(lines)


def settings_notes_for(sampler, steps, style, request: gr.Request = None) -> str:
    """`settings_notes` in the language of the person's browser (an app event handler)."""
    return settings_notes(sampler, steps, style, language_of(request))


def axis_menu(with_none: bool = False) -> list[tuple]:
    from .i18n import L

    menu = [(L("studio.axis_" + a), a) for a in AXES]
    return [(L("studio.axis_none"), "none"), *menu] if with_none else menu


_COLOURS = r"(red|orange|yellow|green|blue|purple|white|black)"
_SHAPES = r"(circles?|squares?|triangles?|stars?|hearts?)"
_STYLE_WORDS = r"(flat|outlined|striped|dotted|gradient)"


def apply_style(prompt: str, negative: str | None, name: str | None) -> tuple[str, str | None]:
    """The prompt and negative prompt with style preset `name` applied (NO_STYLE/None: unchanged)."""
    if not name or name == NO_STYLE:
        return prompt, negative
    spec = all_styles().get(name)
    if spec is None:
        raise UserError("errors.style_unknown", style=str(name)[:60])
    styled = prompt
    word = spec.get("word")
    if word:  # shapes world: "a red star" -> "a striped red star" (replacing a style word already there)
        styled, n = re.subn(rf"\b{_STYLE_WORDS}\s+{_COLOURS}\s+{_SHAPES}\b", rf"{word} \2 \3", styled, count=1, flags=re.I)
        if not n:
            styled = re.sub(rf"\b{_COLOURS}\s+{_SHAPES}\b", rf"{word} \1 \2", styled, count=1, flags=re.I)
        article = "an" if word[0] in "aeiou" else "a"  # "a outlined" -> "an outlined", "an flat" -> "a flat"
        styled = re.sub(rf"\b(?:a|an)\s+{word}\b", f"{article} {word}", styled, count=1, flags=re.I)
    styled = spec.get("prompt", "{prompt}").replace("{prompt}", styled)
    extra_negative = spec.get("negative")
    if extra_negative:
        negative = f"{negative}, {extra_negative}" if negative else extra_negative
    return styled, negative


# ---- checking the settings --------------------------------------------------------------------
def _whole_number(value, key: str, lo: int, hi: int, **extra) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(key, lo=lo, hi=hi, value=str(value)[:40], **extra) from None
    if not math.isfinite(number) or not number.is_integer() or not lo <= number <= hi:
        raise UserError(key, lo=lo, hi=hi, value=str(value)[:40], **extra)
    return int(number)


def _number(value, key: str, lo: float, hi: float, **extra) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not lo <= number <= hi:  # also catches NaN
        raise UserError(key, lo=f"{lo:g}", hi=f"{hi:g}", value=str(value)[:40], **extra)
    return number


@dataclass(frozen=True)
class Settings:
    """Checked settings shared by every way of making pictures (seed None = draw one)."""

    prompt: str  # the designer's words
    negative_prompt: str | None
    seed: int | None
    steps: int
    guidance: float
    width: int
    height: int
    sampler: str
    profile: str
    n: int = 1
    style: str = NO_STYLE

    @property
    def styled(self) -> tuple[str, str | None]:
        return apply_style(self.prompt, self.negative_prompt, self.style)

    @property
    def size(self) -> str:
        return size_label(self.width, self.height)

    def extra(self) -> dict:
        if self.style == NO_STYLE:
            return {}
        return {"style": self.style, "words": self.prompt, "negative_words": self.negative_prompt}

    def log_fields(self, **more) -> dict:
        return dict(steps=self.steps, guidance=f"{self.guidance:g}", size=self.size, sampler=self.sampler, n=self.n, style=self.style, **more)


def check_prompt(prompt) -> str:
    prompt = "" if prompt is None else str(prompt).strip()
    if not prompt:
        raise UserError("errors.prompt_empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UserError("errors.prompt_long", n=len(prompt), limit=MAX_PROMPT_CHARS)
    return prompt


def check_seed(seed) -> int | None:
    if seed is None or seed == "" or (isinstance(seed, (int, float)) and not isinstance(seed, bool) and seed == RANDOM_SEED):
        return None
    return _whole_number(seed, "errors.seed", 0, MAX_SEED, random=RANDOM_SEED)


def check_settings(
    prompt,
    negative_prompt=None,
    seed=RANDOM_SEED,
    steps=None,
    guidance=None,
    size=None,
    sampler=None,
    batch_count=1,
    style=None,
    profile: str | None = None,
) -> Settings:
    """Turn raw control values into checked settings, or raise UserError saying what to fix."""
    opts = options(profile)
    prompt = check_prompt(prompt)
    negative_prompt = (str(negative_prompt).strip() if negative_prompt is not None else "") or None
    if negative_prompt and len(negative_prompt) > MAX_PROMPT_CHARS:
        raise UserError("errors.negative_long", n=len(negative_prompt), limit=MAX_PROMPT_CHARS)
    seed_value = check_seed(seed)
    steps = opts.steps if steps in (None, "") else _whole_number(steps, "errors.steps", 1, MAX_STEPS, good=opts.steps)
    guidance = opts.guidance if guidance in (None, "") else _number(guidance, "errors.guidance", 0, MAX_GUIDANCE, good=f"{opts.guidance:g}")
    size = opts.size if size in (None, "") else str(size)
    width, height = parse_size(size)
    if size_label(width, height) not in opts.sizes:
        raise UserError("errors.size_not_offered", sizes=", ".join(opts.sizes), size=str(size)[:40])
    sampler = opts.sampler if sampler in (None, "") else str(sampler)
    if sampler not in opts.samplers:
        raise UserError("errors.sampler_unknown", sampler=sampler[:60], samplers=", ".join(opts.samplers))
    n = 1 if batch_count in (None, "") else _whole_number(batch_count, "errors.batch_count", 1, MAX_BATCH_COUNT)
    style = NO_STYLE if style in (None, "", NO_STYLE) else str(style)
    if style != NO_STYLE and style not in opts.styles:
        raise UserError("errors.style_unknown", style=style[:60])
    return Settings(prompt, negative_prompt, seed_value, steps, guidance, width, height, sampler, opts.profile, n, style)


def check_strength(strength, default: float) -> float:
    if strength in (None, ""):
        return default
    value = _number(strength, "errors.strength", 0.0, 1.0)
    if value < 0.05:
        raise UserError("errors.strength_zero")
    return value


# ---- uploaded pictures ------------------------------------------------------------------------
def _path_of(value):
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
    source = _path_of(value)
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


# ---- the X/Y grid -------------------------------------------------------------------------------
def parse_axis(axis, text, opts: StudioOptions) -> list:
    """The values of one grid axis from what the designer typed ("3, 7, 12" or "Euler, DDIM")."""
    if axis not in AXES:
        raise UserError("errors.grid_axis", axis=str(axis)[:30], axes=", ".join(AXES))
    parts = [p.strip() for p in re.split(r"[,;\n]", str(text or "")) if p.strip()]
    if not parts:
        raise UserError("errors.grid_values_missing", axis=axis)
    if len(parts) > MAX_GRID_VALUES:
        raise UserError("errors.grid_too_many_values", axis=axis, n=len(parts), limit=MAX_GRID_VALUES)
    values = []
    for p in parts:
        if axis == "seed":
            values.append(_whole_number(p, "errors.seed", 0, MAX_SEED, random=RANDOM_SEED))
        elif axis == "steps":
            values.append(_whole_number(p, "errors.steps", 1, MAX_STEPS, good=opts.steps))
        elif axis == "guidance":
            values.append(_number(p, "errors.guidance", 0, MAX_GUIDANCE, good=f"{opts.guidance:g}"))
        else:
            match = [s for s in opts.samplers if s.lower() == p.lower()]
            if not match:
                raise UserError("errors.sampler_unknown", sampler=p[:60], samplers=", ".join(opts.samplers))
            values.append(match[0])
    return values


def axis_value_label(axis: str, value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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
    from .render import render

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
    from .render import BatchKey, PictureItem, seeds_for

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

    from .render import BatchKey, PictureItem

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
    from .pipelines import load_pipeline

    opts = options(profile)
    load_pipeline("txt2img", opts.profile)


# ---- errors in the person's language ---------------------------------------------------------
def explain(err: Exception) -> Exception:
    """A UserError for what the designer (or the trainer) can act on; other errors pass through."""
    from .pipelines import ModelNotFoundError
    from .profiles import ProfileError

    if isinstance(err, UserError):
        return err
    if isinstance(err, room.OutOfMemory):
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
    path = _path_of(png[0] if isinstance(png, list) and png else png)
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
