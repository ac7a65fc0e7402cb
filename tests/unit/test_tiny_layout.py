"""genlab/tiny is the bottom layer (its imports: import-linter's layers contract, tests/unit/test_layers.py); it finds its files through genlab.settings (so $GENLAB_ASSETS is honoured), and runs
without genlab's package __init__ (as scripts/train_tiny_gpu.sh runs it on a bare GPU machine)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "genlab" / "tiny"


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
