"""Run learners' notebooks in a sandbox while grading.

nbgrader runs a learner's code with the grader's own rights: it could read ``source/`` (the hidden
tests), write ``gradebook.db``, read other learners' work, use the network, or hang the grader. Here
every submission gets its own Jupyter kernel inside a sandbox:

* **Its own working copy.** The kernel works in a fresh folder holding a copy of the submission's
  files (notebooks left out, they hold the hidden tests while grading); nothing it writes goes back.
* **Course folders hidden.** The kernel runs under bubblewrap (``bwrap``) with a read-only view of
  the system, and an empty folder mounted over the course root (``source/``, ``release/``,
  ``submitted/``, ``autograded/``, ``feedback/``, ``gradebook.db``), the exchange, learners'
  assignment folder, the repo's own ``exercises/`` and ``.git``, the grader's home and ``/home``
  (the Python install and genlab stay visible), and its own empty ``/tmp``.
* **No network**: a network namespace of its own with no interfaces (``--unshare-net``); the kernel
  talks to the grader over Unix sockets in its working folder (ZeroMQ ``ipc`` transport).
* **Its own user.** When the grader runs as root, each kernel gets a user id of its own
  (200000 + n), never reused in a run, and a 0700 working folder, so two kernels running at the same
  time cannot read each other's files; no capabilities, ``no_new_privs``.
* **Limits** (``setrlimit``): CPU seconds, address space (memory), file size, processes, open files,
  no core files; and a **wall-clock limit**: the kernel is killed with SIGKILL when its notebook runs
  too long, so even code that swallows KeyboardInterrupt cannot keep the grader waiting.
* **Dies with the grader** (``--die-with-parent``, ``PR_SET_PDEATHSIG``): killing ``genlab course
  autograde`` leaves no kernels behind.

Speed: starting Python, importing torch and diffusers and loading the tiny pipeline takes ~8 s of
CPU, far more than running an exercise. As root, one **zygote** process is started inside the
sandbox per grading run. It imports ipykernel, torch, diffusers and genlab and loads the tiny
pipeline once, then *forks* one fresh kernel process per submission (copy-on-write memory, like
Android's zygote). Each kernel is a new process with its own memory, user id, limits and working
folder; nothing one learner's code does can reach the zygote or another kernel. Without root,
each kernel gets a bubblewrap sandbox of its own instead (same isolation, no preloading).

Modes (``Sandbox.mode``):

``"zygote"``  root + bwrap: shared preloaded zygote, per-kernel user ids (fastest).
``"bwrap"``   bwrap without root: one sandbox per kernel, no preloading, one user for all kernels
              (kernels run one after another in their own mount namespace, so they still cannot
              see each other's folders).
``"none"``    no bwrap found: the kernel runs with the limits and its own working copy only, and
              a loud warning says that learners' code can read the course. Install bubblewrap
              (``bash tools/install-system-packages.sh``).

Limits of this design: the kernel can still read what any user may read on the machine outside
the hidden folders (e.g. /etc, other world-readable folders); ``/proc`` shows the kernel's own
sandbox only. Code can still cheat *inside its own kernel* (e.g. an object that claims to equal
everything, or changing how IPython runs the later test cells): the tests have to be written for
that (compare ``bytes``, check ``type(x) is ...``); sandboxing protects the course and the other
learners, not the test logic.
"""

from __future__ import annotations

import itertools
import json
import os
import pwd
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from genlab import settings

ATTACH_SCRIPT = Path(__file__).with_name("child.py")
UID_BASE = 200000
#: What a graded exercise usually imports: loaded once in the zygote.
DEFAULT_PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython.core.interactiveshell",
    "numpy",
    "PIL.Image",
    "torch",
    "diffusers",
    "genlab",
    "genlab.generation",
    "genlab.pipelines",
    "genlab.recipe",
)
#: Environment variables passed from the grader to the kernel (nothing else: no tokens, no keys).
ENV_PASS = (
    "PATH",
    "LANG",
    "LC_ALL",
    "TZ",
    "GENLAB_PROFILE",
    "GENLAB_VIDEO_PROFILE",
    "GENLAB_ASSETS",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "DIFFUSERS_OFFLINE",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TQDM_DISABLE",
    "PYTHONHASHSEED",
    "NBGRADER_EXECUTION",
)


