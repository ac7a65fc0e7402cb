"""Sandboxed kernels for grading learners' notebooks (bubblewrap, limits, a preloaded zygote).

`host` is the grader's side (policy, modes, the zygote, kernel managers); `child` is the
standard-library-only script a kernel process runs first inside the sandbox.
"""

from genlab.course.sandbox.host import Sandbox, SandboxError, SandboxPolicy, best_mode, bwrap_argv, hidden_paths

__all__ = ["Sandbox", "SandboxError", "SandboxPolicy", "best_mode", "bwrap_argv", "hidden_paths"]
