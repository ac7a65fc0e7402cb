"""Where things live. One place, so notebooks, apps, CLI and tests agree."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
ASSETS_DIR = Path(os.environ.get("GENLAB_ASSETS", REPO_ROOT / "assets"))
# GENLAB_MODELS_TOML: another profiles file instead of assets/models.toml (e.g. the one
# benchmarks/room.py writes for SD 1.5's architecture with random weights). Read at import.
MODELS_TOML = Path(os.path.expanduser(os.environ.get("GENLAB_MODELS_TOML") or ASSETS_DIR / "models.toml"))
SAMPLERS_TOML = ASSETS_DIR / "samplers.toml"
COURSE_DIR = REPO_ROOT / "exercises"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
WORKSHOPS_DIR = REPO_ROOT / "workshops"


def resolve_asset_path(path: str | os.PathLike) -> Path:
    """A path from a data file: absolute as given, relative ones are relative to the repo root."""
    p = Path(os.path.expanduser(str(path)))
    return p if p.is_absolute() else REPO_ROOT / p
