"""The dashboard's pictures, drawn with matplotlib's object API (no pyplot: safe in a web server's
threads): the completion heatmap, completion by team and by level, the score distribution, the
one-page snapshot (PNG) and the PDF.

Labels are made to fit, never cut by the edge of the picture or drawn over each other: long
workshop titles and level names are wrapped to the width they have (measured with matplotlib's
renderer, not guessed from a character count), shortened with "…" only past a few lines, and
every figure is sized from the measured extent of its labels (:func:`axes_margins`). The HTML page
shows the full names on hover (:mod:`genlab.course.progress.html`).

Titles, axes, legends and notes are in the dashboard's language (``dash.lang``: the ``[report]``
table of assets/i18n); labels are measured after translation, so Spanish words fit as well.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from genlab.core.imaging import figure_png
from genlab.course.progress.dashboard import Dashboard, cell_text, kpi_items, missing_text
from genlab.course.progress.formats import fmt_day, month_abbr, text
from genlab.course.progress.states import (
    BELOW,
    COLOURS,
    INK,
    MUTED,
    NOT_STARTED,
    PASSED,
    RESULTS,
    TEXT_COLOURS,
    state_name,
)

DPI = 100  # the figures' own resolution: layout is measured at it; PNGs are saved at any dpi
PNG_DPI = 110
BEHIND = "#b91c1c"
SEPARATOR = "#94a3b8"
HEADER_FILL = "#f1f5f9"


# ------------------------------------------------------------------------------------------------
# Text that fits


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    return fig


def text_width(renderer, text: str, fontsize: float, weight: str = "normal") -> float:
    """Width of one line of ``text`` in pixels of ``renderer``."""
    from matplotlib.font_manager import FontProperties

    return renderer.get_text_width_height_descent(text, FontProperties(size=fontsize, weight=weight), ismath=False)[0]


def fit_text(text: str, width_px: float, renderer, fontsize: float, *, weight: str = "normal", max_lines: int = 3) -> str:
    """``text`` wrapped into lines no wider than ``width_px``: between words, inside a word too long
    for a line (with a hyphen); past ``max_lines`` the last line ends in "…"."""

    def w(s: str) -> float:
        return text_width(renderer, s, fontsize, weight)

    lines: list[str] = []
    line = ""
    for word in re.findall(r"\S+?-(?=\S)|\S+", text.replace("_", " ")):  # "reference-driven": two pieces
        joiner = "" if line.endswith("-") else " "
        candidate = f"{line}{joiner}{word}".strip()
        if w(candidate) <= width_px:
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and w(word) > width_px:
            k = len(word) - 1
            while k > 1 and w(word[:k] + "-") > width_px:
                k -= 1
            lines.append(word[:k] + "-")
            word = word[k:]
        line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and w(last + "…") > width_px:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip(" ,:;·-") + "…"]
    return "\n".join(lines) or text


def _renderer(fig):
    return fig.canvas.get_renderer()


@dataclass
class Margins:
    """Room (inches) the labels of an axes take beyond it on each side."""

    left: float
    right: float
    top: float
    bottom: float


def axes_margins(draw, width: float, height: float) -> Margins:
    """Draw ``draw(ax)`` into a ``width`` × ``height`` inch axes on a scratch canvas big enough for
    anything, and measure how far its labels, titles and notes reach beyond the axes."""
    big = 4 * (width + height) + 20
    fig = _figure(big, big)
    ax = fig.add_axes(((big - width) / 2 / big, (big - height) / 2 / big, width / big, height / big))
    draw(ax)
    renderer = _renderer(fig)
    fig.canvas.draw()
    tight = ax.get_tightbbox(renderer)
    box = ax.get_window_extent(renderer)
    return Margins(
        max(0.0, (box.x0 - tight.x0) / DPI),
        max(0.0, (tight.x1 - box.x1) / DPI),
        max(0.0, (tight.y1 - box.y1) / DPI),
        max(0.0, (box.y0 - tight.y0) / DPI),
    )


def _style(ax):
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#cbd5e1")
    ax.tick_params(colors=MUTED, labelsize=9, length=0)


# ------------------------------------------------------------------------------------------------
# The heatmap


COLUMN_WIDTH = 1.15  # inches per assignment column


def row_height(nrows: int) -> float:
    return 0.34 if nrows <= 20 else 0.24 if nrows <= 40 else 0.17


def heatmap_fontsize(nrows: int) -> float:
    return 8.5 if nrows <= 20 else 7 if nrows <= 40 else 5.5


@dataclass
class Geometry:
    """Where the heatmap's grid is in its image, as fractions of width/height from the top-left;
    row i / column j occupy [x0 + j·w, x0 + (j+1)·w] × [y0 + i·h, y0 + (i+1)·h]. ``labels``: the
    column titles and level names as ``(x0, y0, x1, y1, full text)``, fractions from the top-left
    (the HTML page puts the full text on hover there)."""

    x0: float
    y0: float
    x1: float
    y1: float
    learner_ids: list[str]
    assignments: list[str]
    labels: list[tuple[float, float, float, float, str]] = field(default_factory=list)

    def cell_box(self, learner_id: str, assignment: str) -> tuple[float, float, float, float]:
        i, j = self.learner_ids.index(learner_id), self.assignments.index(assignment)
        w = (self.x1 - self.x0) / len(self.assignments)
        h = (self.y1 - self.y0) / len(self.learner_ids)
        return (self.x0 + j * w, self.y0 + i * h, self.x0 + (j + 1) * w, self.y0 + (i + 1) * h)

    def as_attr(self) -> str:
        return f"{self.x0:.5f} {self.y0:.5f} {self.x1:.5f} {self.y1:.5f}"


def column_label(c: dict, width_px: float, renderer, fontsize: float, lang: str = "en") -> str:
    """A column's title wrapped to its width, then its due date and pass mark (or "not released")."""
    head = fit_text(c["title"], width_px, renderer, fontsize, max_lines=5)
    due = text("column_due", lang, day=f"{c['due'].day} {month_abbr(c['due'].month, lang)}") if c["due"] else text("column_no_due", lang)
    sub = text("column_pass", lang, percent=f"{c['pass_mark']:.0f}") if c["released"] else text("not_released", lang)
    return "\n".join([head, fit_text(due, width_px, renderer, fontsize, max_lines=2), fit_text(sub, width_px, renderer, fontsize, max_lines=2)])


