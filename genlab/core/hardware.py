"""What machine is this, and which profile fits it (`genlab doctor`)."""

from __future__ import annotations

import os
import platform
import shutil
from dataclasses import dataclass

from genlab import settings
from genlab.core.profiles import Profile, all_profiles


@dataclass(frozen=True)
class Hardware:
    device: str  # "cuda", "mps" or "cpu"
    gpu_name: str | None = None
    vram_gb: float = 0.0
    ram_gb: float = 0.0
    free_disk_gb: float = 0.0
    cpu_count: int = 1


def best_device() -> str:
    """cuda when an NVIDIA GPU is usable, else mps (Apple silicon), else cpu.

    GENLAB_DEVICE forces one (e.g. GENLAB_DEVICE=cpu to compare speeds on a GPU machine).
    """
    forced = settings.get("GENLAB_DEVICE")
    if forced:
        return forced
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _ram_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return 0.0


def detect() -> Hardware:
    import torch

    device = best_device()
    gpu_name, vram = None, 0.0
    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        gpu_name, vram = props.name, props.total_memory / 1024**3
    elif device == "mps":
        gpu_name = f"Apple silicon ({platform.machine()})"
        vram = _ram_gb() * 0.6  # unified memory: about 60% is usable by the GPU
    return Hardware(
        device=device,
        gpu_name=gpu_name,
        vram_gb=round(vram, 1),
        ram_gb=round(_ram_gb(), 1),
        free_disk_gb=round(shutil.disk_usage(settings.REPO_ROOT).free / 1024**3, 1),
        cpu_count=os.cpu_count() or 1,
    )


def fits(profile: Profile, hw: Hardware) -> bool:
    if hw.device not in profile.devices:
        return False
    return hw.device == "cpu" or profile.min_vram_gb <= hw.vram_gb


def recommend(hw: Hardware, profiles: dict[str, Profile] | None = None, *, video: bool = False) -> tuple[str, str]:
    """The best profile this machine runs comfortably, and the reason in plain words."""
    profiles = profiles if profiles is not None else all_profiles()
    candidates = [p for p in profiles.values() if p.is_video == video and fits(p, hw)]
    if not candidates:
        raise LookupError("No profile fits this machine; check assets/models.toml.")
    best = max(candidates, key=lambda p: (p.rank, -p.min_vram_gb))
    if hw.device == "cpu":
        why = (
            "No GPU was found, so genlab uses its tiny shipped models: every lesson and exercise "
            "works, in seconds, with small pictures of shapes."
        )
    else:
        where = f"{hw.gpu_name} with {hw.vram_gb:g} GB" if hw.device == "cuda" else hw.gpu_name
        why = f"{where}: '{best.name}' is the best model that fits comfortably ({best.min_vram_gb:g} GB or more)."
        better = [p for p in profiles.values() if p.is_video == video and p.rank > best.rank and hw.device in p.devices]
        if better:
            nxt = min(better, key=lambda p: p.min_vram_gb)
            why += f" '{nxt.name}' needs about {nxt.min_vram_gb:g} GB."
    return best.name, why


RECIPE_LIBRARIES = ("genlab", "torch", "diffusers", "transformers")  # what a recipe records


def library_versions(names: tuple[str, ...] = RECIPE_LIBRARIES, missing: str = "unknown") -> dict[str, str]:
    """The versions a recipe records (genlab.settings.library_versions has the one reader)."""
    return settings.library_versions(names, missing)
