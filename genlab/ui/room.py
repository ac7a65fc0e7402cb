"""Room mode: one model, 20-40 designers, one URL.

What `genlab demo NAME --room` switches on (apps read `settings()` when they build their events,
through `model_event`):

* **Batching.** Picture requests that are waiting at the same moment are made in *one* pipeline
  call (up to `batch_size` pictures, the profile's `room_batch`). The apps' model events share
  one Gradio queue (`concurrency_id="model"`) that lets `batch_size` requests in at once; they
  hand their pictures to a `Batcher`, which merges the requests whose settings can share a call
  (same steps, guidance, size, sampler, task and strength; prompts, negatives and seeds may
  differ) and gives every request its own result or its own error.

  Why not Gradio's `batch=True`: in Gradio 6.31 a batched event fails *every* request of a batch
  when one of them raises (one empty prompt would cost seven people their pictures), and its
  `validator=` breaks on batched events. The Batcher keeps errors, languages and progress per
  person while the pipeline still sees one batch.
* **A fair share.** `cap_validator` runs when a request joins the queue (Gradio's `validator=`)
  and refuses a browser session that already has `per_person` requests waiting.
* **A log line per request** (time, app, event, settings, pictures in the call, wait, duration,
  outcome) on stderr, with the prompt only when the trainer asked for it (`--log-prompts`).
* **Out of memory.** A pipeline call that runs out of GPU memory is retried in halves down to one
  picture (genlab.core.memory, inside the renderer); only then does the person get a message,
  and the next request works.

Without --room the same code runs with one request at a time (Gradio's default queue).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable

log = logging.getLogger("genlab.room")

DEFAULT_PER_PERSON = 2  # requests one browser may have waiting in room mode
WAIT_TTL_S = 600.0  # a waiting request that never ran (tab closed) stops counting after this


# ---- settings -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoomSettings:
    room: bool = False
    batch_size: int = 1  # most pictures one pipeline call makes for different people
    per_person: int = 0  # requests one browser session may have waiting (0: no limit)
    log_events: bool = False
    log_prompts: bool = False
    window_s: float = 0.03  # how long a batch waits for requests that arrive together

    @property
    def concurrency(self) -> int:
        """How many requests the model queue lets in at once (they are merged into batches)."""
        return max(1, self.batch_size) if self.room else 1


_settings = RoomSettings()
_settings_lock = threading.Lock()


def settings() -> RoomSettings:
    return _settings


def configure(**changes) -> RoomSettings:
    """Change the settings apps will read when they are built (call before `load_app`)."""
    global _settings
    with _settings_lock:
        _settings = replace(_settings, **changes)
        _batchers.clear()
    return _settings


def reset() -> RoomSettings:
    global _settings
    with _settings_lock:
        _settings = RoomSettings()
        _batchers.clear()
    return _settings


def room_batch(profile: str | None = None) -> int:
    """The profile's `room_batch` from models.toml: how many pictures one pipeline call can hold."""
    from genlab.core.profiles import get_profile

    prof = get_profile(profile)
    base = get_profile(prof.base) if prof.base else None
    return prof.room_batch if base is None else min(prof.room_batch, base.room_batch)


def room_settings(batch_size: int | None = None, per_person: int | None = None, log_prompts: bool = False, profile=None) -> dict:
    """The `configure(...)` values for room mode."""
    return dict(
        room=True,
        batch_size=batch_size or room_batch(profile),
        per_person=DEFAULT_PER_PERSON if per_person is None else per_person,
        log_events=True,
        log_prompts=log_prompts,
    )


# ---- a fair share per browser session -----------------------------------------------------------
class SessionLimiter:
    """Counts each browser session's waiting requests (joined the queue, not finished)."""

    def __init__(self, ttl_s: float = WAIT_TTL_S, clock: Callable[[], float] = time.monotonic):
        self.ttl_s = ttl_s
        self.clock = clock  # seconds; tests pass their own
        self._waiting: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._waiting.setdefault(key, deque())
        while q and now - q[0] > self.ttl_s:
            q.popleft()
        return q

    def waiting(self, key: str) -> int:
        with self._lock:
            return len(self._prune(key, self.clock()))

    def try_join(self, key: str, limit: int) -> int | None:
        """Count one more request for `key`; returns None when `limit` is already reached (0: no limit)."""
        now = self.clock()
        with self._lock:
            q = self._prune(key, now)
            if limit and len(q) >= limit:
                return None
            q.append(now)
            return len(q)

    def leave(self, key: str) -> None:
        with self._lock:
            q = self._waiting.get(key)
            if q:
                q.popleft()
            if q is not None and not q:
                del self._waiting[key]