def draw_heatmap(ax, dash: Dashboard, *, compact: bool = False, fontsize: float | None = None) -> list:
    """Learner × assignment grid in ``ax``: one coloured cell per state, the score in graded cells,
    column titles and level names above (wrapped to their columns), teams at the left, "k/n
    passed" at the right. Returns :func:`level_headers`' ``[(text, full level name)]``."""
    from matplotlib.patches import Rectangle

    grid = dash.grid()
    cols = dash.columns
    nrows, ncols = len(grid), len(cols)
    fs = fontsize or heatmap_fontsize(nrows)
    renderer = _renderer(ax.figure)
    column_px = ax.get_position().width * ax.figure.get_figwidth() * DPI / max(ncols, 1)
    ax.set_xlim(0, max(ncols, 1))
    ax.set_ylim(max(nrows, 1), 0)
    ax.set_aspect("auto")
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(length=0, labelsize=fs + 0.5, colors=INK)
    gap = 0.05
    for i, (lr, rows) in enumerate(grid):
        for j, (c, r) in enumerate(zip(cols, rows)):
            ax.add_patch(Rectangle((j + gap, i + gap), 1 - 2 * gap, 1 - 2 * gap, facecolor=COLOURS[r["result"]], edgecolor="none"))
            if not c["released"]:
                ax.add_patch(Rectangle((j + gap, i + gap), 1 - 2 * gap, 1 - 2 * gap, fill=False, hatch="///", edgecolor="#cbd5e1", linewidth=0))
            if not compact or r["result"] in (PASSED, BELOW):
                ax.text(j + 0.5, i + 0.52, cell_text(r, dash.lang), ha="center", va="center", fontsize=fs, color=TEXT_COLOURS[r["result"]],
                        fontweight="bold" if r["result"] in (PASSED, BELOW) else "normal")
    ax.set_yticks([i + 0.5 for i in range(nrows)])
    ax.set_yticklabels([lr["name"] for lr, _ in grid])
    ax.set_xticks([j + 0.5 for j in range(ncols)])
    ax.set_xticklabels([column_label(c, 0.9 * column_px, renderer, fs, dash.lang) for c in cols], fontsize=fs, color=INK)
    ax.xaxis.tick_top()
    for j in range(1, ncols):  # lines between levels
        if cols[j]["level"] != cols[j - 1]["level"]:
            ax.axvline(j, color=SEPARATOR, linewidth=1.2)
    if dash.has_teams():  # lines between teams
        for i in range(1, nrows):
            if (grid[i][0].get("team") or "") != (grid[i - 1][0].get("team") or ""):
                ax.axhline(i, color=SEPARATOR, linewidth=1.2)
    released = [j for j, c in enumerate(cols) if c["released"]]
    for i, (lr, rows) in enumerate(grid):
        k = sum(rows[j]["result"] == PASSED for j in released)
        team = lr.get("team") or ""
        ax.text(ncols + 0.08, i + 0.52, dash.text("row_passed", k=k, n=len(released)) + (f"   {team}" if team else ""),
                ha="left", va="center", fontsize=fs, color=MUTED)
    labels_pt = max((t.get_window_extent(renderer).height for t in ax.get_xticklabels()), default=0) * 72 / DPI
    return level_headers(ax, dash, above_pt=labels_pt + ax.xaxis.get_major_ticks()[0].get_pad() + 5 if cols else 0,
                         column_px=column_px)


