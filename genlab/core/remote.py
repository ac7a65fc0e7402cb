"""The kernel's side of the shared generation service (genlab/hub/service.py).

On the cohort server the hub sets ``GENLAB_SERVICE_URL`` in every learner's server. Then
``genlab.generate`` (text to image, image to image, inpainting: everything that goes through
``render``) and the video calls (``video.make_frames``, so ``make_clip`` and the video app) send
their pictures' settings and seeds to the service instead of loading a model in the kernel, and get
back the same pixels and recipe a local call makes. Validation, seeds and saving stay in the kernel.

What stays local, on purpose:
* a call with an explicit ``device=`` (``genlab.generate(..., device="cpu")``);
* a profile whose pipeline this kernel already holds: a lesson that loaded the model itself (the
  denoising loop in internals, LoRA training and ``genlab.lora.use``, the explorer) keeps using its
  own copy, LoRAs included, so its pictures match what the lesson changed;
* a profile object read from another models.toml.

Faults, never a hang: the service down → ``ServiceError`` at once; silent for
``GENLAB_SERVICE_IDLE`` seconds (it sends a heartbeat every 2 s while a request waits) or longer
than ``GENLAB_SERVICE_TIMEOUT`` in all → ``ServiceError``; the connection dropped while waiting
(the service restarted) → wait up to ``GENLAB_SERVICE_RETRY`` seconds for it to come back and send
the same request once more (same seeds: same pictures), else ``ServiceError``. The message is in the
learner's language (``GENLAB_LANG``, else LANG; es or en).

Nothing here imports torch, diffusers or gradio: the kernel stays small (tested).
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import socket
import time
from urllib.parse import urljoin, urlsplit

from genlab import settings
from genlab.core.i18n import UserError, current_language, t

CONNECT_TIMEOUT_S = 5.0


class ServiceError(UserError):
    """The shared service could not make it; ``str(err)`` is the message in the learner's language."""

    def __init__(self, key: str, lang: str | None = None, **values):
        self.key, self.title_key, self.values = key, "errors.title_busy", values
        self.lang = lang or language()
        ValueError.__init__(self, self.message(self.lang))

    def message(self, lang: str) -> str:
        try:
            return t(self.key, lang, **self.values)
        except (KeyError, IndexError):  # a key this kernel's genlab does not know (another version)
            return str(self.values.get("message") or self.key)

    def __str__(self) -> str:
        return self.args[0]


class _Lost(Exception):
    """The connection dropped before the answer came."""


# ---- when to use it ------------------------------------------------------------------------------
def service_url() -> str:
    url = settings.get("GENLAB_SERVICE_URL")
    return url if not url or url.endswith("/") else url + "/"


def language() -> str:
    """es or en: the reader's language (genlab.core.i18n.current_language)."""
    return current_language()


def wanted(profile=None, device: str | None = None, *, video: bool = False) -> bool:
    """Whether this call goes to the shared service (see the module's docstring)."""
    if not service_url() or device is not None:
        return False
    from genlab.core.profiles import Profile, get_profile

    try:
        if isinstance(profile, Profile):
            if get_profile(profile.name, video=video) != profile:
                return False
            name = profile.name
        else:
            name = get_profile(profile, video=video).name
    except Exception:
        return False  # let the local call say what is wrong with the profile
    from genlab.core import pipelines

    return not any(key[0] == name for key in list(pipelines._cache))


# ---- the calls -----------------------------------------------------------------------------------
def _png(image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _image(data: str):
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(data))) as img:
        img.load()
        return img.copy()


def render(key, items, on_step=None) -> list:
    """genlab.render.render's answer, made by the service: [(picture, recipe)] per item."""
    from genlab.core.recipe import Recipe

    profile = getattr(key.profile, "name", key.profile)
    payload = {
        "key": {"profile": profile, "task": key.task, "steps": key.steps, "guidance": key.guidance, "width": key.width,
                "height": key.height, "sampler": key.sampler, "strength": key.strength},
        "items": [
            {"prompt": it.prompt, "negative_prompt": it.negative_prompt, "seed": it.seed,
             "image": _png(it.image) if it.image is not None else None,
             "mask": _png(it.mask) if it.mask is not None else None,
             "batch_size": it.batch_size, "batch_index": it.batch_index, "extra": it.extra}
            for it in items
        ],
    }
    answer = call("api/pictures", payload, on_step)
    return [(_image(p["png"]), Recipe.from_dict(p["recipe"])) for p in answer["pictures"]]


