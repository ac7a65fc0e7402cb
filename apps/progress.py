"""Course progress for managers (read-only): heatmap, completion by team and level, scores, who is behind.

Start it with `genlab demo progress`. Every page load reads the gradebook again; nothing on the
page can change a grade (there are no buttons, only pictures and tables). The same numbers as
`genlab report` (genlab.course.progress.dashboard), in the browser's language (es-MX or English;
a script without Accept-Language reads GENLAB_LANG, else Spanish): genlab.ui.progress_page.

Settings (environment variables, read on every page load):
    GENLAB_COURSE          the nbgrader course folder (default: the repo's exercises/)
    GENLAB_GRADEBOOK       the gradebook's database URL (default: <course>/gradebook.db)
    GENLAB_PROGRAMME       the programme file (default: workshops/programme.toml)
    GENLAB_PSEUDONYMISE    1: show pseudonyms (learner-3f9a2c) instead of names; the salt as for
                           `genlab report --pseudonymise` (GENLAB_PSEUDONYM_SALT or ~/.config/genlab)
    GENLAB_AS_OF           check the schedule on this day (YYYY-MM-DD; default: today)
    GENLAB_TIMEZONE        default America/Mexico_City
"""

import sys

import gradio as gr

from genlab.ui import progress_page
from genlab.ui.demo import launch_settings
from genlab.ui.i18n import L, gradio_i18n


def refresh(request: gr.Request):
    """Read the gradebook and build everything on the page (runs on every page load)."""
    return progress_page.page(progress_page.page_language(request))


with gr.Blocks(title="genlab Progress") as demo:
    header = gr.Markdown(L("report.title"), elem_id="header")
    kpis = gr.HTML(elem_id="kpis")
    heatmap = gr.Image(label=L("report.who_is_where"), type="pil", format="png", interactive=False, elem_id="heatmap",
                       buttons=["download", "fullscreen"])
    with gr.Row(equal_height=False):
        by_team = gr.Image(label=L("report.by_team"), type="pil", format="png", interactive=False, elem_id="by-team", show_label=False, buttons=["download"])
        by_level = gr.Image(label=L("report.by_level"), type="pil", format="png", interactive=False, elem_id="by-level", show_label=False, buttons=["download"])
        scores = gr.Image(label=L("report.scores"), type="pil", format="png", interactive=False, elem_id="scores", show_label=False, buttons=["download"])
    behind = gr.Dataframe(label=L("report.behind"), interactive=False, wrap=True, elem_id="behind")
    learners = gr.Dataframe(label=L("progress_page.every_learner"), interactive=False, wrap=True, elem_id="learners")
    gr.Markdown(L("progress_page.read_only"), elem_id="read-only")
    demo.load(refresh, outputs=[header, kpis, heatmap, by_team, by_level, scores, behind, learners], api_name="progress",
              show_progress="minimal")

launch_kwargs = dict(css=progress_page.CSS, i18n=gradio_i18n())


if __name__ == "__main__":  # `python apps/progress.py`: as `genlab demo progress` starts it
    demo.launch(**launch_settings(sys.modules[__name__]))