def level_headers(ax, dash: Dashboard, *, above_pt: float, column_px: float, fontsize: float = 8.5) -> list:
    """Level names in a band ``above_pt`` points above the grid, each wrapped to the columns it
    spans (bottoms aligned); returns ``[(text artist, full name)]``. Nothing when there is only
    one level."""
    cols = dash.columns
    if not cols or len({c["level"] for c in cols}) < 2:
        return []
    renderer = _renderer(ax.figure)
    n = len(cols)
    texts = []
    start = 0
    for j in range(1, n + 1):
        if j == n or cols[j]["level"] != cols[start]["level"]:
            width = (j - start) * column_px - 12
            name = dash.name(cols[start]["level_name"])
            t = ax.annotate(fit_text(name, width, renderer, fontsize, weight="bold", max_lines=5),
                            xy=((start + j) / 2 / n, 1), xycoords="axes fraction", xytext=(0, above_pt),
                            textcoords="offset points", ha="center", va="bottom", fontsize=fontsize, fontweight="bold",
                            color=INK, annotation_clip=False, linespacing=1.1,
                            bbox={"boxstyle": "round,pad=0.3", "facecolor": HEADER_FILL, "edgecolor": "none"})
            texts.append((t, name))
            start = j
    return texts


def legend_handles(lang: str = "en"):
    from matplotlib.patches import Patch

    return [Patch(facecolor=COLOURS[s], edgecolor="none", label=state_name(s, lang)) for s in reversed(RESULTS)]


def _heat_axes_size(dash: Dashboard, row_h: float) -> tuple[float, float]:
    return COLUMN_WIDTH * max(len(dash.columns), 1), row_h * max(len(dash.learners), 1)


