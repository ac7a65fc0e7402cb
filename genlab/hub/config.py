"""The cohort server's settings: read from a TOML file (assets/hub/hub.toml by default), never code.

``load(path)`` gives a ``HubSettings``; ``apply(c, hub)`` turns it into JupyterHub's traitlets config
(``genlab/hub/jupyterhub_config.py`` is the file JupyterHub loads, and it only calls these two).

Where the shared generation service plugs in: ``services(hub)`` and ``service_roles(hub)`` below
return the JupyterHub *service* entries and roles for it. They are empty here on purpose: the
generation service (issue 13, point 2: ``genlab/hub/service*.py``) adds its entry there, and the
spawner environment it needs (the variable that tells a learner's kernel to use it) in
``service_environment(hub)``. Nothing else in this file needs to change for it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from genlab import settings
from genlab.core.i18n import say

DEFAULT_CONFIG = settings.ASSETS_DIR / "hub" / "hub.toml"

# nbgrader's JupyterLab plugins and server extensions that are trainer tools: learners' servers have
# them disabled at the environment's level (nbgrader docs, "Disabling extensions"); the trainer's
# account enables them again at the user level.
TRAINER_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
TRAINER_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)

CLI_SERVICE = "genlab-cli"  # the token `genlab hub status` / `users sync` talk to the hub with
CULLER_SERVICE = "idle-culler"


class HubConfigError(ValueError):
    """The hub's TOML file has a mistake; the message says which key."""


@dataclass
class HubSettings:
    path: Path
    # [hub]
    ip: str = "0.0.0.0"
    port: int = 8000
    proxy_api_port: int = 8001
    hub_port: int = 8081
    state_dir: Path = Path("/srv/genlab-hub")
    ssl_cert: str = ""
    ssl_key: str = ""
    log_level: str = "INFO"
    # [course]
    course_id: str = "genlab"
    trainer: str = "trainer"
    course_folder: str = "course"
    course_source: Path = settings.REPO_ROOT / "exercises"
    exchange: Path = Path("/srv/genlab-hub/exchange")
    language: str = "es"  # lessons and exercises for a learner who has not chosen (es or en)
    # [accounts]
    home_base: Path = Path("/home")
    group: str = "genlab-learners"
    shell: str = "/bin/bash"
    # [environment]
    prefix: Path = Path("/opt/genlab-hub")
    python: Path = Path("/usr/bin/python3.11")
    # [limits]
    memory_gb: float = 6.0
    cpus: float = 1.0
    processes: int = 512
    nice: int = 5
    # [culler]
    cull_timeout_minutes: int = 60
    cull_every_minutes: int = 5
    cull_max_age_hours: float = 0
    # [auth]
    auth_kind: str = "firstuse"
    min_password_length: int = 8
    extra: dict = field(default_factory=dict)

    # ---- where things are -----------------------------------------------------------------------
    @property
    def env_dir(self) -> Path:
        return self.prefix / "env"

    @property
    def app_dir(self) -> Path:
        return self.prefix / "app"

    @property
    def trainer_home(self) -> Path:
        return self.home_base / self.trainer

    @property
    def course_dir(self) -> Path:
        return self.trainer_home / self.course_folder

    @property
    def roster_file(self) -> Path:
        return self.course_dir / "learners.csv"

    def home_of(self, user: str) -> Path:
        return self.home_base / user

    @property
    def cookie_secret_file(self) -> Path:
        return self.state_dir / "jupyterhub_cookie_secret"

    @property
    def cli_token_file(self) -> Path:
        return self.state_dir / "genlab-cli.token"

    @property
    def passwords_file(self) -> Path:
        return self.state_dir / "passwords.dbm"

    @property
    def db_file(self) -> Path:
        return self.state_dir / "jupyterhub.sqlite"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "jupyterhub.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "jupyterhub.log"

    @property
    def https(self) -> bool:
        return bool(self.ssl_cert and self.ssl_key)

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.ip in ("0.0.0.0", "", "::") else self.ip
        return f"{'https' if self.https else 'http'}://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The hub's REST API, reached directly (not through the proxy), for genlab's own commands."""
        return f"http://127.0.0.1:{self.hub_port}/hub/api"


