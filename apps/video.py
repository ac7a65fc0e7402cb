"""Video: short clips from words, or from a still picture, as MP4 and GIF with the recipe inside.

Start it with `genlab demo video` (`--room` for a whole room). Script it from Python:

    from gradio_client import Client, handle_file
    mp4, gif, recipe, seed = Client("http://127.0.0.1:7860/").predict(
        prompt="a yellow star moving right on a black background", seed=7, api_name="/generate")
    # image to video: add image=handle_file("start.png"), strength=0.6
"""

import sys

import gradio as gr

from genlab.core import video
from genlab.ui import room, studio, video_app
from genlab.ui.demo import launch_settings
from genlab.ui.i18n import L, gradio_i18n, profile_title

opts = video.options()  # frames, fps and starting values from the active video profile

with gr.Blocks(title="genlab Video") as demo:
    gr.Markdown(L("video.title"))
    gr.Markdown(profile_title(opts.profile), elem_classes="genlab-note")

    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            prompt = gr.Textbox(label=L("video.prompt"), placeholder=L("video.prompt_placeholder"), lines=2, elem_id="prompt")
            negative_prompt = gr.Textbox(label=L("video.negative"), lines=1)
            with gr.Row():
                frames = gr.Slider(video.MIN_FRAMES, opts.max_frames, value=opts.frames, step=1, label=L("video.frames"), info=L("video.frames_info"), elem_id="frames")
                fps = gr.Slider(1, video.MAX_FPS, value=opts.fps, step=1, label=L("video.fps"))
            loop = gr.Checkbox(label=L("video.loop"), value=False, elem_id="loop")
            with gr.Accordion(L("video.start_picture"), open=False):
                image = gr.Image(label=L("video.start_picture"), type="filepath", sources=["upload", "clipboard"], height=200, elem_id="start")
                strength = gr.Slider(0.05, 1, value=0.6, step=0.05, label=L("video.strength"), info=L("video.strength_info"))
            with gr.Group():
                seed = gr.Number(label=L("video.seed"), value=-1, precision=0, info=L("video.seed_info"))
                with gr.Row():
                    steps = gr.Slider(1, studio.MAX_STEPS, value=opts.steps, step=1, label=L("video.steps"), elem_id="steps")
                    guidance = gr.Slider(0, studio.MAX_GUIDANCE, value=opts.guidance, step=0.5, label=L("video.guidance"))
            make_btn = gr.Button(L("video.make"), variant="primary", size="lg", elem_id="make")

        with gr.Column(scale=4):
            clip = gr.Video(label=L("video.clip"), format="mp4", autoplay=True, loop=True, height=320, elem_id="clip")
            gif = gr.File(label=L("video.gif"), elem_id="gif")
            recipe = gr.Textbox(label=L("video.recipe"), lines=4, interactive=False, buttons=["copy"], elem_id="recipe")
            seed_used = gr.Number(label=L("studio.seed_used"), precision=0, interactive=False, elem_id="seed-used")

    inputs = [prompt, negative_prompt, seed, steps, guidance, frames, fps, loop, image, strength]
    room.model_event(  # one clip at a time (clips are not batched)
        [make_btn.click, prompt.submit], video_app.generate, inputs=inputs, outputs=[clip, gif, recipe, seed_used],
        api_name="generate", show_progress_on=clip,
    )

launch_kwargs = dict(css=studio.CSS, i18n=gradio_i18n())
warm_up = video.warm_up

if __name__ == "__main__":  # `python apps/video.py`: as `genlab demo video` starts it
    demo.launch(**launch_settings(sys.modules[__name__]))
