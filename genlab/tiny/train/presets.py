"""The training presets (data: ``assets/presets/tiny_train.toml``) and the start-of-run estimate.

``smoke`` (CI, seconds), ``cpu`` (both models in ~85 min on 2 CPU cores), ``gpu`` (what genlab
ships: image + motion in ~6 minutes on one H200). The TOML file documents every key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from genlab import settings
from genlab.tiny import architecture as arch

PRESETS_TOML = settings.ASSETS_DIR / "presets" / "tiny_train.toml"

# Rates measured on a 2-core CPU (items/s), used for the start-of-run estimate.
CPU_RATES = dict(vae_px=24 * 64 * 64, unet=45, encode=60, motion=5.0, motion_with_contrast=1.7,
                 controlnet=9.0, control_examples=16)


def load_presets(path: str | Path = PRESETS_TOML) -> dict[str, dict]:
    """{name: settings} from a presets file; ``vae_crop = 0`` (whole frames) reads as None."""
    with open(path, "rb") as f:
        presets = tomllib.load(f)
    for preset in presets.values():
        preset["vae_crop"] = preset.get("vae_crop") or None
    return presets


PRESETS: dict[str, dict] = load_presets()


def estimate_cpu_minutes(cfg: dict, what: str) -> float:
    """How long a preset's step counts would take on 2 CPU cores (printed at the start of a run)."""
    if what == "image":
        crop = cfg["vae_crop"] or arch.IMAGE_SIZE
        s = cfg["vae_steps"] * cfg["vae_batch"] * crop * crop / CPU_RATES["vae_px"]
        s += cfg["n_latents"] / CPU_RATES["encode"]
        s += cfg["unet_steps"] * cfg["unet_batch"] / CPU_RATES["unet"]
    elif what == "controlnet":
        s = cfg["controlnet_examples"] / CPU_RATES["control_examples"]
        s += cfg["controlnet_steps"] * cfg["controlnet_batch"] / CPU_RATES["controlnet"]
    else:
        s = cfg["n_clips"] * cfg["n_frames"] / CPU_RATES["encode"]
        s += cfg["motion_steps"] * cfg["motion_batch"] / CPU_RATES["motion_with_contrast" if cfg["motion_contrast"] else "motion"]
    return s / 60 + 0.3


MODEL_NAMES = {"image": "tiny-shapes", "motion": "tiny-shapes-motion", "controlnet": "tiny-shapes-controlnet"}


def default_out(what: str) -> Path:
    """Where a trained model goes by default: the shipped model's folder under the assets."""
    return settings.MODELS_DIR / MODEL_NAMES[what]
