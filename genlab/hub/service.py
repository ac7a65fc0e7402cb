"""The shared generation service: one copy of each model, for every learner's kernel (issue 13, point 2).

On a cohort server every learner's kernel would otherwise load its own pipeline (SD 1.5 in float16 is
2.5-4 GB of GPU memory per kernel). This service holds each model once, merges the pictures that
learners ask for at the same moment into one pipeline call (genlab.room's ``Batcher``, the same
merging the room-mode studio does), caps each person's waiting requests, and answers over HTTP.
In a learner's kernel ``genlab.generate`` (text to image, image to image, inpainting) and the video
calls send their request here when ``GENLAB_SERVICE_URL`` is set (genlab/core/remote.py), and get
the same pixels, recipe and seed a local call gives (see "Same pixels" below).

Two ways to run it
------------------
* **Managed by JupyterHub** (what ``genlab hub`` does): the hub starts the command from
  ``hub_service_entry()`` and hands it ``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_API_URL``,
  ``JUPYTERHUB_SERVICE_URL`` and ``JUPYTERHUB_SERVICE_PREFIX``. Every request must carry a hub token
  (``Authorization: token <JUPYTERHUB_API_TOKEN of the learner's server>``) that holds the scope
  ``access:services!service=genlab-generate``; the service asks the hub who it belongs to
  (``jupyterhub.services.auth.HubAuth``, cached for a minute). Reachable at
  ``<hub>/services/genlab-generate/`` through the hub's proxy, and directly at its own URL (the one
  learners' kernels get in ``GENLAB_SERVICE_URL``).
* **Standalone** (tests, benchmarks, one trainer's machine)::

      python -m genlab.hub.service --port 8765 --no-auth --profiles tiny

  ``--no-auth`` is refused on anything but a loopback address. Each caller is then known by its
  token's fingerprint (or its address), for the per-person cap.

The interface ``genlab hub`` calls (genlab/hub/config.py's ``services()``, ``service_roles()``,
``service_environment()`` hooks)::

    from genlab.hub.service import hub_service_entry
    entry = hub_service_entry(port=8765, profiles=["sd15"], video_profiles=["animatediff"], language="es")
    c.JupyterHub.services.append(entry.service)       # name, url, command, oauth_no_confirm, environment
    c.JupyterHub.load_roles.extend(entry.roles)       # learners' tokens may call the service
    c.Spawner.environment.update(entry.environment)   # GENLAB_SERVICE_URL (and GENLAB_LANG)

or, with the hub's settings object (a ``[generation_service]`` table in hub.toml):
``services(hub)``, ``service_roles(hub)``, ``service_environment(hub)`` below.

HTTP API (JSON in; NDJSON out, one event per line)
--------------------------------------------------
``GET  <prefix>health``          → ``{"ok": true, "profiles": [...], "video_profiles": [...], "pid", "rss_mb", "waiting"}``
``POST <prefix>api/pictures``    ``{"key": {BatchKey fields, profile by name}, "items": [{prompt,
negative_prompt, seed, image (PNG base64 or null), mask, batch_size, batch_index, extra}], "lang"}``
``POST <prefix>api/clip``        ``{"request": {ClipRequest fields}, "image": PNG base64 or null, "lang"}``

Both POSTs answer 200 with a stream: ``{"event": "queued", "ahead": n}``, then ``{"event":
"progress", "step", "total"}`` and ``{"event": "heartbeat"}`` (every 2 s while waiting, so a kernel
can tell a long queue from a dead service), and last ``{"event": "done", "pictures": [{"png",
"recipe"}]}`` (a clip: ``"frames"`` and ``"recipe"``) or ``{"event": "error", "key", "values",
"message"}``. Refusals before queueing are plain JSON with an HTTP status: 401/403 (token), 400
(bad JSON or settings), 404 (profile not served), 413 (body too big), 429 (too many waiting).
``key`` is a message key of assets/i18n (the kernel shows it in the learner's language).

Same pixels
-----------
A request's pictures are made by ``genlab.render.render`` with the seeds the kernel chose, exactly
as a local ``generate()`` makes them: alone in its pipeline call the result is bit-identical to a
local call on the same kind of device (tested). Merged with other learners' pictures in one call,
the matrix kernels see a bigger batch; on this CPU that moved some pixel values by 1 (of 255).
The recipe is the one a local call writes (device and dtype are the service's).

Faults (each tested in tests/test_hub_service.py)
-------------------------------------------------
* A kernel that goes away (its server culled, the kernel restarted) while its request waits: the
  pictures are still made in their batch and dropped; nobody else notices. Its waiting requests stop
  counting against the person's cap when they are done.
* The service restarted while kernels wait: each kernel sees the connection drop, waits for the
  service to answer again (``GENLAB_SERVICE_RETRY``, 60 s) and sends the same request once more (same
  seed: same picture). If the service is not back in time: a clear message.
* The service down when a kernel asks: a clear message at once (in es or en), never a hang; a
  service that stops answering mid-request: a message after ``GENLAB_SERVICE_IDLE`` (30 s).
* Bad input: an unknown profile, a size the profile does not make, too many pictures, a body over
  32 MB, a broken picture: a message; the service keeps serving.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, fields

SERVICE_NAME = "genlab-generate"
DEFAULT_PORT = 8765
DEFAULT_MAX_PICTURES = 16  # pictures one request may ask for
DEFAULT_MAX_BODY = 32 * 1024 * 1024
HEARTBEAT_S = 2.0
ACCESS_SCOPE = "access:services!service={name}"

log = logging.getLogger("genlab.hub.service")


# ==== the interface the hub set-up calls =========================================================
@dataclass
class HubService:
    """What JupyterHub needs to run the service and let learners call it."""

    service: dict  # one entry of c.JupyterHub.services
    roles: list[dict]  # entries of c.JupyterHub.load_roles
    environment: dict[str, str]  # entries of c.Spawner.environment (learners' servers)
    url: str  # where kernels reach it (GENLAB_SERVICE_URL)

    def apply(self, c) -> None:
        """Add the service to a JupyterHub config object `c` (services, roles, spawner environment)."""
        c.JupyterHub.services.append(self.service)  # a list, or traitlets' lazy value when unset
        c.JupyterHub.load_roles.extend(self.roles)
        c.Spawner.environment.update(self.environment)


def service_command(*, port: int = DEFAULT_PORT, python: str | None = None, profiles=(), video_profiles=(),
                    batch: int | None = None, per_person: int | None = None, device: str | None = None) -> list[str]:
    """The command line that starts the service (what the hub runs)."""
    cmd = [python or sys.executable, "-m", "genlab.hub.service", "--host", "127.0.0.1", "--port", str(port)]
    if profiles:
        cmd += ["--profiles", ",".join(profiles)]
    if video_profiles:
        cmd += ["--video-profiles", ",".join(video_profiles)]
    if batch:
        cmd += ["--batch", str(batch)]
    if per_person is not None:
        cmd += ["--per-person", str(per_person)]
    if device:
        cmd += ["--device", device]
    return cmd


def hub_service_entry(
    *,
    port: int = DEFAULT_PORT,
    python: str | None = None,
    profiles=(),
    video_profiles=(),
    batch: int | None = None,
    per_person: int | None = None,
    device: str | None = None,
    language: str = "",
    name: str = SERVICE_NAME,
    user: str | None = None,
    environment: dict[str, str] | None = None,
) -> HubService:
    """The JupyterHub service entry, the roles and the learners' environment for the generation service.

    `port`: where it listens (127.0.0.1 only; the hub's proxy forwards ``/services/<name>/`` to it).
    `python`: the interpreter with genlab, torch and diffusers (default: the hub's own).
    `profiles` / `video_profiles`: what it serves (default: models.toml's defaults, tiny / tiny-video).
    `batch`: most pictures in one pipeline call (default: the profile's room_batch).
    `per_person`: requests one learner may have waiting (default 2; 0: no limit).
    `language`: ``es`` or ``en`` for the kernels' messages (GENLAB_LANG; empty: from LANG).
    `user`: run it as this Unix user (the hub must run as root); default: the hub's user.

    Roles: learners' own tokens (``user`` role) and their servers' tokens (``server`` role, which is
    what JUPYTERHUB_API_TOKEN in a kernel holds) get ``access:services!service=<name>``. These two
    entries REPLACE JupyterHub's default ``user`` and ``server`` roles with the defaults plus that
    scope; a hub that customises those roles elsewhere must merge the scope in instead.
    """
    url = f"http://127.0.0.1:{port}"
    env = {
        "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
        "PYTHONUNBUFFERED": "1",
        **(environment or {}),
    }
    for var in ("GENLAB_MODELS_TOML", "GENLAB_ASSETS", "GENLAB_DEVICE", "HF_HOME", "PYTHONPATH"):
        if os.environ.get(var) and var not in env:
            env[var] = os.environ[var]
    service = {
        "name": name,
        "url": url,
        "command": service_command(port=port, python=python, profiles=profiles, video_profiles=video_profiles,
                                   batch=batch, per_person=per_person, device=device),
        "environment": env,
        "oauth_no_confirm": True,
        "display": False,  # an API for kernels; the hub's Services menu would show a JSON page
        "info": {"about": "genlab: one shared copy of each model for every learner (pictures and clips)"},
    }
    if user:
        service["user"] = user
    scope = ACCESS_SCOPE.format(name=name)
    roles = [
        {"name": "user", "description": "Standard user privileges, and the generation service",
         "scopes": ["self", scope]},
        {"name": "server", "description": "Post activity, and the generation service",
         "scopes": ["users:activity!user", "access:servers!server", scope]},
    ]
    learner_env = {"GENLAB_SERVICE_URL": f"{url}/services/{name}/"}
    if language:
        learner_env["GENLAB_DEFAULT_LANG"] = language  # until the learner chooses (genlab lab --lang)
    return HubService(service=service, roles=roles, environment=learner_env, url=learner_env["GENLAB_SERVICE_URL"])


def _csv(value) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())


def from_hub(hub) -> HubService | None:
    """The service for a ``genlab hub`` settings object: its ``[generation_service]`` table in hub.toml
    (keys: enabled (default true), port, python, profiles, video_profiles, batch, per_person,
    device, language, user). None when ``enabled = false``. `python` defaults to the learners'
    environment (``hub.env_dir/bin/python``) when the hub has one."""
    table = dict((getattr(hub, "extra", None) or {}).get("generation_service", {}) or {})
    if not table.pop("enabled", True):
        return None
    known = {"port", "python", "profiles", "video_profiles", "batch", "per_person", "device", "language", "user"}
    unknown = set(table) - known
    if unknown:
        raise ValueError(f"[generation_service] in the hub's settings: unknown key(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(known))}.")
    python = table.get("python")
    env_dir = getattr(hub, "env_dir", None)
    if not python and env_dir is not None and os.path.exists(os.path.join(str(env_dir), "bin", "python")):
        python = os.path.join(str(env_dir), "bin", "python")
    return hub_service_entry(
        port=int(table.get("port", DEFAULT_PORT)),
        python=python,
        profiles=_csv(table.get("profiles")),
        video_profiles=_csv(table.get("video_profiles")),
        batch=table.get("batch"),
        per_person=table.get("per_person"),
        device=table.get("device"),
        language=str(table.get("language", "")),
        user=table.get("user"),
    )


def services(hub) -> list[dict]:
    """For genlab/hub/config.py's ``services(hub)`` hook."""
    entry = from_hub(hub)
    return [entry.service] if entry else []


def service_roles(hub) -> list[dict]:
    """For genlab/hub/config.py's ``service_roles(hub)`` hook."""
    entry = from_hub(hub)
    return entry.roles if entry else []


def service_environment(hub) -> dict[str, str]:
    """For genlab/hub/config.py's ``service_environment(hub)`` hook."""
    entry = from_hub(hub)
    return entry.environment if entry else {}


# ==== wire format (shared with genlab/core/remote.py) =============================================
def png_b64(image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def image_from_b64(data: str, mode: str | None = None):
    from PIL import Image

    img = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
    img.load()
    return img.convert(mode) if mode and img.mode != mode else img


# ==== the server ===================================================================================
class Refused(Exception):
    """A request the service will not take: an HTTP status and a message key of assets/i18n."""

    def __init__(self, status: int, key: str, **values):
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


def error_body(key: str, lang: str = "en", **values) -> dict:
    from genlab.core.i18n import t

    try:
        message = t(key, lang, **values)
    except (KeyError, IndexError):
        message = key
    return {"key": key, "values": {k: str(v) for k, v in values.items()}, "message": message}


def explain(err: BaseException) -> tuple[str, dict]:
    """A message key and values for an error raised while making pictures."""
    from genlab.ui import room
    from genlab.core.i18n import UserError
    from genlab.core.profiles import ProfileError

    if isinstance(err, UserError):
        return err.key, err.values
    if isinstance(err, room.OutOfMemory):
        return "errors.out_of_memory", {}
    if isinstance(err, ProfileError):
        return "errors.service_bad_request", {"detail": str(err)[:300]}
    if isinstance(err, (ValueError, TypeError)):
        return "errors.service_bad_request", {"detail": str(err)[:300]}
    return "errors.service_failed", {"detail": f"{type(err).__name__}: {str(err)[:300]}"}


class OpenAuth:
    """--no-auth (loopback only): a caller is known by its token's fingerprint, else its address."""

    def identify(self, headers, client_host: str) -> str:
        token = _token_of(headers)
        return "token-" + hashlib.sha256(token.encode()).hexdigest()[:10] if token else f"addr-{client_host}"


class HubTokenAuth:
    """The hub's own tokens: HubAuth asks the hub whose token it is and which scopes it holds."""

    def __init__(self, name: str = SERVICE_NAME):
        from jupyterhub.services.auth import HubAuth

        scopes = os.environ.get("JUPYTERHUB_OAUTH_ACCESS_SCOPES")
        self.required = set(json.loads(scopes)) if scopes else {ACCESS_SCOPE.format(name=name)}
        self.hub = HubAuth(cache_max_age=60, access_scopes=self.required)

    def identify(self, headers, client_host: str) -> str:
        from jupyterhub.services.auth import check_scopes

        token = _token_of(headers)
        if not token:
            raise Refused(401, "errors.service_denied", detail="no hub token sent")
        try:
            model = self.hub.user_for_token(token, sync=True)
        except Exception as err:  # the hub does not answer
            raise Refused(503, "errors.service_denied", detail=f"the hub did not answer ({type(err).__name__})") from err
        if not model:
            raise Refused(403, "errors.service_denied", detail="the hub does not know this token")
        if not check_scopes(self.required, set(model.get("scopes", []))):
            raise Refused(403, "errors.service_denied", detail=f"the token lacks {', '.join(sorted(self.required))}")
        return str(model.get("name") or model.get("kind", "?"))


def _token_of(headers) -> str:
    value = headers.get("authorization", "")
    kind, _, token = value.partition(" ")
    return token.strip() if kind.lower() in ("token", "bearer") else ""


class Waiting:
    """Each person's requests that are not finished (a request counts until its pictures are made,
    whether or not its kernel is still there to receive them)."""

    def __init__(self):
        self._jobs: dict[str, list] = {}
        self._lock = threading.Lock()

    def count(self, who: str) -> int:
        with self._lock:
            jobs = [j for j in self._jobs.get(who, []) if not j.done.is_set()]
            if jobs:
                self._jobs[who] = jobs
            else:
                self._jobs.pop(who, None)
            return len(jobs)

    def total(self) -> int:
        with self._lock:
            return sum(1 for jobs in self._jobs.values() for j in jobs if not j.done.is_set())

    def try_add(self, who: str, job, limit: int) -> bool:
        n = self.count(who)
        with self._lock:
            if limit and n >= limit:
                return False
            self._jobs.setdefault(who, []).append(job)
            return True


@dataclass
class ServiceSettings:
    profiles: tuple[str, ...] = ()
    video_profiles: tuple[str, ...] = ()
    batch: int | None = None
    per_person: int = 2
    max_pictures: int = DEFAULT_MAX_PICTURES
    max_body: int = DEFAULT_MAX_BODY
    window_s: float = 0.05
    heartbeat_s: float = HEARTBEAT_S
    device: str | None = None
    prefix: str = "/"
    warm: bool = True


class GenerationService:
    """The models, the queues and the request handling (no web framework here: see `make_app`)."""

    def __init__(self, s: ServiceSettings):
        from genlab.ui import room
        from genlab.core.profiles import get_profile

        self.s = s
        self.profiles = tuple(s.profiles) or (get_profile(None).name,)
        self.video_profiles = tuple(s.video_profiles) if s.video_profiles else ()
        batch = s.batch or max(room.room_batch(p) for p in self.profiles)
        self.batch = batch
        self.pictures = room.Batcher(self._render, max_pictures=batch, window_s=s.window_s)
        self.clips = room.Batcher(self._clip, max_pictures=1)
        self.waiting = Waiting()
        self.started = time.time()
        self.served = 0
        self.withdrawn = 0  # requests whose kernel left (culled, stopped) before their turn: never run

    # -- models ----------------------------------------------------------------------------------
    def warm_up(self) -> None:
        from genlab.core.pipelines import load_pipeline

        for name in self.profiles:
            load_pipeline("txt2img", name, device=self.s.device)
        for name in self.video_profiles:
            load_pipeline("video", name, device=self.s.device)

    def _render(self, key, items, on_step):
        from genlab.core.render import render

        return render(key, items, on_step, device=self.s.device)

    def _clip(self, _key, items, on_step):
        from genlab.core import video

        request, image = items[0]
        return [video.make_frames(request, image, on_step)]

    def health(self) -> dict:
        from genlab.core.pipelines import _cache

        return {
            "ok": True,
            "service": SERVICE_NAME,
            "profiles": list(self.profiles),
            "video_profiles": list(self.video_profiles),
            "batch": self.batch,
            "per_person": self.s.per_person,
            "loaded": sorted({f"{p}/{t}/{d}" for p, t, d in list(_cache)}),
            "pid": os.getpid(),
            "rss_mb": round(rss_bytes(os.getpid()) / 2**20, 1),
            "gpu_mb": round(gpu_bytes() / 2**20, 1),
            "waiting": self.waiting.total(),
            "queued": self.pictures.waiting() + self.clips.waiting(),
            "served": self.served,
            "withdrawn": self.withdrawn,
            "up_s": round(time.time() - self.started, 1),
        }

    # -- requests --------------------------------------------------------------------------------
    def picture_job(self, body: dict):
        """Check a pictures request; returns (Job, how to turn its results into the answer)."""
        from genlab.ui import room
        from genlab.core.generation import MAX_SEED
        from genlab.core.profiles import ProfileError, get_profile
        from genlab.core.render import BatchKey, PictureItem

        try:
            k = dict(body["key"])
            raw_items = list(body["items"])
            key = BatchKey(**{f.name: k.get(f.name) for f in fields(BatchKey)})
        except (KeyError, TypeError, ValueError) as err:
            raise Refused(400, "errors.service_bad_request", detail=f"not a pictures request ({err})") from None
        if key.profile not in self.profiles:
            raise Refused(404, "errors.service_profile", profile=key.profile, served=", ".join(self.profiles))
        try:
            prof = get_profile(key.profile)
        except ProfileError as err:
            raise Refused(404, "errors.service_bad_request", detail=str(err)) from None
        if key.task not in ("txt2img", "img2img", "inpaint") or key.task not in prof.tasks:
            raise Refused(400, "errors.service_bad_request", detail=f"profile {prof.name} does not do {key.task}")
        if not raw_items:
            raise Refused(400, "errors.service_bad_request", detail="no pictures asked for")
        if len(raw_items) > self.s.max_pictures:
            raise Refused(413, "errors.service_too_many", n=len(raw_items), limit=self.s.max_pictures)
        try:
            _whole(key.steps, "steps", 1, 200)
            _number(key.guidance, "guidance", 0, 30)
            _whole(key.width, "width", 64, 2048)
            _whole(key.height, "height", 64, 2048)
            prof.check_size(key.width, key.height)
            if key.task != "txt2img":
                _number(key.strength, "strength", 0.0, 1.0)
            if key.sampler is not None:
                from genlab.core.samplers import samplers

                if key.sampler not in samplers():
                    raise ValueError(f"unknown sampler {key.sampler!r}")
            items = []
            for raw in raw_items:
                prompt = raw.get("prompt")
                negative = raw.get("negative_prompt")
                if not isinstance(prompt, str) or len(prompt) > 10000:
                    raise ValueError("the prompt must be text (at most 10000 characters)")
                if negative is not None and (not isinstance(negative, str) or len(negative) > 10000):
                    raise ValueError("the negative prompt must be text (at most 10000 characters)")
                item = PictureItem(
                    prompt=prompt, negative_prompt=negative or None, seed=_whole(raw.get("seed"), "seed", 0, MAX_SEED),
                    batch_size=_whole(raw.get("batch_size", 1), "batch_size", 1, 64),
                    batch_index=_whole(raw.get("batch_index", 0), "batch_index", 0, 63),
                    extra=dict(raw.get("extra") or {}),
                )
                if key.task != "txt2img":
                    item.image = self._picture(raw.get("image"), "image", "RGB", key.width, key.height)
                if key.task == "inpaint":
                    item.mask = self._picture(raw.get("mask"), "mask", "L", key.width, key.height)
                items.append(item)
        except (TypeError, ValueError, ProfileError) as err:
            raise Refused(400, "errors.service_bad_request", detail=str(err)[:300]) from None
        key = BatchKey(profile=prof.name, task=key.task, steps=int(key.steps), guidance=float(key.guidance),
                       width=int(key.width), height=int(key.height), sampler=key.sampler,
                       strength=float(key.strength) if key.task != "txt2img" else None)

        def answer(results):
            return {"pictures": [{"png": png_b64(img), "recipe": json.loads(rec.to_json())} for img, rec in results]}

        return room.Job(key, items), self.pictures, answer

    def clip_job(self, body: dict):
        from dataclasses import replace

        from genlab.ui import room
        from genlab.core.i18n import UserError

        try:
            raw = dict(body["request"])
        except (KeyError, TypeError, ValueError) as err:
            raise Refused(400, "errors.service_bad_request", detail=f"not a clip request ({err})") from None
        profile = raw.get("profile")
        if profile not in self.video_profiles:
            raise Refused(404, "errors.service_profile", profile=profile, served=", ".join(self.video_profiles) or "-")
        try:
            from genlab.core import video

            req = video.check_clip(raw.get("prompt"), raw.get("negative_prompt"), raw.get("seed", -1), raw.get("steps"),
                                   raw.get("guidance"), raw.get("frames"), raw.get("fps"), raw.get("loop", False), profile)
            image = None
            if body.get("image"):
                image = self._picture(body["image"], "image", "RGB", req.width, req.height)
                req = replace(req, strength=_number(raw.get("strength"), "strength", 0.0, 1.0))
            if req.seed is None:
                raise ValueError("the kernel sends a seed")
        except UserError as err:
            raise Refused(400, err.key, **err.values) from None
        except (TypeError, ValueError) as err:
            raise Refused(400, "errors.service_bad_request", detail=str(err)[:300]) from None

        def answer(results):
            frames, recipe = results[0]
            return {"frames": [png_b64(f) for f in frames], "recipe": json.loads(recipe.to_json())}

        return room.Job(("clip",), [(req, image)]), self.clips, answer

    @staticmethod
    def _picture(data, what, mode, width, height):
        if not isinstance(data, str) or not data:
            raise ValueError(f"the {what} is missing")
        try:
            img = image_from_b64(data, mode)
        except Exception as err:
            raise ValueError(f"the {what} is not a picture ({type(err).__name__})") from None
        if img.size != (width, height):
            raise ValueError(f"the {what} is {img.size[0]}x{img.size[1]}, not {width}x{height}")
        return img

    def stream(self, who: str, job, batcher, answer, lang: str, left=None):
        """Queue the job and yield its events (NDJSON lines) until its pictures are made.

        `left` (a threading.Event) is set when the asker's connection closes: a job still in line
        is then withdrawn, so a culled learner's request never takes the GPU from the others.
        """
        ahead = batcher.waiting()
        batcher.enqueue(job)
        started = time.monotonic()
        yield _line({"event": "queued", "ahead": ahead})
        last, shown = time.monotonic(), -1
        while not job.done.wait(0.2):
            if left is not None and left.is_set():
                return  # the asker left (the handler took the request out of the line)
            now = time.monotonic()
            if job.total and job.step != shown:
                shown = job.step
                yield _line({"event": "progress", "step": job.step, "total": job.total})
                last = now
            elif now - last >= self.s.heartbeat_s:
                yield _line({"event": "heartbeat", "waited_s": round(now - started, 1)})
                last = now
        if job.error is not None:
            key, values = explain(job.error)
            log.warning("%s: %s failed: %s", who, type(job.error).__name__, str(job.error)[:200])
            yield _line({"event": "error", **error_body(key, lang, **values)})
            return
        self.served += len(job.items)
        yield _line({"event": "done", "in_call": job.pictures_in_call, **answer(job.results)})


def _line(data: dict) -> bytes:
    return (json.dumps(data) + "\n").encode("utf-8")


def _whole(value, name, lo, hi) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")
    return int(value)


def _number(value, name, lo, hi) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")
    return float(value)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (from /proc; psutil when /proc is absent)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except Exception:
        return 0


def gpu_bytes() -> int:
    """GPU memory torch holds in this process (reserved by its caching allocator; 0 without CUDA)."""
    torch = sys.modules.get("torch")
    try:
        return int(torch.cuda.memory_reserved()) if torch is not None and torch.cuda.is_available() else 0
    except Exception:
        return 0


def make_app(service: GenerationService, auth):
    """The Starlette app: the API under the prefix (JupyterHub's proxy keeps /services/NAME/ in the
    path) and at / (the service's own address)."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    def lang_of(request, body=None) -> str:
        from genlab.core.i18n import LANGUAGES, language_of

        wanted = (body or {}).get("lang") if isinstance(body, dict) else None
        return wanted if wanted in LANGUAGES else language_of(header=request.headers.get("accept-language"))

    def refused(err: Refused, lang: str) -> JSONResponse:
        return JSONResponse({"error": error_body(err.key, lang, **err.values)}, status_code=err.status)

    async def health(request):
        return JSONResponse(service.health())

    def make_handler(build):
        async def handler(request):
            from starlette.concurrency import run_in_threadpool

            lang = lang_of(request)
            try:
                who = await run_in_threadpool(auth.identify, request.headers, request.client.host if request.client else "?")
                raw, size = bytearray(), 0
                async for chunk in request.stream():  # read to the end (an early answer breaks the sender's pipe)
                    size += len(chunk)
                    if size <= service.s.max_body:
                        raw += chunk
                    elif size > 8 * service.s.max_body:
                        break  # not a learner's picture: stop reading
                if size > service.s.max_body:
                    raise Refused(413, "errors.service_too_big", mb=size // 2**20, limit=service.s.max_body // 2**20)
                try:
                    body = json.loads(raw)
                    if not isinstance(body, dict):
                        raise ValueError("not an object")
                except ValueError as err:
                    raise Refused(400, "errors.service_bad_request", detail=f"not JSON ({err})") from None
                lang = lang_of(request, body)
                job, batcher, answer = await run_in_threadpool(build, body)
                if not service.waiting.try_add(who, job, service.s.per_person):
                    raise Refused(429, "errors.too_many_waiting", n=service.s.per_person)
            except Refused as err:
                return refused(err, lang)
            left = threading.Event()
            events = service.stream(who, job, batcher, answer, lang, left)

            async def body():  # a closed connection (culled server, killed kernel) sets `left`
                from starlette.concurrency import iterate_in_threadpool

                try:
                    async for line in iterate_in_threadpool(events):
                        yield line
                finally:  # done, or the connection closed: a request still in line leaves it
                    left.set()
                    if not job.done.is_set() and batcher.withdraw(job):
                        service.withdrawn += 1
                        log.info("%s left before their turn: request withdrawn", who)

            return StreamingResponse(body(), media_type="application/x-ndjson")

        return handler

    pictures = make_handler(service.picture_job)
    clip = make_handler(service.clip_job)
    prefixes = {"/", "/" + service.s.prefix.strip("/") + "/" if service.s.prefix.strip("/") else "/"}
    routes = []
    for p in sorted(prefixes):
        routes += [
            Route(f"{p}health", health, methods=["GET"]),
            Route(f"{p}api/pictures", pictures, methods=["POST"]),
            Route(f"{p}api/clip", clip, methods=["POST"]),
        ]

    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = 256  # many learners wait at once
        yield

    return Starlette(routes=routes, lifespan=lifespan)


# ==== command line ==================================================================================
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m genlab.hub.service",
                                description="The shared generation service: one copy of each model for every learner.")
    p.add_argument("--host", default=None, help="address to listen on (default: from JUPYTERHUB_SERVICE_URL, else 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help=f"port (default: from JUPYTERHUB_SERVICE_URL, else {DEFAULT_PORT})")
    p.add_argument("--prefix", default=None, help="URL prefix (default: JUPYTERHUB_SERVICE_PREFIX, else /services/genlab-generate/)")
    p.add_argument("--profiles", default="", help="picture profiles to serve, comma-separated (default: models.toml's default)")
    p.add_argument("--video-profiles", default="", help="video profiles to serve, comma-separated (default: none)")
    p.add_argument("--batch", type=int, help="most pictures in one pipeline call (default: the profile's room_batch)")
    p.add_argument("--per-person", type=int, default=2, help="requests one person may have waiting (0: no limit; default 2)")
    p.add_argument("--max-pictures", type=int, default=DEFAULT_MAX_PICTURES, help="most pictures one request may ask for")
    p.add_argument("--device", default=None, help="torch device (default: the best one here)")
    p.add_argument("--no-auth", action="store_true", help="accept requests without a hub token (loopback addresses only)")
    p.add_argument("--no-warm", action="store_true", help="load models at the first request instead of before listening")
    return p


def main(argv: list[str] | None = None) -> int:
    from urllib.parse import urlparse

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s genlab-generate %(levelname)s %(message)s")
    os.environ.pop("GENLAB_SERVICE_URL", None)  # the service never sends its work to itself
    own = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", ""))
    host = args.host or own.hostname or "127.0.0.1"
    port = args.port or own.port or DEFAULT_PORT
    prefix = args.prefix or os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or f"/services/{SERVICE_NAME}/"
    from genlab.ui.demo import is_loopback

    if args.no_auth:
        if not is_loopback(host):
            print(f"genlab-generate: --no-auth only on a loopback address (127.0.0.1), not {host}.", file=sys.stderr)
            return 2
        auth = OpenAuth()
    elif not os.environ.get("JUPYTERHUB_API_TOKEN"):
        print("genlab-generate: no JUPYTERHUB_API_TOKEN: run it as a JupyterHub service (genlab hub) or pass --no-auth "
              "(this machine only).", file=sys.stderr)
        return 2
    else:
        auth = HubTokenAuth(os.environ.get("JUPYTERHUB_SERVICE_NAME", SERVICE_NAME))
    settings = ServiceSettings(profiles=_csv(args.profiles), video_profiles=_csv(args.video_profiles), batch=args.batch,
                               per_person=args.per_person, max_pictures=args.max_pictures, device=args.device,
                               prefix=prefix, warm=not args.no_warm)
    service = GenerationService(settings)
    if settings.warm:
        t0 = time.monotonic()
        service.warm_up()
        log.info("models loaded in %.1f s: %s", time.monotonic() - t0, ", ".join(service.profiles + service.video_profiles))
    import uvicorn

    log.info("serving %s on http://%s:%d%s (and /), %d pictures per call, %s waiting per person, auth: %s",
             ", ".join(service.profiles + service.video_profiles), host, port, prefix, service.batch,
             settings.per_person or "any", type(auth).__name__)
    uvicorn.run(make_app(service, auth), host=host, port=port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
