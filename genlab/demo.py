"""`genlab demo NAME`: start one of the Gradio apps in `apps/`.

Each app is one file, `apps/NAME.py`, that builds a module-level `demo` (gr.Blocks), as in
Gradio's own demo folder. An app may also define:

* `launch_kwargs`: a dict of extra `launch()` settings (theme, css, i18n, ...; Gradio 6 takes them
  at launch, not in Blocks);
* `warm_up()`: called before the server starts (e.g. load the model so the first click is quick).

Tests and notebooks use `load_app(name)` and `launch_settings(...)` so they start apps exactly
the way trainers do.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import ipaddress
import os
import sys
from pathlib import Path
from types import ModuleType

from . import paths

APPS_DIR = Path(os.environ.get("GENLAB_APPS", paths.REPO_ROOT / "apps"))
DEFAULT_HOST = "127.0.0.1"
PASSWORD_ENV = "GENLAB_DEMO_PASSWORD"
SHARE_USER = "genlab"


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
    """`PASSWORD` or `USER:PASSWORD` → the (user, password) Gradio's login form checks."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep:
        user, password = SHARE_USER, value
    if not user or not password:
        raise DemoError("--share-password needs a password (or USER:PASSWORD), for example --share-password tacos2024.")
    return user, password


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def launch_settings(module: ModuleType, *, host: str = DEFAULT_HOST, port: int | None = None, auth=None, **extra) -> dict:
    """The keyword arguments for `module.demo.launch()`, the same for trainers and tests."""
    settings = dict(getattr(module, "launch_kwargs", {}) or {})
    settings.update(server_name=host, server_port=port, ssr_mode=False, show_error=False)
    if auth:
        settings["auth"] = auth
        settings["auth_message"] = "Ask your trainer for the password."
    settings.update(extra)
    return settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genlab demo",
        description="Start a Gradio demo from the apps/ folder in your browser.",
        epilog="Example: genlab demo studio   (then open the address it prints)",
    )
    parser.add_argument("name", nargs="?", help="which demo: the name of a file in apps/ without .py")
    parser.add_argument("--port", type=int, help="port to listen on (default: the first free one from 7860)")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0: the whole network)")
    parser.add_argument(
        "--share-password",
        metavar="PASSWORD",
        default=os.environ.get(PASSWORD_ENV),
        help=f"ask for this password (user '{SHARE_USER}', or give USER:PASSWORD) before the demo opens; also read from ${PASSWORD_ENV}",
    )
    parser.add_argument("--room", action="store_true", help="room mode for 20-40 people at once (coming in a later version)")
    parser.add_argument("--list", action="store_true", help="list the demos and stop")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list or not args.name:
        print(describe_available())
        if not args.list:
            print("\nPick one, for example: genlab demo studio")
        return 0 if args.list else 2
    if args.room:
        # Hook for room mode (batched queue, one shared model, a QR code to join). Until it lands,
        # say so instead of silently starting a demo that would make 30 people wait in line.
        print(
            "genlab demo: --room is not available yet. For now start the demo without it; "
            "each person's picture waits its turn in one queue.",
            file=sys.stderr,
        )
        return 2
    if args.port is not None and not 1 <= args.port <= 65535:
        print(f"genlab demo: --port must be between 1 and 65535, not {args.port}.", file=sys.stderr)
        return 2
    try:
        auth = parse_password(args.share_password)
        module = load_app(args.name)
    except DemoError as err:
        print(f"genlab demo: {err}", file=sys.stderr)
        return 2

    if not is_loopback(args.host):
        who = f"anyone who has the password (user '{auth[0]}')" if auth else "ANYONE on this network (add --share-password to ask for a password)"
        print(f"Listening on {args.host}: {who} can open this demo.")
    warm_up = getattr(module, "warm_up", None)
    if callable(warm_up):
        print("Loading the model...")
        warm_up()
    # Gradio 6 always queues events: requests take turns on the model (the app sets concurrency).
    module.demo.launch(**launch_settings(module, host=args.host, port=args.port, auth=auth))
    return 0