def make_frames(request, image=None, on_step=None):
    """genlab.video.make_frames's answer, made by the service: (frames, recipe)."""
    from dataclasses import asdict, replace

    from genlab.core.render import draw_seed
    from genlab.core.recipe import Recipe

    if request.seed is None:  # drawn here, so a request sent again after a restart makes the same clip
        request = replace(request, seed=draw_seed())
    payload = {"request": asdict(request), "image": _png(image) if image is not None else None}
    answer = call("api/clip", payload, on_step)
    return [_image(f) for f in answer["frames"]], Recipe.from_dict(answer["recipe"])


def call(path: str, payload: dict, on_step=None) -> dict:
    """POST `payload` to the service and follow its event stream to the answer (see the module docs)."""
    base = service_url()
    lang = language()
    payload = {**payload, "lang": lang}
    body = json.dumps(payload).encode("utf-8")
    total_s = float(settings.get("GENLAB_SERVICE_TIMEOUT"))
    retry_s = float(settings.get("GENLAB_SERVICE_RETRY"))
    deadline = time.monotonic() + total_s
    try:
        return _once(urljoin(base, path), body, lang, deadline, total_s, on_step)
    except _Lost:
        pass
    if not wait_until_up(base, min(retry_s, max(0.0, deadline - time.monotonic()))):
        raise ServiceError("errors.service_restarted", lang, seconds=int(retry_s))
    try:
        return _once(urljoin(base, path), body, lang, deadline, total_s, on_step)
    except _Lost:
        raise ServiceError("errors.service_restarted", lang, seconds=int(retry_s)) from None


def _connection(url: str, timeout: float):
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=timeout)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return conn, target or "/"


def _headers(lang: str) -> dict:
    headers = {"Content-Type": "application/json", "Accept-Language": lang, "Accept": "application/x-ndjson"}
    token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
    if token:
        headers["Authorization"] = f"token {token}"
    return headers


def _once(url: str, body: bytes, lang: str, deadline: float, total_s: float, on_step):
    idle_s = float(settings.get("GENLAB_SERVICE_IDLE"))
    conn, target = _connection(url, CONNECT_TIMEOUT_S)
    try:
        try:
            conn.connect()
        except (OSError, socket.timeout) as err:
            raise ServiceError("errors.service_down", lang, url=url.rsplit("/api/", 1)[0] + "/",
                               detail=type(err).__name__) from None
        conn.sock.settimeout(idle_s)
        try:
            conn.request("POST", target, body=body, headers=_headers(lang))
            resp = conn.getresponse()
        except (socket.timeout, TimeoutError):
            raise ServiceError("errors.service_timeout", lang, seconds=int(idle_s)) from None
        except (OSError, http.client.HTTPException) as err:
            raise _Lost(str(err)) from None
        if resp.status != 200:
            raise _refusal(resp, lang)
        while True:
            if time.monotonic() > deadline:
                raise ServiceError("errors.service_timeout", lang, seconds=int(total_s))
            try:
                line = resp.readline()
            except (socket.timeout, TimeoutError):
                raise ServiceError("errors.service_timeout", lang, seconds=int(idle_s)) from None
            except (OSError, http.client.HTTPException) as err:
                raise _Lost(str(err)) from None
            if not line:
                raise _Lost("the answer ended early")
            try:
                event = json.loads(line)
            except ValueError:
                raise _Lost("a broken answer") from None
            kind = event.get("event")
            if kind == "progress" and on_step is not None:
                try:
                    on_step(int(event["step"]), int(event["total"]))
                except Exception:
                    pass
            elif kind == "done":
                return event
            elif kind == "error":
                raise ServiceError(event.get("key", "errors.service_failed"), lang,
                                   **{**event.get("values", {}), "message": event.get("message", "")})
    finally:
        conn.close()


def _refusal(resp, lang: str) -> ServiceError:
    try:
        data = json.loads(resp.read(1_000_000) or b"{}")["error"]
        return ServiceError(data["key"], lang, **{**data.get("values", {}), "message": data.get("message", "")})
    except Exception:
        return ServiceError("errors.service_failed", lang, detail=f"HTTP {resp.status} {resp.reason}")


def health(base: str | None = None, timeout: float = 2.0) -> dict | None:
    """The service's /health answer, or None when it does not answer."""
    base = base or service_url()
    conn, target = _connection(urljoin(base, "health"), timeout)
    try:
        conn.request("GET", target)
        resp = conn.getresponse()
        return json.loads(resp.read()) if resp.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


def wait_until_up(base: str | None = None, seconds: float = 60.0) -> bool:
    """Poll /health until the service answers (True) or `seconds` pass (False)."""
    end = time.monotonic() + seconds
    while True:
        if health(base, timeout=min(2.0, max(0.2, end - time.monotonic()))) is not None:
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.5)
