"""Two languages for every demo: Mexican Spanish and English, kept as data in assets/i18n/.

* Labels and static text go through Gradio's own i18n (`gr.I18n`): the browser's language picks
  them. Apps call `L("studio.prompt")` for a label and pass `launch(i18n=gradio_i18n())` (both in
  genlab.ui.i18n: only the ui layer imports gradio).
* Messages made on the server (errors, notes, captions) are not translated by Gradio. Handlers
  read the person's language from the request's Accept-Language header (`language_of(request)`)
  and translate with `t(key, lang, **values)`.
* `UserError(key, **values)` is a mistake the person can fix; genlab.ui.i18n's `as_gr_error(err, lang)`
  turns it into a `gr.Error` in their language. `str(err)` is the English text, for scripts and logs.

Catalogue files: ``assets/i18n/<lang>.toml``, tables of keys (``[studio] prompt = "Prompt"`` is the
key ``studio.prompt``); values may hold ``{name}`` placeholders filled by `t()`.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

from genlab import settings

LANGUAGES = ("en", "es")  # the first one is the fallback
I18N_DIR = settings.ASSETS_DIR / "i18n"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """All keys of one language (flattened: "studio.prompt" → "Prompt")."""
    path = Path(I18N_DIR) / f"{lang}.toml"
    with open(path, "rb") as f:
        return _flatten(tomllib.load(f))


def language_of(request=None, header: str | None = None) -> str:
    """The person's language ("es" or "en") from a gr.Request (or an Accept-Language header value).

    Takes the first language the browser prefers that the demos speak: "es-MX,es;q=0.9,en;q=0.8"
    gives "es"; "fr-FR,en;q=0.5" gives "en"; nothing gives "en".
    """
    if header is None and request is not None:
        headers = getattr(request, "headers", None) or {}
        try:
            header = headers.get("accept-language") or headers.get("Accept-Language")
        except AttributeError:
            header = None
    if not header:
        return LANGUAGES[0]
    ranked = []
    for i, part in enumerate(str(header).split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower().split("-")[0]))
    for _, _, primary in sorted(ranked):
        if primary in LANGUAGES:
            return primary
    return LANGUAGES[0]


def _language_code(value: str | None) -> str:
    """'es' from 'es_MX.UTF-8', 'es-MX' or 'ES'; '' when it is none of ours."""
    code = (value or "").strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else ""


def preference_file() -> Path:
    """Where `genlab lab --lang` keeps a person's choice (~/.config/genlab/language)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "genlab" / "language"


def current_language() -> str:
    """The language of the person reading: es or en.

    In order: GENLAB_LANG; the choice saved by `genlab lab --lang` (~/.config/genlab/language);
    GENLAB_DEFAULT_LANG (the cohort hub sets its course's language); the POSIX locale (LC_ALL, LC_MESSAGES, LANG: es_MX.UTF-8 gives es); else Spanish, the language the
    programme's learners read first.
    """
    code = _language_code(settings.get("GENLAB_LANG"))
    if code:
        return code
    try:
        code = _language_code(preference_file().read_text(encoding="utf-8"))
    except OSError:
        code = ""
    if code:
        return code
    for value in (settings.get("GENLAB_DEFAULT_LANG"), *(os.environ.get(n) for n in ("LC_ALL", "LC_MESSAGES", "LANG"))):
        code = _language_code(value)
        if code:
            return code
    return "es"


def save_language(lang: str) -> Path:
    """Keep `lang` as this person's language for lessons, exercises and messages."""
    if not _language_code(lang):
        raise ValueError(f"Unknown language {lang!r}: choose es or en. / Idioma desconocido: elige es o en.")
    path = preference_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_language_code(lang) + "\n", encoding="utf-8")
    return path


def say(key: str, **values) -> str:
    """`t(key)` in the reader's language (`current_language()`): for messages outside a browser."""
    return t(key, current_language(), **values)


def help_text(key: str, **values) -> str:
    """`say(key)` for argparse's ``help=``: argparse %-formats help texts, so a % is doubled."""
    return say(key, **values).replace("%", "%%")


_extra: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}


def add_texts(key: str, texts: dict[str, str] | str) -> str:
    """Add a text that lives in other data (a style preset's label): {"en": ..., "es": ...}. Returns key."""
    if isinstance(texts, str):
        texts = {LANGUAGES[0]: texts}
    for lang in LANGUAGES:
        _extra[lang][key] = texts.get(lang) or texts.get(LANGUAGES[0]) or key
    return key


def texts(lang: str) -> dict[str, str]:
    """Every text of one language: the catalogue file plus texts added from other data."""
    return {**catalogue(lang), **_extra.get(lang, {})}


def t(key: str, lang: str = "en", **values) -> str:
    """The text of `key` in `lang` (English when that language lacks it), with {placeholders} filled."""
    text = _extra.get(lang, {}).get(key) or catalogue(lang).get(key) if lang in LANGUAGES else None
    if text is None:
        text = _extra[LANGUAGES[0]].get(key) or catalogue(LANGUAGES[0]).get(key)
    if text is None:
        raise KeyError(f"No text for '{key}' in assets/i18n/{LANGUAGES[0]}.toml.")
    return text.format(**values) if values else text


def both(key: str, **values) -> str:
    """Spanish / English in one line, for places that cannot know the reader (the login page)."""
    return f"{t(key, 'es', **values)} / {t(key, 'en', **values)}"


class UserError(ValueError):
    """A mistake the person can fix. The message is looked up by key, in their language."""

    def __init__(self, key: str, title: str = "errors.title_settings", **values):
        self.key = key
        self.title_key = title
        self.values = values
        super().__init__(t(key, "en", **values))

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.values)

    @property
    def says(self) -> str:
        """The message in the reader's language (``current_language()``): what a lesson prints."""
        return self.message(current_language())


