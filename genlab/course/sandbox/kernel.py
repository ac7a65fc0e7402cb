"""Inside the sandbox: turn a process into one learner's Jupyter kernel.

:func:`become_kernel` takes the request the grader wrote (its slot, working folder, environment,
limits, user id), sets the limits (``setrlimit``), drops to the kernel's own user when it has one,
sets ``no_new_privs`` and "die with the parent", and starts ipykernel on the connection file. It
never returns: the process exits with the kernel.

Who calls it: the zygote (:mod:`genlab.course.sandbox.zygote`) in each process it forks, or, in
the ``bwrap`` and ``none`` modes, a fresh Python that jupyter_client starts as::

    python -m genlab.course.sandbox.kernel REQUEST_FILE
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from pathlib import Path


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _prctl(option: int, arg: int) -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, arg, 0, 0, 0)
    except Exception:
        pass


def become_kernel(request: dict) -> None:
    """Turn this (forked or fresh) process into the learner's kernel: never returns."""
    code = 0
    try:
        slot = Path(request["slot"])
        log = os.open(str(slot / "kernel.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        try:
            os.setsid()
        except OSError:
            pass
        os.chdir(request["workdir"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.umask(0o077)
        lim = request["limits"]
        base = _vm_size()
        memory = max(base, 1536 << 20) + int(lim["memory_mb"]) * (1 << 20)
        for what, value in (
            (resource.RLIMIT_CPU, (int(lim["cpu_seconds"]), int(lim["cpu_seconds"]) + 5)),
            (resource.RLIMIT_AS, (memory, memory)),
            (resource.RLIMIT_FSIZE, (int(lim["max_file_mb"]) << 20,) * 2),
            (resource.RLIMIT_NOFILE, (int(lim["max_open_files"]),) * 2),
            (resource.RLIMIT_CORE, (0, 0)),
        ):
            resource.setrlimit(what, value)
        uid = request.get("uid")
        if uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (int(lim["max_processes"]),) * 2)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        _prctl(38, 1)  # PR_SET_NO_NEW_PRIVS
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the zygote
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        sys.stdout = open(1, "w", closefd=False, buffering=1)
        sys.stderr = open(2, "w", closefd=False, buffering=1)
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(["-f", request["connection_file"], "--HistoryManager.hist_file=:memory:", "--quiet"])
        app.start()
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(code)


def main(argv: list[str]) -> int:
    """``python -m genlab.course.sandbox.kernel REQUEST_FILE``: one kernel, no zygote, no own user."""
    if len(argv) != 1:
        print("usage: python -m genlab.course.sandbox.kernel REQUEST_FILE", file=sys.stderr)
        return 2
    request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    request["uid"] = None
    become_kernel(request)
    return 0  # not reached: become_kernel ends the process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