class SandboxError(RuntimeError):
    """The sandbox could not be set up; the message says what to do."""


@dataclass
class SandboxPolicy:
    """Limits for one learner's notebook. All can be set from ``genlab course autograde``."""

    cell_timeout: int | None = None  #: seconds per cell before an interrupt (default: the course's Execute.timeout)
    notebook_timeout: int = 900  #: wall-clock seconds for the whole notebook; then SIGKILL
    cpu_seconds: int = 900  #: CPU seconds for the kernel process (all its threads)
    memory_mb: int = 3072  #: address space beyond what the preloaded libraries take
    max_file_mb: int = 256  #: largest file the kernel may write
    max_processes: int = 128  #: processes + threads of the kernel's user (own-uid mode)
    max_open_files: int = 512
    preload: tuple[str, ...] = DEFAULT_PRELOAD  #: modules the zygote imports once
    preload_pipeline: str | None = "tiny"  #: genlab profile whose txt2img pipeline the zygote loads
    hide: tuple[str, ...] = ()  #: more folders to hide from learners' code
    mode: str | None = None  #: force "zygote", "bwrap" or "none" (default: the best available)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _is_root() -> bool:
    return os.geteuid() == 0


def best_mode() -> str:
    if not bwrap_path():
        return "none"
    return "zygote" if _is_root() else "bwrap"


