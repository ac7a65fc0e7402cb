"""`load_pipeline(task, profile)`: a ready diffusers pipeline, placed and tuned for this machine.

Offline first. A model that is not on disk fails at once with the command that fetches it;
nothing here touches the network (the only download is `fetch`, which a person runs on purpose).
Shipped models and fetched Hub models go through the very same `from_pretrained` code.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from genlab.core.i18n import say
from genlab.core.profiles import ModelSource, Profile, ProfileError, all_profiles, get_profile
from genlab.core.samplers import model_scheduler

IMAGE_TASKS = ("txt2img", "img2img", "inpaint")
VIDEO_TASKS = ("video", "i2v")

_cache: dict[tuple[str, str, str], object] = {}
_lock = threading.RLock()


class ModelNotFoundError(FileNotFoundError):
    """The profile's model files are not on this machine. The message says how to get them."""


def _hf_cache_dir() -> Path:
    """The Hugging Face Hub cache folder, found the way huggingface_hub finds it (without importing it)."""
    import sys

    if "huggingface_hub.constants" in sys.modules:
        return Path(sys.modules["huggingface_hub.constants"].HF_HUB_CACHE)
    env = os.environ
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"]).expanduser()
    home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def _hub_snapshot(source: ModelSource) -> Path | None:
    """The local folder of a Hub repo in the Hugging Face cache, or None. Never uses the network."""
    cache = _hf_cache_dir()
    if not (cache / f"models--{source.repo.replace('/', '--')}").is_dir():
        return None  # answered at once, before importing huggingface_hub
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(source.repo, revision=source.revision, local_files_only=True, cache_dir=cache))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        return None


def local_folder(source: ModelSource) -> Path | None:
    if source.path is not None:
        return source.path if (source.path / "model_index.json").exists() or (source.path / "config.json").exists() else None
    return _hub_snapshot(source)


def _sources(profile: Profile) -> list[ModelSource]:
    base = get_profile(profile.base) if profile.base else None
    found = [profile.source, profile.motion_adapter, base.source if base else None]
    return [s for s in found if s is not None]


def model_present(profile: Profile) -> bool:
    return all(local_folder(s) is not None for s in _sources(profile))


def missing_model_message(profile: Profile, source: ModelSource) -> str:
    """What a learner reads when a profile's model is not on this machine: how to get it (in their language)."""
    if source.path is not None:
        return say("pipelines.shipped_missing", profile=profile.name, path=source.path)
    offline = say("pipelines.offline_note") if _offline() else ""
    return say("pipelines.model_missing", profile=profile.name, repo=source.repo, revision=source.revision,
               gb=f"{profile.download_gb:g}", offline=offline, cache=_hf_cache_dir(), licence=profile.licence_in())


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def resolve(profile: Profile, source: ModelSource) -> Path:
    folder = local_folder(source)
    if folder is None:
        raise ModelNotFoundError(missing_model_message(profile, source))
    return folder


def torch_dtype(profile: Profile, device: str):
    import torch

    if device == "cpu":
        return torch.float32  # half precision on a CPU is slow and changes the pictures
    return getattr(torch, profile.dtype)


def apply_memory_strategy(pipe, profile: Profile, device: str):
    """Place the pipeline on `device` using the profile's memory strategies (diffusers' own switches)."""
    offload = None
    for strategy in profile.memory:
        if strategy == "attention_slicing":
            pipe.enable_attention_slicing()
        elif strategy == "vae_slicing":
            pipe.vae.enable_slicing()
        elif strategy == "vae_tiling":
            pipe.vae.enable_tiling()
        else:
            offload = strategy
    if offload and device == "cuda":
        getattr(pipe, f"enable_{offload}")()  # accelerate moves each model to the GPU only while it runs
    else:
        pipe.to(device)
    if profile.shipped:
        pipe.set_progress_bar_config(disable=True)  # tiny models finish before a bar is useful
    return pipe


