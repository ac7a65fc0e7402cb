"""Settings a person typed (in an app, a notebook or a request to the shared service), checked.

Every check raises `UserError` with a message key, so the person reads what to fix in their
language. What the controls offer comes from the profile (`options`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from genlab.core.i18n import UserError
from genlab.core.profiles import Profile, get_profile
from genlab.core.render import MAX_SEED
from genlab.core.samplers import samplers
from genlab.core.styles import NO_STYLE, apply_style, style_label, styles_for

RANDOM_SEED = -1  # the seed box value that means "draw a new seed" (as in AUTOMATIC1111)


MAX_STEPS = 100


MAX_GUIDANCE = 20.0


MAX_PROMPT_CHARS = 2000


MAX_BATCH_COUNT = 4


MAX_GRID_VALUES = 6  # values per axis of the X/Y grid


MAX_GRID_CELLS = 25


AXES = ("seed", "guidance", "steps", "sampler")


@dataclass(frozen=True)
class StudioOptions:
    """Choices and starting values for the Studio's controls, taken from a profile."""

    profile: str
    title: str
    tasks: tuple[str, ...]
    sizes: tuple[str, ...]
    samplers: tuple[str, ...]
    size: str
    sampler: str
    steps: int
    guidance: float
    styles: tuple[str, ...]


def size_label(width: int, height: int) -> str:
    return f"{width}x{height}"


def parse_size(label) -> tuple[int, int]:
    try:
        w, h = (int(part) for part in str(label).lower().replace("×", "x").split("x"))
    except ValueError:
        raise UserError("errors.size_format", size=str(label)[:40]) from None
    return w, h


def default_sampler(profile: Profile) -> str:
    """The familiar name of the sampler the model ships with (read from its scheduler config)."""
    names = list(samplers())
    source = profile.source
    if source is not None and source.path is not None:
        config_file = source.path / "scheduler" / "scheduler_config.json"
        if config_file.exists():
            config = json.loads(config_file.read_text())
            for name, spec in samplers().items():
                if spec["scheduler"] == config.get("_class_name") and all(
                    config.get(k) == v for k, v in spec["options"].items()
                ):
                    return name
    return names[0]


@lru_cache(maxsize=8)
def options(profile: str | None = None) -> StudioOptions:
    prof = get_profile(profile)
    if "txt2img" not in prof.tasks:
        raise UserError("errors.profile_not_image", profile=prof.name)
    d = prof.defaults
    width, height = d.get("width", 512), d.get("height", 512)
    sizes = tuple(size_label(w, h) for w, h in prof.sizes) or (size_label(width, height),)
    default_size = size_label(width, height)
    return StudioOptions(
        profile=prof.name,
        title=prof.title,
        tasks=prof.tasks,
        sizes=sizes,
        samplers=tuple(samplers()),
        size=default_size if default_size in sizes else sizes[0],
        sampler=default_sampler(prof),
        steps=int(d.get("steps", 20)),
        guidance=float(d.get("guidance", 7.0)),
        styles=tuple(styles_for(prof)),
    )


def style_choices(profile: str | None = None, lang: str = "en") -> list[tuple[str, str]]:
    return [(style_label(n, lang), n) for n in (NO_STYLE, *options(profile).styles)]


def whole_number(value, key: str, lo: int, hi: int, **extra) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(key, lo=lo, hi=hi, value=str(value)[:40], **extra) from None
    if not math.isfinite(number) or not number.is_integer() or not lo <= number <= hi:
        raise UserError(key, lo=lo, hi=hi, value=str(value)[:40], **extra)
    return int(number)


def number_in_range(value, key: str, lo: float, hi: float, **extra) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not lo <= number <= hi:  # also catches NaN
        raise UserError(key, lo=f"{lo:g}", hi=f"{hi:g}", value=str(value)[:40], **extra)
    return number


@dataclass(frozen=True)
class Settings:
    """Checked settings shared by every way of making pictures (seed None = draw one)."""

    prompt: str  # the designer's words
    negative_prompt: str | None
    seed: int | None
    steps: int
    guidance: float
    width: int
    height: int
    sampler: str
    profile: str
    n: int = 1
    style: str = NO_STYLE

    @property
    def styled(self) -> tuple[str, str | None]:
        return apply_style(self.prompt, self.negative_prompt, self.style)

    @property
    def size(self) -> str:
        return size_label(self.width, self.height)

    def extra(self) -> dict:
        if self.style == NO_STYLE:
            return {}
        return {"style": self.style, "words": self.prompt, "negative_words": self.negative_prompt}

    def log_fields(self, **more) -> dict:
        return dict(steps=self.steps, guidance=f"{self.guidance:g}", size=self.size, sampler=self.sampler, n=self.n, style=self.style, **more)


