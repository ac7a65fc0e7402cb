"""`genlab doctor`: what this machine can run, which profile fits, which models are here."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass

from genlab.core.hardware import Hardware, detect, library_versions, recommend
from genlab.core.profiles import Profile, all_profiles


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


def _presence(profile: Profile, ok: bool) -> str:
    if ok:
        return f"ready    {profile.name}"
    if profile.shipped:
        return f"missing  {profile.name}   (ships with genlab: `git checkout -- assets/models` or `genlab tiny train`)"
    return f"missing  {profile.name}   (about {profile.download_gb:g} GB: `genlab fetch {profile.name}`)"


def doctor() -> DoctorReport:
    """Everything a learner or trainer needs to know about this machine, in plain language."""
    from genlab.core.pipelines import model_present

    hw = detect()
    profiles = all_profiles()
    rec, why = recommend(hw, profiles)
    rec_v, why_v = recommend(hw, profiles, video=True)
    return DoctorReport(
        hardware=hw,
        python=sys.version.split()[0],
        versions=library_versions(("torch", "diffusers", "transformers", "gradio", "nbgrader"), missing="not installed"),
        present={name: _presence(p, model_present(p)) for name, p in profiles.items()},
        recommended=rec,
        reason=why,
        recommended_video=rec_v,
        reason_video=why_v,
    )