@contextlib.contextmanager
def quiet_loading(enabled: bool = True):
    """Hide loading bars and library chatter (e.g. transformers' note that torchvision is absent).

    Used for the shipped tiny models, which load in a second: the bars only distract learners.
    Real models keep their progress bars (loading them takes a while). Restores the settings after.
    """
    if not enabled:
        yield
        return
    import diffusers.utils.logging as dlog
    import transformers.utils.logging as tlog

    levels = dlog.get_verbosity(), tlog.get_verbosity()
    bars = dlog.is_progress_bar_enabled(), tlog.is_progress_bar_enabled()
    dlog.set_verbosity_error(), tlog.set_verbosity_error()
    dlog.disable_progress_bar(), tlog.disable_progress_bar()
    try:
        yield
    finally:
        dlog.set_verbosity(levels[0]), tlog.set_verbosity(levels[1])
        if bars[0]:
            dlog.enable_progress_bar()
        if bars[1]:
            tlog.enable_progress_bar()


def _load_base(profile: Profile, device: str):
    """The profile's main pipeline, loaded from disk with from_pretrained."""
    import diffusers

    folder = resolve(profile, profile.source)
    kwargs = dict(dtype=torch_dtype(profile, device))
    if profile.variant and profile.source.path is None and device != "cpu":
        kwargs["variant"] = profile.variant
    if profile.pipeline:
        cls = getattr(diffusers, profile.pipeline)
    else:
        cls = diffusers.AutoPipelineForText2Image
    return cls.from_pretrained(folder, **kwargs)


def _load_motion_adapter(profile: Profile, device: str):
    from diffusers import MotionAdapter

    folder = resolve(profile, profile.motion_adapter)
    return MotionAdapter.from_pretrained(folder, dtype=torch_dtype(profile, device))


def load_pipeline(task: str = "txt2img", profile: str | Profile | None = None, *, device: str | None = None):
    """A ready diffusers pipeline for `task` ("txt2img", "img2img", "inpaint", "video", "i2v").

    `profile` is a name from assets/models.toml (default: GENLAB_PROFILE, else `tiny`; for video
    tasks GENLAB_VIDEO_PROFILE, else `tiny-video`). Pipelines are cached per process, and the
    image tasks of one profile share the same weights in memory (diffusers' `from_pipe`).
    """
    from genlab.core.hardware import best_device

    if task not in IMAGE_TASKS + VIDEO_TASKS:
        raise ValueError(say("pipelines.unknown_task", task=task, tasks=", ".join(IMAGE_TASKS + VIDEO_TASKS)))
    if not isinstance(profile, Profile):
        profile = get_profile(profile, video=task in VIDEO_TASKS)
    if task not in profile.tasks:
        able = [name for name, p in all_profiles().items() if task in p.tasks]
        raise ProfileError(say("pipelines.task_unsupported", profile=profile.name, task=task,
                               tasks=", ".join(profile.tasks), able=", ".join(able)))
    for source in _sources(profile):  # fail fast, before any heavy import, when a model is missing
        resolve(profile, source)
    device = device or best_device()

    key = (profile.name, task, device)
    with _lock:
        if key in _cache:
            return _cache[key]
        with quiet_loading(profile.shipped):
            pipe = _build(task, profile, device)
        _cache[key] = pipe
        return pipe


def _build(task: str, profile: Profile, device: str):
    import diffusers

    if task in IMAGE_TASKS:
        base = _cache.get((profile.name, "txt2img", device))
        if base is None:
            base = apply_memory_strategy(_load_base(profile, device), profile, device)
            _cache[(profile.name, "txt2img", device)] = base
        if task == "txt2img":
            return base
        auto = {"img2img": diffusers.AutoPipelineForImage2Image, "inpaint": diffusers.AutoPipelineForInpainting}[task]
        return apply_memory_strategy(auto.from_pipe(base), profile, device)

    # video
    if profile.motion_adapter is not None:  # AnimateDiff: a motion adapter on an image model
        base = load_pipeline("txt2img", profile.base, device=device)
        cls = getattr(diffusers, profile.pipeline or "AnimateDiffPipeline")
        # the image model's own scheduler, not whichever sampler its last picture used
        pipe = cls.from_pipe(base, motion_adapter=_load_motion_adapter(profile, device), scheduler=model_scheduler(base))
        return apply_memory_strategy(pipe, profile, device)
    pipe = apply_memory_strategy(_load_base(profile, device), profile, device)
    if task == "i2v":
        i2v = getattr(diffusers, (profile.pipeline or "").replace("Pipeline", "ImageToVideoPipeline"), None)
        if i2v is None:
            raise ProfileError(say("pipelines.no_i2v", profile=profile.name))
        return apply_memory_strategy(i2v.from_pipe(pipe), profile, device)
    return pipe


