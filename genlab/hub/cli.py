"""``genlab hub``: the cohort's JupyterHub on this machine.

    genlab hub setup  [--config hub.toml] [--ssl-cert F --ssl-key F]   everything, idempotent (root)
    genlab hub start  [--config hub.toml] [--ssl-cert F --ssl-key F]   run the hub (foreground, root)
    genlab hub status [--config hub.toml]                              what runs, who has an account, limits
    genlab hub users sync [--config hub.toml]                          accounts = the course roster (root)

Settings: assets/hub/hub.toml (or --config, or $GENLAB_HUB_CONFIG). Messages in Spanish or English
($GENLAB_LANG, else the system's LANG).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from genlab.hub import accounts
from genlab.hub.config import HubConfigError, HubSettings, load
from genlab.hub.users import api, hub_running, roster_ids, say, sync_users, tr  # noqa: F401 (hub_running: part of the command's API for tests)

CONFIG_FILE = Path(__file__).with_name("jupyterhub_config.py")


# ---- the hub's REST API (for genlab's own commands) ---------------------------------------------------


# ---- users sync --------------------------------------------------------------------------------------


# ---- status --------------------------------------------------------------------------------------------
def limits_lines(hub: HubSettings) -> list[str]:
    from genlab.hub.spawner import limits_mode

    mode = limits_mode()
    lines = [tr("spawner_line")]
    if mode.startswith("cgroup"):
        lines.append(tr("limits_cgroup", mode=mode, memory=hub.memory_gb, cpus=hub.cpus, processes=hub.processes))
    else:
        lines.append(tr("limits_rlimit", memory=hub.memory_gb, processes=hub.processes, nice=hub.nice))
    if not Path("/run/systemd/system").is_dir():
        lines.append(tr("no_systemd"))
    return lines


def status(hub: HubSettings) -> dict:
    from genlab.hub.spawner import limits_mode

    chp = shutil.which("configurable-http-proxy")
    info = {
        "config": str(hub.path),
        "url": hub.public_url,
        "https": hub.https,
        "proxy": chp,
        "exchange": str(hub.exchange),
        "exchange_mode": oct(hub.exchange.stat().st_mode & 0o7777) if hub.exchange.exists() else None,
        "environment": str(hub.env_dir),
        "environment_ready": (hub.env_dir / "bin" / "jupyterhub-singleuser").exists(),
        "course": str(hub.course_dir),
        "limits": limits_mode(),
        "roster": roster_ids(hub) if os.access(hub.roster_file.parent, os.R_OK) else [],
        "running": False,
        "users": {},
    }
    users = api(hub, "GET", "/users")
    if users is not None:
        info["running"] = True
        for u in users or []:
            info["users"][u["name"]] = {
                "admin": u.get("admin"),
                "server": bool(u.get("servers", {}).get("", {}).get("ready")) or bool(u.get("server")),
                "last_activity": u.get("last_activity"),
            }
    p = accounts.plan(info["roster"], hub)
    info["accounts"] = {"to_create": p.create, "to_lock": p.lock, "to_unlock": p.unlock, "ok": p.keep, "refused": p.refused}
    return info


def print_status(hub: HubSettings, info: dict) -> None:
    say(tr("status_config", config=info["config"]))
    say(tr("status_url", url=info["url"]) + ("" if info["https"] else "  " + tr("status_no_https")))
    say(tr("status_running") if info["running"] else tr("status_not_running"))
    say(tr("status_proxy", proxy=info["proxy"]) if info["proxy"] else tr("status_no_proxy"))
    say(tr("status_exchange", exchange=info["exchange"], mode=info["exchange_mode"] or "-"))
    say(tr("status_env_ready", env=info["environment"]) if info["environment_ready"] else tr("status_env_missing", env=info["environment"]))
    say(tr("status_course", course=info["course"], trainer=hub.trainer))
    for line in limits_lines(hub):
        say(line)
    say(tr("status_culler", minutes=hub.cull_timeout_minutes))
    acc = info["accounts"]
    say(tr("status_roster", n=len(info["roster"]), ok=len(acc["ok"]), create=len(acc["to_create"]),
            lock=len(acc["to_lock"]), unlock=len(acc["to_unlock"])))
    for rid, why in acc["refused"].items():
        say("  " + tr("refused", user=rid, why=why))
    if info["running"]:
        active = sorted(n for n, u in info["users"].items() if u["server"])
        say(tr("status_servers", n=len(active), names=", ".join(active) or "-"))
    if acc["to_create"] or acc["to_lock"] or acc["to_unlock"]:
        say(tr("status_next_sync"))


# ---- start -----------------------------------------------------------------------------------------------
def hub_environment(hub: HubSettings) -> dict:
    env = dict(os.environ)
    env["GENLAB_HUB_CONFIG"] = str(hub.path)
    bin_dir = str(Path(sys.executable).parent)
    paths = [bin_dir] + [p for p in env.get("PATH", "").split(os.pathsep) if p]
    env["PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def start_command(hub: HubSettings) -> list[str]:
    cmd = [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG_FILE)]
    if hub.https:  # --ssl-cert/--ssl-key given on genlab's command line win over hub.toml
        cmd += [f"--JupyterHub.ssl_cert={hub.ssl_cert}", f"--JupyterHub.ssl_key={hub.ssl_key}"]
    return cmd


def start(hub: HubSettings) -> int:
    if os.geteuid() != 0:
        say(tr("need_root", command="genlab hub start"))
        return 2
    missing = [str(p) for p in (hub.cookie_secret_file, hub.env_dir / "bin" / "jupyterhub-singleuser") if not p.exists()]
    if missing or not shutil.which("configurable-http-proxy"):
        say(tr("not_set_up", missing=", ".join(missing) or "configurable-http-proxy"))
        return 2
    say(tr("starting", url=hub.public_url))
    env = hub_environment(hub)
    sys.stdout.flush()
    os.chdir(hub.state_dir)
    cmd = start_command(hub)
    os.execve(cmd[0], cmd, env)  # the hub takes this process over: Ctrl+C / SIGTERM reach it directly


# ---- parser --------------------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`genlab hub` and its commands, on the parser genlab's command tree gives it (or its own)."""
    p.description = "The cohort's JupyterHub on this machine."
    p.set_defaults(run=run, hub_parser=p)
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")

    def common(sp, tls=False):
        sp.add_argument("--config", help="the hub's settings (default: assets/hub/hub.toml, or $GENLAB_HUB_CONFIG)")
        if tls:
            sp.add_argument("--ssl-cert", help="HTTPS certificate (PEM, full chain)")
            sp.add_argument("--ssl-key", help="its private key (PEM)")

    sp = sub.add_parser("setup", help="accounts, exchange, learners' Python, proxy, course (root; idempotent)")
    common(sp, tls=True)
    sp.add_argument("--rebuild-environment", action="store_true", help="build the learners' Python again from scratch")
    sp.add_argument("--skip-environment", action="store_true", help="do not build or update the learners' Python")
    sp = sub.add_parser("start", help="run the hub in the foreground (root)")
    common(sp, tls=True)
    sp = sub.add_parser("status", help="what runs, who has an account, which limits apply")
    common(sp)
    sp.add_argument("--json", action="store_true")
    sp = sub.add_parser("users", help="accounts: `users sync` makes them match the course roster (root)")
    sp.add_argument("action", choices=["sync"])
    common(sp)
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="genlab hub"))


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(sys.argv[1:] if argv is None else argv))


def run(args: argparse.Namespace) -> int:
    if not args.cmd:
        args.hub_parser.print_help()
        return 0
    try:
        hub = load(args.config, ssl_cert=getattr(args, "ssl_cert", None), ssl_key=getattr(args, "ssl_key", None))
        if args.cmd == "setup":
            from genlab.hub import setup

            setup.run(hub, say=say, build_environment=not args.skip_environment, force_environment=args.rebuild_environment)
            say(tr("setup_done", url=hub.public_url, trainer=hub.trainer, course=hub.course_dir))
            return 0
        if args.cmd == "start":
            return start(hub)
        if args.cmd == "status":
            info = status(hub)
            if args.json:
                print(json.dumps(info, indent=2, default=str))
            else:
                print_status(hub, info)
            return 0
        if args.cmd == "users":
            if os.geteuid() != 0:
                say(tr("need_root", command="genlab hub users sync"))
                return 2
            sync_users(hub)
            return 0
    except (HubConfigError, PermissionError) as err:
        print(f"genlab hub: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:  # SetupError and failed system commands
        print(f"genlab hub: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
