"""What a learner's kernel may do and see: the limits, the environment it gets, the folders
hidden from it, and the bubblewrap command line that enforces them.

Read by the grader's side (:mod:`genlab.course.sandbox.host`) before anything starts; nothing here
runs inside the sandbox. See :mod:`genlab.course.sandbox` for the whole design.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from genlab import settings

#: Each kernel's own user id is UID_BASE + n, never reused in a grading run (zygote mode).
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
    "genlab.core.generation",
    "genlab.core.pipelines",
    "genlab.core.recipe",
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
    """Where bubblewrap is installed, or None."""
    return shutil.which("bwrap")


def is_root() -> bool:
    """Only root can give each kernel a user id of its own (the zygote mode)."""
    return os.geteuid() == 0


def best_mode() -> str:
    """The safest mode this machine offers: "zygote" (root + bwrap), "bwrap" or "none"."""
    if not bwrap_path():
        return "none"
    return "zygote" if is_root() else "bwrap"


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


def git_dirs(repo: Path) -> list[Path]:
    """The repo's git history: ``.git``, and where a ``.git`` *file* points (a git worktree keeps
    only ``gitdir: ...`` there; the history lives in the main checkout's ``.git``)."""
    dot_git = repo / ".git"
    out = [dot_git]
    if dot_git.is_file():
        try:
            text = dot_git.read_text(encoding="utf-8").strip()
        except OSError:
            return out
        if text.startswith("gitdir:"):
            gitdir = (repo / text.split(":", 1)[1].strip()).resolve()
            out.append(gitdir)
            common = gitdir / "commondir"
            if common.is_file():
                out.append((gitdir / common.read_text(encoding="utf-8").strip()).resolve())
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
            if p.is_dir() and p != Path("/") and p not in out:  # only folders: a git worktree's .git is a file
                out.append(p)

    add(course_root)
    try:
        lay = nbgrader_ops.layout(course_root)
        add(lay.exchange)
        add(lay.assignment_dir)
    except Exception:  # a course without a readable config still hides its root
        pass
    add(settings.COURSE_DIR)
    for git in git_dirs(settings.REPO_ROOT):
        add(git)
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
    emptied: list[Path] = []
    for h in sorted(narrow, key=lambda p: len(p.parts)):
        if any(_under(b, h) for b in binds):
            continue  # never hide the sandbox's own folder (it may sit inside a hidden one)
        if any(_under(h, t) and not any(_under(h, n) for n in needed) for t in tops + emptied):
            continue  # already hidden (under an empty tmpfs, not shown again)
        if h.is_dir():
            argv += ["--perms", "0755", "--tmpfs", str(h)]
            emptied.append(h)
        else:  # a file (e.g. a worktree's .git): an empty one in its place
            argv += ["--ro-bind", "/dev/null", str(h)]
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


def passed_env() -> dict:
    """The grader's environment as a sandboxed process sees it: only the ``ENV_PASS`` variables
    (no tokens, no keys), offline, one torch thread unless the grader says otherwise."""
    env = {k: os.environ[k] for k in ENV_PASS if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(HF_HUB_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def kernel_env(home: Path, extra: dict | None = None) -> dict:
    """The environment of one learner's kernel: ``passed_env()`` with every per-user folder in
    its own ``home`` (inside its slot)."""
    env = passed_env()
    env.update(
        HOME=str(home),
        TMPDIR=str(home / "tmp"),
        IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        XDG_CACHE_HOME=str(home / ".cache"),
        JUPYTER_RUNTIME_DIR=str(home / ".jupyter-runtime"),
    )
    env.update(extra or {})
    return env
