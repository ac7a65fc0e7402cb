"""`genlab demo NAME`: start one of the Gradio apps in `apps/`.

Each app is one file, `apps/NAME.py`, that builds a module-level `demo` (gr.Blocks), as in
Gradio's own demo folder. An app may also define:

* `launch_kwargs`: a dict of extra `launch()` settings (theme, css, i18n, ...; Gradio 6 takes them
  at launch, not in Blocks);
* `warm_up()`: called before the server starts (e.g. load the model so the first click is quick).

Tests and notebooks use `load_app(name)` and `launch_settings(...)` so they start apps exactly
the way trainers do.

    genlab demo studio                          this computer only (127.0.0.1), no password
    genlab demo studio --room                   the whole room: all addresses, a made-up password
    genlab demo studio --room --host 192.168.1.20 --password tacos2024 --log-prompts
    genlab demo video --root-path /user/ana/proxy/7860    behind JupyterHub's jupyter-server-proxy

Room mode is described in genlab/ui/room.py. Everything a person reads is in es-MX or English,
following their browser (genlab/core/i18n.py, genlab/ui/i18n.py).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import importlib.util
import ipaddress
import os
import sys
from pathlib import Path
from types import ModuleType

from genlab import settings
from genlab.ui.ports import NoFreePort, any_free_local_port, free_port, lan_address

APPS_DIR = settings.apps_dir()
DEFAULT_HOST = "127.0.0.1"
PASSWORD_ENV = "GENLAB_DEMO_PASSWORD"
SHARE_USER = "genlab"  # the name scripts use with a password (any name is accepted)
MAX_FILE_SIZE = "10mb"  # launch(max_file_size=...): bigger uploads never reach the app (HTTP 413)


class DemoError(Exception):
    """A problem with the command line the trainer can fix; the message says how."""


# ---- finding apps -----------------------------------------------------------------------------
def available() -> dict[str, str]:
    """App name → the first line of its docstring (read without importing anything)."""
    apps = {}
    for path in sorted(APPS_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        except SyntaxError:
            doc = "(this file has a syntax error)"
        apps[path.stem] = doc.strip().splitlines()[0] if doc.strip() else ""
    return apps


def describe_available() -> str:
    apps = available()
    if not apps:
        return f"There are no demos in {APPS_DIR}."
    width = max(len(n) for n in apps)
    lines = [f"  {name:<{width}}  {about}" for name, about in apps.items()]
    return "Demos you can start (genlab demo NAME):\n" + "\n".join(lines)


def app_path(name: str) -> Path:
    path = APPS_DIR / f"{name}.py"
    if not name or "/" in name or "\\" in name or name.startswith(("_", ".")) or not path.is_file():
        raise DemoError(f"There is no demo called '{name}'.\n{describe_available()}")
    return path


def load_app(name: str) -> ModuleType:
    """Import `apps/NAME.py` and return the module (its `demo` is built, not launched)."""
    path = app_path(name)
    spec = importlib.util.spec_from_file_location(f"genlab_apps.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    if not hasattr(module, "demo"):
        raise DemoError(f"{path} builds no `demo`. An app file must end with `demo` set to its gr.Blocks.")
    return module


# ---- launching --------------------------------------------------------------------------------
def parse_password(value: str | None) -> tuple[str, str] | None:
    """`PASSWORD` or `USER:PASSWORD` → (user, password). User "" means: any name is accepted."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep:
        user, password = "", value
    if not password or (sep and not user):
        raise DemoError("--password needs a password (or USER:PASSWORD), for example --password tacos2024.")
    return user, password


def make_auth(user: str, password: str):
    """Gradio's login check: the workshop password, with any name (or exactly `user` when one was set).

    People type their own name, so the log and Gradio's request.username say who is who.
    """
    import hmac

    def check(name: str, given: str) -> bool:
        name_ok = bool(name and name.strip()) if not user else hmac.compare_digest(name, user)
        return name_ok and hmac.compare_digest(str(given).encode(), password.encode())

    return check


