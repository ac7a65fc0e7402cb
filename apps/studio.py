"""Studio: text to image, image to image, inpainting, composition from a drawing and X/Y grids, with the recipe inside every PNG.

Start it with `genlab demo studio` (`--room` for a whole room; `gradio apps/studio.py` reloads
on every edit). Script it from Python:

    from gradio_client import Client
    pictures, recipe, seed = Client("http://127.0.0.1:7860/").predict(
        prompt="a red circle on a blue background", seed=42, api_name="/generate")
    pictures[0]["image"]     # the PNG, recipe inside
    page = handle_file("sketch.png")    # the drawing editor takes {"background", "layers", "composite"}
    Client(url).predict(prompt="a red circle on a blue background", condition="sketch",
                        drawing={"background": page, "layers": [], "composite": page}, api_name="/compose")
    Client(url).predict(picture=handle_file("picture.png"), ratio="16:9", api_name="/outpaint")  # and /upscale
"""

import sys

import gradio as gr

from genlab.core.i18n import language_of
from genlab.ui import composition, room, studio
from genlab.ui.demo import launch_settings
from genlab.ui.i18n import L, gradio_i18n, profile_title

opts = studio.options()  # sizes, samplers, presets and starting values from the active profile

with gr.Blocks(title="genlab Studio") as demo:
    gr.Markdown(L("studio.title"))
    gr.Markdown(profile_title(opts.profile), elem_classes="genlab-note")
    history, shown, selected = gr.State([]), gr.State([]), gr.State(0)

    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            prompt = gr.Textbox(label=L("studio.prompt"), placeholder=L("studio.prompt_placeholder"), lines=2, elem_id="prompt")
            negative_prompt = gr.Textbox(label=L("studio.negative"), placeholder=L("studio.negative_placeholder"), lines=1, elem_id="negative")
            style = gr.Dropdown(studio.style_menu(), value=studio.NO_STYLE, label=L("studio.style"), info=L("studio.style_info"), elem_id="style")

            with gr.Tabs() as tabs:
                with gr.Tab(L("studio.tab_txt2img"), id="txt2img"):
                    generate_btn = gr.Button(L("studio.generate"), variant="primary", size="lg", elem_id="generate")
                with gr.Tab(L("studio.tab_img2img"), id="img2img", visible="img2img" in opts.tasks):
                    source = gr.Image(label=L("studio.source"), type="filepath", sources=["upload", "clipboard"], height=240, elem_id="source")
                    strength = gr.Slider(0.05, 1, value=0.6, step=0.05, label=L("studio.strength"), info=L("studio.strength_info"))
                    img2img_btn = gr.Button(L("studio.change"), variant="primary", elem_id="img2img-btn")
                with gr.Tab(L("studio.tab_inpaint"), id="inpaint", visible="inpaint" in opts.tasks):
                    editor = gr.ImageEditor(
                        label=L("studio.editor"), type="filepath", height=300, elem_id="editor",
                        brush=gr.Brush(colors=["#ff00ff"], default_size=12), eraser=gr.Eraser(default_size=12),
                    )
                    mask = gr.Image(label=L("studio.mask_upload"), type="filepath", image_mode="L", height=140, elem_id="mask")
                    inpaint_strength = gr.Slider(0.05, 1, value=0.9, step=0.05, label=L("studio.strength"), info=L("studio.strength_info"))
                    inpaint_btn = gr.Button(L("studio.repaint"), variant="primary", elem_id="inpaint-btn")
                with gr.Tab(L("composition_tab.tab"), id="composition"):  # logic: genlab/ui/composition.py
                    gr.Markdown(L("composition_tab.no_controls"), elem_classes="genlab-note", visible=not composition.conditions())
                    with gr.Column(visible=bool(composition.conditions())):
                        gr.Markdown(L("composition_tab.intro"), elem_classes="genlab-note")
                        drawing = gr.ImageEditor(
                            value=composition.blank_page(), label=L("composition_tab.drawing"), type="filepath", format="png",
                            sources=["upload", "clipboard"], layers=False, canvas_size=composition.blank_page().size,
                            brush=gr.Brush(colors=["#1a1a1a"], default_size=6, color_mode="fixed"), eraser=gr.Eraser(default_size=16),
                            height=380, elem_id="drawing",
                        )
                        condition = gr.Dropdown(composition.condition_menu(), value=(composition.conditions() or [None])[0],
                                                label=L("composition_tab.condition"), info=L("composition_tab.condition_info"), elem_id="condition")
                        control_strength = gr.Slider(0, 2, value=1, step=0.05, label=L("composition_tab.control_strength"),
                                                     info=L("composition_tab.control_strength_info"), elem_id="control-strength")
                        with gr.Row():
                            control_start = gr.Slider(0, 1, value=0, step=0.05, label=L("composition_tab.control_start"), info=L("composition_tab.control_start_info"))
                            control_end = gr.Slider(0, 1, value=1, step=0.05, label=L("composition_tab.control_end"), info=L("composition_tab.control_end_info"))
                        compose_btn = gr.Button(L("composition_tab.compose"), variant="primary", elem_id="compose-btn")
                    gr.Markdown(L("composition_tab.finish_heading"), elem_classes="genlab-note")
                    finish_source = gr.Image(label=L("composition_tab.finish_source"), type="filepath", format="png",
                                             sources=["upload", "clipboard"], height=200, elem_id="finish-source")
                    with gr.Column(visible=composition.offers_outpaint()):
                        ratio = gr.Radio(composition.ratio_menu(), value=composition.RATIOS[0], label=L("composition_tab.ratio"), elem_id="ratio")
                        with gr.Row(equal_height=True):
                            outpaint_prompt = gr.Textbox(label=L("composition_tab.outpaint_prompt"), info=L("composition_tab.outpaint_prompt_info"), scale=2, elem_id="outpaint-prompt")
                            outpaint_btn = gr.Button(L("composition_tab.outpaint"), scale=1, elem_id="outpaint-btn")
                    with gr.Row(equal_height=True):
                        factor = gr.Radio(composition.factor_menu(), value=composition.FACTORS[0], label=L("composition_tab.factor"), scale=1)
                        hires_fix = gr.Checkbox(False, label=L("composition_tab.hires_fix"), visible=composition.offers_hires_fix(), scale=1)
                        upscale_btn = gr.Button(L("composition_tab.upscale"), scale=1, elem_id="upscale-btn")
                with gr.Tab(L("studio.tab_grid"), id="grid"):
                    gr.Markdown(L("studio.grid_intro"), elem_classes="genlab-note")
                    with gr.Row():
                        x_axis = gr.Dropdown(studio.axis_menu(), value="guidance", label=L("studio.x_axis"), scale=1)
                        x_values = gr.Textbox("3, 7, 12", label=L("studio.values"), scale=2)
                    with gr.Row():
                        y_axis = gr.Dropdown(studio.axis_menu(with_none=True), value="seed", label=L("studio.y_axis"), scale=1)
                        y_values = gr.Textbox("1, 2", label=L("studio.values"), scale=2)
                    grid_btn = gr.Button(L("studio.make_grid"), variant="primary", elem_id="grid-btn")

            with gr.Group():
                with gr.Row(equal_height=True):
                    seed = gr.Number(label=L("studio.seed"), value=studio.RANDOM_SEED, precision=0, scale=3, info=L("studio.seed_info"), elem_id="seed")
                    with gr.Column(scale=1, min_width=140):
                        random_btn = gr.Button(L("studio.random_seed"), size="sm")
                        reuse_btn = gr.Button(L("studio.reuse_seed"), size="sm")
                steps = gr.Slider(1, studio.MAX_STEPS, value=opts.steps, step=1, label=L("studio.steps"), info=L("studio.steps_info"), elem_id="steps")
                guidance = gr.Slider(0, studio.MAX_GUIDANCE, value=opts.guidance, step=0.5, label=L("studio.guidance"), info=L("studio.guidance_info"))
                with gr.Row():
                    size = gr.Dropdown(list(opts.sizes), value=opts.size, label=L("studio.size"))
                    sampler = gr.Dropdown(list(opts.samplers), value=opts.sampler, label=L("studio.sampler"))
                    batch_count = gr.Slider(1, studio.MAX_BATCH_COUNT, value=1, step=1, label=L("studio.batch_count"))
            about_settings = gr.Markdown(elem_classes="genlab-note")  # what the sampler and style do: filled on load, in the person's language
            with gr.Accordion(L("studio.restore"), open=False):
                restore = gr.File(label=L("studio.restore_drop"), file_types=[".png"], height=110, elem_id="restore")

        with gr.Column(scale=4):
            results = gr.Gallery(
                label=L("studio.results"), format="png", preview=True, height=400, object_fit="contain",
                columns=4, elem_id="output",
            )
            with gr.Row():
                to_img2img = gr.Button(L("studio.send_img2img"), size="sm", visible="img2img" in opts.tasks)
                to_inpaint = gr.Button(L("studio.send_inpaint"), size="sm", visible="inpaint" in opts.tasks)
            seed_used = gr.Number(label=L("studio.seed_used"), precision=0, interactive=False, visible=False, elem_id="seed-used")
            recipe = gr.Textbox(label=L("studio.recipe"), lines=4, interactive=False, buttons=["copy"], elem_id="recipe")

    gallery = gr.Gallery(
        label=L("studio.history"), columns=8, fit_columns=False, height=230, object_fit="contain", format="png", elem_id="history",
        allow_preview=False,  # a click brings the settings back (below), it does not open the picture
    )

    # ---- events ----------------------------------------------------------------------------------
    settings = [prompt, negative_prompt, seed, steps, guidance, size, sampler, batch_count, style]
    outputs = [results, recipe, seed_used, history, shown]

    def picture_event(triggers, fn, inputs, api_name):
        # room mode: requests waiting together share a model call (batched), a fair share per person
        return room.model_event(
            triggers, fn, inputs=inputs, outputs=outputs, api_name=api_name, show_progress_on=results, batched=True,
        ).success(  # the first new picture opens large; the history shows the newest first
            lambda saved: (studio.gallery_value(saved), gr.Number(visible=True), 0, gr.Gallery(selected_index=0)),
            history, [gallery, seed_used, selected, results], api_visibility="private",
        ).success(composition.picture_to_finish, shown, [finish_source, outpaint_prompt], api_visibility="private")

    picture_event([generate_btn.click, prompt.submit], studio.generate, [*settings, history], "generate")
    picture_event([img2img_btn.click], studio.image_to_image, [*settings, source, strength, history], "img2img")
    picture_event([inpaint_btn.click], studio.inpaint, [*settings, editor, mask, inpaint_strength, history], "inpaint")
    picture_event([compose_btn.click], composition.compose,
                  [*settings, drawing, condition, control_strength, control_start, control_end, history], "compose")
    # outpainting and hires fix share the model queue and the per-person cap, not the Batcher (genlab/ui/composition.py says why)
    picture_event([outpaint_btn.click], composition.outpaint,
                  [finish_source, ratio, outpaint_prompt, negative_prompt, seed, steps, guidance, history], "outpaint")
    picture_event([upscale_btn.click], composition.upscale, [finish_source, factor, hires_fix, prompt, seed, steps, history], "upscale")
    finish_source.upload(composition.suggested_outpaint_prompt, finish_source, outpaint_prompt, api_visibility="private")
    picture_event(
        [grid_btn.click], studio.xy_grid,
        [prompt, negative_prompt, seed, steps, guidance, size, sampler, style, x_axis, x_values, y_axis, y_values, history], "xy_grid",
    )

    gr.on([sampler.change, steps.change, style.change, demo.load], studio.settings_notes_for, [sampler, steps, style],
          about_settings, api_visibility="private", queue=False, show_progress="hidden")

    random_btn.click(lambda: studio.RANDOM_SEED, None, seed, api_visibility="private")
    reuse_btn.click(lambda used: used if used is not None else studio.RANDOM_SEED, seed_used, seed, api_visibility="private")

    controls = [prompt, negative_prompt, seed, steps, guidance, size, sampler, style, strength, inpaint_strength]
    restore.upload(studio.restore_from_png, restore, controls, api_name="read_recipe", preprocess=False)

    def pick_from_history(saved, evt: gr.SelectData, request: gr.Request):
        return studio.use_history_item(saved, evt.index, language_of(request))

    gallery.select(pick_from_history, history, controls, api_visibility="private")

    def pick_result(pictures, evt: gr.SelectData):
        return studio.select_result(pictures, evt.index)

    results.select(pick_result, shown, [recipe, seed_used, selected], api_visibility="private").then(
        composition.picture_to_finish, [shown, selected], [finish_source, outpaint_prompt], api_visibility="private")

    def send(target):
        def handler(pictures, index, request: gr.Request):
            return studio.send_to(pictures, index, target, language_of(request))

        return handler

    for button, target in ((to_img2img, "img2img"), (to_inpaint, "inpaint")):  # open the tab first: the editor loads only when shown
        button.click(lambda t=target: gr.Tabs(selected=t), None, tabs, api_visibility="private", queue=False).then(
            send(target), [shown, selected], [source, editor], api_visibility="private"
        )

launch_kwargs = dict(css=studio.CSS, i18n=gradio_i18n())  # Gradio 6 takes these at launch; `genlab demo` passes them on
warm_up = studio.warm_up  # `genlab demo studio` loads the model before the first click

if __name__ == "__main__":  # `python apps/studio.py`: as `genlab demo studio` starts it
    demo.launch(**launch_settings(sys.modules[__name__]))
