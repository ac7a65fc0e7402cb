"""Everything that serves a browser: the Gradio apps' logic, room mode, the demo and JupyterLab
launchers. The only layer that imports gradio; nothing else in genlab imports this package."""
