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

The package, by where each part runs:

``policy``   what a kernel may do and see: :class:`SandboxPolicy` (limits), ``ENV_PASS``,
             :func:`hidden_paths`, :func:`bwrap_argv`, :func:`best_mode`. Read by the grader.
``host``     the grader's side: :class:`Sandbox` (the run's folder, the zygote process, one slot
             per kernel) and the jupyter_client kernel manager whose kernels start in a slot.
``zygote``   inside bubblewrap (zygote mode): preloads, then forks one kernel per request.
``kernel``   inside bubblewrap: turns a forked (or fresh) process into the learner's kernel.
``child``    the standard-library-only process jupyter_client starts as "the kernel" in zygote
             mode; it asks the zygote for a kernel and lives exactly as long as that kernel.
"""

from genlab.course.sandbox.host import Sandbox
from genlab.course.sandbox.policy import (
    SandboxError,
    SandboxPolicy,
    best_mode,
    bwrap_argv,
    hidden_paths,
)

__all__ = ["Sandbox", "SandboxError", "SandboxPolicy", "best_mode", "bwrap_argv", "hidden_paths"]
