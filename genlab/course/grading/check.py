""""Check my work": run a notebook's visible checks in a separate Python and say what to fix.

In a notebook cell::

    import genlab
    genlab.check()          # checks the saved version of this notebook

or in a terminal: ``genlab course check my-assignments/01_first_images/01_first_images.ipynb``.

The notebook runs from the top in a *new* kernel started by a separate process, so neither the
learner's kernel state nor the Jupyter server is involved (nbgrader's Validate button runs inside
the server and freezes it for everyone meanwhile, jupyter/nbgrader#1232). The learner's kernel
waits for the answer; JupyterLab stays responsive. Only the checks in the learner's own copy run;
the trainer's hidden checks are not in it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from genlab import settings
from genlab.core.i18n import current_language, t
from genlab.core.translations import notebook_language

CHECKING_ENV = "GENLAB_CHECKING"
_SELF_CALL = re.compile(r"(genlab\.check|course\.check|check_my_work)\s*\(")


@dataclass
class CheckItem:
    name: str
    points: float
    passed: bool
    why: str = ""


@dataclass
class CheckResult:
    notebook: str
    checks: list[CheckItem] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    stopped: str = ""
    seconds: float = 0.0
    lang: str = "en"  # the notebook's language: the messages are in it too

    @property
    def passed(self) -> bool:
        return not self.stopped and all(c.passed for c in self.checks)

    def text(self) -> str:
        lang = self.lang

        def tr(key, **values):
            return t(f"check.{key}", lang, **values)

        lines = [tr("header", notebook=Path(self.notebook).name, seconds=f"{self.seconds:.0f}")]
        if self.stopped:
            lines.append("  " + tr("stopped_early", why=self.stopped))
        for c in self.checks:
            mark = tr("mark_ok") if c.passed else tr("mark_fix")
            detail = tr("looks_right") if c.passed else (c.why or tr("did_not_pass"))
            lines.append(f"  [{mark}] {c.name} ({tr('points', points=f'{c.points:g}')}): {detail}")
        if self.unanswered:
            lines.append("  " + tr("not_answered", tasks=", ".join(self.unanswered)))
        ok = sum(c.passed for c in self.checks)
        if not self.checks:
            lines.append(tr("no_checks"))
        elif self.passed:
            lines.append(tr("all_pass", ok=ok))
        else:
            lines.append(tr("some_fail", ok=ok, total=len(self.checks), fix=tr("mark_fix")))
        return "\n".join(lines)



def _current_notebook() -> str | None:
    """The notebook this kernel belongs to, as JupyterLab tells its kernels."""
    for key in ("JPY_SESSION_NAME",):
        value = os.environ.get(key)
        if value and value.endswith(".ipynb") and Path(value).is_file():
            return value
    try:
        from IPython import get_ipython

        ip = get_ipython()
        session = ip.user_ns.get("__session__") if ip is not None else None
        if session and str(session).endswith(".ipynb") and Path(session).is_file():
            return str(session)
    except Exception:
        pass
    return None


def run_checks(notebook: str | os.PathLike, *, cell_timeout: int = 180, kernel_name: str = "python3") -> CheckResult:
    """Run `notebook` in a fresh kernel (this process starts it) and collect the checks' results."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    t0 = time.monotonic()
    path = Path(notebook).resolve()
    nb = nbformat.read(path, as_version=4)
    lang = notebook_language(nb, default=current_language())
    for cell in nb.cells:  # never run the check call itself again
        if cell.cell_type == "code" and _SELF_CALL.search(cell.source):
            cell.source = "# (the check cell is skipped while checking)"
    os.environ[CHECKING_ENV] = "1"
    client = NotebookClient(
        nb, timeout=cell_timeout, kernel_name=kernel_name, allow_errors=True, interrupt_on_timeout=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    result = CheckResult(notebook=str(path), lang=lang)
    try:
        # the kernel answers in the notebook's language: the checks' own messages (`_()`) too
        client.execute(env={**os.environ, settings.LANGUAGE_VARIABLE: lang})
    except CellTimeoutError:
        result.stopped = t("check.stopped_timeout", lang, seconds=cell_timeout)
    except DeadKernelError:
        result.stopped = t("check.stopped_dead", lang)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta:
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if meta.get("solution") and errors and errors[0].get("ename") == "NotImplementedError":
            result.unanswered.append(meta.get("grade_id", "?"))
        if meta.get("grade") and not meta.get("solution"):
            why = ""
            ran = cell.get("execution_count") is not None
            if errors:
                e = errors[0]
                why = (e.get("evalue") or "").strip() or t("check.check_failed", lang, error=e.get("ename"))
                if e.get("ename") == "NameError":
                    why += " " + t("check.run_answer_first", lang)
            elif not ran:
                why = t("check.did_not_run", lang)
            result.checks.append(CheckItem(meta.get("grade_id", "?"), float(meta.get("points", 0) or 0), not why, why))
    result.seconds = time.monotonic() - t0
    return result


def check(notebook: str | os.PathLike | None = None, *, timeout: int = 900, cell_timeout: int = 180, quiet: bool = False) -> CheckResult | None:
    """Check `notebook` (default: the notebook this cell is in) in a separate process; print what to fix."""
    if settings.flag(CHECKING_ENV):
        return None  # we are the notebook being checked
    notebook = notebook or _current_notebook()
    if not notebook:
        raise FileNotFoundError(t("check.which_notebook", current_language()))
    cmd = [sys.executable, "-m", "genlab.course.grading.check", str(notebook), "--json", "--cell-timeout", str(cell_timeout)]
    env = dict(os.environ)
    env.pop("JPY_SESSION_NAME", None)
    env.setdefault("OMP_NUM_THREADS", "1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        print(t("check.took_too_long", current_language(), seconds=timeout))
        return None
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(t("check.could_not_run", current_language()) + "\n" + (proc.stderr[-2000:] or proc.stdout[-2000:]))
        return None
    result = CheckResult(
        notebook=data["notebook"],
        checks=[CheckItem(**c) for c in data["checks"]],
        unanswered=data["unanswered"],
        stopped=data["stopped"],
        seconds=data["seconds"],
        lang=data.get("lang", "en"),
    )
    if not quiet:
        print(result.text())
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="genlab course check", description="Run a notebook's visible checks in a fresh Python and say what to fix.")
    p.add_argument("notebook")
    p.add_argument("--cell-timeout", type=int, default=180)
    p.add_argument("--json", action="store_true", help="machine-readable result (one line)")
    args = p.parse_args(argv)
    if not Path(args.notebook).is_file():
        print(f"There is no notebook at {args.notebook}.", file=sys.stderr)
        return 2
    result = run_checks(args.notebook, cell_timeout=args.cell_timeout)
    if args.json:
        from dataclasses import asdict

        print(json.dumps(asdict(result)))
    else:
        print(result.text())
    return 0 if result.passed else 1


class _CallableModule(__import__("types").ModuleType):
    """``genlab.course.check(...)`` calls :func:`check` (the module stays importable as before)."""

    def __call__(self, *args, **kwargs):
        return check(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule


if __name__ == "__main__":
    sys.exit(main())