_KEYS = {
    # toml table.key: (attribute, type)
    "hub.ip": ("ip", str),
    "hub.port": ("port", int),
    "hub.proxy_api_port": ("proxy_api_port", int),
    "hub.hub_port": ("hub_port", int),
    "hub.state_dir": ("state_dir", Path),
    "hub.ssl_cert": ("ssl_cert", str),
    "hub.ssl_key": ("ssl_key", str),
    "hub.log_level": ("log_level", str),
    "course.course_id": ("course_id", str),
    "course.trainer": ("trainer", str),
    "course.folder": ("course_folder", str),
    "course.source": ("course_source", "repo-path"),
    "course.exchange": ("exchange", Path),
    "course.language": ("language", str),
    "accounts.home_base": ("home_base", Path),
    "accounts.group": ("group", str),
    "accounts.shell": ("shell", str),
    "environment.prefix": ("prefix", Path),
    "environment.python": ("python", Path),
    "limits.memory_gb": ("memory_gb", float),
    "limits.cpus": ("cpus", float),
    "limits.processes": ("processes", int),
    "limits.nice": ("nice", int),
    "culler.timeout_minutes": ("cull_timeout_minutes", int),
    "culler.every_minutes": ("cull_every_minutes", int),
    "culler.max_age_hours": ("cull_max_age_hours", float),
    "auth.kind": ("auth_kind", str),
    "auth.min_password_length": ("min_password_length", int),
}


def config_path(path: str | os.PathLike | None = None) -> Path:
    """The TOML file: `path`, else $GENLAB_HUB_CONFIG, else assets/hub/hub.toml."""
    chosen = path or settings.get("GENLAB_HUB_CONFIG") or DEFAULT_CONFIG
    return Path(os.path.expanduser(str(chosen))).resolve()


