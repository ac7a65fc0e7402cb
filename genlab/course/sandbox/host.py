"""The grader's side of the sandbox: one :class:`Sandbox` per grading run.

It makes a private folder for the run, starts the zygote inside bubblewrap (zygote mode), gives
each kernel a slot (a fresh folder with a copy of the submission's files), writes the request that
says how the kernel must run (:mod:`genlab.course.sandbox.policy` decides what it may do), and
hands nbclient / nbgrader a kernel manager class whose kernels start in that slot. What runs
inside is in :mod:`genlab.course.sandbox.zygote` and :mod:`genlab.course.sandbox.kernel`;
:mod:`genlab.course.sandbox.child` is the small process jupyter_client watches in zygote mode.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from genlab import settings
from genlab.course.sandbox.policy import (
    SandboxError,
    SandboxPolicy,
    best_mode,
    bwrap_argv,
    bwrap_path,
    is_root,
    kernel_env,
    passed_env,
)

#: What jupyter_client starts as "the kernel" in zygote mode: stdlib only, run with ``python -I -S``.
CHILD_SCRIPT = Path(__file__).with_name("child.py")
#: Run inside bubblewrap: ``python -m ZYGOTE_MODULE ...`` (zygote mode), ``python -m KERNEL_MODULE ...`` (the others).
ZYGOTE_MODULE = "genlab.course.sandbox.zygote"
KERNEL_MODULE = "genlab.course.sandbox.kernel"


@dataclass
class Slot:
    """One kernel's folder: ``work/`` (its cwd), ``home/``, connection file and sockets."""

    dir: Path
    work: Path
    home: Path
    request_file: Path
    connection_file: Path
    ipc_prefix: Path