def heatmap_figure(dash: Dashboard, *, heading: str | None = None):
    """The completion heatmap as its own figure, sized to hold every label (and ``heading`` above
    it, for a PDF page); returns ``(figure, Geometry)``."""
    pad, legend_h = 0.2, 0.45
    head_h = 0.5 if heading else 0.0
    grid_w, grid_h = _heat_axes_size(dash, row_height(len(dash.learners)))
    m = axes_margins(lambda ax: draw_heatmap(ax, dash), grid_w, grid_h)
    width = max(7.5, pad + m.left + grid_w + m.right + pad)
    height = pad + head_h + m.top + grid_h + m.bottom + legend_h + pad
    fig = _figure(width, height)
    if heading:
        fig.text(0.02, 1 - (pad + 0.3) / height, heading, ha="left", va="baseline", fontsize=13, fontweight="bold", color=INK)
    ax = fig.add_axes(((pad + m.left) / width, (pad + legend_h + m.bottom) / height, grid_w / width, grid_h / height))
    headers = draw_heatmap(ax, dash)
    fig.legend(handles=legend_handles(dash.lang), loc="lower center", ncol=5, frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, pad / height), handlelength=1.2, columnspacing=1.6, borderaxespad=0)
    pos = ax.get_position()
    geo = Geometry(float(pos.x0), float(1 - pos.y1), float(pos.x1), float(1 - pos.y0),
                   [lr["id"] for lr in dash.learner_order()], [c["assignment"] for c in dash.columns])
    fig.canvas.draw()
    renderer = _renderer(fig)
    W, H = fig.bbox.width, fig.bbox.height
    for label, full in [*zip(ax.get_xticklabels(), [c["title"] for c in dash.columns]), *headers]:
        b = label.get_window_extent(renderer)
        geo.labels.append((b.x0 / W, 1 - b.y1 / H, b.x1 / W, 1 - b.y0 / H, full))
    return fig, geo


# ------------------------------------------------------------------------------------------------
# Completion bars and scores

BAR_LABEL_WIDTH = 2.3  # inches: longer team and level names wrap


def draw_completion_bars(ax, groups: list[dict], title: str, *, fontsize: float = 9, lang: str = "en") -> None:
    """One 100 % stacked bar per group: the share of its learner × assignment cells in each state.
    Group names wrap to two lines of :data:`BAR_LABEL_WIDTH` (then "…")."""
    ax.set_title(title, loc="left", fontsize=fontsize + 2, fontweight="bold", color=INK, pad=8)
    _style(ax)
    if not groups:
        ax.text(0.5, 0.5, text("nothing_yet", lang), transform=ax.transAxes, ha="center", va="center", color=MUTED)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    renderer = _renderer(ax.figure)
    bar_px = ax.get_position().width * ax.figure.get_figwidth() * DPI  # 100 % of a bar
    ys = list(range(len(groups)))
    for y, g in zip(ys, groups):
        left = 0.0
        n = g["cells"] or 1
        if not g["cells"]:
            ax.barh(y, 100, color="white", hatch="///", edgecolor="#cbd5e1", linewidth=0, height=0.62)
        for s in reversed(RESULTS):
            share = 100.0 * g[s] / n
            if share:
                ax.barh(y, share, left=left, color=COLOURS[s], height=0.62, edgecolor="white", linewidth=0.8)
                label = f"{share:.0f}%"
                if s != NOT_STARTED and text_width(renderer, label, fontsize - 1, "bold") + 4 <= share / 100 * bar_px:
                    ax.text(left + share / 2, y, label, ha="center", va="center", fontsize=fontsize - 1,
                            color=TEXT_COLOURS[s], fontweight="bold")
            left += share
        ax.text(101.5, y, bar_note(g, lang), ha="left", va="center", fontsize=fontsize - 0.5, color=MUTED)
    ax.set_yticks(ys)
    labels = [f"{g['label']} ({g['learners']})" if "complete" not in g else g["label"] for g in groups]
    ax.set_yticklabels([fit_text(s, BAR_LABEL_WIDTH * DPI, renderer, fontsize, max_lines=2) for s in labels],
                       fontsize=fontsize, color=INK, linespacing=1.05)
    ax.set_ylim(len(groups) - 0.45, -0.55)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xticklabels(["0", "25", "50", "75", "100%"], fontsize=fontsize - 1)
    ax.xaxis.grid(True, color="#f1f5f9", linewidth=0.8)
    ax.set_axisbelow(True)


def bar_note(g: dict, lang: str = "en") -> str:
    """"38% passed · 15/40 completed" beside a group's bar."""
    note = text("bar_passed", lang, percent=f"{g['passed_percent']:.0f}") if g["passed_percent"] is not None else text("not_released", lang)
    if "complete" in g and g["cells"]:
        note += " · " + text("bar_completed", lang, k=g["complete"], n=g["learners"])
    return note


