"""Unix accounts for the cohort: one per learner on the roster, one for the trainer.

``plan(roster_ids, hub)`` decides (without changing anything) who to create, lock, unlock, and who
cannot get an account; ``sync(hub)`` carries it out with useradd/usermod (root only).

Rules:
* an account genlab made is a member of the group ``accounts.group`` (genlab-learners); genlab
  never touches an account outside that group (a roster id that is already a system account, like
  ``root`` or ``www-data``, is refused);
* a learner who leaves the roster is LOCKED (password locked, account expired, server stopped,
  removed from the hub), never deleted: their home and their submissions stay for the trainer;
* homes are mode 0700: no learner can read another's work.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from genlab.hub.config import HubConfigError, HubSettings, check_unix_name

# Debian's useradd accepts more, but JupyterHub lower-cases names and nbgrader splits exchange
# file names on '+': keep to what every tool agrees on.


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def managed_accounts(group: str) -> set[str]:
    """Accounts genlab created: members of the group."""
    try:
        return set(grp.getgrnam(group).gr_mem)
    except KeyError:
        return set()


def is_locked(name: str) -> bool:
    """Locked by genlab: the account expired on day 1 (1970-01-02). (A "!" password alone is not a
    lock here: accounts made by useradd have no Unix password; learners log in through the hub.)"""
    try:
        with open("/etc/shadow", encoding="utf-8") as f:  # (the spwd module leaves Python in 3.13)
            for line in f:
                fields = line.rstrip("\n").split(":")
                if fields[0] == name and len(fields) > 7:
                    return fields[7].strip() in ("0", "1")
    except (FileNotFoundError, PermissionError):
        return False
    return False


@dataclass
class Plan:
    create: list[str] = field(default_factory=list)
    lock: list[str] = field(default_factory=list)
    unlock: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # roster id -> why

    def empty(self) -> bool:
        return not (self.create or self.lock or self.unlock)


def plan(roster_ids, hub: HubSettings, *, managed=None, existing=None, locked=None) -> Plan:
    """What `users sync` would do. `managed`, `existing`, `locked` default to this machine's state
    (tests pass their own)."""
    managed = managed_accounts(hub.group) if managed is None else set(managed)
    existing = exists if existing is None else (lambda n, s=set(existing): n in s)
    locked = is_locked if locked is None else (lambda n, s=set(locked): n in s)
    out = Plan()
    wanted = set()
    for rid in sorted(roster_ids):
        try:
            name = check_unix_name(rid)
        except HubConfigError as err:
            out.refused[rid] = str(err)
            continue
        if name == hub.trainer:
            out.refused[rid] = f"'{rid}' is the trainer's account, not a learner's."
            continue
        wanted.add(name)
        if name in managed:
            (out.unlock if locked(name) else out.keep).append(name)
        elif existing(name):
            out.refused[rid] = (
                f"'{rid}' is already an account on this machine that genlab did not create "
                f"(not in group {hub.group}): give this learner another id."
            )
        else:
            out.create.append(name)
    out.lock = sorted(n for n in managed - wanted if not locked(n))
    return out


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {(done.stderr or done.stdout).strip()}")


def ensure_group(group: str) -> None:
    try:
        grp.getgrnam(group)
    except KeyError:
        _run(["groupadd", "--system", group])


def create_account(name: str, hub: HubSettings, *, learner: bool = True) -> Path:
    home = hub.home_of(name)
    if not hub.home_base.exists():
        hub.home_base.mkdir(parents=True)
        os.chmod(hub.home_base, 0o755)  # every account must be able to reach its own home
    cmd = ["useradd", "--create-home", "--home-dir", str(home), "--shell", hub.shell, "--user-group"]
    if learner:
        cmd += ["--groups", hub.group]
    _run(cmd + [name])
    os.chmod(home, 0o700)
    return home


def lock_account(name: str) -> None:
    # -L: lock the password; -e 1: the account expired on 2 January 1970 (no login of any kind)
    _run(["usermod", "--lock", "--expiredate", "1", name])


def unlock_account(name: str) -> None:
    _run(["usermod", "--expiredate", "", name])


def ensure_trainer(hub: HubSettings) -> Path:
    if not exists(hub.trainer):
        return create_account(hub.trainer, hub, learner=False)
    return Path(pwd.getpwnam(hub.trainer).pw_dir)


def sync(hub: HubSettings, roster_ids) -> Plan:
    """Create, lock and unlock accounts so they match the roster. Root only."""
    if os.geteuid() != 0:
        raise PermissionError("genlab hub users sync changes Unix accounts: run it as root (sudo).")
    ensure_group(hub.group)
    p = plan(roster_ids, hub)
    for name in p.create:
        create_account(name, hub)
    for name in p.lock:
        lock_account(name)
    for name in p.unlock:
        unlock_account(name)
    return p
