"""The Studio's logic: check the settings, make the picture, keep this session's history.

`apps/studio.py` is only the layout; everything it does lives here so that lessons and tests can
call the same functions. Every picture is saved as a PNG with its recipe inside, and the app
hands Gradio that file (not a PIL image), so the `parameters` and `genlab` text chunks reach the
browser and gradio_client unchanged.

The Gradio handlers (`generate`, `show_history`, `use_history_item`, ...) turn input mistakes
into `gr.Error` with a plain message, so the app stays up and the designer sees what to change.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .generation import MAX_SEED, samplers, slug
from .profiles import Profile, get_profile

RANDOM_SEED = -1  # the seed box value that means "draw a new seed" (as in AUTOMATIC1111)
MAX_STEPS = 100
MAX_GUIDANCE = 20.0
MAX_PROMPT_CHARS = 2000
HISTORY_LIMIT = 40  # pictures kept per browser session; older ones drop off the end


# Small pictures (the tiny model's 128 px) fill the picture box instead of sitting in its middle.
CSS = """
#output img { width: 100%; height: 100%; object-fit: contain; }
"""


class StudioInputError(ValueError):
    """A setting the designer can fix; the message says how."""


# ---- what the controls offer ------------------------------------------------------------------
@dataclass(frozen=True)
class StudioOptions:
    """Choices and starting values for the Studio's controls, taken from a profile."""

    profile: str
    title: str
    sizes: tuple[str, ...]
    samplers: tuple[str, ...]
    size: str
    sampler: str
    steps: int
    guidance: float


def size_label(width: int, height: int) -> str:
    return f"{width}x{height}"


def parse_size(label: str) -> tuple[int, int]:
    try:
        w, h = (int(part) for part in str(label).lower().replace("×", "x").split("x"))
    except ValueError:
        raise StudioInputError(f"'{label}' is not a size. Write it as width x height, for example 512x512.") from None
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
        raise StudioInputError(
            f"Profile '{prof.name}' does not make pictures from text. Start the studio with an image profile, "
            "for example GENLAB_PROFILE=tiny."
        )
    d = prof.defaults
    width, height = d.get("width", 512), d.get("height", 512)
    sizes = tuple(size_label(w, h) for w, h in prof.sizes) or (size_label(width, height),)
    default_size = size_label(width, height)
    return StudioOptions(
        profile=prof.name,
        title=prof.title,
        sizes=sizes,
        samplers=tuple(samplers()),
        size=default_size if default_size in sizes else sizes[0],
        sampler=default_sampler(prof),
        steps=int(d.get("steps", 20)),
        guidance=float(d.get("guidance", 7.0)),
    )