def control_pipeline(profile: str | Profile | None, condition: str, *, device: str | None = None):
    """The profile's text-to-image pipeline with its ControlNet for ``condition`` (models.toml
    ``controls``): diffusers' ControlNet pipeline built with ``from_pipe`` on the same weights, the
    ControlNet loaded with ``from_pretrained`` of a shipped folder or the Hub cache (never the network)."""
    from genlab.core.hardware import best_device
    from genlab.core.profiles import control_model

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    model = control_model(profile, condition)
    resolve(profile, model.source)  # fail fast with the fetch command when it is not on this machine
    device = device or best_device()
    base = load_pipeline("txt2img", profile, device=device)
    key = (profile.name, f"control:{condition}", device)
    with _lock:
        if key not in _cache:
            import diffusers

            with quiet_loading(profile.shipped):
                kwargs = dict(dtype=torch_dtype(profile, device))
                if profile.variant and model.source.path is None and device != "cpu":
                    kwargs["variant"] = profile.variant  # what `genlab fetch --control` downloads
                net = diffusers.ControlNetModel.from_pretrained(resolve(profile, model.source), **kwargs)
                pipe = diffusers.AutoPipelineForText2Image.from_pipe(base, controlnet=net.to(base.device))
            _cache[key] = apply_memory_strategy(pipe, profile, device)
        return _cache[key]


def reference_pipeline(profile: str | Profile | None, *, device: str | None = None):
    """The profile's text-to-image pipeline with its IP-Adapter (models.toml ``ip_adapter``) loaded.

    Loading an IP-Adapter changes the UNet's attention processors, so this pipeline gets its own copy
    of the UNet (the VAE and text encoder are shared through ``from_pipe``); pictures without a
    reference keep using the untouched one."""
    import copy

    from genlab.core.hardware import best_device
    from genlab.core.i18n import UserError

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    adapter = profile.ip_adapter
    if adapter is None:
        raise UserError("composition.no_reference", profile=profile.name)
    if adapter.source.path is not None:
        folder = adapter.source.path
        if not (folder / adapter.subfolder / adapter.weight_name).exists():
            raise ModelNotFoundError(missing_model_message(profile, adapter.source))
    else:
        folder = resolve(profile, adapter.source)
    device = device or best_device()
    base = load_pipeline("txt2img", profile, device=device)
    key = (profile.name, "reference", device)
    with _lock:
        if key not in _cache:
            import diffusers

            with quiet_loading(profile.shipped):
                pipe = diffusers.AutoPipelineForText2Image.from_pipe(base, unet=copy.deepcopy(base.unet))
                pipe.load_ip_adapter(str(folder), subfolder=adapter.subfolder, weight_name=adapter.weight_name,
                                     image_encoder_folder=adapter.image_encoder, local_files_only=True)
                pipe.image_encoder.to(device=base.device, dtype=base.unet.dtype)
            _cache[key] = pipe
        return _cache[key]


def upscaler_pipeline(profile: str | Profile | None, *, device: str | None = None):
    """The profile's diffusion upscaler (models.toml ``upscaler``): diffusers'
    ``StableDiffusionUpscalePipeline`` from a shipped folder or the Hub cache (never the network)."""
    from genlab.core.hardware import best_device
    from genlab.core.i18n import UserError

    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    if profile.upscaler is None:
        raise UserError("finishing.no_upscaler", profile=profile.name)
    folder = resolve(profile, profile.upscaler)
    device = device or best_device()
    key = (profile.name, "upscale", device)
    with _lock:
        if key not in _cache:
            import diffusers

            kwargs = dict(dtype=torch_dtype(profile, device))
            if profile.variant and profile.upscaler.path is None and device != "cpu":
                kwargs["variant"] = profile.variant
            with quiet_loading(profile.shipped):
                pipe = diffusers.StableDiffusionUpscalePipeline.from_pretrained(folder, **kwargs)
            _cache[key] = apply_memory_strategy(pipe.to(device), profile, device)
        return _cache[key]


