"""A real cohort hub for tests: real Unix accounts, real configurable-http-proxy, the real spawner.

Everything lives under BASE (/srv/genlab-hub-test): state, exchange, homes. The learners' Python is
the shared one `genlab hub setup` builds (/opt/genlab-hub by default; built once, ~1-2 minutes, then
reused while pyproject.toml is unchanged). Test accounts are prefixed `glt-` and members of the
group `glt-learners`; they are removed afterwards (and leftovers of a killed run before starting).

Needs root, configurable-http-proxy, Debian's chromium, bubblewrap (tools/install-system-packages.sh).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE = Path("/srv/genlab-hub-test")
PREFIX = "glt-"
GROUP = "glt-learners"
TRAINER = "glt-trainer"
LEARNERS = ("glt-ana", "glt-beto", "glt-caro")
PASSWORD = "cohort-2027!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "the hub test creates Unix accounts: it must run as root"
    for tool in ("configurable-http-proxy", "runuser", "useradd", "openssl", "bwrap"):
        if not shutil.which(tool):
            return f"{tool} is missing (bash tools/install-system-packages.sh)"
    if not Path("/usr/bin/python3.11").exists():
        return "no world-readable /usr/bin/python3.11 for the learners' environment"
    return None


def remove_test_accounts() -> None:
    names = set()
    for entry in pwd.getpwall():
        if entry.pw_name.startswith(PREFIX):
            names.add(entry.pw_name)
    for name in names:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    time.sleep(0.2 if names else 0)
    for name in names:
        subprocess.run(["userdel", "--force", name], capture_output=True)
    try:
        grp.getgrnam(GROUP)
        subprocess.run(["groupdel", GROUP], capture_output=True)
    except KeyError:
        pass
    for gname in [g.gr_name for g in grp.getgrall() if g.gr_name.startswith(PREFIX)]:
        subprocess.run(["groupdel", gname], capture_output=True)


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "hub.crt", folder / "hub.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    os.chmod(key, 0o600)
    return cert, key


def write_config(base: Path, ports: dict, cert: Path, key: Path, prefix: str | None = None) -> Path:
    prefix = prefix or os.environ.get("GENLAB_TEST_HUB_PREFIX", "/opt/genlab-hub")
    text = f"""
[hub]
ip = "127.0.0.1"
port = {ports['public']}
proxy_api_port = {ports['proxy']}
hub_port = {ports['hub']}
state_dir = "{base / 'state'}"
ssl_cert = "{cert}"
ssl_key = "{key}"
log_level = "INFO"

[course]
course_id = "genlab"
trainer = "{TRAINER}"
folder = "course"
source = "exercises"
exchange = "{base / 'exchange'}"

[accounts]
home_base = "{base / 'home'}"
group = "{GROUP}"

[environment]
prefix = "{prefix}"
python = "/usr/bin/python3.11"

[limits]
memory_gb = 3.0
cpus = 1.0
processes = 512
nice = 5

[culler]
timeout_minutes = 60
every_minutes = 5

[auth]
min_password_length = 8
"""
    path = base / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class RunningHub:
    config: Path
    url: str
    api: str
    process: subprocess.Popen
    log: Path
    settings: object

    def token(self) -> str:
        return self.settings.cli_token_file.read_text().strip()

    def api_get(self, path: str):
        import json

        req = urllib.request.Request(self.api + path, headers={"Authorization": f"token {self.token()}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        try:  # the hub's own services (the idle culler) and anything else it left in its group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


def start_hub(config: Path, settings, log: Path, timeout: float = 90) -> RunningHub:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO) + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out = open(log, "w")
    proc = subprocess.Popen([sys.executable, "-m", "genlab", "hub", "start", "--config", str(config)],
                            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    hub = RunningHub(config, settings.public_url, settings.api_url, proc, log, settings)
    ctx = ssl._create_unverified_context()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the hub stopped at start:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(settings.public_url + "/hub/health", timeout=3, context=ctx) as resp:
                if resp.status == 200:
                    return hub
        except (urllib.error.URLError, ConnectionError, TimeoutError, ssl.SSLError):
            pass
        time.sleep(0.5)
    hub.stop()
    raise RuntimeError(f"the hub did not answer in {timeout} s:\n{log.read_text()[-4000:]}")


def as_user(user: str, cmd: list[str], settings, cwd=None, check=True, timeout=600):
    """Run cmd as `user` the way a hub terminal would (their home, the learners' Python on PATH)."""
    from genlab.hub.setup import as_user as run_as

    env = {"PATH": f"{settings.env_dir / 'bin'}:/usr/local/bin:/usr/bin:/bin", "GENLAB_EXCHANGE": str(settings.exchange),
           "GENLAB_OUTPUTS": "~/outputs", "GENLAB_HUB": "1"}
    return run_as(user, cmd, cwd=cwd, env=env, check=check, timeout=timeout)
