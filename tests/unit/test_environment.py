"""environment.yml (conda) describes the same environment as pyproject.toml."""

import tomllib

import yaml

from genlab.settings import REPO_ROOT


def normalise(spec: str) -> str:
    return spec.replace(" ", "").replace("_", "-").lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = {normalise(d) for d in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {normalise(d) for d in pip if not d.startswith("-e")}
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    assert "python=3.11" in env["dependencies"]
    assert "-e ." in pip


def test_cpu_constraints_pin_the_cpu_torch_build_but_pyproject_leaves_torch_open():
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch_spec = next(d for d in deps if d.startswith("torch"))
    assert ">=" in torch_spec and "<" not in torch_spec and "==" not in torch_spec
    assert "torch==2.13.0" in (REPO_ROOT / "constraints/cpu.txt").read_text()