def _under(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def _needed_paths() -> list[Path]:
    """Folders the kernel must be able to read: the Python install, the venv, genlab, its models."""
    out = []
    for p in (sys.base_prefix, sys.prefix, sys.exec_prefix, str(settings.REPO_ROOT), str(settings.ASSETS_DIR)):
        try:
            rp = Path(p).resolve()
        except OSError:
            continue
        if rp.exists() and rp not in out:
            out.append(rp)
    # the real files behind the interpreter symlink
    exe = Path(sys.executable).resolve()
    if exe.parent.parent not in out:
        out.append(exe.parent.parent)
    return out


def hidden_paths(course_root: Path, extra=()) -> list[Path]:
    """What learners' code must not see: the course, the exchange, learners' folders, the repo's
    own course and git history, the grader's home and /home."""
    from genlab.course import nbgrader_ops

    out: list[Path] = []

    def add(p):
        if p:
            p = Path(p).expanduser()
            try:
                p = p.resolve()
            except OSError:
                return
            if p.is_dir() and p != Path("/") and p not in out:
                out.append(p)

    add(course_root)
    try:
        lay = nbgrader_ops.layout(course_root)
        add(lay.exchange)
        add(lay.assignment_dir)
    except Exception:  # a course without a readable config still hides its root
        pass
    add(settings.COURSE_DIR)
    add(settings.REPO_ROOT / ".git")
    add(settings.REPO_ROOT / "my-assignments")
    add(Path.home())
    add(os.environ.get("HOME"))
    try:
        add(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        pass
    add("/home")
    add("/root")
    add("/srv/nbgrader")
    for p in extra:
        add(p)
    return out


def bwrap_argv(binds: list[Path], course_root: Path, extra_hide=()) -> list[str]:
    """The bubblewrap command line (without the command to run inside)."""
    bw = bwrap_path()
    if not bw:
        raise SandboxError("bubblewrap (bwrap) is not installed: run `bash tools/install-system-packages.sh`.")
    hidden = hidden_paths(course_root, extra_hide)
    needed = _needed_paths()
    binds = [Path(b).resolve() for b in binds]
    # 1. hide folders that hold something the kernel needs (e.g. /root holds the Python install)
    broad = [h for h in hidden if any(_under(n, h) and n != h for n in needed)]
    narrow = [h for h in hidden if h not in broad]
    # /tmp is always an empty tmpfs; what the kernel needs below it (a repo or venv cloned into
    # /tmp, as CI does) is shown again in step 2, like the needed folders below other hidden ones.
    tops = broad + [Path("/tmp")]
    argv = [bw, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--perms", "0755", "--tmpfs", "/tmp"]
    for h in sorted(broad, key=lambda p: len(p.parts)):
        argv += ["--perms", "0755", "--tmpfs", str(h)]
    # 2. show again what the kernel needs below those
    made: set[Path] = set()
    for n in sorted(needed, key=lambda p: len(p.parts)):
        top = next((h for h in tops if _under(n, h) and n != h), None)
        if top is None:
            continue
        for parent in reversed(n.parents):  # bwrap makes missing folders 0700: make them 0755
            if _under(parent, top) and parent != top and parent not in made:
                argv += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        argv += ["--ro-bind", str(n), str(n)]
    # 3. hide the course folders (some are inside needed folders, e.g. the repo's exercises/)
    for h in sorted(narrow, key=lambda p: len(p.parts)):
        if any(_under(b, h) for b in binds):
            continue  # never hide the sandbox's own folder (it may sit inside a hidden one)
        if any(_under(h, t) and not any(_under(h, n) for n in needed) for t in tops):
            continue  # already hidden (under an empty tmpfs, not shown again)
        argv += ["--perms", "0755", "--tmpfs", str(h)]
    # 4. the kernel's own folder(s), writable
    for b in binds:
        argv += ["--bind", str(b), str(b)]
    argv += [
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
    ]
    return argv


def kernel_env(home: Path, extra: dict | None = None) -> dict:
    env = {k: os.environ[k] for k in ENV_PASS if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(
        HOME=str(home),
        TMPDIR=str(home / "tmp"),
        IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        XDG_CACHE_HOME=str(home / ".cache"),
        JUPYTER_RUNTIME_DIR=str(home / ".jupyter-runtime"),
        HF_HUB_OFFLINE="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra or {})
    return env


# ---- inside the sandbox: becoming a kernel ----------------------------------------------------
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


# ---- inside the sandbox: the zygote ------------------------------------------------------------
class _Conn:
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


# ---- the grader's side --------------------------------------------------------------------------
@dataclass
class Slot:
    """One kernel's folder: ``work/`` (its cwd), ``home/``, connection file and sockets."""

    dir: Path
    work: Path
    home: Path
    request_file: Path
    connection_file: Path
    ipc_prefix: Path
    bwrap_own: bool = False
    extra: dict = field(default_factory=dict)


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
        if self.mode == "zygote" and not _is_root():
            raise SandboxError("The shared zygote needs root (to give each kernel its own user); use mode 'bwrap'.")
        self.log = log or (lambda msg: None)
        self.root: Path | None = None
        self._zygote: subprocess.Popen | None = None
        self._sock: Path | None = None
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
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
            "genlab.course.sandbox",
            "zygote",
            str(self._sock),
            ",".join(self.policy.preload),
            self.policy.preload_pipeline or "",
            "own-uids",
        ]
        env = {k: os.environ[k] for k in ENV_PASS if k in os.environ}
        env.setdefault("OMP_NUM_THREADS", "1")
        env["HF_HUB_OFFLINE"] = "1"
        env["HOME"] = str(self.root)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
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

    def command(self, slot: Slot) -> list[str]:
        """The command jupyter_client starts as "the kernel" for this slot."""
        p = self.policy
        request = {
            "op": "spawn",
            "slot": str(slot.dir),
            "workdir": str(slot.work),
            "connection_file": str(slot.connection_file),
            "env": kernel_env(slot.home),
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
            return [sys.executable, "-I", "-S", str(ATTACH_SCRIPT), str(self._sock), str(slot.request_file)]
        inner = [sys.executable, "-m", "genlab.course.sandbox", "kernel", str(slot.request_file)]
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
            kw.pop("env", None)
            return self._sandbox.command(self._slot), kw

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


def _main(argv: list[str]) -> int:
    if argv and argv[0] == "zygote":
        sock, preload, pipeline, uids = argv[1], argv[2], argv[3], argv[4]
        return zygote_main(sock, [m for m in preload.split(",") if m], pipeline or None, uids == "own-uids")
    if argv and argv[0] == "kernel":
        request = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        request["uid"] = None
        become_kernel(request)
    print("usage: python -m genlab.course.sandbox zygote|kernel ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
