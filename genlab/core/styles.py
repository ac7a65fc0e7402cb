"""Style presets (assets/presets/styles.toml): words added to a prompt so a look is one click.

In the shapes world a preset is a style word ("striped red star"); for real models it wraps the
prompt and adds a negative prompt. Texts per language come from the data file.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache

from genlab import settings
from genlab.core.i18n import UserError, t
from genlab.core.profiles import Profile

NO_STYLE = "none"


STYLES_TOML = settings.ASSETS_DIR / "presets" / "styles.toml"


@lru_cache(maxsize=1)
def all_styles() -> dict[str, dict]:
    with open(STYLES_TOML, "rb") as f:
        return tomllib.load(f)["styles"]


def world_of(profile: Profile) -> str:
    return "shapes" if profile.shipped else "real"


def styles_for(profile: Profile) -> list[str]:
    world = world_of(profile)
    return [name for name, s in all_styles().items() if s.get("world", "real") in (world, "any")]


def text_in(lang: str, text) -> str:
    """A data text given per language ({"en": ..., "es": ...}) in `lang` (English when missing)."""
    return text.get(lang) or text.get("en", "") if isinstance(text, dict) else str(text or "")


def style_label(name: str, lang: str = "en") -> str:
    if name == NO_STYLE:
        return t("studio.style_none", lang)
    return text_in(lang, all_styles()[name].get("label")) or name


_COLOURS = r"(red|orange|yellow|green|blue|purple|white|black)"


_SHAPES = r"(circles?|squares?|triangles?|stars?|hearts?)"


_STYLE_WORDS = r"(flat|outlined|striped|dotted|gradient)"


def apply_style(prompt: str, negative: str | None, name: str | None) -> tuple[str, str | None]:
    """The prompt and negative prompt with style preset `name` applied (NO_STYLE/None: unchanged)."""
    if not name or name == NO_STYLE:
        return prompt, negative
    spec = all_styles().get(name)
    if spec is None:
        raise UserError("errors.style_unknown", style=str(name)[:60])
    styled = prompt
    word = spec.get("word")
    if word:  # shapes world: "a red star" -> "a striped red star" (replacing a style word already there)
        styled, n = re.subn(rf"\b{_STYLE_WORDS}\s+{_COLOURS}\s+{_SHAPES}\b", rf"{word} \2 \3", styled, count=1, flags=re.I)
        if not n:
            styled = re.sub(rf"\b{_COLOURS}\s+{_SHAPES}\b", rf"{word} \1 \2", styled, count=1, flags=re.I)
        article = "an" if word[0] in "aeiou" else "a"  # "a outlined" -> "an outlined", "an flat" -> "a flat"
        styled = re.sub(rf"\b(?:a|an)\s+{word}\b", f"{article} {word}", styled, count=1, flags=re.I)
    styled = spec.get("prompt", "{prompt}").replace("{prompt}", styled)
    extra_negative = spec.get("negative")
    if extra_negative:
        negative = f"{negative}, {extra_negative}" if negative else extra_negative
    return styled, negative
