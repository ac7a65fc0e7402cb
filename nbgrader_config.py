"""nbgrader settings for JupyterLab started at the repository root (`genlab lab` or `jupyter lab`).

The course lives in exercises/; its settings are in exercises/nbgrader_config.py, loaded here so the
Assignments and Formgrader tabs find the course whichever folder nbgrader is started from.
"""

import os

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader or Jupyter loads this file
load_subconfig(  # noqa: F821
    "nbgrader_config.py", path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "exercises")
)