def check_prompt(prompt) -> str:
    prompt = "" if prompt is None else str(prompt).strip()
    if not prompt:
        raise UserError("errors.prompt_empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UserError("errors.prompt_long", n=len(prompt), limit=MAX_PROMPT_CHARS)
    return prompt


def check_seed(seed) -> int | None:
    if seed is None or seed == "" or (isinstance(seed, (int, float)) and not isinstance(seed, bool) and seed == RANDOM_SEED):
        return None
    return whole_number(seed, "errors.seed", 0, MAX_SEED, random=RANDOM_SEED)


def check_settings(
    prompt,
    negative_prompt=None,
    seed=RANDOM_SEED,
    steps=None,
    guidance=None,
    size=None,
    sampler=None,
    batch_count=1,
    style=None,
    profile: str | None = None,
) -> Settings:
    """Turn raw control values into checked settings, or raise UserError saying what to fix."""
    opts = options(profile)
    prompt = check_prompt(prompt)
    negative_prompt = (str(negative_prompt).strip() if negative_prompt is not None else "") or None
    if negative_prompt and len(negative_prompt) > MAX_PROMPT_CHARS:
        raise UserError("errors.negative_long", n=len(negative_prompt), limit=MAX_PROMPT_CHARS)
    seed_value = check_seed(seed)
    steps = opts.steps if steps in (None, "") else whole_number(steps, "errors.steps", 1, MAX_STEPS, good=opts.steps)
    guidance = opts.guidance if guidance in (None, "") else number_in_range(guidance, "errors.guidance", 0, MAX_GUIDANCE, good=f"{opts.guidance:g}")
    size = opts.size if size in (None, "") else str(size)
    width, height = parse_size(size)
    if size_label(width, height) not in opts.sizes:
        raise UserError("errors.size_not_offered", sizes=", ".join(opts.sizes), size=str(size)[:40])
    sampler = opts.sampler if sampler in (None, "") else str(sampler)
    if sampler not in opts.samplers:
        raise UserError("errors.sampler_unknown", sampler=sampler[:60], samplers=", ".join(opts.samplers))
    n = 1 if batch_count in (None, "") else whole_number(batch_count, "errors.batch_count", 1, MAX_BATCH_COUNT)
    style = NO_STYLE if style in (None, "", NO_STYLE) else str(style)
    if style != NO_STYLE and style not in opts.styles:
        raise UserError("errors.style_unknown", style=style[:60])
    return Settings(prompt, negative_prompt, seed_value, steps, guidance, width, height, sampler, opts.profile, n, style)


def check_strength(strength, default: float) -> float:
    if strength in (None, ""):
        return default
    value = number_in_range(strength, "errors.strength", 0.0, 1.0)
    if value < 0.05:
        raise UserError("errors.strength_zero")
    return value


def parse_axis(axis, text, opts: StudioOptions) -> list:
    """The values of one grid axis from what the designer typed ("3, 7, 12" or "Euler, DDIM")."""
    if axis not in AXES:
        raise UserError("errors.grid_axis", axis=str(axis)[:30], axes=", ".join(AXES))
    parts = [p.strip() for p in re.split(r"[,;\n]", str(text or "")) if p.strip()]
    if not parts:
        raise UserError("errors.grid_values_missing", axis=axis)
    if len(parts) > MAX_GRID_VALUES:
        raise UserError("errors.grid_too_many_values", axis=axis, n=len(parts), limit=MAX_GRID_VALUES)
    values = []
    for p in parts:
        if axis == "seed":
            values.append(whole_number(p, "errors.seed", 0, MAX_SEED, random=RANDOM_SEED))
        elif axis == "steps":
            values.append(whole_number(p, "errors.steps", 1, MAX_STEPS, good=opts.steps))
        elif axis == "guidance":
            values.append(number_in_range(p, "errors.guidance", 0, MAX_GUIDANCE, good=f"{opts.guidance:g}"))
        else:
            match = [s for s in opts.samplers if s.lower() == p.lower()]
            if not match:
                raise UserError("errors.sampler_unknown", sampler=p[:60], samplers=", ".join(opts.samplers))
            values.append(match[0])
    return values


def axis_value_label(axis: str, value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
