"""Grade a whole cohort safely, in one process: ``genlab course autograde A`` / ``autograde(A)``.

nbgrader does the grading (its ``Autograde`` converter: restore the locked and test cells from the
gradebook, run the notebook, score the test cells, save the scores). genlab changes three things:

1. **Each notebook runs in a sandboxed kernel** (:mod:`genlab.course.sandbox`): no access to the
   course folders, gradebook or other learners' work, no network, CPU/memory/time limits.
   nbgrader's ``Execute`` step is replaced by :class:`~genlab.course.preprocessors.SandboxExecute`
   (:mod:`genlab.course.preprocessors.execute`), which also keeps grading
   when a notebook misbehaves: a cell that runs too long is interrupted; if it ignores the
   interrupt, or Python dies (``os._exit``, a limit), the kernel is killed and every cell that
   could not run gets an error output, so its checks score 0 (plain nbgrader would either give
   full points to cells that never ran or fail the whole learner).
2. **Deleted test cells come back** (``OverwriteCells.add_missing_cells = True``), and edited
   locked/test cells are restored from the gradebook, as nbgrader does.
3. **One process, a small pool.** nbgrader starts once; ``workers`` submissions run at the same
   time (default: one per CPU core, at most 4). Only the notebook execution runs in parallel;
   every gradebook read/write happens under one lock, one learner at a time, so the gradebook
   stays consistent.

Restartable: a learner counts as done only when a marker file
``<course>/.genlab/autograde/<assignment>/<learner>.json`` exists, written after nbgrader saved
the scores, holding a fingerprint of the submission and of the release. Killing autograde at any
moment (even SIGKILL) and running it again regrades exactly the learners without a valid marker
and ends with the same scores. ``force=True`` regrades everyone.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import logging
import os
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field

from genlab.course import nbgrader_ops
from genlab.course.nbgrader_ops import (  # noqa: F401 (STATE_DIR: where grading keeps its markers)
    STATE_DIR,
    marker_path,
    submission_fingerprint,
    submitted_learners,
    write_json_atomic,
)
from genlab.course.preprocessors.execute import STOPPED, STOPPED_PREFIX, SandboxExecute
from genlab.course.sandbox import Sandbox, SandboxError, SandboxPolicy, best_mode


@dataclass
class LearnerResult:
    """What happened to one learner's submission."""

    learner: str
    status: str  #: "graded", "skipped" (already graded, unchanged), "failed" (could not grade)
    score: float | None = None
    max_score: float | None = None
    auto_score: float | None = None
    auto_max: float | None = None
    failed_checks: list[str] = field(default_factory=list)
    waiting_for_trainer: list[str] = field(default_factory=list)
    stopped: str | None = None  #: why the notebook stopped early (time limit, Python died, ...)
    message: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        """One plain-language line for the trainer."""
        if self.status == "failed":
            return f"{self.learner}: NOT GRADED: {self.message}"
        pts = f"{_fmt(self.auto_score)}/{_fmt(self.auto_max)} auto-checked points"
        parts = [pts]
        if self.failed_checks:
            parts.append("failed: " + ", ".join(self.failed_checks))
        if self.stopped:
            parts.append("stopped early: " + self.stopped)
        if self.waiting_for_trainer:
            parts.append("to grade by hand: " + ", ".join(self.waiting_for_trainer))
        prefix = "(unchanged, kept) " if self.status == "skipped" else ""
        return f"{self.learner}: {prefix}" + "; ".join(parts)


@dataclass
class AutogradeRun:
    assignment: str
    results: list[LearnerResult]
    seconds: float
    mode: str
    workers: int
    warning: str | None = None

    @property
    def failed(self) -> list[LearnerResult]:
        return [r for r in self.results if r.status == "failed"]

    def by_learner(self) -> dict[str, LearnerResult]:
        return {r.learner: r for r in self.results}


def _fmt(x) -> str:
    if x is None:
        return "-"
    return f"{x:g}"


# ---- bookkeeping --------------------------------------------------------------------------------


