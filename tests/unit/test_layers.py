"""The package's layers hold (import-linter's contracts in pyproject.toml), the checker catches a
break, the layers below genlab.ui never load gradio, and every pre-layers module name still works."""

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import genlab
from genlab import settings

REPO = settings.REPO_ROOT
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--config", "pyproject.toml", "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_the_layers_contracts_are_kept():
    out = lint_imports(REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory):
    """A copy of genlab/ and pyproject.toml to break on purpose."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(REPO / "genlab", root / "genlab", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def _break(root: Path, module: str, line: str):
    path = root / (module.replace(".", "/") + ".py")
    original = path.read_text()
    path.write_text(original + f"\n\ndef _broken():\n    {line}\n")
    return path, original


@pytest.mark.parametrize(
    "module, line, expected",
    [
        ("genlab.core.render", "from genlab.ui import room", "genlab.core.render -> genlab.ui.room"),
        ("genlab.lessons.lesson", "import gradio", "genlab.lessons.lesson -> gradio"),
        ("genlab.core.recipe", "from genlab.core import generation", "No cycles are allowed in genlab.core"),
        ("genlab.course.nbgrader_ops", "from genlab.course.grading import autograde", "genlab.course.nbgrader_ops -> genlab.course.grading.autograde"),
    ],
    ids=["core-imports-ui", "lessons-import-gradio", "a-cycle-in-core", "course-upward"],
)
def test_an_upward_import_or_a_cycle_breaks_the_contracts(package_copy, module, line, expected):
    path, original = _break(package_copy, module, line)
    try:
        out = lint_imports(package_copy)
    finally:
        path.write_text(original)
    assert out.returncode != 0
    assert "BROKEN" in out.stdout
    assert expected in out.stdout, out.stdout


def test_core_lessons_and_course_never_load_gradio():
    """Import every module of the three layers in a fresh interpreter: gradio stays out."""
    code = (
        "import importlib, pkgutil, sys, json\n"
        "import genlab.core, genlab.lessons, genlab.course\n"
        "for pkg in (genlab.core, genlab.lessons, genlab.course):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('gradio', 'gradio_client'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("old, new", sorted(genlab.MOVED.items()))
def test_every_old_module_name_is_the_moved_module(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)
    assert importlib.import_module(old).__name__ == new


def test_a_v1_notebook_runs_unchanged(tmp_path):
    """The imports released learner notebooks use, written the v1 way, in a fresh interpreter."""
    code = (
        "from genlab import lesson, prompting, internals, editing, production, responsible, lora, video, hardware, paths\n"
        "from genlab.pipelines import load_pipeline\n"
        "from genlab.generation import generate\n"
        "from genlab.recipe import Recipe\n"
        "from genlab.render import BatchKey, PictureItem, render\n"
        "from genlab.course import nbgrader_ops, autograde\n"
        "import genlab, genlab.studio, genlab.course.dashboard\n"
        "g = genlab.generate('a red circle on a blue background', seed=3, steps=4)\n"
        "assert genlab.read_recipe(g.save(r'%s')[0]).seed == 3\n"
        "assert video.ping_pong([1, 2, 3]) == [1, 2, 3, 2]\n"
        "assert paths.REPO_ROOT.is_dir() and callable(autograde)\n"
        "print('ok')\n" % (tmp_path / "first.png")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


READS_A_GENLAB_VARIABLE = re.compile(r"""(os\.environ\.get\(|os\.environ\[|getenv\()\s*["']GENLAB_""")


def test_only_settings_reads_genlab_variables():
    """One settings module: no other file in genlab/ or apps/ reads a GENLAB_* variable itself."""
    offenders = []
    for path in [*REPO.joinpath("genlab").rglob("*.py"), *REPO.joinpath("apps").glob("*.py")]:
        if path.name == "settings.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if READS_A_GENLAB_VARIABLE.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_architecture_page_names_every_module_and_every_setting():
    """docs/ARCHITECTURE.md stays true: each module file is named there, and its settings table is
    the one genlab.settings prints."""
    page = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    unnamed = [
        str(p.relative_to(REPO))
        for p in sorted((REPO / "genlab").rglob("*.py"))
        if p.name not in ("__init__.py", "__main__.py") and p.name not in page and p.stem not in page
    ]
    assert unnamed == []
    assert settings.table_markdown() in page