def draw_score_histogram(ax, dash: Dashboard, *, fontsize: float = 9) -> None:
    """How graded submissions scored: bars of 10 %, passed green and under the pass mark red."""
    ax.set_title(dash.text("scores"), loc="left", fontsize=fontsize + 2, fontweight="bold", color=INK, pad=8)
    _style(ax)
    scores = dash.scores()
    edges = list(range(0, 101, 10))
    passed = [0] * 10
    below = [0] * 10
    for r in scores:
        k = min(int(max(r["percent"], 0.0) // 10), 9)
        (passed if r["result"] == PASSED else below)[k] += 1
    centers = [e + 5 for e in edges[:-1]]
    ax.bar(centers, below, width=9, color=COLOURS[BELOW], label=state_name(BELOW, dash.lang))
    ax.bar(centers, passed, width=9, bottom=below, color=COLOURS[PASSED], label=state_name(PASSED, dash.lang))
    mark = dash.programme.pass_mark
    top = max([p + b for p, b in zip(passed, below)] + [1])
    ax.axvline(mark, color=INK, linestyle=(0, (4, 3)), linewidth=1)
    ax.text(mark, top * 1.12, " " + dash.text("pass_mark_line", percent=f"{mark:.0f}"), fontsize=fontsize - 1, color=INK, va="bottom",
            ha="left" if mark <= 75 else "right")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, top * 1.3)
    ax.set_xticks(edges)
    ax.set_xticklabels([f"{e}" for e in edges[:-1]] + ["100%"], fontsize=fontsize - 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="y", labelsize=fontsize - 1)
    ax.yaxis.grid(True, color="#f1f5f9", linewidth=0.8)
    ax.set_axisbelow(True)
    if scores:
        values = sorted(r["percent"] for r in scores)
        median = values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        ax.set_xlabel(dash.text("graded_median", n=len(scores), percent=f"{median:.0f}"), fontsize=fontsize - 0.5, color=MUTED)
    else:
        ax.set_xlabel(dash.text("nothing_graded"), fontsize=fontsize - 0.5, color=MUTED)


def _fitted(draw, width: float, height: float, pad: float = 0.15):
    """A figure holding one ``width`` × ``height`` inch axes drawn by ``draw``, with room for all
    its labels."""
    m = axes_margins(draw, width, height)
    W, H = pad + m.left + width + m.right + pad, pad + m.top + height + m.bottom + pad
    fig = _figure(W, H)
    draw(fig.add_axes(((pad + m.left) / W, (pad + m.bottom) / H, width / W, height / H)))
    return fig


def bar_rows_height(groups: list[dict]) -> float:
    return 0.42 * max(len(groups), 1)


def bars_figure(dash: Dashboard, key: str):
    """Completion by team (``key="team"``) or by level (``"level"``)."""
    groups = dash.completion_by(key)
    title = dash.text("by_team" if key == "team" else "by_level")
    return _fitted(lambda ax: draw_completion_bars(ax, groups, title, lang=dash.lang), 2.5, bar_rows_height(groups))


def histogram_figure(dash: Dashboard):
    return _fitted(lambda ax: draw_score_histogram(ax, dash), 5.25, 1.65)


# ------------------------------------------------------------------------------------------------
# The one-page snapshot and the PDF


def behind_lines(dash: Dashboard, limit: int = 8) -> list[str]:
    lines = []
    behind = dash.behind_schedule()
    for b in behind[:limit]:
        what = ", ".join(f"{m['title']} ({missing_text(m, dash.lang)})" for m in b["missing"][:3])
        more = " " + dash.text("more", n=len(b["missing"]) - 3) if len(b["missing"]) > 3 else ""
        team = f" [{b['team']}]" if b["team"] else ""
        lines.append(f"{b['learner']}{team}: {what}{more}")
    if len(behind) > limit:
        lines.append(dash.text("and_more", n=len(behind) - limit))
    return lines


def snapshot_figure(dash: Dashboard, *, title: str | None = None):
    """One page for the monthly e-mail: headline numbers, the heatmap and who is behind (left),
    completion by team and by level and the score distribution (right). Grows with the class and
    with its labels."""
    title = title or dash.text("title")
    nrows = len(dash.learners)
    teams = dash.completion_by("team") if dash.has_teams() else []
    levels = dash.completion_by("level")
    behind = behind_lines(dash)
    row_h = 0.3 if nrows <= 20 else 0.2 if nrows <= 40 else 0.14
    compact = nrows > 40
    grid_w, grid_h = _heat_axes_size(dash, row_h)
    has_grid = bool(dash.columns and dash.learners)
    draw_grid = lambda ax: draw_heatmap(ax, dash, compact=compact)  # noqa: E731
    hm = axes_margins(draw_grid, grid_w, grid_h) if has_grid else Margins(0, 0, 0, 0)
    pad = 0.5
    heat_x = pad + hm.left
    heat_top = 2.35 + hm.top
    left_w = max(hm.left + grid_w + hm.right, 5 * 2.6)
    legend_top = heat_top + grid_h + hm.bottom + 0.12
    behind_top = legend_top + 0.6
    left_h = behind_top + 0.35 + 0.24 * max(len(behind), 1)
    # Right column: blocks measured the same way.
    bar_w, hist_w, hist_h = 3.0, 5.6, 1.9
    blocks = []
    for groups, label in ((teams, dash.text("by_team")), (levels, dash.text("by_level"))):
        if groups:
            draw = (lambda g, lab: lambda ax: draw_completion_bars(ax, g, lab, lang=dash.lang))(groups, label)
            blocks.append((draw, bar_w, bar_rows_height(groups) * 0.9, axes_margins(draw, bar_w, bar_rows_height(groups) * 0.9)))
    draw_hist = lambda ax: draw_score_histogram(ax, dash)  # noqa: E731
    blocks.append((draw_hist, hist_w, hist_h, axes_margins(draw_hist, hist_w, hist_h)))
    right_x = pad + left_w + 0.7
    right_w = max(m.left + w + m.right for _, w, _, m in blocks)
    width = right_x + right_w + 0.3
    top = 2.0
    placed = []
    for draw, w, h, m in blocks:
        placed.append((draw, right_x + m.left, top + m.top, w, h))
        top += m.top + h + m.bottom + 0.45
    height = max(left_h, top) + 0.55
    fig = _figure(width, height)

    def axes(x_in, top_in, w_in, h_in):
        return fig.add_axes((x_in / width, 1 - (top_in + h_in) / height, w_in / width, h_in / height))

    def put(x_in, top_in, s, **kw):
        return fig.text(x_in / width, 1 - top_in / height, s, **{"va": "baseline", **kw})

    put(pad, 0.6, title, fontsize=22, fontweight="bold", color=INK)
    sub = dash.text("as_of", programme=dash.programme_name, day=fmt_day(dash.as_of, dash.lang))
    if dash.pseudonymised:
        sub += " · " + dash.text("pseudonymised")
    put(pad, 0.95, sub, fontsize=11, color=MUTED)
    kx = pad
    renderer = _renderer(fig)
    for value, label in kpi_items(dash):
        put(kx, 1.5, value, fontsize=19, fontweight="bold", color=INK)
        # Below the number, wrapped to its 2.6-inch slot: a second line grows down, never into the number.
        put(kx, 1.67, fit_text(label, 2.45 * DPI, renderer, 9, max_lines=2), fontsize=9, color=MUTED, va="top")
        kx += 2.6
    if not has_grid:
        what = "assignments" if not dash.columns else "learners"
        put(pad, 2.6, dash.text("none_yet", what=dash.text(f"none_{what}")), fontsize=14, color=MUTED)
    else:
        draw_grid(axes(heat_x, heat_top, grid_w, grid_h))
        fig.legend(handles=legend_handles(dash.lang), loc="upper left", ncol=5, frameon=False, fontsize=9,
                   bbox_to_anchor=(heat_x / width, 1 - legend_top / height), borderaxespad=0,
                   handlelength=1.2, columnspacing=1.4)
    put(pad, behind_top, dash.text("behind"), fontsize=12, fontweight="bold", color=INK)
    for i, line in enumerate(behind or [dash.text("nobody_behind_short")]):
        put(pad, behind_top + 0.35 + 0.24 * i, fit_text(line, left_w * DPI, renderer, 8.5, max_lines=1),
             fontsize=8.5, color=BEHIND if behind else MUTED)
    for draw, x, t, w, h in placed:
        draw(axes(x, t, w, h))
    put(pad, height - 0.2, dash.text("snapshot_footer", percent=f"{dash.programme.pass_mark:.0f}"), fontsize=8, color=MUTED)
    return fig


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def write_png(fig, path: str | os.PathLike, dpi: int = PNG_DPI) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_png(fig, dpi, tight=False))
    return path


