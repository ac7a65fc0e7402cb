"""genlab: learn generative image and video AI by doing, on any machine.

The public calls lessons, exercises, apps and tests share:

    import genlab
    result = genlab.generate("a red circle on a blue background", seed=42)
    result.save("outputs/first.png")          # the recipe travels inside the PNG
    genlab.read_recipe("outputs/first.png")   # ...and comes back out
    genlab.doctor()                           # what this machine can run

The package is in layers (docs/ARCHITECTURE.md); an arrow only points down:

    genlab.ui       Gradio apps' logic, room mode, demo and JupyterLab launchers   (only layer with gradio)
    genlab.course   nbgrader operations, sandboxed grading, progress reports
    genlab.lessons  the helpers lesson notebooks import
    genlab.core     profiles, pipelines, the one renderer, recipes, video, LoRA
    genlab.tiny     the shapes world and its tiny models
    genlab.settings every GENLAB_* variable, where things live

Importing genlab is light: torch, diffusers, gradio and nbgrader load only when used.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"

_LAZY = {
    "generate": "genlab.core.generation",
    "regenerate": "genlab.core.generation",
    "outpaint": "genlab.core.canvas",
    "upscale": "genlab.core.finishing",
    "export_print": "genlab.core.finishing",
    "print_pixels": "genlab.core.finishing",
    "handoff_name": "genlab.core.finishing",
    "contact_sheet": "genlab.core.imaging",
    "Generation": "genlab.core.generation",
    "load_pipeline": "genlab.core.pipelines",
    "ModelNotFoundError": "genlab.core.pipelines",
    "fetch": "genlab.core.pipelines",
    "Recipe": "genlab.core.recipe",
    "read_recipe": "genlab.core.recipe",
    "save_png": "genlab.core.recipe",
    "doctor": "genlab.core.doctor",
    "get_profile": "genlab.core.profiles",
    "all_profiles": "genlab.core.profiles",
    "check": "genlab.course.grading.check",
    "_": "genlab.core.translations",  # `from genlab import _`: a notebook's messages in the reader's language
}

# Module names from before the layers (v1). Released learner notebooks import them
# (`from genlab import lesson, video`, `from genlab.pipelines import load_pipeline`), so each old
# name stays importable and *is* the module in its new home (same object: patching one patches both).
MOVED = {
    "genlab.paths": "genlab.settings",
    **{f"genlab.{m}": f"genlab.core.{m}" for m in
       ("profiles", "hardware", "pipelines", "recipe", "render", "generation", "video", "lora", "i18n")},
    **{f"genlab.{m}": f"genlab.lessons.{m}" for m in
       ("lesson", "prompting", "internals", "editing", "production", "responsible")},
    **{f"genlab.{m}": f"genlab.ui.{m}" for m in ("studio", "explorer", "room", "demo", "lab", "ports")},
    "genlab.course.sandbox": "genlab.course.sandbox",
    **{f"genlab.course.{m}": f"genlab.course.grading.{m}" for m in ("autograde", "feedback", "check")},
    **{f"genlab.course.{m}": f"genlab.course.progress.{m}" for m in
       ("gradebook", "report", "dashboard", "programme", "certificates")},
    "genlab.tiny.evaluate": "genlab.tiny.evaluator",
}
MOVED = {old: new for old, new in MOVED.items() if old != new}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module name in MOVED and hands back the module from its new home."""

    _specs: dict = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # the import system has just written the old name's spec onto the module: put its own back
        module.__spec__ = self._specs.get(module.__spec__.name, module.__spec__)


if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModuleFinder())


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if f"genlab.{name}" in MOVED:  # `from genlab import lesson`
        return importlib.import_module(MOVED[f"genlab.{name}"])
    if name in ("core", "lessons", "course", "ui", "tiny", "settings"):
        return importlib.import_module(f"genlab.{name}")
    raise AttributeError(f"module 'genlab' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY) + [m.split(".", 1)[1] for m in MOVED if m.count(".") == 1])
