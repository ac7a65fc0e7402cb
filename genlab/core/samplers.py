"""Samplers by the names designers know ("DPM++ 2M", "Euler a"), as diffusers schedulers.

assets/samplers.toml maps each name to a scheduler class and its options; `use_sampler` sets one on
a pipeline for a run and `generation_lock` keeps one run at a time per process (a scheduler holds
state while it runs).
"""

from __future__ import annotations

import threading
import tomllib
from functools import lru_cache

from genlab import settings
from genlab.core.i18n import say

generation_lock = threading.RLock()  # a scheduler holds state while it runs: one run at a time per process


@lru_cache(maxsize=1)
def samplers() -> dict[str, dict]:
    """Sampler names designers know (from assets/samplers.toml) → diffusers scheduler class and options."""
    with open(settings.SAMPLERS_TOML, "rb") as f:
        return tomllib.load(f)["samplers"]


def sampler_name_of(scheduler) -> str:
    """The familiar name of a diffusers scheduler object ("DPM++ 2M", "Euler a", ...)."""
    cls = type(scheduler).__name__
    config = dict(scheduler.config)
    matches = [
        (len(spec["options"]), name)
        for name, spec in samplers().items()
        if spec["scheduler"] == cls and all(config.get(k) == v for k, v in spec["options"].items())
    ]
    # the most specific match wins: "DPM++ 2M Karras" (use_karras_sigmas) before plain "DPM++ 2M"
    return max(matches, key=lambda m: m[0])[1] if matches else cls


def make_scheduler(name: str, base_config):
    import diffusers

    table = samplers()
    if name not in table:
        raise ValueError(say("samplers.unknown", name=name, choices=", ".join(table)))
    spec = table[name]
    cls = getattr(diffusers, spec["scheduler"])
    # Start from the model's own scheduler settings (betas, timesteps), then the sampler's options.
    config = {k: v for k, v in dict(base_config).items() if k not in ("use_karras_sigmas",)}
    return cls.from_config(config, **spec["options"])


_default_schedulers: dict[int, object] = {}


def model_scheduler(pipe):
    """The pipeline's own scheduler (the model's), whichever sampler the last run used."""
    return _default_schedulers.get(id(pipe), pipe.scheduler)


def use_sampler(pipe, name: str | None):
    """Set the pipeline's scheduler for this run; None restores the model's own."""
    key = id(pipe)
    if key not in _default_schedulers:
        _default_schedulers[key] = pipe.scheduler
    default = _default_schedulers[key]
    pipe.scheduler = default if name is None or name == sampler_name_of(default) else make_scheduler(name, default.config)
    return pipe.scheduler
