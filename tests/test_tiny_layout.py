"""genlab/tiny is the bottom layer: it imports nothing of genlab but ``genlab.settings`` and
itself, finds its files through genlab.settings (so $GENLAB_ASSETS is honoured), and runs
without genlab's package __init__ (as scripts/train_tiny_gpu.sh runs it on a bare GPU machine)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "genlab" / "tiny"


def _package_of(path: Path) -> str:
    module = ".".join(path.relative_to(REPO).with_suffix("").parts)
    return module.removesuffix(".__init__") if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _genlab_imports(source: str, package: str) -> set[str]:
    """Every genlab module a file of ``package`` imports (relative imports resolved)."""
    tree = ast.parse(source)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "genlab"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "genlab":
                found |= {f"{module}.{a.name}" if module in ("genlab", "genlab.tiny") else module for a in node.names}
    return found


def test_tiny_imports_only_settings_and_itself():
    files = sorted(TINY.rglob("*.py"))
    assert len(files) > 10
    bad = {}
    for f in files:
        wrong = {m for m in _genlab_imports(f.read_text(), _package_of(f)) if m != "genlab.settings" and not m.startswith("genlab.tiny")}
        if wrong:
            bad[str(f.relative_to(REPO))] = sorted(wrong)
    assert not bad, bad


def test_the_import_scan_sees_upward_imports():
    source = "from genlab import paths\nfrom .. import studio\nimport genlab.lora\nfrom genlab.tiny import world\nfrom . import data\n"
    assert _genlab_imports(source, "genlab.tiny.train") == {
        "genlab.paths", "genlab.tiny.studio", "genlab.lora", "genlab.tiny.world", "genlab.tiny.train"}
    assert _genlab_imports("from .. import studio\n", "genlab.tiny") == {"genlab.studio"}


def test_tiny_reads_no_genlab_variable_and_works_out_no_root():
    for f in TINY.rglob("*.py"):
        text = f.read_text()
        assert not re.search(r"(environ|getenv)\W+[^\n]*GENLAB_", text), f
        assert "parents[" not in text, f


def test_genlab_assets_is_honoured(tmp_path):
    """With $GENLAB_ASSETS set, the default models, tokenizer, presets and evaluator all come
    from there (genlab.settings reads it once, at import: hence a fresh interpreter)."""
    assets = tmp_path / "assets"
    (assets / "presets").mkdir(parents=True)
    presets = (REPO / "assets" / "presets" / "tiny_train.toml").read_text()
    (assets / "presets" / "tiny_train.toml").write_text(presets + "\n[tiny-test]\n" + presets.split("[smoke]\n", 1)[1].split("\n\n")[0] + "\n")
    code = """
import json
from genlab.tiny import cli, evaluator
from genlab.tiny.train import cli as train_cli, data, presets
print(json.dumps({
    "model": str(cli.DEFAULT_MODEL), "motion": str(cli.DEFAULT_MOTION),
    "out": str(train_cli.default_out("image")), "tokenizer": str(data.tokenizer_dir()),
    "presets": list(presets.PRESETS), "evaluator": str(evaluator.EVALUATOR_DIR),
    "choices": list(train_cli.build_parser()._option_string_actions["--preset"].choices),
}))
"""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "GENLAB_ASSETS": str(assets), "HF_HUB_OFFLINE": "1"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout)
    models = assets / "models"
    assert got["model"] == str(models / "tiny-shapes") and got["motion"] == str(models / "tiny-shapes-motion")
    assert got["out"] == str(models / "tiny-shapes") and got["tokenizer"] == str(models / "tiny-shapes" / "tokenizer")
    assert got["evaluator"] == str(models / "tiny-shapes-evaluator")
    assert got["presets"] == ["smoke", "cpu", "gpu", "tiny-test"] and "tiny-test" in got["choices"]


def test_tiny_runs_without_genlabs_package_init():
    """scripts/train_tiny_gpu.sh imports genlab.tiny.train with stub `genlab` / `genlab.tiny`
    packages (so gradio, nbgrader, jupyter need not be installed): that must keep working."""
    code = f"""
import importlib, sys, types
for name, path in (("genlab", {str(REPO / "genlab")!r}), ("genlab.tiny", {str(TINY)!r})):
    mod = types.ModuleType(name); mod.__path__ = [path]; sys.modules[name] = mod
train = importlib.import_module("genlab.tiny.train")
from genlab.tiny.train import cli
args = cli.build_parser().parse_args(["motion", "--preset", "smoke"])
assert cli.run_config(args)["motion_steps"] == 2
importlib.import_module("genlab.tiny.cli").build_parser()
importlib.import_module("genlab.tiny.evaluator")
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]