class Sandbox:
    """Sandboxed kernels for one grading run. Use as a context manager:

    >>> with Sandbox(course_root, SandboxPolicy()) as sb:
    ...     km_class = sb.kernel_manager_class()   # give to nbclient / nbgrader's Execute
    """

    def __init__(self, course_root, policy: SandboxPolicy | None = None, log=None):
        self.course_root = Path(course_root).resolve()
        self.policy = policy or SandboxPolicy()
        self.mode = self.policy.mode or best_mode()
        if self.mode in ("zygote", "bwrap") and not bwrap_path():
            raise SandboxError("bubblewrap (bwrap) is not installed: run `bash tools/install-system-packages.sh`.")
        if self.mode == "zygote" and not is_root():
            raise SandboxError("The shared zygote needs root (to give each kernel its own user); use mode 'bwrap'.")
        self.log = log or (lambda msg: None)
        self.root: Path | None = None
        self._zygote: subprocess.Popen | None = None
        self._sock: Path | None = None
        self._counter = itertools.count(1)  # slot numbers (next() is atomic: threads may share it)
        self.preload_seconds: float | None = None
        self.preload_failed: list[str] = []
        self.warning: str | None = None

    # -- life cycle
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self) -> None:
        if self.root is not None:
            return
        base = Path(tempfile.gettempdir())
        _remove_stale(base)
        self.root = Path(tempfile.mkdtemp(prefix=f"genlab-sandbox-{os.getpid()}-", dir=base))
        os.chmod(self.root, 0o711)
        if self.mode == "none":
            self.warning = (
                "WARNING: bubblewrap (bwrap) is not installed, so learners' notebooks run WITHOUT a "
                "sandbox: their code can read the hidden tests in source/ and change gradebook.db. "
                "Only CPU/memory/time limits and a separate working folder apply. Install it with "
                "`bash tools/install-system-packages.sh` (Debian/Ubuntu: apt-get install bubblewrap)."
            )
            warnings.warn(self.warning, stacklevel=2)
            self.log(self.warning)
        if self.mode == "zygote":
            self._start_zygote()

    def _start_zygote(self) -> None:
        self._sock = self.root / "zygote.sock"
        argv = bwrap_argv([self.root], self.course_root, self.policy.hide) + [
            sys.executable,
            "-m",
            ZYGOTE_MODULE,
            str(self._sock),
            ",".join(self.policy.preload),
            self.policy.preload_pipeline or "",
            "own-uids",
        ]
        env = passed_env()
        env["HOME"] = str(self.root)
        self._zygote_log = open(self.root / "zygote.log", "w")
        self._zygote = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=self._zygote_log, stdin=subprocess.DEVNULL, env=env, text=True
        )
        line = self._zygote.stdout.readline()  # waits for the preloading
        if not line:
            self._zygote.wait(5)
            err = (self.root / "zygote.log").read_text()[-3000:]
            raise SandboxError(f"The grading sandbox did not start (bwrap exit {self._zygote.returncode}).\n{err}")
        info = json.loads(line)
        self.preload_seconds = info.get("seconds")
        self.preload_failed = info.get("failed", [])

    def close(self) -> None:
        if self._zygote is not None:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(2)
                    s.connect(str(self._sock))
                    s.sendall(b'{"op": "quit"}\n')
            except OSError:
                pass
            try:
                self._zygote.wait(5)
            except subprocess.TimeoutExpired:
                self._zygote.kill()
                self._zygote.wait()
            self._zygote_log.close()
            self._zygote = None
        if self.root is not None and not settings.flag("GENLAB_SANDBOX_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    # -- kernels
    def new_slot(self, cwd: str | os.PathLike | None) -> Slot:
        """A fresh folder for one kernel, with a copy of `cwd`'s files (no notebooks, no links)."""
        if self.root is None:
            self.start()
        n = next(self._counter)
        d = self.root / f"k{n:05d}"
        work, home = d / "work", d / "home"
        work.mkdir(parents=True)
        (home / "tmp").mkdir(parents=True)
        if cwd and Path(cwd).is_dir():
            _copy_work(Path(cwd), work)
        os.chmod(d, 0o700)
        return Slot(
            dir=d,
            work=work,
            home=home,
            request_file=d / "request.json",
            connection_file=d / "kernel.json",
            ipc_prefix=d / "ipc",
        )

    def command(self, slot: Slot, extra_env: dict | None = None) -> list[str]:
        """The command jupyter_client starts as "the kernel" for this slot."""
        p = self.policy
        request = {
            "op": "spawn",
            "slot": str(slot.dir),
            "workdir": str(slot.work),
            "connection_file": str(slot.connection_file),
            "env": kernel_env(slot.home, extra_env),
            "wall": p.notebook_timeout,
            "limits": {
                "cpu_seconds": p.cpu_seconds,
                "memory_mb": p.memory_mb,
                "max_file_mb": p.max_file_mb,
                "max_processes": p.max_processes,
                "max_open_files": p.max_open_files,
            },
        }
        slot.request_file.write_text(json.dumps(request), encoding="utf-8")
        if self.mode == "zygote":
            return [sys.executable, "-I", "-S", str(CHILD_SCRIPT), str(self._sock), str(slot.request_file)]
        inner = [sys.executable, "-m", KERNEL_MODULE, str(slot.request_file)]
        if self.mode == "bwrap":
            return bwrap_argv([slot.dir], self.course_root, self.policy.hide) + inner
        return inner

    def release(self, slot: Slot) -> None:
        if settings.flag("GENLAB_SANDBOX_KEEP"):  # debugging: keep kernel.log and the working copy
            return
        shutil.rmtree(slot.dir, ignore_errors=True)

    def kernel_manager_class(self):
        """An ``AsyncKernelManager`` class whose kernels start in this sandbox."""
        return _manager_class(self)


def _remove_stale(base: Path) -> None:
    """Remove the folders of grading runs that were killed (their process is gone)."""
    if settings.flag("GENLAB_SANDBOX_KEEP"):
        return
    for d in base.glob("genlab-sandbox-*-*"):
        try:
            pid = int(d.name.split("-")[2])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists() and d.is_dir() and d.stat().st_uid == os.geteuid():
            shutil.rmtree(d, ignore_errors=True)


def _copy_work(src: Path, dst: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d)) and d != ".ipynb_checkpoints"]
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            s = Path(dirpath) / name
            if s.is_symlink() or name.endswith(".ipynb"):
                continue
            shutil.copyfile(s, dst / rel / name)


def _manager_class(sandbox: Sandbox):
    """A kernel manager class bound to `sandbox`. A factory, because nbclient (and nbgrader's Execute)
    take a kernel manager *class* (a traitlets ``Type``) and build it themselves with their own
    arguments only: the sandbox can ride along only as a class attribute."""
    from jupyter_client.manager import AsyncKernelManager

    class SandboxKernelManager(AsyncKernelManager):
        """Starts the kernel inside ``sandbox`` (see genlab.course.sandbox)."""

        _sandbox = sandbox
        _slot: Slot | None = None

        async def _async_pre_start_kernel(self, **kw):
            cwd = kw.get("cwd")
            self._slot = self._sandbox.new_slot(cwd)
            self.transport = "ipc"
            self.ip = str(self._slot.ipc_prefix)
            self.connection_file = str(self._slot.connection_file)
            _cmd, kw = await super()._async_pre_start_kernel(**kw)
            kw["cwd"] = str(self._slot.dir)
            # only the language travels from the grader's request; the rest is kernel_env()'s
            lang = (kw.pop("env", None) or {}).get("GENLAB_LANG")
            return self._sandbox.command(self._slot, {"GENLAB_LANG": lang} if lang else None), kw

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            try:
                await super()._async_cleanup_resources(restart=restart)
            finally:
                if self._slot is not None and not restart:
                    self._sandbox.release(self._slot)
                    self._slot = None

        def kernel_log(self) -> str:
            if self._slot is None:
                return ""
            try:
                return (self._slot.dir / "kernel.log").read_text(errors="replace")[-4000:]
            except OSError:
                return ""

    return SandboxKernelManager