limiter = SessionLimiter()


def _session_key(request) -> str | None:
    """Who is asking: the name typed at the room's login (so a second tab does not get a second
    share), else the browser session."""
    if request is None:
        return None
    name = getattr(request, "username", None)
    return f"user:{name}" if name else getattr(request, "session_hash", None)


def _find_request(args, kwargs):
    import gradio as gr

    for value in [*args, *kwargs.values()]:
        if isinstance(value, gr.Request):
            return value
    return None


def cap_validator(handler: Callable) -> Callable:
    """A Gradio `validator=` for `handler`'s event: refuses a session that has too many requests waiting.

    It runs when the request joins the queue (before it waits), counts it, and the handler's
    handler's `handling` block stops counting it when it is done (`finish`). Its message sits on the event's first input.
    """
    import gradio as gr

    @functools.wraps(handler)
    def validator(*args, **kwargs):
        from genlab.core.i18n import language_of, t

        request = _find_request(args, kwargs)
        limit = settings().per_person
        key = _session_key(request)
        n_inputs = sum(1 for v in [*args, *kwargs.values()] if not isinstance(v, (gr.Request, gr.Progress)))
        if key is not None and limiter.try_join(key, limit) is None:
            message = t("errors.too_many_waiting", language_of(request), n=limit)
            return [gr.validate(False, message)] + [gr.validate(True, "")] * max(0, n_inputs - 1)
        return [gr.validate(True, "")] * max(1, n_inputs)

    return validator


def model_event(triggers, fn: Callable, *, inputs, outputs, api_name: str, show_progress_on, batched: bool = False, **extra):
    """A Gradio event that runs the model, the same way in every app: `fn` gets the raw values
    (genlab checks them and explains mistakes in plain words), each person gets a fair share of the
    queue (`cap_validator`), and all model events share one queue, "model", which lets
    `batch_size` requests in at once when `batched` (the Studio's pictures, merged by the Batcher)
    and one at a time otherwise (explorer runs, clips)."""
    import gradio as gr

    return gr.on(
        triggers, fn, inputs=inputs, outputs=outputs, api_name=api_name,
        preprocess=False, validator=cap_validator(fn), show_progress_on=show_progress_on,
        concurrency_id="model", concurrency_limit=settings().concurrency if batched else 1, **extra,
    )


# ---- the per-request log line and bookkeeping ----------------------------------------------------
@dataclass
class Tracker:
    app: str
    event: str
    request: Any = None
    started: float = field(default_factory=time.monotonic)
    settings: dict = field(default_factory=dict)
    prompt: str | None = None
    pictures_in_call: int = 0
    status: str = "ok"

    def line(self) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        parts = [stamp, f"app={self.app}", f"event={self.event}"]
        parts += [f"{k}={_short(v)}" for k, v in self.settings.items() if v is not None]
        if self.pictures_in_call:
            parts.append(f"batch={self.pictures_in_call}")
        parts.append(f"duration={time.monotonic() - self.started:.2f}s")
        parts.append(f"status={self.status}")
        if settings().log_prompts and self.prompt is not None:
            parts.append(f"prompt={self.prompt!r}")
        return " ".join(parts)


def _short(value) -> str:
    s = str(value).replace(" ", "_")
    return s if len(s) <= 40 else s[:39] + "…"


def finish(tracker: Tracker) -> None:
    """The request is done: it stops counting as waiting for its person, and (room mode, or when
    `log_events` is on) its log line is written. `genlab.ui.errors.handling` calls this."""
    key = _session_key(tracker.request)
    if key is not None:
        limiter.leave(key)
    if settings().log_events:
        log.info(tracker.line())


# ---- batching ------------------------------------------------------------------------------------
class Withdrawn(Exception):
    """A job whose asker left before a pipeline call took it (Batcher.withdraw)."""


