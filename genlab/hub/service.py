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
    c.Spawner.environment.update(entry.environment)   # GENLAB_SERVICE_URL (and GENLAB_LANGUAGE)

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
from dataclasses import asdict, dataclass, field, fields

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
    `language`: ``es`` or ``en`` for the kernels' messages (GENLAB_LANGUAGE; empty: from LANG).
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
        learner_env["GENLAB_LANGUAGE"] = language
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
