"""`genlab hub setup`: everything the cohort's hub needs on this machine, idempotent (run it again
after changing hub.toml or updating genlab).

Steps, each skipped when already done:
1. the hub's private state folder (0700): cookie secret (0600, JupyterHub refuses one others can
   read), the token genlab's own commands use, the password database;
2. configurable-http-proxy (npm) — normally already installed by tools/install-system-packages.sh;
3. nbgrader's shared exchange, mode 1777 as nbgrader's docs ask (everyone writes; the sticky bit
   keeps learners from deleting what is not theirs);
4. the learners' Python: a venv built from a world-readable interpreter in a world-readable
   folder, with a copy of genlab (code, assets, lessons: NOT the course's source/, which holds
   solutions and hidden tests), JupyterLab, nbgrader and jupyterhub-singleuser; nbgrader's trainer
   tools (formgrader, create assignment, course list) disabled at this environment's level;
5. the trainer's account and course folder (0700): a copy of the course source, its
   nbgrader_config.py pointing at the shared exchange, and the trainer tools enabled for that
   account only (nbgrader docs: ``jupyter labextension enable --level=user``);
6. `users sync`: an account per learner on the roster.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from genlab import settings
from genlab.core.i18n import say as tr
from genlab.hub import accounts
from genlab.hub.config import (
    TRAINER_LAB_PLUGINS,
    TRAINER_SERVER_EXTENSIONS,
    HubSettings,
)

EXCHANGE_MARK = "# Added by genlab hub setup: the cohort's shared exchange"
APP_PARTS = ("genlab", "assets", "notebooks", "apps", "pyproject.toml", "README.md", "constraints")
STAMP = ".genlab-hub-stamp"


class SetupError(RuntimeError):
    """A step of the set-up cannot be done; the message says what to do."""


def _say_default(text: str) -> None:
    print(text, flush=True)


# ---- helpers ---------------------------------------------------------------------------------------
def write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)


def world_readable_chain(path: Path) -> Path | None:
    """The first folder on the way to `path` (symlinks followed) that others cannot enter, or None."""
    real = Path(os.path.realpath(path))
    for folder in [*reversed(real.parents), real]:
        mode = os.stat(folder).st_mode
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return folder
        if not stat.S_ISDIR(mode) and not mode & stat.S_IROTH:
            return folder
    return None


def as_user(user: str, cmd: list[str], *, cwd: str | os.PathLike | None = None, env: dict | None = None,
            check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run `cmd` as Unix user `user` with a clean environment (HOME, USER, PATH), like a hub terminal."""
    entry = pwd.getpwnam(user)
    base = {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    base.update(env or {})
    full = ["runuser", "-u", user, "--", "env", "-i", *[f"{k}={v}" for k, v in base.items()], *cmd]
    done = subprocess.run(full, cwd=cwd or entry.pw_dir, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} (as {user}) failed:\n{done.stdout}\n{done.stderr}")
    return done


def chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, entry.pw_uid, entry.pw_gid)
        for name in filenames:
            os.lchown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)


def chmod_world_readable(path: Path) -> None:
    subprocess.run(["chmod", "-R", "a+rX", str(path)], check=True)


# ---- steps ---------------------------------------------------------------------------------------------
def state(hub: HubSettings) -> None:
    hub.state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(hub.state_dir, 0o700)
    if not hub.cookie_secret_file.is_file():
        write_secret(hub.cookie_secret_file, secrets.token_hex(32))
    os.chmod(hub.cookie_secret_file, 0o600)
    if not hub.cli_token_file.is_file():
        write_secret(hub.cli_token_file, secrets.token_hex(32))


def proxy(say=_say_default) -> str:
    found = shutil.which("configurable-http-proxy")
    if found:
        return found
    npm = shutil.which("npm")
    if not npm:
        raise SetupError(tr("hub.err_no_npm"))
    say("  " + tr("hub.step_npm"))
    subprocess.run([npm, "install", "--global", "--no-fund", "--no-audit", "configurable-http-proxy@4"], check=True,
                   capture_output=True)
    found = shutil.which("configurable-http-proxy")
    if not found:
        raise SetupError(tr("hub.err_proxy_path"))
    return found


