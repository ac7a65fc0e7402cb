"""Every setting genlab reads from the environment, and where things live. One module, one table.

Nothing else in genlab reads a ``GENLAB_*`` variable: it asks this module (a test checks). The
table below is the documentation too (docs/ARCHITECTURE.md and ``genlab settings`` print it).

Most variables are read each time they are used (``settings.get(NAME)``), so a test or a notebook
can change them at run time. The two that locate files the package loads (GENLAB_ASSETS,
GENLAB_MODELS_TOML) are read once, at import, like any install location.

This module imports nothing heavy and nothing else of genlab: it is the floor every layer stands on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Variable:
    name: str
    default: str  # "" means: not set
    meaning: str
    used_by: str


LANGUAGE_VARIABLE = "GENLAB_LANG"  # the reader's language, given to kernels that must answer in it

VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("GENLAB_PROFILE", "", "the picture profile from assets/models.toml (else the file's default, `tiny`)",
                 "core.profiles, ui.lab, sandbox"),
        Variable("GENLAB_VIDEO_PROFILE", "", "the video profile (else the file's video default, `tiny-video`)",
                 "core.profiles, sandbox"),
        Variable("GENLAB_DEVICE", "", "force a torch device (`cpu`, `cuda`, `mps`) instead of the best one found",
                 "core.hardware"),
        Variable("GENLAB_ASSETS", "", "another assets folder (models, presets, i18n) instead of <repo>/assets; read at import",
                 "everything that loads an asset"),
        Variable("GENLAB_MODELS_TOML", "", "another profiles file instead of assets/models.toml; read at import",
                 "core.profiles, benchmarks"),
        Variable("GENLAB_TINY_EVALUATOR", "", "another pixel-evaluator folder instead of the shipped one",
                 "tiny.evaluator"),
        Variable("GENLAB_OUTPUTS", "", "where lessons save pictures (else <repo>/outputs)", "lessons.lesson"),
        Variable("GENLAB_APPS", "", "the folder `genlab demo NAME` looks in (else <repo>/apps)", "ui.demo"),
        Variable("GENLAB_DEMO_PASSWORD", "", "`user:password` (or a password) that protects a demo", "ui.demo"),
        Variable("GENLAB_EXCHANGE", "", "nbgrader's exchange folder (else exercises/.exchange)",
                 "exercises/nbgrader_config.py, course"),
        Variable("GENLAB_ASSIGNMENT_DIR", "", "where a learner's fetched assignments go (else <repo>/my-assignments)",
                 "exercises/nbgrader_config.py"),
        Variable("GENLAB_CHECKING", "", "set by `genlab.check()` while it runs a notebook (stops it calling itself)",
                 "course.grading.check"),
        Variable("GENLAB_SANDBOX_KEEP", "", "1: keep each grading sandbox's working copy and kernel log (debugging)",
                 "course.sandbox"),
        Variable("GENLAB_PSEUDONYM_SALT", "", "the secret behind report pseudonyms (else ~/.config/genlab/pseudonym-salt)",
                 "course.progress"),
        Variable("GENLAB_TIMEZONE", "America/Mexico_City", "the time zone for dates in reports", "course.progress"),
        Variable("GENLAB_COURSE", "", "the nbgrader course folder the progress app reads (else exercises/)",
                 "apps/progress.py"),
        Variable("GENLAB_GRADEBOOK", "", "the gradebook's database URL for the progress app (else <course>/gradebook.db)",
                 "apps/progress.py"),
        Variable("GENLAB_PROGRAMME", "", "the programme file for the progress app (else workshops/programme.toml)",
                 "apps/progress.py"),
        Variable("GENLAB_PSEUDONYMISE", "", "1: the progress app shows pseudonyms instead of names", "apps/progress.py"),
        Variable("GENLAB_AS_OF", "", "the day the progress app checks the schedule on (YYYY-MM-DD; else today)",
                 "apps/progress.py"),
        Variable("GENLAB_HUB_CONFIG", "", "the cohort hub's settings file (else assets/hub/hub.toml)", "hub"),
        Variable("GENLAB_HUB", "", "1: set by the cohort hub in every learner's server (this Python runs on the hub)",
                 "hub"),
        Variable("GENLAB_LANG", "", "the reader's language, `es` or `en` (else the choice saved by `genlab lab --lang`, else LC_ALL/LC_MESSAGES/LANG, else es)",
                 "hub, core.remote"),
        Variable("GENLAB_DEFAULT_LANG", "", "the language for a reader who has not chosen one (the cohort hub sets "
                 "its `course.language`); GENLAB_LANG and `genlab lab --lang` win over it", "core.i18n, hub"),
        Variable("GENLAB_SERVICE_URL", "",
                 "the shared generation service (set by the hub in learners' servers, e.g. "
                 "http://127.0.0.1:8765/services/genlab-generate/): generate, img2img, inpaint and video use it",
                 "core.remote, hub.service"),
        Variable("GENLAB_SERVICE_TIMEOUT", "600", "seconds a kernel waits at most for one request to the shared service",
                 "core.remote"),
        Variable("GENLAB_SERVICE_IDLE", "30", "seconds of silence from the shared service after which a kernel gives up "
                 "(the service sends a heartbeat every 2 s while a request waits)", "core.remote"),
        Variable("GENLAB_SERVICE_RETRY", "60", "seconds a kernel waits for a restarted shared service before it says so "
                 "(the request is sent again with the same seed)", "core.remote"),
        Variable("GENLAB_C2PA_CERT", "", "the agency's C2PA signing certificate chain (PEM, signing certificate first) "
                 "for `genlab deliver` (else the development chain in ~/.config/genlab/c2pa-dev)", "core.provenance"),
        Variable("GENLAB_C2PA_KEY", "", "the private key (PEM) of GENLAB_C2PA_CERT", "core.provenance"),
        Variable("GENLAB_C2PA_TRUST_ANCHORS", "", "extra root certificates (PEM) `genlab verify` trusts besides the "
                 "development root", "core.provenance"),
        Variable("GENLAB_ARCHIVE", "", "the agency's archive, where `genlab deliver` keeps the originals with their "
                 "recipes (else the campaign's `archive`, else <campaign folder>/archive)", "core.delivery"),
    )
}


def get(name: str) -> str:
    """The variable's value (stripped), else its default; an unknown name is a programming error."""
    try:
        variable = VARIABLES[name]
    except KeyError:
        raise KeyError(f"{name} is not a genlab setting; add it to genlab/settings.py's VARIABLES table") from None
    value = os.environ.get(name, "").strip()
    return value or variable.default


