"""The Gradio side of genlab.core.i18n: labels the browser translates, errors as gr.Error toasts."""

from __future__ import annotations

from genlab.core.i18n import LANGUAGES, UserError, add_texts, t, texts


def gradio_i18n():
    """The `gr.I18n` of every text (pass it to `launch(i18n=...)`, after the app is built)."""
    import gradio as gr

    return gr.I18n(**{lang: texts(lang) for lang in LANGUAGES})


def L(key: str):
    """A label Gradio translates in the browser (checked against the English texts now)."""
    from gradio.i18n import I18nData

    if key not in texts(LANGUAGES[0]):
        raise KeyError(f"No text for '{key}' in assets/i18n/{LANGUAGES[0]}.toml.")
    return I18nData(key)


def profile_title(profile: str):
    """A profile's title (models.toml `title`, `title_es`) as a label the browser translates."""
    from genlab.core.profiles import get_profile

    prof = get_profile(profile)
    return L(add_texts(f"profile_title.{prof.name}", {lang: prof.title_in(lang) for lang in LANGUAGES}))


def as_gr_error(err: Exception, lang: str = "en", *, title_key: str | None = None):
    """A gr.Error in the person's language; other exceptions become a calm 'something went wrong'."""
    import gradio as gr

    if isinstance(err, UserError):
        message, title = err.message(lang), t(title_key or err.title_key, lang)
    else:
        message = t("errors.unexpected", lang, kind=type(err).__name__, detail=str(err)[:300])
        title = t("errors.title_unexpected", lang)
    return gr.Error(message, title=title, duration=20, print_exception=False)
