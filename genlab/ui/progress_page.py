"""The managers' progress page (apps/progress.py): everything it shows, built from the gradebook in
the reader's language.

The same numbers, words and pictures as `genlab report` (genlab.course.progress): the `[report]`
texts of assets/i18n, plus the page's own in `[progress_page]`. The language is the browser's
(Accept-Language, es or en); a request that names none (a script) reads `current_language()`:
GENLAB_LANG, else Spanish. Static labels go through Gradio's i18n (`L()` in the app), so the
browser and the server pick the same language.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from genlab import settings
from genlab.core.i18n import current_language, language_of, t
from genlab.core.imaging import figure_png
from genlab.course.progress import figures
from genlab.course.progress.dashboard import Dashboard, build_dashboard, kpi_items, missing_text
from genlab.course.progress.formats import fmt_day
from genlab.course.progress.gradebook import NoGradebookError, load_progress
from genlab.course.progress.programme import ProgrammeError, load_programme
from genlab.course.progress.states import BELOW, PASSED, state_name

CSS = """
#kpis .kpis { display: flex; flex-wrap: wrap; gap: 12px; }
#kpis .kpi { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 14px; min-width: 160px; flex: 1 1 160px; }
#kpis .kpi b { display: block; font-size: 24px; }
#kpis .kpi span { color: var(--body-text-color-subdued); font-size: 13px; }
"""


def page_language(request=None) -> str:
    """es or en: the browser's first language we speak; without an Accept-Language header (a script,
    gradio_client), `current_language()` (GENLAB_LANG, else Spanish)."""
    headers = getattr(request, "headers", None) or {}
    try:
        header = headers.get("accept-language") or headers.get("Accept-Language")
    except AttributeError:
        header = None
    return language_of(header=header) if header else current_language()


def page_settings() -> dict[str, Any]:
    """The page's settings, from the environment (read on every page load; see apps/progress.py)."""
    as_of = settings.get("GENLAB_AS_OF")
    return {
        "course": settings.get("GENLAB_COURSE") or None,
        "db_url": settings.get("GENLAB_GRADEBOOK") or None,
        "programme": settings.get("GENLAB_PROGRAMME") or None,
        "pseudonymise": settings.flag("GENLAB_PSEUDONYMISE"),
        "as_of": dt.date.fromisoformat(as_of) if as_of else None,
    }


def _png(fig):
    from PIL import Image

    im = Image.open(io.BytesIO(figure_png(fig, dpi=150, tight=False)))
    im.load()
    return im


def kpis_html(dash: Dashboard) -> str:
    tiles = "".join(f'<div class="kpi"><b>{v}</b><span>{label}</span></div>' for v, label in kpi_items(dash))
    return f'<div class="kpis">{tiles}</div>'


def header_markdown(dash: Dashboard) -> str:
    lang = dash.lang
    text = "### " + t("progress_page.heading", lang, programme=dash.programme_name) + "\n\n" + t(
        "progress_page.facts", lang, day=fmt_day(dash.as_of, lang), learners=len(dash.learners), assignments=len(dash.columns))
    if dash.pseudonymised:
        text += " · " + t("report.pseudonymised", lang)
    return text


def error_markdown(err: Exception, lang: str) -> str:
    """What the page says when there is no gradebook or the programme file is broken."""
    if isinstance(err, NoGradebookError) and getattr(err, "path", None) is not None:
        why = t("progress_page.no_gradebook", lang, path=err.path)
    else:
        why = t("progress_page.cannot_read", lang, error=str(err))
    return f"### {t('report.title', lang)}\n\n**{why}**"


def tables(dash: Dashboard):
    """The 'behind the schedule' table and the table of every learner × assignment (pandas), with
    headers and cells in the dashboard's language."""
    import pandas as pd

    lang = dash.lang
    learner, team = dash.text("learner"), dash.text("team")
    grid = []
    for lr, rows in dash.grid():
        line = {learner: lr["name"], team: lr.get("team") or ""}
        for c, r in zip(dash.columns, rows):
            text = state_name(r["result"], lang)
            if r["result"] in (PASSED, BELOW) and r["percent"] is not None:
                text = f"{r['percent']:.0f}% ({text})"
            line[c["title"]] = text
        grid.append(line)
    headers = [learner, team, dash.text("due_not_passed"), dash.text("most_days_late")]
    behind = [
        dict(zip(headers, (
            b["learner"],
            b["team"],
            "; ".join(f"{m['title']}: " + missing_text(m, lang) for m in b["missing"]),
            b["most_days_late"],
        )))
        for b in dash.behind_schedule()
    ]
    return pd.DataFrame(behind, columns=headers), pd.DataFrame(grid)


def page(lang: str) -> tuple:
    """Read the gradebook and build the whole page in ``lang``: header, KPIs, heatmap, completion by
    team (None without teams) and by level, score histogram, behind-schedule table, every learner."""
    s = page_settings()
    try:
        programme = load_programme(s["programme"])
        progress = load_progress(s["course"], s["db_url"])
    except (NoGradebookError, ProgrammeError) as err:
        return (error_markdown(err, lang), "", None, None, None, None, None, None)
    dash = build_dashboard(progress, programme, as_of=s["as_of"], pseudonymise=s["pseudonymise"], lang=lang)
    heat, _ = figures.heatmap_figure(dash)
    teams = _png(figures.bars_figure(dash, "team")) if dash.has_teams() else None
    behind, grid = tables(dash)
    return (
        header_markdown(dash),
        kpis_html(dash),
        _png(heat),
        teams,
        _png(figures.bars_figure(dash, "level")),
        _png(figures.histogram_figure(dash)),
        behind,
        grid,
    )
