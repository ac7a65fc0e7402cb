"""Helpers the lesson notebooks import (`from genlab import lesson, prompting, editing, ...`).

Built on genlab.core; never imports gradio, the course tools or the apps.
"""