def image_to_video_pipeline(profile: str | Profile | None = None, *, device: str | None = None):
    """The pipeline that turns a still picture into a clip for a video profile.

    The profile's own image-to-video pipeline when its tasks include "i2v" (LTX-Video); on an
    AnimateDiff profile, diffusers' `AnimateDiffVideoToVideoPipeline` built with `from_pipe` on the
    same weights (diffusers has no dedicated AnimateDiff image-to-video pipeline: the still,
    repeated, is the video, and `strength` says how far the frames may move away from it).
    """
    from genlab.core.hardware import best_device
    from genlab.core.i18n import UserError

    if not isinstance(profile, Profile):
        profile = get_profile(profile, video=True)
    if "i2v" in profile.tasks:
        return load_pipeline("i2v", profile, device=device)
    device = device or best_device()
    base = load_pipeline("video", profile, device=device)
    if profile.motion_adapter is None:
        raise UserError("errors.task_not_offered", task="image to video", profile=profile.name)
    key = (profile.name, "i2v", device)
    with _lock:
        if key not in _cache:
            from diffusers import AnimateDiffVideoToVideoPipeline

            i2v = AnimateDiffVideoToVideoPipeline.from_pipe(base, scheduler=model_scheduler(base))
            _cache[key] = apply_memory_strategy(i2v, profile, device)
        return _cache[key]


def clear_cache() -> None:
    """Forget loaded pipelines (frees memory; the next call loads again)."""
    with _lock:
        _cache.clear()


def fetch(profile_name: str, *, allow_patterns: list[str] | None = None, controls: list[str] | None = None,
          upscaler: bool = False, reference: bool = False) -> list[Path]:
    """Download a profile's models from the Hugging Face Hub at the pinned revision (with progress).

    ``controls``: also its ControlNets for these conditions (``["all"]`` for every one);
    ``upscaler``: also its diffusion upscaler (a whole pipeline folder); ``reference``: also its
    IP-Adapter and the image encoder it needs."""
    from huggingface_hub import snapshot_download

    from genlab.core.profiles import control_model

    profile = get_profile(profile_name)
    wanted = list(profile.controls) if controls and "all" in controls else list(controls or [])
    control_sources = [control_model(profile, c).source for c in wanted]  # an unknown condition: a clear error first
    if _offline():
        raise RuntimeError(say("pipelines.fetch_offline", profile=profile_name))
    done = []
    extra = ([profile.upscaler] if upscaler and profile.upscaler is not None else [])
    extra += [profile.ip_adapter.source] if reference and profile.ip_adapter is not None else []
    for source in _sources(profile) + control_sources + extra:
        if source.path is not None:
            done.append(source.path)  # shipped with genlab
            continue
        is_pipeline = source in (profile.source, get_profile(profile.base).source if profile.base else None, profile.upscaler)
        if allow_patterns:
            patterns = allow_patterns
        elif is_pipeline:
            weights = f"*/*.{profile.variant}.safetensors" if profile.variant else "*/*.safetensors"
            patterns = ["model_index.json", "*/*.json", "*/*.txt", "*/*.model", weights]
        elif profile.ip_adapter is not None and source == profile.ip_adapter.source:
            ip = profile.ip_adapter
            patterns = [f"{ip.subfolder}/{ip.weight_name}", f"{ip.image_encoder}/*.json", f"{ip.image_encoder}/*.safetensors"]
        elif source in control_sources:  # a ControlNet: its config and the weights in the profile's variant
            patterns = ["config.json", f"*.{profile.variant}.safetensors" if profile.variant else "diffusion_pytorch_model.safetensors"]
        else:
            patterns = ["*.json", "*.safetensors"]
        print(say("pipelines.fetching", repo=source.repo, revision=source.revision, profile=profile.name))
        folder = Path(snapshot_download(source.repo, revision=source.revision, allow_patterns=patterns))
        if folder.name != source.revision:  # a branch name: say which commit it was, so it can be pinned
            print("  " + say("pipelines.pin_revision", repo=source.repo, revision=source.revision, commit=folder.name))
        done.append(folder)
    return done
