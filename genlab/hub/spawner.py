"""Each learner's JupyterLab as a process of their own Unix account, with what limits this machine allows.

JupyterHub's LocalProcessSpawner runs ``jupyterhub-singleuser`` as the user; it does NOT enforce
``Spawner.mem_limit`` or ``cpu_limit`` (it only passes them on as MEM_LIMIT / CPU_LIMIT). Where
systemd runs, SystemdSpawner is the better choice: it puts each server in a transient systemd unit
with MemoryMax / CPUQuota (cgroups) and can give each user a private /tmp. These machines have no
systemd (no /run/systemd/system), so ``CohortSpawner`` adds, in this order of preference:

* ``cgroup``: a control group per learner (``genlab-hub/<user>``) under /sys/fs/cgroup when it can
  be written (v1 memory + cpu controllers, or v2 with memory and cpu enabled): a memory limit on ALL
  of the learner's processes together and a CPU quota in cores;
* without cgroups: a per-process address-space rlimit (``memory_bytes``: one runaway process fails
  with MemoryError instead of taking the machine, but ten processes may use ten times that);
* always: a process limit (``processes``, RLIMIT_NPROC, against fork bombs) and a lower CPU
  priority (``nice``).

``limits_mode()`` says which one applies; ``genlab hub status`` prints it.
"""

from __future__ import annotations

import os
import pwd
import resource
import shutil
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Float, Integer, Unicode

from genlab.lessons.languages import render_lessons

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAME = "genlab-hub"


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


def limits_mode() -> str:
    """'cgroup-v2', 'cgroup-v1' or 'rlimit' (what CohortSpawner can enforce on this machine)."""
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if controllers.is_file() and _writable(CGROUP_ROOT):
        found = set(controllers.read_text().split())
        if {"memory", "cpu"} <= found:
            return "cgroup-v2"
    if _writable(CGROUP_ROOT / "memory") and _writable(CGROUP_ROOT / "cpu"):
        return "cgroup-v1"
    return "rlimit"


def cgroup_dirs(user: str, mode: str | None = None) -> list[Path]:
    mode = mode or limits_mode()
    if mode == "cgroup-v2":
        return [CGROUP_ROOT / CGROUP_NAME / user]
    if mode == "cgroup-v1":
        return [CGROUP_ROOT / "memory" / CGROUP_NAME / user, CGROUP_ROOT / "cpu" / CGROUP_NAME / user]
    return []


def prepare_cgroup(user: str, memory_bytes: int, cpus: float, mode: str | None = None) -> list[Path]:
    """Make the learner's control group(s) and set the limits; returns the folders (empty: none)."""
    mode = mode or limits_mode()
    dirs = cgroup_dirs(user, mode)
    try:
        if mode == "cgroup-v2":
            parent = CGROUP_ROOT / CGROUP_NAME
            parent.mkdir(exist_ok=True)
            (parent / "cgroup.subtree_control").write_text("+memory +cpu")
            dirs[0].mkdir(exist_ok=True)
            (dirs[0] / "memory.max").write_text(str(memory_bytes))
            (dirs[0] / "cpu.max").write_text(f"{int(cpus * 100_000)} 100000")
        elif mode == "cgroup-v1":
            mem, cpu = dirs
            mem.mkdir(parents=True, exist_ok=True)
            cpu.mkdir(parents=True, exist_ok=True)
            (mem / "memory.limit_in_bytes").write_text(str(memory_bytes))
            (cpu / "cpu.cfs_period_us").write_text("100000")
            (cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * 100_000)))
    except OSError:
        return []
    return dirs


def cgroup_procs_file(folder: Path) -> Path:
    return folder / "cgroup.procs"


class CohortSpawner(LocalProcessSpawner):
    memory_bytes = Integer(6 * 1024**3, help="memory per learner (cgroup) / per process (rlimit)").tag(config=True)
    cpus = Float(1.0, help="CPU cores per learner (cgroup quota)").tag(config=True)
    processes = Integer(512, help="RLIMIT_NPROC for the learner's processes").tag(config=True)
    nice = Integer(5, help="added to the learner's processes' niceness").tag(config=True)
    lessons_from = Unicode("", help="a folder of lesson notebooks copied to ~/lessons at first start").tag(config=True)
    language = Unicode("es", help="the language the lessons are copied in (es or en)").tag(config=True)

    _cgroups: list[Path] = []

    def _copy_lessons(self) -> None:
        if not self.lessons_from or not os.path.isdir(self.lessons_from):
            return
        entry = pwd.getpwnam(self.user.name)
        target = Path(entry.pw_dir) / "lessons"
        if target.exists():
            return  # a learner's own copy is theirs: never overwritten
        sources = sorted(Path(self.lessons_from).glob("[0-9][0-9]_*.ipynb"))
        render_lessons(target, self.language, sources=sources)
        for extra in Path(self.lessons_from).iterdir():  # the lessons' own files (README, pictures)
            if extra.suffix != ".ipynb" and not extra.name.startswith("."):
                (shutil.copytree if extra.is_dir() else shutil.copy2)(extra, target / extra.name)
        for dirpath, dirnames, filenames in os.walk(target):
            os.chown(dirpath, entry.pw_uid, entry.pw_gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)

    async def start(self):
        self._copy_lessons()
        self._cgroups = prepare_cgroup(self.user.name, self.memory_bytes, self.cpus)
        return await super().start()

    def make_preexec_fn(self, name):
        become_user = super().make_preexec_fn(name)
        procs_files = [str(cgroup_procs_file(d)) for d in self._cgroups]
        # with a cgroup the memory limit covers all the learner's processes together; without one,
        # an address-space limit per process is the only guard (virtual memory: set it generously)
        memory_bytes = None if procs_files else self.memory_bytes
        processes, nice = self.processes, self.nice

        def preexec():  # runs in the child, as root, before it becomes the learner
            for path in procs_files:
                with open(path, "w") as f:
                    f.write(str(os.getpid()))
            if memory_bytes:
                resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
            resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
            if nice:
                os.nice(nice)
            become_user()

        return preexec