def write_pdf(dash: Dashboard, path: str | os.PathLike, *, title: str | None = None) -> Path:
    """The snapshot as a PDF: page 1 the overview, then the full heatmap (a page per 30 learners),
    then who is behind the schedule."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    title = title or dash.text("title")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"Title": f"{title}: {dash.programme_name}", "Creator": "genlab report", "Producer": "genlab", "Author": None}
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path, metadata=meta) as pdf:  # TrueType: crisp, searchable
        pdf.savefig(snapshot_figure(dash, title=title), facecolor="white")
        learners = dash.learner_order()
        per_page = 30
        if len(learners) > per_page:
            for start in range(0, len(learners), per_page):
                part = _subset(dash, learners[start : start + per_page])
                heading = dash.text("who_is_where_part", first=start + 1, last=min(start + per_page, len(learners)), n=len(learners))
                fig, _ = heatmap_figure(part, heading=heading)
                pdf.savefig(fig, facecolor="white")
        behind = dash.behind_schedule()
        for fig in behind_pages(dash, behind):
            pdf.savefig(fig, facecolor="white")
    return path


def _subset(dash: Dashboard, learners: list[dict]) -> Dashboard:
    ids = {lr["id"] for lr in learners}
    progress = replace(dash.progress, learners=[lr for lr in dash.progress.learners if lr["id"] in ids],
                       rows=[r for r in dash.progress.rows if r["learner_id"] in ids])
    return replace(dash, progress=progress, rows=[r for r in dash.rows if r["learner_id"] in ids])


def behind_pages(dash: Dashboard, behind: list[dict]):
    """A4-landscape pages listing who is behind and on what: names and teams wrap to two lines,
    what is overdue to four; a new page starts when the next learner would not fit."""
    W, H = 11.69, 8.27
    line = 10 * 1.25 / 72 / H  # one line of 10 pt text (line spacing 1.25), as a share of the page height
    pages: list = []
    fig = renderer = None
    yy = 0.0
    for i, b in enumerate(behind):
        if fig is None:
            fig = _figure(W, H)
            renderer = _renderer(fig)
            fig.text(0.05, 0.93, dash.text("behind_on", day=fmt_day(dash.as_of, dash.lang)), fontsize=16, fontweight="bold", color=INK)
            fig.text(0.05, 0.895, dash.text("behind_intro"), fontsize=10, color=MUTED)
            pages.append(fig)
            yy = 0.84
        what = "; ".join(dash.text("behind_what", title=m["title"], what=missing_text(m, dash.lang), days=m["days_late"])
                         for m in b["missing"])
        cells = [
            (0.05, fit_text(b["learner"], 0.19 * W * DPI, renderer, 10, weight="bold", max_lines=2), {"fontsize": 10, "fontweight": "bold", "color": INK}),
            (0.25, fit_text(b["team"], 0.12 * W * DPI, renderer, 10, max_lines=2) if b["team"] else "", {"fontsize": 10, "color": MUTED}),
            (0.38, fit_text(what, 0.58 * W * DPI, renderer, 9.5, max_lines=4), {"fontsize": 9.5, "color": BEHIND}),
        ]
        lines = max(len(text.splitlines()) or 1 for _, text, _ in cells)
        if yy - line * lines < 0.04 and yy < 0.84:  # full: the rest on the next pages
            return pages + behind_pages(dash, behind[i:])
        for x, text, style in cells:
            fig.text(x, yy, text, va="top", linespacing=1.25, **style)
        yy -= line * lines + 0.008
    return pages
