"""nbgrader's ``Execute`` step, with every learner's notebook running in a sandboxed kernel.

:class:`SandboxExecute` replaces ``nbgrader.preprocessors.Execute`` in the autograde pipeline
(:mod:`genlab.course.grading.autograde`). It starts the kernel in the run's
:class:`~genlab.course.sandbox.Sandbox` and keeps grading when a notebook misbehaves:

* a cell that runs longer than ``Execute.timeout`` is interrupted; if it ignores the interrupt
  (``GRACE_SECONDS`` later), or the notebook runs past ``SandboxPolicy.notebook_timeout``, or
  Python dies (``os._exit``, a CPU or memory limit), the kernel is killed and every cell that could
  not run gets an error output, so its checks score 0 (plain nbgrader would give full points to
  cells that never ran, or fail the whole learner);
* at most ``MAX_OUTPUT_BYTES`` of output is kept per cell (a print loop cannot fill memory);
* while the notebook runs it lets go of the gradebook lock, so other learners' notebooks can be
  scored meanwhile; it takes the lock back before nbgrader saves anything.

Why an instance, not a class in the config: nbgrader builds its preprocessors from classes and
the traitlets config, and traitlets deep-copies config values, so a grading run's live objects
(the sandbox with its zygote process, the gradebook lock) cannot travel that way. nbconvert's
exporter also accepts a ready-made preprocessor, so autograde builds one per learner::

    execute = SandboxExecute(sandbox, gradebook_lock, policy, parent=autograde_app)
    autograde_app.autograde_preprocessors = [execute, IgnorePattern, ...]
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

from jupyter_core.utils import run_sync
from nbclient.client import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

from genlab.core.i18n import t
from genlab.core.translations import notebook_language
from genlab.course.sandbox import Sandbox, SandboxPolicy

GRACE_SECONDS = 10  #: after a cell's timeout and interrupt, how long before the kernel is killed
MAX_OUTPUT_BYTES = 2_000_000  #: output kept per cell; the rest is dropped
STOPPED = "GradingStopped"  #: ename of the error output where the grader stopped a notebook
STOPPED_PREFIX = "The grader stopped this notebook here: "  #: how that output's text starts


def stop_output(text: str, ename: str = STOPPED) -> NotebookNode:
    """An error output saying why the grader stopped (or did not run) a cell."""
    return NotebookNode(output_type="error", ename=ename, evalue=text, traceback=[f"{ename}: {text}"])


def _stream_note(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=text + "\n")


class SandboxExecute(Execute):
    """Run one learner's notebook in a kernel of `sandbox`, under `policy` (see the module docstring)."""

    def __init__(self, sandbox: Sandbox, gradebook_lock: threading.Lock, policy: SandboxPolicy, **kwargs):
        super().__init__(kernel_manager_class=sandbox.kernel_manager_class(), **kwargs)
        self.sandbox = sandbox
        self.gradebook_lock = gradebook_lock
        self.policy = policy
        self.shutdown_kernel = "immediate"
        self.interrupt_on_timeout = True

    # keep at most MAX_OUTPUT_BYTES of output per cell
    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._out_bytes.get(cell_index, 0)
        if used + size > MAX_OUTPUT_BYTES:
            if used <= MAX_OUTPUT_BYTES:
                self._out_bytes[cell_index] = MAX_OUTPUT_BYTES + 1
                outs.append(_stream_note(t("grading.output_dropped", getattr(self, "_lang", "en"))))
            return None
        self._out_bytes[cell_index] = used + size
        return super().output(outs, msg, display_id, cell_index)

    async def _run_limited(self, cell, index, limit):
        return await asyncio.wait_for(self.async_execute_cell(cell, index, store_history=True), limit)

    def _exit_reason(self) -> str:
        code = None
        try:
            proc = getattr(self.km.provisioner, "process", None)
            if proc is not None:
                code = proc.poll()
        except Exception:
            pass
        lang = self._lang
        if code == 128 + 24:  # SIGXCPU
            return t("grading.cpu_limit", lang, seconds=self.policy.cpu_seconds)
        if code == 128 + 9:
            return t("grading.killed", lang)
        if code is not None:
            return t("grading.exit_code", lang, code=code)
        return t("grading.python_stopped", lang)

    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._out_bytes = {}
        # the learner's language (the fetched notebook's metadata): the checks' `_()` messages and
        # the grader's own notes below are written in it
        self._lang = lang = notebook_language(nb)
        stopped: str | None = None
        stopped_at = None
        deadline = time.monotonic() + self.policy.notebook_timeout
        self.gradebook_lock.release()  # other learners may use the gradebook while this notebook runs
        try:
            with self.setup_kernel(env={"GENLAB_LANG": lang}):
                info_msg = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                for index, cell in enumerate(self.nb.cells):
                    if cell.cell_type != "code":
                        continue
                    if stopped:
                        cell.outputs = [stop_output(t("grading.not_run", lang, cell=stopped_at, why=stopped), "NotRun")]
                        continue
                    limit = min(self.timeout + GRACE_SECONDS, deadline - time.monotonic())
                    try:
                        if limit <= 0:
                            raise asyncio.TimeoutError
                        run_sync(self._run_limited)(cell, index, limit)
                    except (asyncio.TimeoutError, CellTimeoutError):
                        if deadline - time.monotonic() <= 1:
                            stopped = t("grading.notebook_timeout", lang, seconds=self.policy.notebook_timeout)
                        else:
                            stopped = t("grading.cell_timeout", lang, seconds=self.timeout)
                    except DeadKernelError:
                        stopped = self._exit_reason()
                    if stopped and stopped_at is None:
                        stopped_at = index
                        cell.outputs.append(stop_output(t("grading.stopped_here", lang, why=stopped)))
                        try:
                            run_sync(self.km.shutdown_kernel)(now=True)
                        except Exception:
                            pass
        finally:
            self.gradebook_lock.acquire()
        self.set_widgets_metadata()
        if stopped:
            self.nb.metadata.setdefault("genlab", {})["stopped"] = {"cell": stopped_at, "reason": stopped}
        return self.nb, self.resources