class Job:
    """Some pictures one person asked for; all of its items share one batch key."""

    def __init__(self, key: tuple, items: list, tracker: Tracker | None = None):
        self.key = key
        self.items = items
        self.tracker = tracker
        self.results: list | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.step = 0
        self.total = 0
        self.pictures_in_call = 0


class Batcher:
    """Merges jobs that wait at the same time into pipeline calls of at most `max_pictures`.

    `run(key, items, on_step)` makes the pictures of `items` (all with batch key `key`) in one
    call and returns one result per item; it may raise. Jobs with other keys wait for their own call.
    """

    def __init__(self, run: Callable, max_pictures: int, window_s: float = 0.0):
        self.run = run
        self.max_pictures = max(1, int(max_pictures))
        self.window_s = window_s
        self._queue: deque[Job] = deque()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None

    def enqueue(self, job: Job) -> Job:
        """Put `job` in line for the next pipeline call that can take it."""
        with self._cv:
            self._queue.append(job)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="genlab-batcher", daemon=True)
                self._thread.start()
            self._cv.notify_all()
        return job

    @staticmethod
    def wait(job: Job, on_progress: Callable[[int, int], None] | None = None, poll_s: float = 0.25):
        """Wait for `job`'s pictures (calling on_progress(step, total) as steps finish); returns its results."""
        shown = -1
        while not job.done.wait(poll_s):
            if on_progress and job.total and job.step != shown:
                shown = job.step
                on_progress(job.step, job.total)
        if job.error is not None:
            raise job.error
        return job.results

    def withdraw(self, job: Job) -> bool:
        """Take `job` out of the line if no pipeline call has taken it yet (its asker left: a culled
        server, a closed tab). True when it was still waiting; it then ends with `Withdrawn`."""
        with self._cv:
            try:
                self._queue.remove(job)
            except ValueError:
                return False  # already in a call (or finished): its pictures are made and dropped
        job.error = Withdrawn("the request was withdrawn before its turn")
        job.done.set()
        return True

    def waiting(self) -> int:
        """How many jobs are in line for a pipeline call (not yet in one)."""
        with self._cv:
            return len(self._queue)

    def submit(self, job: Job, on_progress: Callable[[int, int], None] | None = None):
        """enqueue + wait."""
        return self.wait(self.enqueue(job), on_progress)

    def _take(self) -> list[Job]:
        """The jobs of the next call: the oldest job, then others with its key, up to max_pictures."""
        with self._cv:
            while not self._queue:
                self._cv.wait()
            if self.window_s:
                deadline = time.monotonic() + self.window_s
                while True:  # let requests that arrive together join this call
                    left = deadline - time.monotonic()
                    if left <= 0 or sum(len(j.items) for j in self._queue) >= self.max_pictures:
                        break
                    self._cv.wait(left)
            first = self._queue.popleft()
            taken, count = [first], len(first.items)
            for job in list(self._queue):
                if job.key == first.key and count + len(job.items) <= self.max_pictures:
                    self._queue.remove(job)
                    taken.append(job)
                    count += len(job.items)
            return taken

    def _work(self):
        while True:
            jobs = self._take()
            items = [item for job in jobs for item in job.items]
            for job in jobs:
                job.pictures_in_call = len(items)

            def on_step(step: int, total: int, _jobs=jobs):
                for job in _jobs:
                    job.step, job.total = step, total

            try:
                results = self.run(jobs[0].key, items, on_step)
                k = 0
                for job in jobs:
                    job.results = results[k : k + len(job.items)]
                    k += len(job.items)
            except BaseException as err:  # each person gets the error; the worker lives on
                for job in jobs:
                    job.error = err
            finally:
                for job in jobs:
                    if job.tracker is not None:
                        job.tracker.pictures_in_call = job.pictures_in_call
                    job.done.set()


_batchers: dict[str, Batcher] = {}
_batchers_lock = threading.Lock()


def batcher(name: str, run: Callable) -> Batcher:
    """The process's Batcher for `name`, sized by the current settings."""
    with _batchers_lock:
        b = _batchers.get(name)
        if b is None or b.run is not run:
            s = settings()
            b = Batcher(run, max_pictures=max(1, s.batch_size), window_s=s.window_s if s.room else 0.0)
            _batchers[name] = b
        return b