# ---- checking the settings --------------------------------------------------------------------
def _whole_number(value, what: str, lo: int, hi: int, hint: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StudioInputError(f"{what} must be a whole number from {lo} to {hi}{hint}.") from None
    if not number.is_integer() or not lo <= number <= hi:
        raise StudioInputError(f"{what} must be a whole number from {lo} to {hi}{hint}; you gave {value}.")
    return int(number)


@dataclass(frozen=True)
class TextToImageRequest:
    """Checked settings for one text-to-image picture (seed None = draw one)."""

    prompt: str
    negative_prompt: str | None
    seed: int | None
    steps: int
    guidance: float
    width: int
    height: int
    sampler: str
    profile: str

    def generate_kwargs(self) -> dict:
        return dict(
            negative_prompt=self.negative_prompt,
            seed=self.seed,
            steps=self.steps,
            guidance=self.guidance,
            width=self.width,
            height=self.height,
            sampler=self.sampler,
            profile=self.profile,
        )


def check_text_to_image(
    prompt,
    negative_prompt=None,
    seed=RANDOM_SEED,
    steps=None,
    guidance=None,
    size=None,
    sampler=None,
    profile: str | None = None,
) -> TextToImageRequest:
    """Turn raw control values into checked settings, or raise StudioInputError saying what to fix."""
    opts = options(profile)
    prompt = "" if prompt is None else str(prompt).strip()
    if not prompt:
        raise StudioInputError(
            "Write a prompt first: describe the picture you want, for example 'a red circle on a blue background'."
        )
    if len(prompt) > MAX_PROMPT_CHARS:
        raise StudioInputError(
            f"The prompt is {len(prompt)} characters long; keep it under {MAX_PROMPT_CHARS}. "
            "The model only reads the first 75 or so words anyway."
        )
    negative_prompt = (str(negative_prompt).strip() if negative_prompt is not None else "") or None

    if seed is None or seed == "" or (isinstance(seed, (int, float)) and seed == RANDOM_SEED):
        seed_value = None
    else:
        seed_value = _whole_number(seed, "The seed", 0, MAX_SEED, f", or {RANDOM_SEED} for a random seed")

    steps = opts.steps if steps is None else _whole_number(steps, "Steps", 1, MAX_STEPS, f" ({opts.steps} is a good start)")
    if guidance is None:
        guidance = opts.guidance
    else:
        try:
            guidance = float(guidance)
        except (TypeError, ValueError):
            guidance = float("nan")
        if not 0 <= guidance <= MAX_GUIDANCE:  # also catches NaN
            raise StudioInputError(
                f"Guidance must be a number from 0 to {MAX_GUIDANCE:g} ({opts.guidance:g} is a good start)."
            )

    size = opts.size if size in (None, "") else str(size)
    width, height = parse_size(size)
    if size_label(width, height) not in opts.sizes:
        raise StudioInputError(
            f"This model makes pictures of {', '.join(opts.sizes)} pixels, not {size}. Pick a size from the list."
        )
    sampler = opts.sampler if sampler in (None, "") else str(sampler)
    if sampler not in opts.samplers:
        raise StudioInputError(f"There is no sampler called '{sampler}'. Pick one of: {', '.join(opts.samplers)}.")

    return TextToImageRequest(
        prompt=prompt,
        negative_prompt=negative_prompt,
        seed=seed_value,
        steps=steps,
        guidance=guidance,
        width=width,
        height=height,
        sampler=sampler,
        profile=opts.profile,
    )


# ---- making and keeping pictures --------------------------------------------------------------
@dataclass(frozen=True)
class Picture:
    """One finished picture: the PNG on disk (recipe inside) and its recipe's text."""

    path: str
    parameters: str
    seed: int
    caption: str
    settings: dict


_output_dir: Path | None = None


def output_dir() -> Path:
    """A temporary folder for this process's pictures (Gradio copies them into its own cache)."""
    global _output_dir
    if _output_dir is None:
        _output_dir = Path(tempfile.mkdtemp(prefix="genlab-studio-"))
        atexit.register(shutil.rmtree, _output_dir, ignore_errors=True)
    return _output_dir


def make_picture(request: TextToImageRequest) -> Picture:
    """Generate one picture and save it as `<seed>-<prompt words>.png` with its recipe inside."""
    from .generation import generate

    result = generate(request.prompt, **request.generate_kwargs())
    recipe = result.recipe
    # A folder per picture keeps the file name the designer downloads short and readable.
    path = output_dir() / uuid.uuid4().hex[:12] / f"{recipe.seed}-{slug(recipe.prompt)}.png"
    result.save(path)
    short = recipe.prompt if len(recipe.prompt) <= 48 else recipe.prompt[:47] + "…"
    return Picture(
        path=str(path),
        parameters=recipe.to_parameters(),
        seed=recipe.seed,
        caption=f"seed {recipe.seed} · {short}",
        settings=dict(
            prompt=recipe.prompt,
            negative_prompt=recipe.negative_prompt or "",
            seed=recipe.seed,
            steps=recipe.steps,
            guidance=recipe.guidance,
            size=size_label(recipe.width, recipe.height),
            sampler=recipe.sampler,
        ),
    )


def remember(history: list[Picture] | None, picture: Picture, limit: int = HISTORY_LIMIT) -> list[Picture]:
    """The session's history with `picture` added at the front (newest first)."""
    return [picture, *(history or [])][:limit]


def warm_up(profile: str | None = None) -> None:
    """Load the model before the first click, so a live demo does not stall on it."""
    from .pipelines import load_pipeline

    load_pipeline("txt2img", options(profile).profile)


# ---- Gradio handlers --------------------------------------------------------------------------
def _gr_error(message: str, title: str = "Check your settings"):
    import gradio as gr

    return gr.Error(message, title=title, duration=20, print_exception=False)


def generate(
    prompt: str,
    negative_prompt: str | None = None,
    seed: float = RANDOM_SEED,
    steps: float | None = None,
    guidance: float | None = None,
    size: str | None = None,
    sampler: str | None = None,
    history: list | None = None,
):
    """Text to image for the Studio. Returns (png path, recipe text, seed used, history).

    The parameter names are the API's: trainers can call
    `Client(url).predict(prompt="a red circle", seed=42, api_name="/generate")`.
    """
    from .pipelines import ModelNotFoundError
    from .profiles import ProfileError

    try:
        request = check_text_to_image(prompt, negative_prompt, seed, steps, guidance, size, sampler)
        picture = make_picture(request)
    except (StudioInputError, ProfileError, ModelNotFoundError) as err:
        raise _gr_error(str(err)) from err
    except (ValueError, TypeError) as err:  # the library explains its own limits
        raise _gr_error(f"These settings did not work: {err}") from err
    except Exception as err:  # keep the app up; say what happened and what to do next
        raise _gr_error(
            f"The picture could not be made ({type(err).__name__}: {err}). The studio is still running: "
            "try again, and if it happens again show this message to your trainer.",
            title="Something went wrong",
        ) from err
    return picture.path, picture.parameters, picture.seed, remember(history, picture)


def show_history(history: list[Picture] | None):
    """The gallery's value: (file, caption) pairs, newest first."""
    return [(p.path, p.caption) for p in history or []]


def use_history_item(history: list[Picture] | None, index: int):
    """Settings of history picture `index`, in control order (prompt, negative, seed, steps, guidance, size, sampler)."""
    if not history or not 0 <= index < len(history):
        raise _gr_error("That picture is no longer in this session's history.")
    s = history[index].settings
    return s["prompt"], s["negative_prompt"], s["seed"], s["steps"], s["guidance"], s["size"], s["sampler"]