def put(name: str, value: str) -> None:
    """Set a genlab variable for this process and what it starts (a lesson trusting its own test
    certificates, for example); an unknown name is a programming error, as in :func:`get`."""
    if name not in VARIABLES:
        raise KeyError(f"{name} is not a genlab setting; add it to genlab/settings.py's VARIABLES table")
    os.environ[name] = str(value)


def flag(name: str) -> bool:
    """A yes/no variable: set to anything but 0/false/no/off means yes."""
    return get(name).lower() not in ("", "0", "false", "no", "off")


def table_markdown() -> str:
    """The table of variables, as docs/ARCHITECTURE.md shows it."""
    rows = ["| variable | default | what it sets | read by |", "|---|---|---|---|"]
    for v in VARIABLES.values():
        rows.append(f"| `{v.name}` | {v.default or '—'} | {v.meaning} | {v.used_by} |")
    return "\n".join(rows)


# ---- where things live ---------------------------------------------------------------------------
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def _path_from_env(name: str, default: Path) -> Path:
    value = get(name)
    return Path(os.path.expanduser(value)) if value else default


ASSETS_DIR = _path_from_env("GENLAB_ASSETS", REPO_ROOT / "assets")
MODELS_TOML = _path_from_env("GENLAB_MODELS_TOML", ASSETS_DIR / "models.toml")
SAMPLERS_TOML = ASSETS_DIR / "samplers.toml"
MODELS_DIR = ASSETS_DIR / "models"
COURSE_DIR = REPO_ROOT / "exercises"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
WORKSHOPS_DIR = REPO_ROOT / "workshops"


def resolve_asset_path(path: str | os.PathLike) -> Path:
    """A path from a data file: absolute as given, relative ones are relative to the repo root."""
    p = Path(os.path.expanduser(str(path)))
    return p if p.is_absolute() else REPO_ROOT / p


def apps_dir() -> Path:
    return _path_from_env("GENLAB_APPS", REPO_ROOT / "apps")


def outputs_root() -> Path:
    """The folder lessons save into: $GENLAB_OUTPUTS, else `outputs/` at the repo root."""
    return _path_from_env("GENLAB_OUTPUTS", REPO_ROOT / "outputs")


def tiny_evaluator_dir() -> Path:
    """The pixel evaluator: $GENLAB_TINY_EVALUATOR, else the shipped one under the assets folder."""
    return _path_from_env("GENLAB_TINY_EVALUATOR", MODELS_DIR / "tiny-shapes-evaluator")


# ---- what is installed ---------------------------------------------------------------------------
def library_versions(names: tuple[str, ...], missing: str = "unknown") -> dict[str, str]:
    """The one reader of installed versions (recipes, the doctor, training runs): the version of each
    distribution in `names` (importlib.metadata), `missing` when absent."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = missing
    return out