def random_password() -> str:
    """An easy-to-say workshop password, e.g. "taller-4821"."""
    import secrets

    return f"taller-{secrets.randbelow(9000) + 1000}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def launch_settings(
    module: ModuleType,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    auth=None,
    root_path: str | None = None,
    max_file_size: str | None = None,
    **extra,
) -> dict:
    """The keyword arguments for `module.demo.launch()`, the same for trainers and tests."""
    from genlab.core.i18n import both

    settings = dict(getattr(module, "launch_kwargs", {}) or {})
    settings.update(server_name=host, server_port=port, ssr_mode=False, show_error=False)
    settings["max_file_size"] = max_file_size or MAX_FILE_SIZE  # bigger uploads are refused with a message
    if auth:
        settings["auth"] = make_auth(*auth) if isinstance(auth, tuple) else auth
        settings["auth_message"] = both("login.message")
    if root_path:
        settings["root_path"] = root_path.rstrip("/")
    settings.update(extra)
    return settings


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`genlab demo`'s options, on the parser genlab's command tree gives it (or its own)."""
    parser.description = "Start a Gradio demo from the apps/ folder in your browser."
    parser.epilog = (
        "Examples: genlab demo studio   |   genlab demo studio --room --password tacos2024   |   "
        "genlab demo video --root-path /user/ana/proxy/7860 (behind JupyterHub)"
    )
    parser.add_argument("name", nargs="?", help="which demo: the name of a file in apps/ without .py")
    parser.add_argument("--port", type=int, help="port to listen on (default: the first free one from 7860)")
    parser.add_argument(
        "--host",
        help="address to listen on (default 127.0.0.1: this computer only; with --room: all of this "
        "computer's addresses, or give its LAN address)",
    )
    parser.add_argument(
        "--password", "--share-password",
        dest="password",
        metavar="PASSWORD",
        default=settings.get(PASSWORD_ENV) or None,
        help=f"ask for this workshop password (with any name; or give USER:PASSWORD) before the demo opens; also read from ${PASSWORD_ENV}",
    )
    parser.add_argument(
        "--room", action="store_true",
        help="room mode for 20-40 people: listens on the network, asks for a password (made up if you give none), "
        "makes waiting requests together, gives each person a fair share, logs each request",
    )
    parser.add_argument("--batch", type=int, help="room mode: most pictures in one model call (default: the profile's room_batch)")
    parser.add_argument("--per-person", type=int, help=f"room mode: requests one browser may have waiting (default {room_defaults()})")
    parser.add_argument("--log-prompts", action="store_true", help="room mode: also write each prompt in the log (off: only settings)")
    parser.add_argument(
        "--root-path", default=os.environ.get("GRADIO_ROOT_PATH"),
        help="the address prefix when behind a proxy (JupyterHub: /user/NAME/proxy/PORT, found by itself inside JupyterHub)",
    )
    parser.add_argument("--max-file-size", default=MAX_FILE_SIZE, help=f"largest upload accepted (default {MAX_FILE_SIZE})")
    parser.add_argument("--list", action="store_true", help="list the demos and stop")
    parser.set_defaults(run=run)
    return parser


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="genlab demo"))


def jupyterhub_root_path(port: int) -> str | None:
    """Inside a JupyterHub server, the prefix jupyter-server-proxy serves PORT under: /user/NAME/proxy/PORT."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    return f"{prefix.rstrip('/')}/proxy/{port}" if prefix else None


def room_defaults() -> int:
    from genlab.ui.room import DEFAULT_PER_PERSON

    return DEFAULT_PER_PERSON


def configure_room(args) -> dict:
    """Room settings for genlab.room from the command line (apps read them while they are built)."""
    from genlab.ui import room

    if not args.room:
        return dataclasses.asdict(room.reset())
    values = room.room_settings(batch_size=args.batch, per_person=args.per_person, log_prompts=args.log_prompts)
    room.configure(**values)
    return values


def _setup_log() -> None:
    import logging

    logger = logging.getLogger("genlab.room")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    if args.list or not args.name:
        print(describe_available())
        if not args.list:
            print("\nPick one, for example: genlab demo studio")
        return 0 if args.list else 2
    if args.port is not None and not 1 <= args.port <= 65535:
        print(f"genlab demo: --port must be between 1 and 65535, not {args.port}.", file=sys.stderr)
        return 2
    if (args.batch is not None and args.batch < 1) or (args.per_person is not None and args.per_person < 0):
        print("genlab demo: --batch must be 1 or more and --per-person 0 or more (0: no limit).", file=sys.stderr)
        return 2
    try:
        auth = parse_password(args.password)
        app_path(args.name)
    except DemoError as err:
        print(f"genlab demo: {err}", file=sys.stderr)
        return 2

    host = args.host or ("0.0.0.0" if args.room else DEFAULT_HOST)
    made_up = False
    if args.room and auth is None:
        auth, made_up = ("", random_password()), True
    room_values = configure_room(args)
    if args.room:
        _setup_log()
    module = load_app(args.name)

    try:
        port = args.port or free_port(7860, host)
    except (NoFreePort, OSError) as err:
        print(f"genlab demo: cannot serve on {host}: {err} Choose a port with --port, or check --host.", file=sys.stderr)
        return 2
    root_path = args.root_path or jupyterhub_root_path(port)
    prefix = (root_path or "").rstrip("/")
    if root_path and not args.room:
        print(f"Behind JupyterHub: open https://<your hub>{prefix}/  (root path {prefix})")
    if args.room:
        shown_host = lan_address() if host in ("0.0.0.0", "::") else host
        print(f"Room mode: {room_values['batch_size']} pictures per model call, {room_values['per_person'] or 'no'} waiting requests per person at most.")
        print(f"Share this address with the room:  http://{shown_host}:{port}{prefix}/")
        print(f"Password: {auth[1]}{'   (made up for you; set your own with --password)' if made_up else ''}   Name: {auth[0] or 'anything (each person types their own)'}")
        print("Each request is logged below (settings and time; prompts only with --log-prompts).")
    elif not is_loopback(host):
        who = "anyone who has the password" if auth else "ANYONE on this network (add --password to ask for one)"
        print(f"Listening on {host}: {who} can open this demo.")
    warm_up = getattr(module, "warm_up", None)
    if callable(warm_up):
        print("Loading the model...")
        warm_up()
    module.demo.launch(
        **launch_settings(module, host=host, port=port, auth=auth, root_path=root_path, max_file_size=args.max_file_size)
    )
    return 0


@contextlib.contextmanager
def serving(name: str, room: dict | None = None, **launch_extra):
    """apps/NAME.py served on 127.0.0.1 at a port the system picks, for the `with` block: what
    tests and benchmarks run (``yield``s the app module; its URL is ``module.demo.local_url``).

    `room`: genlab.room settings (e.g. ``genlab.room.room_settings(batch_size=4)``), set before the
    app is built, as ``genlab demo NAME --room`` does; reset afterwards.
    """
    from genlab.ui import room as room_mode

    port = any_free_local_port()
    room_mode.reset()
    if room:
        room_mode.configure(**room)
    module = load_app(name)
    module.demo.launch(**launch_settings(module, port=port, prevent_thread_lock=True, quiet=True, **launch_extra))
    try:
        yield module
    finally:
        module.demo.close()
        room_mode.reset()
