"""The cohort server: JupyterHub for a trainer and their learners on one machine (`genlab hub`).

Top layer: it may import genlab.course, genlab.core and genlab.ui; nothing in genlab imports it.
Modules: config (hub.toml → JupyterHub config; the hook for services), accounts (Unix users from
the roster), auth (who may log in), spawner (limits), setup (`genlab hub setup`), cli.
See docs/cohort-server.md.
"""
