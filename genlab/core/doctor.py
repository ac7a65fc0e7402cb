"""`genlab doctor`: what this machine can run, which profile fits, which models are here."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass

from genlab.core.hardware import Hardware, detect, library_versions, recommend
from genlab.core.i18n import say
from genlab.core.profiles import Profile, all_profiles

NOT_INSTALLED = "not installed"  # the value `versions` holds for a missing library (shown in the reader's language)


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
        gpu = say(f"doctor.gpu_{hw.device}", gpu=hw.gpu_name, gb=f"{hw.vram_gb:g}")
        versions = ", ".join(f"{k} {say('doctor.not_installed') if v == NOT_INSTALLED else v}" for k, v in self.versions.items())
        width = max(12, *(len(say(f"doctor.{k}")) + 2 for k in ("device", "memory", "disk", "software")))
        lines = [
            "genlab doctor",
            f"  {say('doctor.device'):<{width}}{gpu}",
            f"  {say('doctor.memory'):<{width}}" + say("doctor.memory_value", ram=f"{hw.ram_gb:g}", cores=hw.cpu_count),
            f"  {say('doctor.disk'):<{width}}" + say("doctor.disk_value", gb=f"{hw.free_disk_gb:g}"),
            f"  {say('doctor.software'):<{width}}Python {self.python}, {versions}",
            f"  {say('doctor.models')}",
        ]
        for name, status in self.present.items():
            lines.append(f"    {status}")
        lines += [
            "  " + say("doctor.recommended_pictures", profile=self.recommended),
            f"    {reason_text(hw, self.recommended, video=False)}",
            "  " + say("doctor.recommended_video", profile=self.recommended_video),
            f"    {reason_text(hw, self.recommended_video, video=True)}",
            "  " + say("doctor.use_it", profile=self.recommended),
        ]
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle):  # nice display in notebooks
        p.text(str(self))


def reason_text(hw: Hardware, name: str, *, video: bool = False, profiles: dict[str, Profile] | None = None) -> str:
    """Why `name` is recommended on this machine, in the reader's language.

    The same reasoning as `genlab.core.hardware.recommend` (whose English it repeats word for
    word; a test compares them), told with the catalogue's texts (doctor.reason_*).
    """
    profiles = profiles if profiles is not None else all_profiles()
    if hw.device == "cpu":
        return say("doctor.reason_cpu")
    best = profiles[name]
    where = say("doctor.where_cuda", gpu=hw.gpu_name, gb=f"{hw.vram_gb:g}") if hw.device == "cuda" else hw.gpu_name
    why = say("doctor.reason_gpu", where=where, profile=best.name, gb=f"{best.min_vram_gb:g}")
    better = [p for p in profiles.values() if p.is_video == video and p.rank > best.rank and hw.device in p.devices]
    if better:
        nxt = min(better, key=lambda p: p.min_vram_gb)
        why += " " + say("doctor.reason_next", profile=nxt.name, gb=f"{nxt.min_vram_gb:g}")
    return why


def _presence(profile: Profile, ok: bool) -> str:
    if ok:
        return say("doctor.ready", profile=profile.name)
    if profile.shipped:
        return say("doctor.missing_shipped", profile=profile.name)
    return say("doctor.missing_download", profile=profile.name, gb=f"{profile.download_gb:g}")


def doctor() -> DoctorReport:
    """Everything a learner or trainer needs to know about this machine, in plain language."""
    from genlab.core.pipelines import model_present

    hw = detect()
    profiles = all_profiles()
    rec, _why = recommend(hw, profiles)
    rec_v, _why_v = recommend(hw, profiles, video=True)
    # the reasons in the reader's language (in English: recommend()'s own words, tested)
    why = reason_text(hw, rec, video=False, profiles=profiles)
    why_v = reason_text(hw, rec_v, video=True, profiles=profiles)
    return DoctorReport(
        hardware=hw,
        python=sys.version.split()[0],
        versions=library_versions(("torch", "diffusers", "transformers", "gradio", "nbgrader"), missing=NOT_INSTALLED),
        present={name: _presence(p, model_present(p)) for name, p in profiles.items()},
        recommended=rec,
        reason=why,
        recommended_video=rec_v,
        reason_video=why_v,
    )