def _result_from_gradebook(lay, assignment: str, learner: str, nb_stops: dict) -> LearnerResult:
    scores = nbgrader_ops.submission_scores(assignment, learner, lay.root)
    failed = sorted(k for k, v in scores.cells.items() if k not in scores.manual_cells and v is not None and v < scores.max_points[k])
    stopped = "; ".join(f"{r['reason']}" for r in nb_stops.values()) or None
    return LearnerResult(
        learner=learner,
        status="graded",
        score=scores.score,
        max_score=scores.max_score,
        auto_score=scores.auto_score,
        auto_max=scores.auto_max,
        failed_checks=failed,
        waiting_for_trainer=scores.waiting_for_trainer,
        stopped=stopped,
    )


def _stops_in_autograded(lay, assignment: str, learner: str) -> dict:
    import nbformat

    out = {}
    folder = lay.root / "autograded" / learner / assignment
    for p in sorted(folder.glob("*.ipynb")):
        try:
            nb = nbformat.read(p, as_version=4)
        except Exception:
            continue
        # nbgrader's ClearMetadataPreprocessor may drop our note; fall back to looking at outputs
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error" and o.get("ename") == STOPPED:
                    out[p.stem] = {"reason": o.get("evalue", "").replace(STOPPED_PREFIX, "").rstrip(".")}
    return out


