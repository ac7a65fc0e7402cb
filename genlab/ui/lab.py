"""`genlab lab`: get the course ready, then start JupyterLab on it.

1. Makes the learner version of every exercise that is new or changed (nbgrader generate) and puts
   it in the course exchange (nbgrader release), so JupyterLab's Assignments tab lists it. Quick
   when nothing changed: only file times are compared.
2. Makes the folder learners' fetched assignments go to (my-assignments/).
3. Puts the lessons, in the learner's language, in my-lessons/ (`--lang es|en` chooses and keeps
   the choice; else the saved choice or the locale). Fetched exercises come in the same language.
4. Starts JupyterLab at the repository root (lessons in my-lessons/, exercises in Assignments), with
   GENLAB_PROFILE=tiny unless set, and prints the address and what to open first.

    genlab lab                         this computer only, opens the browser
    genlab lab --no-browser --port 8890
    genlab lab --ip 0.0.0.0            others in the room can connect (they need the token)
    genlab lab -- --ServerApp.xyz=1    anything after -- goes to JupyterLab as is
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from genlab import settings
from genlab.core.i18n import LANGUAGES, current_language, save_language, say
from genlab.lessons.languages import render_lessons
from genlab.ui.ports import NoFreePort, free_port, lan_address

FIRST_NOTEBOOK = "my-lessons/00_welcome.ipynb"
DEFAULT_PORT = 8888


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`genlab lab`'s options, on the parser genlab's command tree gives it (or its own)."""
    p.description = "Get the course assignments ready and start JupyterLab on the genlab folder."
    p.epilog = "Anything after -- is passed to JupyterLab unchanged, e.g. genlab lab -- --ServerApp.base_url=/lab/"
    p.add_argument("--port", type=int, help=f"port to listen on (default: the first free one from {DEFAULT_PORT})")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on; 0.0.0.0 lets others in the room connect")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.add_argument(
        "--token",
        help="the password-like token in the address (default: a new random one); an empty string "
        "turns it off, which is only allowed with --ip 127.0.0.1",
    )
    p.add_argument("--profile", help="genlab profile for the notebooks (default: $GENLAB_PROFILE, else tiny)")
    p.add_argument("--lang", choices=LANGUAGES,
                   help="lessons, exercises and messages in es or en; kept for next time (default: the saved "
                   "choice, else the locale, else es)")
    p.add_argument(
        "--root",
        help="the folder JupyterLab shows (default: the genlab folder); its exercises/ is the course",
    )
    p.add_argument("--skip-course", action="store_true", help="start JupyterLab without preparing the assignments")
    p.add_argument("jupyterlab_args", nargs="*", metavar="-- JUPYTERLAB-OPTION", help=argparse.SUPPRESS)
    p.set_defaults(run=run)
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="genlab lab"))


def prepare_course(root: Path, log=print) -> bool:
    """Generate and release what changed, and make the learners' folder. True when all went well."""
    from genlab.course import nbgrader_ops

    course = root / "exercises"
    try:
        done = nbgrader_ops.ensure_released(course, log=log)
        folder = nbgrader_ops.ensure_learner_folder(course)
    except (nbgrader_ops.CourseError, OSError) as err:  # e.g. a read-only course on a shared server
        log(say("lab.course_failed") + f"\n{err}")
        return False
    names = nbgrader_ops.source_assignments(course)
    changed = f" ({', '.join(done)})" if done else say("lab.nothing_changed")
    log(say("lab.course_ready", count=len(names), changed=changed, folder=folder))
    return True


