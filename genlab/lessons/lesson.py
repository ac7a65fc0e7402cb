"""Small helpers that lessons (notebooks/NN_*.ipynb) share.

Lessons stay short and readable for designers: they call `genlab.generate(...)` and these helpers,
and all the logic lives here, where it is tested.

    from genlab.lessons import lesson
    out = lesson.output_dir("01")                  # outputs/01/ at the repo root (gitignored)
    lesson.show(result, by="seed")                 # pictures with a label under each one
    lesson.compare(first, again)                   # side by side + a difference map, "identical?"
    print(lesson.describe(recipe))                 # a recipe as a short, readable card

`show` and `compare` draw with matplotlib's object API (no pyplot state). In a notebook they
display the figure as a PNG; elsewhere (scripts, tests) `show` returns the matplotlib Figure.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from PIL import Image

from genlab import settings
from genlab.core.imaging import figure_png  # lesson.figure_png: notebooks call it
from genlab.core import imaging
from genlab.core.imaging import grid_shape
from genlab.core.i18n import say
from genlab.core.recipe import Recipe, read_recipe

OUTPUTS_ENV = "GENLAB_OUTPUTS"  # overrides where lessons save (tests point it at a temp folder)

# The recipe fields a label can show (by="seed", ...); how each reads under a picture is the
# text lesson.field_<name> in assets/i18n/<lang>.toml, in the reader's language.
_FIELD_NAMES = ("seed", "steps", "guidance", "negative_prompt", "prompt", "sampler", "strength", "profile", "size")


def _field_name(field: str) -> str:
    return say(f"lesson.field_{field}") if field in _FIELD_NAMES else field.replace("_", " ")


# ---- where lessons save ------------------------------------------------------------------------
def outputs_root() -> Path:
    """The folder lessons save into: $GENLAB_OUTPUTS, else `outputs/` at the repo root."""
    return settings.outputs_root()


def output_dir(lesson: str) -> Path:
    """`outputs/<lesson>/`, created if needed. Works from any working folder."""
    folder = outputs_root() / str(lesson)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def nice_path(path: str | Path) -> str:
    """A path as a learner wants to read it: relative to the repo (or the current folder) when inside it."""
    p = Path(path).resolve()
    for base in (settings.REPO_ROOT, Path.cwd()):
        try:
            return p.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(p)


# ---- collecting pictures -----------------------------------------------------------------------
def _is_generation(x) -> bool:
    return hasattr(x, "images") and hasattr(x, "recipes")


def pictures(items) -> list[tuple[Image.Image, Recipe | None]]:
    """Flatten what a lesson has into (picture, recipe) pairs.

    Accepts a Generation (all its pictures), a PIL image, a path to a PNG (its recipe is read when
    it has one), or a list/tuple mixing these.
    """
    if _is_generation(items) or isinstance(items, (Image.Image, str, Path)):
        items = [items]
    out: list[tuple[Image.Image, Recipe | None]] = []
    for item in items:
        if _is_generation(item):
            out.extend(zip(item.images, item.recipes))
        elif isinstance(item, Image.Image):
            out.append((item, None))
        elif isinstance(item, (str, Path)):
            img = Image.open(item)
            try:
                recipe = read_recipe(img)
            except ValueError:
                recipe = None
            img.load()
            out.append((img, recipe))
        else:
            raise TypeError(say("lesson.cannot_show", kind=type(item).__name__))
    if not out:
        raise ValueError(say("lesson.no_pictures"))
    return out


def _format_value(value) -> str:
    if value is None:
        return say("lesson.none")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def label_for(recipe: Recipe | None, by: str | Sequence[str]) -> str:
    """The label under a picture, made from its recipe: e.g. by=("seed", "steps") -> "seed 42 · steps 20"."""
    if recipe is None:
        return ""
    fields = [by] if isinstance(by, str) else list(by)
    parts = []
    for field in fields:
        if field == "size":
            value = f"{recipe.width}x{recipe.height}"
        elif hasattr(recipe, field):
            value = getattr(recipe, field)
        else:
            known = ", ".join(_FIELD_NAMES)
            raise ValueError(say("lesson.no_such_setting", field=field, known=known))
        name = _field_name(field)
        text = _format_value(value)
        if field == "prompt":
            parts.append(text)
        elif field == "negative_prompt":
            parts.append(f"{name}: {text}")
        else:
            parts.append(f"{name} {text}")
    return " · ".join(parts)


# ---- drawing -----------------------------------------------------------------------------------
def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _display_figure(fig) -> None:
    from IPython.display import Image as IPyImage
    from IPython.display import display

    display(IPyImage(data=figure_png(fig)))




NBSP = "\u00a0"


def _wrap(text: str, width: int) -> str:
    """Wrap to lines of `width` characters, breaking between " · " parts before breaking inside one."""
    if not text:
        return ""
    parts = [p.replace(" ", NBSP) if len(p) <= width else p for p in text.split(" · ")]
    return "\n".join(textwrap.wrap(" · ".join(parts), width=width))


SHARED_FIELDS = ("seed", "steps", "guidance", "negative_prompt", "size")


def shared_settings(recipes: Sequence[Recipe | None], skip: Iterable[str] = ()) -> str:
    """The settings all these pictures have in common, e.g. "steps 20 · guidance 7"."""
    if not recipes or any(r is None for r in recipes):
        return ""
    skip = set(skip)
    same = [f for f in SHARED_FIELDS if f not in skip and len({label_for(r, f) for r in recipes}) == 1]
    if "negative_prompt" in same and recipes[0].negative_prompt is None:
        same.remove("negative_prompt")  # "negative: (none)" on every picture says nothing
    return label_for(recipes[0], same) if same else ""


def figure(
    items,
    labels: Sequence[str] | None = None,
    *,
    by: str | Sequence[str] | None = None,
    title: str | None = None,
    cols: int | None = None,
    size: float | None = None,
    settings: bool = True,
):
    """A matplotlib Figure: the pictures in a grid, each with its label underneath.

    `labels`: one text per picture; or `by`: recipe settings to write under each picture
    ("seed", "steps", "guidance", "negative_prompt", "prompt", "sampler", ...). With neither,
    pictures that have a recipe are labelled by seed. The title defaults to the prompt when all
    pictures share one; with `settings`, a line at the bottom lists the settings they all share.
    """
    from matplotlib.figure import Figure

    pics = pictures(items)
    recipes = [r for _, r in pics]
    fields = [by] if isinstance(by, str) else list(by or ["seed"])
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != len(pics):
            raise ValueError(say("lesson.labels_count", pictures=len(pics), labels=len(labels)))
    else:
        labels = [label_for(r, fields) for r in recipes]
    one_prompt = all(recipes) and len({r.prompt for r in recipes}) == 1 and "prompt" not in fields
    footer = shared_settings(recipes, skip=fields if labels is None or by else ()) if settings else ""
    if one_prompt and title is None:
        title = recipes[0].prompt
    elif one_prompt and settings and title != recipes[0].prompt:  # a title of your own: the shared prompt goes in the footer
        footer = " · ".join(x for x in (f'"{recipes[0].prompt}"', footer) if x)
    size = size or (3.2 if len(pics) == 1 else 2.4)
    cols, rows = grid_shape(len(pics), cols)
    wrap_at = max(14, int(size * 11))
    wrapped = [_wrap(t, wrap_at) for t in labels]
    label_lines = max((w.count("\n") + 1 if w else 0) for w in wrapped)
    fig = Figure(figsize=(cols * size, rows * (size + 0.2 * label_lines + 0.1)), layout="constrained")
    for k, ((img, _), text) in enumerate(zip(pics, wrapped)):
        ax = fig.add_subplot(rows, cols, k + 1)
        small = max(img.size) < 256
        ax.imshow(img.convert("RGB"), interpolation="nearest" if small else "antialiased")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#bbbbbb")
        ax.set_xlabel(text, fontsize=10, labelpad=4)
    if title:
        fig.suptitle(_wrap(title, max(wrap_at, int(cols * size * 10))), fontsize=12)
    if footer:
        fig.supxlabel(_wrap(footer, max(wrap_at, int(cols * size * 13))), fontsize=9, color="#555555")
    return fig


def show(
    items,
    labels: Sequence[str] | None = None,
    *,
    by: str | Sequence[str] | None = None,
    title: str | None = None,
    cols: int | None = None,
    size: float | None = None,
    settings: bool = True,
):
    """Show pictures with a label under each one (see `figure`).

    In a notebook the figure is displayed and nothing is returned; elsewhere the Figure is returned.
    """
    fig = figure(items, labels, by=by, title=title, cols=cols, size=size, settings=settings)
    if _in_notebook():
        _display_figure(fig)
        return None
    return fig


# ---- comparing two pictures ---------------------------------------------------------------------
def _one_picture(x) -> Image.Image:
    pics = pictures(x)
    if len(pics) != 1:
        raise ValueError(say("lesson.one_picture_each_side", count=len(pics)))
    return pics[0][0]


def _one_recipe(x) -> Recipe | None:
    pics = pictures(x)
    return pics[0][1] if len(pics) == 1 else None


@dataclass
class Comparison:
    """How two pictures differ, pixel by pixel."""

    pixels: int
    changed: int  # pixels whose colour differs at all
    largest_change: int  # 0-255, the biggest difference in any colour channel
    same_size: bool = True

    @property
    def identical(self) -> bool:
        return self.same_size and self.changed == 0

    @property
    def changed_fraction(self) -> float:
        return self.changed / self.pixels if self.pixels else 1.0

    def __str__(self) -> str:
        if not self.same_size:
            return say("lesson.different_size")
        if self.identical:
            return say("lesson.identical", pixels=f"{self.pixels:,}")
        values = dict(changed=f"{self.changed:,}", share=f"{self.changed_fraction:.0%}", pixels=f"{self.pixels:,}",
                      largest=self.largest_change)
        few = self.changed_fraction < 0.01
        if self.largest_change <= 3:
            return say("lesson.different_few_tiny" if few else "lesson.different_share_tiny", **values)
        return say("lesson.different_few" if few else "lesson.different_share", **values)

    @property
    def headline(self) -> str:
        """A short title for the figure."""
        if not self.same_size:
            return say("lesson.headline_sizes")
        if self.identical:
            return say("lesson.headline_identical")
        if self.largest_change <= 3:
            return say("lesson.headline_looks_identical", changed=f"{self.changed:,}")
        if self.changed_fraction < 0.01:
            return say("lesson.headline_few", changed=f"{self.changed:,}")
        return say("lesson.headline_share", share=f"{self.changed_fraction:.0%}")

    def __repr__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:  # `if compare(a, b):` reads as "if they are identical"
        return self.identical


def difference(a, b) -> Comparison:
    """Compare two pictures without drawing anything."""
    import numpy as np

    a, b = _one_picture(a).convert("RGB"), _one_picture(b).convert("RGB")
    if a.size != b.size:
        return Comparison(pixels=a.width * a.height, changed=a.width * a.height, largest_change=255, same_size=False)
    diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))
    per_pixel = diff.max(axis=2)
    return Comparison(pixels=per_pixel.size, changed=int((per_pixel > 0).sum()), largest_change=int(per_pixel.max()))


def difference_image(a, b) -> Image.Image:
    """Black where the pictures match; the brighter, the bigger the change (boosted 4x to be visible)."""
    import numpy as np

    a, b = _one_picture(a).convert("RGB"), _one_picture(b).convert("RGB")
    if a.size != b.size:
        b = b.resize(a.size)
    diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).max(axis=2)
    return Image.fromarray(np.clip(diff * 4, 0, 255).astype("uint8"), mode="L").convert("RGB")


def compare(a, b, labels: Sequence[str] = ("A", "B"), *, title: str | None = None, draw: bool = True) -> Comparison:
    """Show two pictures side by side with a difference map, and say whether they are identical.

    Returns a Comparison (`.identical`, `.changed_fraction`); a notebook prints it as a sentence.
    """
    result = difference(a, b)
    if len(labels) != 2:
        raise ValueError(say("lesson.two_labels"))
    if draw:
        pics = [_one_picture(a), _one_picture(b), difference_image(a, b)]
        texts = [*labels, say("lesson.difference_label")]
        fig = figure(pics, texts, title=title or result.headline, cols=3, settings=False)
        shared = shared_settings([_one_recipe(a), _one_recipe(b)])
        if shared:
            fig.supxlabel(_wrap(say("lesson.both", settings=shared), 90), fontsize=9, color="#555555")
        if _in_notebook():
            _display_figure(fig)
    return result


def same_pixels(a, b) -> bool:
    """True when two pictures (PIL images, Generations of one picture, or PNG paths) are identical, pixel for pixel."""
    return imaging.same_pixels(_one_picture(a), _one_picture(b))


# ---- recipes as text -----------------------------------------------------------------------------
def describe(recipe: Recipe | str | Path) -> str:
    """A recipe as a short card a designer can read (from a Recipe or a PNG that carries one)."""
    if not isinstance(recipe, Recipe):
        recipe = read_recipe(recipe)
    rows = [
        (say("lesson.card_prompt"), recipe.prompt),
        (say("lesson.card_negative"), recipe.negative_prompt or say("lesson.none")),
        (say("lesson.card_seed"), recipe.seed),
        (say("lesson.card_steps"), recipe.steps),
        (say("lesson.card_guidance"), _format_value(recipe.guidance)),
        (say("lesson.card_size"), f"{recipe.width} x {recipe.height} px"),
        (say("lesson.card_sampler"), recipe.sampler or recipe.scheduler or say("lesson.unknown")),
        (say("lesson.card_model"), f"{recipe.profile or '?'} ({recipe.model or say('lesson.unknown_model')})"),
    ]
    if recipe.strength is not None:
        rows.insert(5, (say("lesson.card_strength"), _format_value(recipe.strength)))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def list_saved(saved: Iterable[str | Path]) -> str:
    """The saved files, one a line, as paths a learner can find."""
    return "\n".join(nice_path(p) for p in saved)