def load(path: str | os.PathLike | None = None, **overrides) -> HubSettings:
    """Read the hub's TOML file; `overrides` (attribute=value) win over the file (command-line flags)."""
    p = config_path(path)
    if not p.is_file():
        raise HubConfigError(say("hub.err_no_file", path=p))
    try:
        with open(p, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise HubConfigError(say("hub.err_toml", path=p, error=err)) from None
    hub = HubSettings(path=p)
    known_tables = {k.split(".")[0] for k in _KEYS}
    for table, values in data.items():
        if table not in known_tables or not isinstance(values, dict):
            hub.extra[table] = values  # e.g. [service] tables another part of genlab reads
            continue
        for key, value in values.items():
            name = f"{table}.{key}"
            if name not in _KEYS:
                raise HubConfigError(say("hub.err_unknown_setting", path=p, name=name, known=", ".join(sorted(_KEYS))))
            attr, kind = _KEYS[name]
            try:
                if kind == "repo-path":
                    value = settings.resolve_asset_path(value)
                elif kind is Path:
                    value = Path(os.path.expanduser(str(value)))
                    value = value if value.is_absolute() else (p.parent / value)
                else:
                    value = kind(value)
            except (TypeError, ValueError):
                raise HubConfigError(say("hub.err_setting_type", path=p, name=name, kind=getattr(kind, "__name__", kind),
                                         value=repr(value))) from None
            setattr(hub, attr, value)
    for attr, value in overrides.items():
        if value is not None:
            setattr(hub, attr, type(getattr(hub, attr))(value) if not isinstance(getattr(hub, attr), Path) else Path(value))
    check(hub)
    return hub


def check(hub: HubSettings) -> None:
    check_unix_name(hub.trainer)
    if bool(hub.ssl_cert) != bool(hub.ssl_key):
        raise HubConfigError(say("hub.err_https"))
    if hub.auth_kind not in ("firstuse",):
        raise HubConfigError(say("hub.err_auth_kind", kind=repr(hub.auth_kind)))
    for name in ("port", "proxy_api_port", "hub_port"):
        if not 0 < getattr(hub, name) < 65536:
            raise HubConfigError(say("hub.err_port", name=name))


# ---- the hook for JupyterHub services (the generation service plugs in here) ---------------------
def services(hub: HubSettings) -> list[dict]:
    """The hub's own services beside the culler: the shared generation service (genlab/hub/service.py;
    its ``[generation_service]`` table in hub.toml, ``enabled = false`` to leave it out)."""
    from genlab.hub import service

    return service.services(hub)


def service_roles(hub: HubSettings) -> list[dict]:
    """Roles for the services in ``services(hub)``: what the generation service may ask the hub, and
    every learner's right to call it."""
    from genlab.hub import service

    return service.service_roles(hub)


def service_environment(hub: HubSettings) -> dict[str, str]:
    """Variables every learner's server gets for the services (GENLAB_SERVICE_URL: where the
    generation service is)."""
    from genlab.hub import service

    return service.service_environment(hub)


# ---- JupyterHub configuration --------------------------------------------------------------------
def proxy_command() -> list[str]:
    """configurable-http-proxy: on PATH (tools/install-system-packages.sh installs it with npm)."""
    found = shutil.which("configurable-http-proxy")
    return [found] if found else ["configurable-http-proxy"]


def learner_environment(hub: HubSettings) -> dict[str, str]:
    env_bin = str(hub.env_dir / "bin")
    return {
        # nbgrader runs `alembic` and `jupyter` by name: the learners' environment comes first.
        "PATH": f"{env_bin}:/usr/local/bin:/usr/bin:/bin",
        "GENLAB_EXCHANGE": str(hub.exchange),
        "GENLAB_OUTPUTS": "~/outputs",
        "GENLAB_HUB": "1",
        # the cohort's language until a learner chooses (`genlab i18n lessons --lang en`)
        "GENLAB_DEFAULT_LANG": hub.language,
        **service_environment(hub),
    }


def builtin_services(hub: HubSettings) -> list[dict]:
    out = [{"name": CLI_SERVICE, "api_token": read_secret(hub.cli_token_file)}]
    culler = [
        sys.executable, "-m", "jupyterhub_idle_culler",
        f"--timeout={hub.cull_timeout_minutes * 60}",
        f"--cull-every={hub.cull_every_minutes * 60}",
    ]
    if hub.cull_max_age_hours:
        culler.append(f"--max-age={int(hub.cull_max_age_hours * 3600)}")
    out.append({"name": CULLER_SERVICE, "command": culler})
    return out


def builtin_roles(hub: HubSettings) -> list[dict]:
    return [
        {
            "name": CULLER_SERVICE,
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": [CULLER_SERVICE],
        },
        {
            "name": CLI_SERVICE,
            "scopes": ["list:users", "read:users", "admin:users", "admin:servers", "read:hub"],
            "services": [CLI_SERVICE],
        },
    ]


def read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def apply(c, hub: HubSettings) -> None:
    """Set JupyterHub's config object `c` from the settings (called by jupyterhub_config.py)."""
    c.JupyterHub.ip = hub.ip
    c.JupyterHub.port = hub.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = hub.hub_port
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = proxy_command()
    c.ConfigurableHTTPProxy.pid_file = str(hub.state_dir / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{hub.db_file}"
    c.JupyterHub.cookie_secret_file = str(hub.cookie_secret_file)
    c.JupyterHub.pid_file = str(hub.pid_file)
    c.JupyterHub.log_level = hub.log_level
    if hub.https:
        c.JupyterHub.ssl_cert = str(hub.ssl_cert)
        c.JupyterHub.ssl_key = str(hub.ssl_key)

    # who may log in: the course roster (read live) and the trainer
    c.JupyterHub.authenticator_class = "genlab.hub.auth.RosterAuthenticator"
    c.RosterAuthenticator.roster_file = str(hub.roster_file)
    c.RosterAuthenticator.trainer = hub.trainer
    c.RosterAuthenticator.locked_group = hub.group
    c.RosterAuthenticator.dbm_path = str(hub.passwords_file)
    c.RosterAuthenticator.min_password_length = hub.min_password_length
    c.Authenticator.admin_users = {hub.trainer}
    c.Authenticator.any_allow_config = True  # RosterAuthenticator.check_allowed is the allow list

    # real Unix users, one process tree each (no systemd in these machines: see docs)
    c.JupyterHub.spawner_class = "genlab.hub.spawner.CohortSpawner"
    c.Spawner.cmd = [str(hub.env_dir / "bin" / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.environment = learner_environment(hub)
    # JupyterHub passes the hub's own PYTHONPATH / VIRTUAL_ENV on by default: not to learners
    c.Spawner.env_keep = ["LANG", "LC_ALL"]
    c.Spawner.mem_limit = f"{int(hub.memory_gb * 1024)}M"
    c.Spawner.cpu_limit = hub.cpus
    c.Spawner.http_timeout = 120  # a busy 2-core machine starts JupyterLab slowly
    c.Spawner.start_timeout = 180
    c.CohortSpawner.memory_bytes = int(hub.memory_gb * 1024**3)
    c.CohortSpawner.cpus = hub.cpus
    c.CohortSpawner.processes = hub.processes
    c.CohortSpawner.nice = hub.nice
    c.CohortSpawner.lessons_from = str(hub.app_dir / "notebooks")
    c.CohortSpawner.language = hub.language

    c.JupyterHub.services = builtin_services(hub) + services(hub)
    c.JupyterHub.load_roles = builtin_roles(hub) + service_roles(hub)
    c.JupyterHub.cleanup_servers = True


_UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def check_unix_name(name: str) -> str:
    if not _UNIX_NAME.match(name or "") or name.endswith(".") or name in (".", ".."):
        raise HubConfigError(say("hub.err_account_name", name=name))
    return name
