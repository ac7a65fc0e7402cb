"""Hardware profiles: which model runs where, and how. Loaded from ``assets/models.toml``
(or the file named by the ``GENLAB_MODELS_TOML`` environment variable, see ``settings.py``).

Profiles are data. This module only reads and checks them; ``pipelines.py`` acts on them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from genlab import settings
from genlab.core.i18n import current_language, say

TASKS = ("txt2img", "img2img", "inpaint", "video", "i2v")
MEMORY_STRATEGIES = (
    "attention_slicing",
    "vae_slicing",
    "vae_tiling",
    "model_cpu_offload",
    "sequential_cpu_offload",
)


class ProfileError(ValueError):
    """A profile name or a profile's data is wrong."""


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files come from: a local folder, or a Hub repo at a revision."""

    path: Path | None = None
    repo: str | None = None
    revision: str = "main"

    def describe(self) -> str:
        return str(self.path) if self.path else f"{self.repo}@{self.revision}"


CONTROL_INPUTS = ("drawing", "edges", "map")


@dataclass(frozen=True)
class ControlModel:
    """A ControlNet a profile offers for one condition (``[profiles.NAME.controls.CONDITION]``).

    ``input`` says what a person hands in: ``drawing`` (dark strokes on a light page: a sketch or
    layout boxes), ``edges`` (any picture: its edges are found, as A1111's canny preprocessor
    does) or ``map`` (a ready control map, e.g. depth or pose, used as it is).
    """

    condition: str
    source: ModelSource
    input: str = "drawing"
    licence: str = ""
    download_gb: float = 0

    @property
    def model_name(self) -> str:
        return self.source.path.name if self.source.path else self.source.repo.split("/")[-1]


@dataclass(frozen=True)
class IPAdapterModel:
    """An IP-Adapter (``[profiles.NAME.ip_adapter]``): a brand reference picture steers the picture.
    ``source`` holds ``subfolder/weight_name`` and the CLIP image encoder in ``image_encoder``."""

    source: ModelSource
    subfolder: str
    weight_name: str
    image_encoder: str
    licence: str = ""
    download_gb: float = 0


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    tasks: tuple[str, ...]
    source: ModelSource | None
    dtype: str = "float32"
    memory: tuple[str, ...] = ()
    devices: tuple[str, ...] = ("cpu", "mps", "cuda")
    min_vram_gb: float = 0
    rank: int = 0
    licence: str = ""
    download_gb: float = 0
    pipeline: str | None = None
    variant: str | None = None
    base: str | None = None
    motion_adapter: ModelSource | None = None
    defaults: dict = field(default_factory=dict)
    sizes: tuple[tuple[int, int], ...] = ()
    room_batch: int = 4
    controls: dict = field(default_factory=dict)  # condition -> ControlModel
    hires_fix: bool = False  # upscale, then image to image at the new size (A1111's hires fix)
    upscaler: ModelSource | None = None  # a diffusers StableDiffusionUpscalePipeline (x4), for genlab.upscale(model=True)
    ip_adapter: IPAdapterModel | None = None  # genlab.generate(reference=picture)
    title_es: str = ""  # the title in es-MX (models.toml `title_es`); read it through title_in()
    licence_es: str = ""  # the licence with its note in es-MX (`licence_es`); read it through licence_in()

    def title_in(self, lang: str | None = None) -> str:
        """The title a person reads, in ``lang`` (default: ``current_language()``); English when
        models.toml has no Spanish one."""
        return self.title_es if (lang or current_language()) == "es" and self.title_es else self.title

    def licence_in(self, lang: str | None = None) -> str:
        """The licence as a person reads it, in ``lang`` (default: ``current_language()``). ``licence``
        itself stays the English text the licence table matches (genlab.lessons.responsible)."""
        return self.licence_es if (lang or current_language()) == "es" and self.licence_es else self.licence

    @property
    def is_video(self) -> bool:
        return "video" in self.tasks or "i2v" in self.tasks

    @property
    def shipped(self) -> bool:
        """True when every file this profile needs ships inside the repo (no download)."""
        sources = [s for s in (self.source, self.motion_adapter) if s is not None]
        sources += [c.source for c in self.controls.values()] + ([self.upscaler] if self.upscaler else [])
        sources += [self.ip_adapter.source] if self.ip_adapter else []
        return all(s.path is not None for s in sources)

    def check_size(self, width: int, height: int) -> None:
        if self.sizes and (width, height) not in self.sizes:
            allowed = ", ".join(f"{w}x{h}" for w, h in self.sizes)
            raise ProfileError(say("profiles.wrong_size", name=self.name, allowed=allowed, size=f"{width}x{height}"))


def _source(data: dict | str | None, name: str, what: str) -> ModelSource | None:
    if data is None:
        return None
    if isinstance(data, str):
        data = {"path": data}
    if "path" in data:
        return ModelSource(path=settings.resolve_asset_path(data["path"]))
    if "repo" in data:
        return ModelSource(repo=data["repo"], revision=str(data.get("revision", "main")))
    raise ProfileError(f"Profile '{name}': {what} needs either `path` or `repo` in models.toml.")


def _controls(name: str, data: dict) -> dict:
    controls = {}
    for condition, entry in data.get("controls", {}).items():
        source = _source(entry, name, f"controls.{condition}")
        kind = entry.get("input", "drawing") if isinstance(entry, dict) else "drawing"
        if kind not in CONTROL_INPUTS:
            raise ProfileError(f"Profile '{name}': controls.{condition}.input must be one of {CONTROL_INPUTS}, got {kind!r}.")
        extra = entry if isinstance(entry, dict) else {}
        controls[condition] = ControlModel(condition, source, kind, extra.get("licence", ""), float(extra.get("download_gb", 0)))
    return controls


def _ip_adapter(name: str, data: dict | None) -> IPAdapterModel | None:
    if data is None:
        return None
    missing = [k for k in ("subfolder", "weight_name", "image_encoder") if k not in data]
    if missing:
        raise ProfileError(f"Profile '{name}': ip_adapter needs {', '.join(missing)} in models.toml.")
    return IPAdapterModel(_source(data, name, "ip_adapter"), data["subfolder"], data["weight_name"], data["image_encoder"],
                          data.get("licence", ""), float(data.get("download_gb", 0)))


def _profile(name: str, data: dict) -> Profile:
    tasks = tuple(data.get("tasks", ()))
    unknown = [t for t in tasks if t not in TASKS]
    if not tasks or unknown:
        raise ProfileError(f"Profile '{name}': tasks must be some of {TASKS}, got {list(tasks)}.")
    memory = tuple(data.get("memory", ()))
    bad = [m for m in memory if m not in MEMORY_STRATEGIES]
    if bad:
        raise ProfileError(f"Profile '{name}': unknown memory strategy {bad}; use {MEMORY_STRATEGIES}.")
    source = _source(data if ("path" in data or "repo" in data) else None, name, "its model")
    if source is None and not data.get("base"):
        raise ProfileError(f"Profile '{name}' names no model: give `path`, `repo` or `base`.")
    return Profile(
        name=name,
        title=data.get("title", name),
        tasks=tasks,
        source=source,
        dtype=data.get("dtype", "float32"),
        memory=memory,
        devices=tuple(data.get("devices", ("cpu", "mps", "cuda"))),
        min_vram_gb=float(data.get("min_vram_gb", 0)),
        rank=int(data.get("rank", 0)),
        licence=data.get("licence", ""),
        download_gb=float(data.get("download_gb", 0)),
        pipeline=data.get("pipeline"),
        variant=data.get("variant"),
        base=data.get("base"),
        motion_adapter=_source(data.get("motion_adapter"), name, "motion_adapter"),
        defaults=dict(data.get("defaults", {})),
        sizes=tuple(tuple(s) for s in data.get("sizes", ())),
        room_batch=int(data.get("room_batch", 4)),
        controls=_controls(name, data),
        hires_fix=bool(data.get("hires_fix", False)),
        upscaler=_source(data.get("upscaler"), name, "upscaler"),
        ip_adapter=_ip_adapter(name, data.get("ip_adapter")),
        title_es=data.get("title_es", ""),
        licence_es=data.get("licence_es", ""),
    )


@lru_cache(maxsize=4)
def _load(toml_path: str) -> tuple[dict[str, Profile], str, str]:
    with open(toml_path, "rb") as f:
        raw = tomllib.load(f)
    profiles = {name: _profile(name, data) for name, data in raw.get("profiles", {}).items()}
    for p in profiles.values():
        if p.base and p.base not in profiles:
            raise ProfileError(f"Profile '{p.name}' builds on '{p.base}', which models.toml does not define.")
    return profiles, raw.get("default", "tiny"), raw.get("default_video", "tiny-video")


def all_profiles(toml_path: str | os.PathLike | None = None) -> dict[str, Profile]:
    return dict(_load(str(toml_path or settings.MODELS_TOML))[0])


def default_profile_name(video: bool = False) -> str:
    """GENLAB_PROFILE (or GENLAB_VIDEO_PROFILE) when set, else models.toml's default."""
    _, image_default, video_default = _load(str(settings.MODELS_TOML))
    if video:
        return settings.get("GENLAB_VIDEO_PROFILE") or video_default
    return settings.get("GENLAB_PROFILE") or image_default


def get_profile(name: str | None = None, *, video: bool = False) -> Profile:
    """The named profile, or the default one (GENLAB_PROFILE / models.toml)."""
    name = name or default_profile_name(video=video)
    profiles = all_profiles()
    if name not in profiles:
        raise ProfileError(say("profiles.unknown", name=name, profiles=", ".join(profiles)))
    return profiles[name]


def control_model(profile: Profile, condition: str | None) -> ControlModel:
    """The profile's ControlNet for ``condition``, or a clear error listing what it offers."""
    from genlab.core.i18n import UserError

    offered = ", ".join(profile.controls) or "-"
    if not profile.controls:
        raise UserError("composition.no_controls", profile=profile.name)
    if condition is None:
        raise UserError("composition.condition_needed", offered=offered)
    if condition not in profile.controls:
        raise UserError("composition.unknown_condition", condition=condition, profile=profile.name, offered=offered)
    return profile.controls[condition]
