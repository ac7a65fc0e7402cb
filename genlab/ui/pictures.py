"""Making and keeping the Studio's pictures: every request goes through room mode's Batcher
(one at a time normally, merged with other people's in room mode) to `genlab.core.render`, and
every picture is saved as a PNG with its recipe inside, in a folder per picture, so the file the
designer downloads has a short readable name (`<seed>-<prompt words>.png`).

`make_grid` makes the X/Y grid: every combination of two settings as its own PNG, and a labelled
contact sheet of them all whose recipe says which settings vary. The explorer and the video app
save their files in the same `output_dir()`.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image

from genlab.core.checks import Settings, axis_value_label, options, size_label
from genlab.core.i18n import t
from genlab.core.imaging import labelled_grid, slug
from genlab.core.recipe import Recipe, read_recipe, save_png
from genlab.core.render import BatchKey, PictureItem, draw_seed, render, seeds_for
from genlab.ui import room


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
    first = s.seed if s.seed is not None else draw_seed()
    prompt, negative = s.styled
    key = BatchKey(s.profile, task, s.steps, s.guidance, s.width, s.height, s.sampler, strength if task != "txt2img" else None)
    items = [
        PictureItem(prompt, negative, seed, image=image, mask=mask, batch_size=s.n, batch_index=i, extra=s.extra())
        for i, seed in enumerate(seeds_for(first, s.n))
    ]
    results = room.batcher("studio", render).submit(room.Job(key, items, tracker), on_progress)
    return [save_picture(img, rec, s, strength) for img, rec in results]


def make_grid(s: Settings, x_axis: str, x_values: list, y_axis: str | None, y_values: list, *, on_progress=None, tracker=None, lang="en"):
    """Every combination of the X and Y values (other settings from `s`). Returns (grid Picture, cell Pictures)."""
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
    b = room.batcher("studio", render)
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


def warm_up(profile: str | None = None) -> None:
    """Load the model before the first click, so a live demo does not stall on it."""
    from genlab.core.pipelines import load_pipeline

    opts = options(profile)
    load_pipeline("txt2img", opts.profile)
