"""Lesson 2 (prompt craft): build prompts from parts, apply style presets, compare settings in an
X/Y grid and make a campaign of variants with one seed.

    prompting.anatomy("star", ["large", "yellow"], "on a purple background")
        -> "a large yellow star on a purple background"
    prompting.parts("a large striped yellow star on a purple background")   # the prompt taken apart
    prompting.apply_preset("a red star on a blue background", "striped pattern")
        -> ("a striped red star on a blue background", "flat, outlined, dotted, gradient")
    grid = prompting.xy_grid(prompt, x=("seed", [1, 2, 3]), y=("guidance", [3, 7]), profile=profile)
    grid.sheet, grid.recipes                                                 # labelled sheet + one recipe per cell
    prompting.variants("a red star on a white background", "red", ["blue", "green"])
    prompting.campaign(prompts, seed=5, profile=profile)                    # same seed for every variant

Presets come from assets/presets/styles.toml and are applied by the Studio's own code
(genlab.studio.apply_style), so a preset gives the same words here and in the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PIL import Image

from genlab.core.i18n import say

AXES = ("seed", "guidance", "steps", "sampler", "prompt", "negative_prompt", "style")


# ---- prompt anatomy ----------------------------------------------------------------------------
def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def anatomy(subject: str, attributes=(), setting: str = "", style: str = "") -> str:
    """A prompt from its parts: subject (what), attributes (what it is like), setting (where),
    style (how it is drawn; in the shapes world a style word, put before the colour).

    anatomy("star", ["large", "yellow"], "on a purple background", "striped")
        -> "a large striped yellow star on a purple background"
    """
    for name, value in (("subject", subject), ("setting", setting), ("style", style)):
        if not isinstance(value, str):
            raise TypeError(say("prompting.not_text", name=name, kind=type(value).__name__))
    if isinstance(attributes, str):
        attributes = attributes.split()
    words = [w for w in attributes if w]
    if style:  # the shapes grammar: size, style, colour ("a large striped yellow star")
        sizes = [w for w in words if w in ("small", "large")]
        rest = [w for w in words if w not in ("small", "large")]
        words = [*sizes, style, *rest]
    body = " ".join([*words, subject.strip()])
    text = f"{_article(body)} {body}"
    return f"{text} {setting.strip()}".strip() if setting else text


def parts(prompt: str) -> dict:
    """A shapes-world prompt taken apart into subject, attributes, setting and style (None when absent)."""
    from genlab.tiny.world import POSITION_PHRASES, parse_prompt

    p = parse_prompt(prompt)
    setting = []
    if p["background"]:
        setting.append(f"on {_article(p['background'])} {p['background']} background")
    if p["position"]:
        setting.append(POSITION_PHRASES.get(p["position"], p["position"]))
    return {
        "subject": p["shape"],
        "attributes": [w for w in (p["size"], p["colour"]) if w],
        "setting": " ".join(setting) or None,
        "style": p["style"],
    }


# ---- style presets -----------------------------------------------------------------------------
def presets(world: str | None = "shapes") -> dict[str, dict]:
    """The style presets of assets/presets/styles.toml ("shapes" for the tiny model, "real" for big ones, None: all)."""
    import tomllib

    from genlab import settings

    with open(settings.ASSETS_DIR / "presets" / "styles.toml", "rb") as f:
        table = tomllib.load(f)["styles"]
    return {k: v for k, v in table.items() if world is None or v.get("world", "real") == world}


def about(preset: dict | str, lang: str | None = None) -> str:
    """What a style preset does, in one line, in the reader's language (a name or a `presets()` entry)."""
    from genlab.core.i18n import current_language
    from genlab.core.styles import text_in

    spec = presets(None)[preset] if isinstance(preset, str) else preset
    return text_in(lang or current_language(), spec.get("about", ""))


def preset_world(profile=None) -> str:
    from genlab.core.profiles import get_profile

    prof = get_profile(profile) if not hasattr(profile, "shipped") else profile
    return "shapes" if prof.shipped else "real"


def apply_preset(prompt: str, name: str | None, negative_prompt: str | None = None) -> tuple[str, str | None]:
    """(prompt, negative prompt) with the style preset `name` applied, exactly as the Studio does."""
    if name is not None and name not in presets(None):
        raise ValueError(say("prompting.no_preset", name=repr(name), presets=", ".join(presets(None))))
    from genlab.core.styles import apply_style

    return apply_style(prompt, negative_prompt, name)