def _wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def _banner(args, port: int, token: str, first: str | None, profile: str) -> str:
    path = f"/lab/tree/{first}" if first else "/lab"
    query = f"?token={token}" if token else ""
    local_host = "127.0.0.1" if args.ip in ("0.0.0.0", "::", "") else args.ip
    lines = [
        "",
        "=" * 72,
        say("lab.running"),
        f"    http://{local_host}:{port}{path}{query}",
    ]
    if args.ip in ("0.0.0.0", "::", ""):
        lines.append(say("lab.others", url=f"http://{lan_address()}:{port}{path}{query}"))
    lines += [
        say("lab.start_with", first=first or FIRST_NOTEBOOK),
        say("lab.profile", profile=profile),
        say("lab.exercises"),
        say("lab.stop"),
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    passthrough = list(args.jupyterlab_args)

    root = Path(args.root).expanduser().resolve() if args.root else settings.REPO_ROOT
    if not root.is_dir():
        print(f"genlab lab: {root} is not a folder. Give --root the folder that holds exercises/.", file=sys.stderr)
        return 2
    token = secrets.token_hex(24) if args.token is None else args.token
    if token == "" and args.ip != "127.0.0.1":
        print(
            "genlab lab: without a token anyone on the network could run code on this computer. "
            "Keep the token (leave out --token) when using --ip.",
            file=sys.stderr,
        )
        return 2

    if args.lang:
        save_language(args.lang)
    lang = current_language()
    if not args.skip_course and (root / "exercises" / "nbgrader_config.py").is_file():
        print(say("lab.preparing"), flush=True)
        prepare_course(root, log=lambda msg: print(msg, flush=True))
    elif not args.skip_course:
        print(say("lab.no_course", folder=root / "exercises"), flush=True)
    lessons = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if lessons:
        render_lessons(root / "my-lessons", lang, sources=lessons)

    bind_host = "127.0.0.1" if args.ip in ("0.0.0.0", "::", "") else args.ip
    try:
        port = free_port(args.port, bind_host, tries=1) if args.port else free_port(DEFAULT_PORT, bind_host)
    except NoFreePort as err:
        print(
            f"genlab lab: {err} Is another JupyterLab running? "
            "Stop it, choose another --port, or leave out --port to use a free one.",
            file=sys.stderr,
        )
        return 2
    except OSError as err:
        print(f"genlab lab: cannot listen on {args.ip}: {err}. Check --ip.", file=sys.stderr)
        return 2
    first = FIRST_NOTEBOOK if (root / FIRST_NOTEBOOK).is_file() else None

    env = os.environ.copy()
    env["GENLAB_PROFILE"] = args.profile or env.get("GENLAB_PROFILE") or "tiny"
    env["GENLAB_LANG"] = lang  # kernels, checks and fetched exercises speak the same language
    from genlab.course.nbgrader_ops import tools_on_path

    tools_on_path(env)  # the formgrader's gradebook runs `alembic` by name
    cmd = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={args.ip}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # the printed address must be the real one
        f"--IdentityProvider.token={token}",
        f"--ServerApp.default_url={'/lab/tree/' + first if first else '/lab'}",
    ]
    if args.no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI machines run as root
        cmd.append("--ServerApp.allow_root=True")
    cmd += passthrough

    # cwd = root: nbgrader's Formgrader and Assignments tab read ./nbgrader_config.py from there.
    proc = subprocess.Popen(cmd, cwd=root, env=env)

    def _forward(signum, _frame):  # a service manager or test stopping us stops JupyterLab cleanly
        if proc.poll() is None:
            proc.send_signal(signum)

    previous_term = signal.signal(signal.SIGTERM, _forward)
    # Ctrl+C in the terminal reaches JupyterLab directly (same process group); it asks to confirm.
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN) if sys.stdin and sys.stdin.isatty() else None

    def _announce():
        check_host = "127.0.0.1" if args.ip in ("0.0.0.0", "::", "") else args.ip
        if _wait_for_port(check_host, port, proc):
            print(_banner(args, port, token, first, env["GENLAB_PROFILE"]), flush=True)

    threading.Thread(target=_announce, daemon=True).start()
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # not from a terminal: pass it on, then wait for the exit
                _forward(signal.SIGINT, None)
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)


if __name__ == "__main__":
    sys.exit(main())
