"""Denoising explorer: the picture at every step, from noise to final, and two settings side by side.

Start it with `genlab demo explorer`. Script it from Python:

    from gradio_client import Client
    strip, final, recipe, *_ = Client("http://127.0.0.1:7860/").predict(
        prompt="a large striped red star on a blue background", seed=3, steps=12,
        compare="guidance", guidance_b=15, api_name="/explore")
"""

import sys

import gradio as gr

from genlab.ui import explorer, room, studio
from genlab.ui.demo import launch_settings
from genlab.ui.i18n import L, gradio_i18n

opts = studio.options()

with gr.Blocks(title="genlab Denoising explorer") as demo:
    gr.Markdown(L("explorer.title"))
    frames_a, frames_b = gr.State([]), gr.State([])

    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            prompt = gr.Textbox(label=L("explorer.prompt"), placeholder=L("explorer.prompt_placeholder"), lines=2, elem_id="prompt")
            negative_prompt = gr.Textbox(label=L("studio.negative"), lines=1)
            with gr.Row():
                seed = gr.Number(label=L("explorer.seed"), value=-1, precision=0, info=L("studio.seed_info"))
                steps = gr.Slider(1, explorer.MAX_EXPLORER_STEPS, value=min(opts.steps, 12), step=1, label=L("explorer.steps"), elem_id="steps")
            with gr.Row():
                sampler = gr.Dropdown(list(opts.samplers), value=opts.sampler, label=L("explorer.sampler"))
                guidance = gr.Slider(0, studio.MAX_GUIDANCE, value=opts.guidance, step=0.5, label=L("explorer.guidance"))
            show = gr.Radio([(L("explorer.show_noisy"), "noisy"), (L("explorer.show_guess"), "guess")], value="noisy", label=L("explorer.show"))
            compare = gr.Radio(
                [(L("explorer.compare_none"), "none"), (L("explorer.compare_guidance"), "guidance"), (L("explorer.compare_sampler"), "sampler")],
                value="guidance", label=L("explorer.compare"),
            )
            with gr.Row():
                guidance_b = gr.Slider(0, studio.MAX_GUIDANCE, value=15, step=0.5, label=L("explorer.guidance_b"))
                sampler_b = gr.Dropdown(list(opts.samplers), value="Euler a", label=L("explorer.sampler_b"), visible=False)
            run_btn = gr.Button(L("explorer.run"), variant="primary", size="lg", elem_id="run")

        with gr.Column(scale=3):
            step = gr.Slider(0, opts.steps, value=0, step=1, label=L("explorer.step"), interactive=False, elem_id="step")
            with gr.Row():
                frame_a = gr.Image(label=L("explorer.frame_a"), type="filepath", format="png", interactive=False, height=256, elem_id="frame-a")
                frame_b = gr.Image(label=L("explorer.frame_b"), type="filepath", format="png", interactive=False, height=256, elem_id="frame-b")
                final = gr.Image(label=L("explorer.final"), type="filepath", format="png", interactive=False, height=256, elem_id="final")
            recipe = gr.Textbox(label=L("studio.recipe"), lines=3, interactive=False, buttons=["copy"], elem_id="recipe")

    sheet = gr.Image(label=L("explorer.strip"), type="filepath", format="png", interactive=False, elem_id="strip")

    room.model_event(  # one run at a time (it keeps every step)
        [run_btn.click, prompt.submit], explorer.explore,
        inputs=[prompt, negative_prompt, seed, steps, guidance, sampler, show, compare, guidance_b, sampler_b],
        outputs=[sheet, final, recipe, step, frame_a, frame_b, frames_a, frames_b],
        api_name="explore", show_progress_on=sheet,
    )
    compare.change(
        lambda how: (gr.Slider(visible=how == "guidance"), gr.Dropdown(visible=how == "sampler")),
        compare, [guidance_b, sampler_b], api_visibility="private", queue=False,
    )
    step.change(explorer.frame_at, [frames_a, frames_b, step], [frame_a, frame_b], api_visibility="private", show_progress="hidden")

launch_kwargs = dict(css=studio.CSS, i18n=gradio_i18n())
warm_up = studio.warm_up

if __name__ == "__main__":  # `python apps/explorer.py`: as `genlab demo explorer` starts it
    demo.launch(**launch_settings(sys.modules[__name__]))
