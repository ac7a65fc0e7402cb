"""What every app's model handler is wrapped in: the request tracked for room mode, progress
reported in the person's language, and any mistake turned into a `gr.Error` they can act on.

    def explore(prompt, ..., request: gr.Request = None, progress=gr.Progress()):
        with handling("explorer", "explore", request, progress) as h:
            s = check_settings(...)                   # a UserError here becomes a toast in es / en
            h.record(s.prompt, **s.log_fields())      # what room mode's log line says
            run = run_steps(s, on_step=h.on_progress)

`explain` sorts errors into what the designer (or the trainer) can fix — a `UserError` with a
message in both languages — and the rest, which Gradio shows as "something went wrong".
"""

from __future__ import annotations

import gradio as gr

from genlab.core.i18n import UserError, language_of, t
from genlab.core.memory import OutOfMemory
from genlab.ui import room
from genlab.ui.i18n import as_gr_error


def explain(err: Exception) -> Exception:
    """A UserError for what the designer (or the trainer) can act on; other errors pass through."""
    from genlab.core.pipelines import ModelNotFoundError
    from genlab.core.profiles import ProfileError

    if isinstance(err, UserError):
        return err
    if isinstance(err, OutOfMemory):
        return UserError("errors.out_of_memory", title="errors.title_busy")
    if isinstance(err, (ProfileError, ModelNotFoundError)):
        return UserError("errors.model", detail=str(err))
    if isinstance(err, (ValueError, TypeError)):
        return UserError("errors.settings_failed", detail=str(err)[:300])
    return err


def status_of(err: Exception) -> str:
    """The outcome room mode's log line gives a failed request: `refused:<text key>` or `error:<kind>`."""
    err = explain(err)
    return f"refused:{err.key}" if isinstance(err, UserError) else f"error:{type(err).__name__}"


def progress_reporter(progress, lang: str, what: str = "progress.steps"):
    """`on_step(step, total)` that moves Gradio's progress bar, labelled in `lang` (None without a bar)."""
    if progress is None:
        return None

    def report(step: int, total: int):
        try:
            progress((step, total), desc=t(what, lang), unit="steps")
        except Exception:  # progress is a nicety; never let it break a picture
            pass

    return report


class handling:
    """`with handling(app, event, request, progress) as h:` — one model request from one person.

    Inside the block: `h.lang` (the browser's language), `h.tracker` (room mode's bookkeeping;
    `h.record(prompt, **settings)` says what the log line shows) and `h.on_progress` (pass it to
    whatever reports steps). When the block ends the request stops counting as waiting and is
    logged; an error leaves the block as a `gr.Error` in the person's language.
    """

    def __init__(self, app: str, event: str, request, progress=None, what: str = "progress.steps"):
        self.lang = language_of(request)
        self.tracker = room.Tracker(app=app, event=event, request=request)
        self.on_progress = progress_reporter(progress, self.lang, what)

    def record(self, prompt: str | None = None, **settings) -> None:
        """What this request's log line says: settings (added to those recorded before), and the
        prompt (shown only when the trainer asked for prompts in the log)."""
        self.tracker.settings.update(settings)
        if prompt is not None:
            self.tracker.prompt = prompt

    def __enter__(self) -> handling:
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None:
            self.tracker.status = status_of(exc)
        room.finish(self.tracker)
        if exc is None or isinstance(exc, gr.Error):
            return False
        raise as_gr_error(explain(exc), self.lang) from exc

