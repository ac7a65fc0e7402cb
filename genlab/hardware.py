"""What machine is this, and which profile fits it (`genlab doctor`)."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import asdict, dataclass

from . import paths
from .profiles import Profile, all_profiles


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
    forced = os.environ.get("GENLAB_DEVICE")
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
        free_disk_gb=round(shutil.disk_usage(paths.REPO_ROOT).free / 1024**3, 1),
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


@dataclass
class DoctorReport:
    hardware: Hardware
    python: str
    versions: dict[str, str]
    present: dict[str, str]
    recommended: str
    reason: str
    recommended_video: str
    reason_video: str

    def as_dict(self) -> dict:
        d = asdict(self)
        return d

    def __str__(self) -> str:
        hw = self.hardware
        gpu = {
            "cuda": f"NVIDIA GPU: {hw.gpu_name}, {hw.vram_gb:g} GB of video memory",
            "mps": f"{hw.gpu_name} (Metal / MPS), about {hw.vram_gb:g} GB usable",
            "cpu": "No GPU: running on the CPU",
        }[hw.device]
        lines = [
            "genlab doctor",
            f"  Device      {gpu}",
            f"  Memory      {hw.ram_gb:g} GB RAM, {hw.cpu_count} CPU cores",
            f"  Disk        {hw.free_disk_gb:g} GB free",
            f"  Software    Python {self.python}, " + ", ".join(f"{k} {v}" for k, v in self.versions.items()),
            "  Models",
        ]
        for name, status in self.present.items():
            lines.append(f"    {status}")
        lines += [
            f"  Recommended for pictures: {self.recommended}",
            f"    {self.reason}",
            f"  Recommended for video:    {self.recommended_video}",
            f"    {self.reason_video}",
            f"  Use it: GENLAB_PROFILE={self.recommended} (or profile='{self.recommended}' in a notebook).",
        ]
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle):  # nice display in notebooks
        p.text(str(self))


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "not installed"


def _presence(profile: Profile, ok: bool) -> str:
    if ok:
        return f"ready    {profile.name}"
    if profile.shipped:
        return f"missing  {profile.name}   (ships with genlab: `git checkout -- assets/models` or `genlab tiny train`)"
    return f"missing  {profile.name}   (about {profile.download_gb:g} GB: `genlab fetch {profile.name}`)"


def doctor() -> DoctorReport:
    """Everything a learner or trainer needs to know about this machine, in plain language."""
    from .pipelines import model_present

    hw = detect()
    profiles = all_profiles()
    rec, why = recommend(hw, profiles)
    rec_v, why_v = recommend(hw, profiles, video=True)
    return DoctorReport(
        hardware=hw,
        python=sys.version.split()[0],
        versions={m: _version(m) for m in ("torch", "diffusers", "transformers", "gradio", "nbgrader")},
        present={name: _presence(p, model_present(p)) for name, p in profiles.items()},
        recommended=rec,
        reason=why,
        recommended_video=rec_v,
        reason_video=why_v,
    )