# ---- X/Y grid ----------------------------------------------------------------------------------
@dataclass
class Grid:
    """An X/Y grid: the labelled contact sheet, and each cell's picture and recipe (row by row)."""

    sheet: Image.Image
    images: list[Image.Image]
    recipes: list
    x: tuple[str, list]
    y: tuple[str, list] | None = None
    cells: list[dict] = field(default_factory=list)  # the settings that vary, per cell

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.sheet.save(buf, format="PNG")
        return buf.getvalue()

    def save(self, folder) -> list:
        """Each cell as a PNG with its recipe (named row-col-seed), then the sheet as grid.png (last)."""
        from pathlib import Path

        from genlab.core.recipe import save_png

        folder = Path(folder)
        cols = len(self.x[1])
        out = []
        for k, (img, rec) in enumerate(zip(self.images, self.recipes)):
            r, c = divmod(k, cols)
            out.append(save_png(img, rec, folder / f"r{r + 1}-c{c + 1}-seed{rec.seed}.png"))
        # The sheet carries the first cell's recipe plus the axes (as the Studio's grids do).
        import copy

        sheet_recipe = copy.deepcopy(self.recipes[0])
        sheet_recipe.extra = {**(sheet_recipe.extra or {}), "xy_grid": {
            "x": self.x[0], "x_values": list(self.x[1]),
            "y": self.y[0] if self.y else None, "y_values": list(self.y[1]) if self.y else []}}
        out.append(save_png(self.sheet, sheet_recipe, folder / "grid.png"))
        return out


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    text = say("lesson.none") if value is None else str(value)
    return text if len(text) <= 28 else text[:27] + "…"


def _settings_for(prompt: str, base: dict, changes: dict) -> tuple[str, dict]:
    settings = dict(base)
    style = settings.pop("style", None)
    for axis, value in changes.items():
        if axis == "prompt":
            prompt = value
        elif axis == "style":
            style = value
        else:
            settings[axis] = value
    if style:
        prompt, settings["negative_prompt"] = apply_preset(prompt, style, settings.get("negative_prompt"))
    return prompt, settings


def xy_grid(prompt: str, *, x: tuple[str, list], y: tuple[str, list] | None = None, seed: int = 0, profile=None,
            **settings) -> Grid:
    """Every combination of the X values (columns) and Y values (rows), all else equal.

    Axes: seed, guidance, steps, sampler, prompt, negative_prompt, style (a preset name).
    Other keyword arguments are passed to genlab.generate for every cell (same seed unless an
    axis is the seed). Returns a Grid: the labelled sheet, the pictures and their recipes.
    """
    from genlab.core.generation import generate
    from genlab.core.imaging import labelled_grid

    for axis in (x, y):
        if axis is None:
            continue
        if not (isinstance(axis, tuple) and len(axis) == 2 and axis[0] in AXES and list(axis[1])):
            raise ValueError(say("prompting.bad_axis", axes=", ".join(AXES), axis=repr(axis)))
    x_name, x_values = x[0], list(x[1])
    y_name, y_values = (y[0], list(y[1])) if y else (None, [None])
    base = {"seed": seed, **settings}
    rows, images, recipes, cells = [], [], [], []
    for yv in y_values:
        row = []
        for xv in x_values:
            changes = {x_name: xv, **({y_name: yv} if y_name else {})}
            p, s = _settings_for(prompt, base, changes)
            made = generate(p, profile=profile, **s)
            row.append(made.image)
            images.append(made.image)
            recipes.append(made.recipe)
            cells.append(changes)
        rows.append(row)
    sheet = labelled_grid(rows, x_name, [_label(v) for v in x_values], y_name, [_label(v) for v in y_values] if y_name else [])
    return Grid(sheet=sheet, images=images, recipes=recipes, x=(x_name, x_values),
                y=(y_name, y_values) if y_name else None, cells=cells)


# ---- campaign variants -------------------------------------------------------------------------
def variants(prompt: str, word: str, replacements) -> list[str]:
    """The prompt once per replacement of `word` (whole word only): the base of a campaign."""
    if not re.search(rf"\b{re.escape(word)}\b", prompt):
        raise ValueError(say("prompting.not_a_word", word=repr(word), prompt=repr(prompt)))
    return [re.sub(rf"\b{re.escape(word)}\b", r, prompt, count=1) for r in replacements]


def campaign(prompts: list[str], *, seed: int, profile=None, style: str | None = None, **settings):
    """One picture per prompt, all with the same seed and settings (a consistent series).

    Returns a genlab Generation holding every picture and recipe, in the order of `prompts`.
    """
    from genlab.core.generation import Generation, generate

    images, recipes = [], []
    for p in prompts:
        text, negative = apply_preset(p, style, settings.get("negative_prompt")) if style else (p, settings.get("negative_prompt"))
        made = generate(text, seed=seed, profile=profile, **{**settings, "negative_prompt": negative})
        images.append(made.image)
        recipes.append(made.recipe)
    return Generation(images=images, recipes=recipes)
