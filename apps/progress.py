"""Course progress for managers (read-only): heatmap, completion by team and level, scores, who is behind.

Start it with `genlab demo progress`. Every page load reads the gradebook again; nothing on the
page can change a grade (there are no buttons, only pictures and tables). The same numbers as
`genlab report` (genlab.course.progress.dashboard).

Settings (environment variables, read on every page load):
    GENLAB_COURSE          the nbgrader course folder (default: the repo's exercises/)
    GENLAB_GRADEBOOK       the gradebook's database URL (default: <course>/gradebook.db)
    GENLAB_PROGRAMME       the programme file (default: workshops/programme.toml)
    GENLAB_PSEUDONYMISE    1: show pseudonyms (learner-3f9a2c) instead of names; the salt as for
                           `genlab report --pseudonymise` (GENLAB_PSEUDONYM_SALT or ~/.config/genlab)
    GENLAB_AS_OF           check the schedule on this day (YYYY-MM-DD; default: today)
    GENLAB_TIMEZONE        default America/Mexico_City
"""

import datetime as dt
import io

import gradio as gr
from PIL import Image

from genlab import settings
from genlab.core.imaging import figure_png
from genlab.course.progress import figures
from genlab.course.progress.dashboard import build_dashboard, kpi_items, missing_text
from genlab.course.progress.formats import fmt_day
from genlab.course.progress.gradebook import NoGradebookError, load_progress
from genlab.course.progress.programme import ProgrammeError, load_programme
from genlab.course.progress.states import BELOW, PASSED

CSS = """
#kpis .kpis { display: flex; flex-wrap: wrap; gap: 12px; }
#kpis .kpi { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 14px; min-width: 160px; flex: 1 1 160px; }
#kpis .kpi b { display: block; font-size: 24px; }
#kpis .kpi span { color: var(--body-text-color-subdued); font-size: 13px; }
"""


def _png(fig) -> Image.Image:
    im = Image.open(io.BytesIO(figure_png(fig, dpi=150, tight=False)))
    im.load()
    return im


def _settings():
    as_of = settings.get("GENLAB_AS_OF")
    return {
        "course": settings.get("GENLAB_COURSE") or None,
        "db_url": settings.get("GENLAB_GRADEBOOK") or None,
        "programme": settings.get("GENLAB_PROGRAMME") or None,
        "pseudonymise": settings.flag("GENLAB_PSEUDONYMISE"),
        "as_of": dt.date.fromisoformat(as_of) if as_of else None,
    }


def _kpis_html(dash) -> str:
    tiles = "".join(f'<div class="kpi"><b>{v}</b><span>{label}</span></div>' for v, label in kpi_items(dash))
    return f'<div class="kpis">{tiles}</div>'


def _tables(dash):
    import pandas as pd

    grid = []
    for lr, rows in dash.grid():
        line = {"Learner": lr["name"], "Team": lr.get("team") or ""}
        for c, r in zip(dash.columns, rows):
            text = r["result"]
            if r["result"] in (PASSED, BELOW) and r["percent"] is not None:
                text = f"{r['percent']:.0f}% ({r['result']})"
            line[c["title"]] = text
        grid.append(line)
    behind = [
        {
            "Learner": b["learner"],
            "Team": b["team"],
            "Due and not passed": "; ".join(
                f"{m['title']}: " + missing_text(m)
                for m in b["missing"]
            ),
            "Most days late": b["most_days_late"],
        }
        for b in dash.behind_schedule()
    ]
    behind_df = pd.DataFrame(behind, columns=["Learner", "Team", "Due and not passed", "Most days late"])
    return pd.DataFrame(grid), behind_df


def refresh():
    """Read the gradebook and build everything on the page (runs on every page load)."""
    s = _settings()
    try:
        programme = load_programme(s["programme"])
        progress = load_progress(s["course"], s["db_url"])
    except (NoGradebookError, ProgrammeError) as err:
        return (f"### Course progress\n\n**{err}**", "", None, None, None, None, None, None)
    dash = build_dashboard(progress, programme, as_of=s["as_of"], pseudonymise=s["pseudonymise"])
    title = f"### Course progress · {dash.programme.name}\n\nSchedule checked on {fmt_day(dash.as_of)} · " \
            f"{len(dash.learners)} learners · {len(dash.columns)} assignments in the programme"
    if dash.pseudonymised:
        title += " · learners pseudonymised"
    heat, _ = figures.heatmap_figure(dash)
    teams = _png(figures.bars_figure(dash, "team")) if dash.has_teams() else None
    grid, behind = _tables(dash)
    return (
        title,
        _kpis_html(dash),
        _png(heat),
        teams,
        _png(figures.bars_figure(dash, "level")),
        _png(figures.histogram_figure(dash)),
        behind,
        grid,
    )


with gr.Blocks(title="genlab Progress") as demo:
    header = gr.Markdown("### Course progress", elem_id="header")
    kpis = gr.HTML(elem_id="kpis")
    heatmap = gr.Image(label="Who is where", type="pil", format="png", interactive=False, elem_id="heatmap",
                       buttons=["download", "fullscreen"])
    with gr.Row(equal_height=False):
        by_team = gr.Image(label="Completion by team", type="pil", format="png", interactive=False, elem_id="by-team", show_label=False, buttons=["download"])
        by_level = gr.Image(label="Completion by level", type="pil", format="png", interactive=False, elem_id="by-level", show_label=False, buttons=["download"])
        scores = gr.Image(label="Scores of graded work", type="pil", format="png", interactive=False, elem_id="scores", show_label=False, buttons=["download"])
    behind = gr.Dataframe(label="Behind the schedule", interactive=False, wrap=True, elem_id="behind")
    learners = gr.Dataframe(label="Every learner and assignment", interactive=False, wrap=True, elem_id="learners")
    gr.Markdown(
        "Read-only: this page shows the gradebook and changes nothing. Colours: **passed** (graded, at or above "
        "the pass mark), **below pass mark**, **needs manual grading** (a trainer still has to grade), **submitted** "
        "(waiting for autograding), **not started** (nothing handed in; not a 0). Reload the page for fresh numbers."
    )
    demo.load(refresh, outputs=[header, kpis, heatmap, by_team, by_level, scores, behind, learners], api_name="progress",
              show_progress="minimal")

launch_kwargs = dict(css=CSS)


if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", ssr_mode=False, **launch_kwargs)
