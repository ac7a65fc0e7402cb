"""genlab: learn generative image and video AI by doing, on any machine.

The public calls lessons, exercises, apps and tests share:

    import genlab
    result = genlab.generate("a red circle on a blue background", seed=42)
    result.save("outputs/first.png")          # the recipe travels inside the PNG
    genlab.read_recipe("outputs/first.png")   # ...and comes back out
    genlab.doctor()                           # what this machine can run

Importing genlab is light: torch, diffusers, gradio and nbgrader load only when used.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "generate": "genlab.generation",
    "regenerate": "genlab.generation",
    "contact_sheet": "genlab.generation",
    "Generation": "genlab.generation",
    "load_pipeline": "genlab.pipelines",
    "ModelNotFoundError": "genlab.pipelines",
    "fetch": "genlab.pipelines",
    "Recipe": "genlab.recipe",
    "read_recipe": "genlab.recipe",
    "save_png": "genlab.recipe",
    "doctor": "genlab.hardware",
    "get_profile": "genlab.profiles",
    "check": "genlab.course.check",
    "all_profiles": "genlab.profiles",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'genlab' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