def exchange(hub: HubSettings) -> None:
    hub.exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(hub.exchange, 0o1777)
    blocked = world_readable_chain(hub.exchange.parent)
    if blocked is not None:
        raise SetupError(tr("hub.err_exchange_closed", exchange=hub.exchange, blocked=blocked))


def _requirements_stamp(repo: Path) -> str:
    h = hashlib.sha256()
    h.update((repo / "pyproject.toml").read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()[:16]


def copy_app(hub: HubSettings, repo: Path = settings.REPO_ROOT) -> Path:
    """A world-readable copy of genlab for the learners (code, assets, lessons, apps)."""
    app = hub.app_dir
    app.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
    for part in APP_PARTS:
        src = repo / part
        if src.is_dir():
            shutil.copytree(src, app / part, dirs_exist_ok=True, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, app / part)
    return app


def learner_environment(hub: HubSettings, repo: Path = settings.REPO_ROOT, say=_say_default, force: bool = False) -> Path:
    blocked = world_readable_chain(hub.python)
    if blocked is not None:
        raise SetupError(tr("hub.err_python_closed", python=hub.python, blocked=blocked))
    hub.prefix.mkdir(parents=True, exist_ok=True)
    os.chmod(hub.prefix, 0o755)
    copy_app(hub, repo)
    env = hub.env_dir
    stamp_file = env / STAMP
    stamp = _requirements_stamp(repo) + ":" + str(hub.python)
    if force or not stamp_file.is_file() or stamp_file.read_text().strip() != stamp:
        say("  " + tr("hub.step_python_build", env=env))
        if env.exists() and force:
            shutil.rmtree(env)
        subprocess.run([str(hub.python), "-m", "venv", str(env)], check=True)
        import jupyterhub

        pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        if not shutil.which("nvidia-smi"):
            pip += ["-c", str(hub.app_dir / "constraints" / "cpu.txt")]
        # jupyterhub-singleuser must match the hub's own version
        done = subprocess.run(pip + ["-e", str(hub.app_dir), f"jupyterhub=={jupyterhub.__version__}"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SetupError(tr("hub.err_install_failed") + f"\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        stamp_file.write_text(stamp + "\n")
    configure_environment(hub)
    chmod_world_readable(hub.prefix)
    return env


def configure_environment(hub: HubSettings) -> None:
    """nbgrader for everyone using the environment: the course id and the exchange; trainer tools off."""
    etc = hub.env_dir / "etc" / "jupyter"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "nbgrader_config.py").write_text(
        "# Made by genlab hub setup: every account on the cohort's hub uses this course and exchange.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {hub.course_id!r}\n"
        f"c.Exchange.root = {str(hub.exchange)!r}\n"
        "# the exchange is shared by every account: its refusal of big hand-ins is a promise to all\n"
        "c.CourseDirectory.max_file_size = 100000  # kB per file\n"
        "c.CourseDirectory.max_dir_size = 100000  # kB per hand-in\n"
        "# the same refusal, said in Spanish and English with what to do (genlab/hub/exchange.py)\n"
        "c.ExchangeFactory.submit = 'genlab.hub.exchange.SizeCheckedSubmit'\n"
        "# each fetched exercise in the learner's language (genlab/course/exchange.py)\n"
        "c.ExchangeFactory.fetch_assignment = 'genlab.course.exchange.LocalizedFetchAssignment'\n",
        encoding="utf-8",
    )
    write_extension_switches(etc, enabled=False)
    # a refused hand-in answers in plain words in the Assignments panel (genlab/hub/exchange.py)
    server_d = etc / "jupyter_server_config.d"
    server_d.mkdir(parents=True, exist_ok=True)
    (server_d / "genlab-hub-exchange.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {"genlab.hub.exchange": True}}}, indent=2) + "\n")
    # JupyterLab's "get notified about official Jupyter news?" pop-up: not for a workshop room
    page_config = etc / "labconfig" / "page_config.json"
    data = json.loads(page_config.read_text())
    data["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"] = True
    page_config.write_text(json.dumps(data, indent=2) + "\n")


def write_extension_switches(config_dir: Path, *, enabled: bool) -> None:
    """What nbgrader's docs do with `jupyter labextension disable --level=sys_prefix PLUGIN` and
    `jupyter server extension disable --sys-prefix EXT` (or `enable --level=user` / `--user` for the
    trainer), written as the same two files those commands write, in `config_dir`.

    (Written directly: the commands lock the formgrader plugin at the environment's level, after
    which the trainer's user-level `enable` is refused, and `server extension enable --user`
    fails its own import check when run as another account.)
    """
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    page_config = labconfig / "page_config.json"
    data = json.loads(page_config.read_text()) if page_config.is_file() else {}
    data.pop("lockedExtensions", None)
    switches = data.setdefault("disabledExtensions", {})
    for plugin in TRAINER_LAB_PLUGINS:
        switches[plugin] = not enabled
    page_config.write_text(json.dumps(data, indent=2) + "\n")
    server_d = config_dir / "jupyter_server_config.d"
    server_d.mkdir(parents=True, exist_ok=True)
    # config.d files are read in name order: after nbgrader's own nbgrader.json, which enables them all
    (server_d / "zz-genlab-hub-trainer-tools.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {ext: enabled for ext in TRAINER_SERVER_EXTENSIONS}}}, indent=2) + "\n")


def trainer(hub: HubSettings, say=_say_default) -> Path:
    accounts.ensure_group(hub.group)
    home = accounts.ensure_trainer(hub)
    os.chmod(home, 0o700)
    course = hub.course_dir
    if not (course / "nbgrader_config.py").is_file():
        say("  " + tr("hub.step_copy_course", source=hub.course_source, course=course))
        course.mkdir(parents=True, exist_ok=True)
        shutil.copy2(hub.course_source / "nbgrader_config.py", course / "nbgrader_config.py")
        if (hub.course_source / "source").is_dir():
            shutil.copytree(hub.course_source / "source", course / "source", dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "outputs"))
    programme = settings.WORKSHOPS_DIR / "programme.toml"
    if programme.is_file() and not (course / "programme.toml").is_file():  # for `genlab report --programme`
        shutil.copy2(programme, course / "programme.toml")
    config = course / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8")
    if EXCHANGE_MARK not in text:
        text += (
            f"\n{EXCHANGE_MARK} (learners fetch from and submit to it).\n"
            f"c.CourseDirectory.course_id = {hub.course_id!r}\n"
            f"c.Exchange.root = {str(hub.exchange)!r}\n"
        )
        config.write_text(text, encoding="utf-8")
    jupyter_dir = home / ".jupyter"
    jupyter_dir.mkdir(exist_ok=True)
    (jupyter_dir / "nbgrader_config.py").write_text(
        "# Made by genlab hub setup (nbgrader docs: one class, one grader).\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n",
        encoding="utf-8",
    )
    write_extension_switches(jupyter_dir, enabled=True)  # trainer tools for this account only
    chown_tree(home, hub.trainer)
    os.chmod(course, 0o700)
    return course


def run(hub: HubSettings, *, say=_say_default, build_environment: bool = True, force_environment: bool = False) -> dict:
    if os.geteuid() != 0:
        raise SetupError(tr("hub.err_setup_root"))
    say(tr("hub.step_1"))
    state(hub)
    say(tr("hub.step_2"))
    chp = proxy(say)
    say(tr("hub.step_3"))
    exchange(hub)
    say(tr("hub.step_4"))
    if build_environment:
        learner_environment(hub, say=say, force=force_environment)
    say(tr("hub.step_5"))
    course = trainer(hub, say)
    say(tr("hub.step_6"))
    from genlab.hub.users import sync_users

    result = sync_users(hub, say=say)
    return {"proxy": chp, "course": course, "sync": result}
