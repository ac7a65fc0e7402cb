"""Inside the sandbox, as root: the zygote that forks one kernel per submission.

Started once per grading run by :class:`genlab.course.sandbox.host.Sandbox`, inside bubblewrap::

    python -m genlab.course.sandbox.zygote SOCKET PRELOAD PIPELINE own-uids|same-uid

It imports what exercises need (``PRELOAD``, comma-separated modules) and loads the tiny pipeline
once, prints one JSON line (``{"ready": true, "seconds": ..., "failed": [...]}``), then listens on
the Unix socket ``SOCKET``. Each connection is one attach process (:mod:`genlab.course.sandbox.child`,
which jupyter_client started as "the kernel") asking ``{"op": "spawn", ...}``: the zygote forks,
the child becomes the learner's kernel (:func:`genlab.course.sandbox.kernel.become_kernel`) with a
user id of its own, and the zygote reports ``{"pid": ...}`` and later ``{"exit": code}``. It passes
on ``{"op": "signal"}``, kills a kernel whose attach connection closes or whose wall-clock limit
passes, and stops every kernel on ``{"op": "quit"}``.
"""

from __future__ import annotations

import itertools
import json
import os
import selectors
import signal
import socket
import sys
import time
from pathlib import Path

from genlab.course.sandbox.kernel import become_kernel
from genlab.course.sandbox.policy import UID_BASE


class _Conn:
    """One attach process (:mod:`genlab.course.sandbox.child`) and the kernel forked for it."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.pid: int | None = None
        self.deadline: float | None = None

    def send(self, msg: dict) -> None:
        try:
            self.sock.sendall((json.dumps(msg) + "\n").encode())
        except OSError:
            pass


def _chown_tree(top: Path, uid: int) -> None:
    os.chown(top, uid, uid)
    os.chmod(top, 0o700)
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chown(p, uid, uid)


def zygote_main(sock_path: str, preload: list[str], pipeline: str | None, own_uids: bool) -> int:
    """Import what exercises need, then fork one kernel per request (see the module docstring)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.time()
    failed = []
    for name in preload:
        try:
            __import__(name)
        except Exception as err:  # a missing optional library must not stop grading
            failed.append(f"{name} ({err.__class__.__name__})")
    if pipeline:
        try:
            import genlab

            genlab.load_pipeline("txt2img", pipeline)
        except Exception as err:
            failed.append(f"pipeline {pipeline} ({err.__class__.__name__}: {err})")
    try:
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1") or 1))
    except Exception:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener.bind(sock_path)
    os.chmod(sock_path, 0o600)
    listener.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    conns: dict[int, _Conn] = {}  # fd -> connection
    by_pid: dict[int, _Conn] = {}
    uids = itertools.count(UID_BASE + 1)
    print(json.dumps({"ready": True, "seconds": round(time.time() - t0, 2), "failed": failed}), flush=True)

    def close(c: _Conn) -> None:
        try:
            sel.unregister(c.sock)
        except Exception:
            pass
        conns.pop(c.sock.fileno(), None) if c.sock.fileno() >= 0 else None
        try:
            c.sock.close()
        except OSError:
            pass

    def kill(c: _Conn) -> None:
        if c.pid:
            try:
                os.kill(c.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    while True:
        for key, _ in sel.select(timeout=0.2):
            if key.fileobj is listener:
                s, _ = listener.accept()
                c = _Conn(s)
                conns[s.fileno()] = c
                sel.register(s, selectors.EVENT_READ)
                continue
            c = conns.get(key.fileobj.fileno())
            if c is None:
                continue
            try:
                data = c.sock.recv(65536)
            except OSError:
                data = b""
            if not data:  # the attach process is gone: so is its kernel
                kill(c)
                close(c)
                continue
            c.buf += data
            while b"\n" in c.buf:
                line, c.buf = c.buf.split(b"\n", 1)
                req = json.loads(line)
                op = req.get("op")
                if op == "quit":
                    for other in list(by_pid.values()):
                        kill(other)
                    return 0
                if op == "signal" and c.pid:
                    try:
                        os.kill(c.pid, int(req["sig"]))
                    except ProcessLookupError:
                        pass
                elif op == "spawn" and c.pid is None:
                    uid = next(uids) if own_uids else None
                    req["uid"] = uid
                    try:
                        if uid is not None:
                            _chown_tree(Path(req["slot"]), uid)
                    except OSError as err:
                        c.send({"error": f"could not prepare the working folder: {err}"})
                        continue
                    pid = os.fork()
                    if pid == 0:
                        listener.close()
                        for other in list(conns.values()):
                            try:
                                other.sock.close()
                            except OSError:
                                pass
                        become_kernel(req)
                    c.pid = pid
                    c.deadline = time.monotonic() + float(req.get("wall", 900))
                    by_pid[pid] = c
                    c.send({"pid": pid, "uid": uid})
        # reap finished kernels
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            c = by_pid.pop(pid, None)
            if c is not None:
                code = os.waitstatus_to_exitcode(status)
                c.send({"exit": code})
                close(c)
        now = time.monotonic()
        for c in list(by_pid.values()):
            if c.deadline is not None and now > c.deadline:
                kill(c)  # the wall-clock limit: no interrupt, no mercy
                c.deadline = None


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[3] not in ("own-uids", "same-uid"):
        print("usage: python -m genlab.course.sandbox.zygote SOCKET PRELOAD PIPELINE own-uids|same-uid", file=sys.stderr)
        return 2
    sock, preload, pipeline, uids = argv
    return zygote_main(sock, [m for m in preload.split(",") if m], pipeline or None, uids == "own-uids")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