# ---- the run ------------------------------------------------------------------------------------
def _run_pool(*, lay, assignment, policy, base_cfg, todo, n_workers, db_lock, results, done_count, total, progress, log, **_unused):
    """Grade `todo` [(learner, fingerprint)] in a pool of sandboxed kernels; fills `results`."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    with Sandbox(lay.root, policy, log=log) as sandbox:
        run_warning = sandbox.warning

        def grade_one(learner: str, fp: str) -> LearnerResult:
            t = time.monotonic()
            buf = io.StringIO()
            logger = logging.getLogger(f"genlab.autograde.{assignment}.{learner}")
            logger.propagate = False
            logger.handlers[:] = [logging.StreamHandler(buf)]
            logger.setLevel(logging.INFO)
            cfg = copy.deepcopy(base_cfg)
            cfg.Execute.timeout = int(policy.cell_timeout)
            cfg.OverwriteCells.add_missing_cells = True
            with db_lock:
                marker = marker_path(lay, assignment, learner)
                marker.unlink(missing_ok=True)
                try:
                    coursedir = CourseDirectory(config=cfg)
                    coursedir.root = str(lay.root)
                    coursedir.assignment_id = assignment
                    coursedir.student_id = learner
                    app = Autograde(coursedir=coursedir, config=cfg)
                    app.log = logger
                    app.force = True
                    app.create_student = True
                    # nbgrader's own list with Execute swapped: an instance, see genlab.course.preprocessors.execute
                    app.autograde_preprocessors = [
                        SandboxExecute(sandbox, db_lock, policy, parent=app),
                        IgnorePattern,
                        ClearMetadataPreprocessor,
                        LimitOutput,
                        SaveAutoGrades,
                        AssignLatePenalties,
                        CheckCellMetadata,
                    ]
                    app.start()
                    stops = _stops_in_autograded(lay, assignment, learner)
                    result = _result_from_gradebook(lay, assignment, learner, stops)
                except Exception as err:
                    text = buf.getvalue()
                    if log:
                        log(f"--- nbgrader's messages for {learner} ---\n{text}\n{traceback.format_exc()}")
                    return LearnerResult(
                        learner=learner,
                        status="failed",
                        message=_failure_message(err, text),
                        seconds=time.monotonic() - t,
                    )
                result.seconds = round(time.monotonic() - t, 2)
                write_json_atomic(
                    marker,
                    {
                        "assignment": assignment,
                        "learner": learner,
                        "fingerprint": fp,
                        "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                        "result": asdict(result),
                    },
                )
                return result

        with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="genlab-grade") as pool:
            futures = {pool.submit(grade_one, learner, fp): learner for learner, fp in todo}
            for fut in as_completed(futures):
                learner = futures[fut]
                try:
                    r = fut.result()
                except Exception as err:  # never let one learner stop the others
                    r = LearnerResult(learner=learner, status="failed", message=f"{err.__class__.__name__}: {err}")
                results[learner] = r
                done_count[0] += 1
                if progress:
                    progress(done_count[0], total, r)
    return run_warning


def autograde(
    assignment: str,
    course: str | os.PathLike | None = None,
    learners: list[str] | None = None,
    *,
    force: bool = False,
    workers: int | None = None,
    policy: SandboxPolicy | None = None,
    progress=None,
    log=None,
) -> AutogradeRun:
    """Autograde every collected submission of `assignment` (or only `learners`), sandboxed.

    `progress(done, total, result)` is called after each learner; `log(text)` gets nbgrader's
    messages for learners that could not be graded. Returns an :class:`AutogradeRun`.
    """
    t0 = time.monotonic()
    nbgrader_ops.tools_on_path()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    lay = nbgrader_ops.layout(course)
    base_cfg = nbgrader_ops.load_config(lay.root)
    if not lay.gradebook.is_file():
        raise nbgrader_ops.CourseError(
            f"There is no gradebook in {lay.root} yet: run `genlab course release {assignment}` first."
        )
    if not (lay.source / assignment).is_dir():
        raise nbgrader_ops.CourseError(f"There is no assignment '{assignment}' in {lay.source}.")
    policy = copy.deepcopy(policy) if policy else SandboxPolicy()
    course_timeout = base_cfg.Execute.get("timeout") if "Execute" in base_cfg else None
    if policy.cell_timeout is None:
        policy.cell_timeout = int(course_timeout or 120)

    everyone = submitted_learners(lay, assignment)
    if learners:
        unknown = sorted(set(learners) - set(everyone))
        if unknown:
            raise nbgrader_ops.CourseError(
                f"No collected submission of '{assignment}' for {', '.join(unknown)}: run `genlab course collect {assignment}` first."
            )
        everyone = [x for x in everyone if x in set(learners)]

    results: dict[str, LearnerResult] = {}
    todo = []
    for learner in everyone:
        fp = submission_fingerprint(lay, assignment, learner)
        marker = marker_path(lay, assignment, learner)
        done = None
        if marker.is_file() and not force:
            try:
                done = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                done = None
        if done and done.get("fingerprint") == fp and (lay.root / "autograded" / learner / assignment).is_dir():
            r = LearnerResult(**{k: v for k, v in done["result"].items() if k in LearnerResult.__dataclass_fields__})
            try:  # the scores as they are now (a trainer may have graded answers by hand since)
                fresh = _result_from_gradebook(lay, assignment, learner, {})
                fresh.stopped, fresh.seconds = r.stopped, r.seconds
                r = fresh
            except Exception:
                pass
            r.status = "skipped"
            results[learner] = r
        else:
            todo.append((learner, fp))

    n_workers = workers or min(4, max(1, os.cpu_count() or 1))
    n_workers = max(1, min(n_workers, len(todo) or 1))
    db_lock = threading.Lock()
    done_count = [len(results)]
    total = len(everyone)
    run_warning = None

    # nbgrader 0.9.6 sets NBGRADER_EXECUTION around each notebook and then always deletes it
    # (utils.setenv reads the old value under the wrong key); with several learners at once that
    # raises KeyError. Set it once for the whole run and make nbgrader's setenv leave it alone.
    import contextlib

    import nbgrader.utils as nb_utils

    previous_env = os.environ.get("NBGRADER_EXECUTION")
    original_setenv = nb_utils.setenv
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    nb_utils.setenv = lambda **kw: contextlib.nullcontext()
    try:
        if todo:
            run_warning = _run_pool(**locals())
    finally:
        nb_utils.setenv = original_setenv
        if previous_env is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = previous_env
    ordered = [results[x] for x in everyone]
    return AutogradeRun(
        assignment=assignment,
        results=ordered,
        seconds=round(time.monotonic() - t0, 2),
        mode=policy.mode or best_mode(),
        workers=n_workers,
        warning=run_warning,
    )


def _failure_message(err: Exception, log_text: str) -> str:
    if isinstance(err, SandboxError):
        return str(err)
    lines = [ln for ln in log_text.splitlines() if "[ERROR]" in ln or "Error" in ln or "error" in ln]
    detail = lines[0] if lines else f"{err.__class__.__name__}: {err}"
    if "NotJSONError" in log_text or "Notebook does not appear to be JSON" in log_text or "Unreadable" in log_text:
        return "the notebook file is damaged (not a readable notebook). Ask the learner to submit again."
    return f"{detail.strip()[:300]}. Run the command again; if it fails again, see the log above."


class _CallableModule(__import__("types").ModuleType):
    """``genlab.course.autograde(...)`` calls :func:`autograde` (the module stays importable as before)."""

    def __call__(self, *args, **kwargs):
        return autograde(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
