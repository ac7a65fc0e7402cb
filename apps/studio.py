"""Studio: make pictures from text, with the recipe saved inside every PNG.

Start it with `genlab demo studio` (or `gradio apps/studio.py` to reload on every edit).
Script it from Python:

    from gradio_client import Client
    png, recipe, seed, = Client("http://127.0.0.1:7860/").predict(
        prompt="a red circle on a blue background", seed=42, api_name="/generate")
"""

import gradio as gr

from genlab import studio

opts = studio.options()  # sizes, samplers and starting values from the active profile

with gr.Blocks(title="genlab Studio") as demo:
    gr.Markdown(f"# genlab Studio\nModel: **{opts.title}**. Every picture keeps its recipe inside the PNG.")
    history = gr.State([])

    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            prompt = gr.Textbox(label="Prompt", placeholder="a red circle on a blue background", lines=3, elem_id="prompt")
            negative_prompt = gr.Textbox(label="Negative prompt (what to avoid)", placeholder="blurry", lines=1)
            generate_btn = gr.Button("Generate", variant="primary", size="lg")
            with gr.Row(equal_height=True):
                seed = gr.Number(
                    label="Seed", value=studio.RANDOM_SEED, precision=0, scale=3,
                    info=f"{studio.RANDOM_SEED} = a new random seed each time; the same seed gives the same picture.",
                )
                with gr.Column(scale=1, min_width=140):
                    random_btn = gr.Button("Random seed", size="sm")
                    reuse_btn = gr.Button("Reuse last seed", size="sm")
            with gr.Group():
                steps = gr.Slider(1, studio.MAX_STEPS, value=opts.steps, step=1, label="Steps", info="More steps: slower, often more detail.")
                guidance = gr.Slider(0, studio.MAX_GUIDANCE, value=opts.guidance, step=0.5, label="Guidance (CFG scale)", info="Higher: follows the prompt more strictly.")
                with gr.Row():
                    size = gr.Dropdown(list(opts.sizes), value=opts.size, label="Size (width x height)")
                    sampler = gr.Dropdown(list(opts.samplers), value=opts.sampler, label="Sampler")

        with gr.Column(scale=4):
            image = gr.Image(label="Picture (PNG, recipe inside)", type="filepath", format="png", interactive=False, elem_id="output", height=384)
            seed_used = gr.Number(label="Seed used", precision=0, interactive=False, visible=False, elem_id="seed-used")
            recipe = gr.Textbox(label="Recipe (the text AUTOMATIC1111 and other tools read)", lines=4, interactive=False, buttons=["copy"], elem_id="recipe")

    gallery = gr.Gallery(
        label="This session, newest first (click a picture to bring back its settings)",
        columns=8, fit_columns=False, height=300, object_fit="contain", format="png", elem_id="history",
    )

    controls = [prompt, negative_prompt, seed, steps, guidance, size, sampler]
    gr.on(
        [generate_btn.click, prompt.submit], studio.generate, inputs=[*controls, history],
        outputs=[image, recipe, seed_used, history], api_name="generate",
        preprocess=False,  # raw values: genlab.studio checks them and explains mistakes in plain words
        show_progress_on=image,  # one progress bar (and one error badge), on the picture
    ).success(lambda saved: (studio.show_history(saved), gr.Number(visible=True)), history, [gallery, seed_used], api_visibility="private")

    random_btn.click(lambda: studio.RANDOM_SEED, None, seed, api_visibility="private")
    reuse_btn.click(lambda used: used if used is not None else studio.RANDOM_SEED, seed_used, seed, api_visibility="private")

    def pick_from_history(saved, evt: gr.SelectData):
        return studio.use_history_item(saved, evt.index)

    gallery.select(pick_from_history, history, controls, api_visibility="private")

launch_kwargs = dict(css=studio.CSS)  # Gradio 6 takes css at launch; `genlab demo` passes these on
warm_up = studio.warm_up  # `genlab demo studio` loads the model before the first click

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", ssr_mode=False, **launch_kwargs)
