"""The file JupyterHub loads (`genlab hub start` runs `jupyterhub -f` on it). It holds no settings:
they are in the TOML file named by $GENLAB_HUB_CONFIG (default assets/hub/hub.toml), turned into
JupyterHub's config by genlab.hub.config.apply."""

from genlab.hub.config import apply, load

c = get_config()  # noqa: F821 -- provided by JupyterHub
apply(c, load())
