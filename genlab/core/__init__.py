"""The core: profiles, hardware, pipelines, samplers, the one renderer, recipes, video, LoRA.

Everything that makes a picture or a clip lives here; lessons, course tools and apps call it.
Never imports genlab.lessons, genlab.course, genlab.ui or gradio (an import-linter contract checks).
"""
