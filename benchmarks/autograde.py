"""How long grading a cohort takes: plain `nbgrader autograde` (one CLI call per learner, as
trainers run it) against `genlab course autograde` (one process, sandboxed kernels forked from a
preloaded zygote, a small pool), on the same synthetic cohort.

    python benchmarks/autograde.py                      # 30 learners, baseline on all 30
    python benchmarks/autograde.py --baseline-sample 8  # baseline on 8 of them (per-learner figure)

The exercise imports torch and genlab, loads the tiny pipeline and makes one picture; its hidden
check makes the same picture again and compares pixels (half the cohort uses the wrong seed).
Both runs must give the same scores; the script says so. Prints seconds per submission for each
and their ratio. Runs in a temporary copy of the course; nothing in exercises/ changes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

A = "bench_tiny"


def _meta(grade_id, **kw):
    m = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": False}
    m.update(kw)
    return {"nbgrader": m}


def source_notebook():
    cells = [
        new_markdown_cell("# Benchmark: one tiny picture", metadata=_meta("intro", locked=True)),
        new_code_cell(
            "import torch\nimport genlab\n\npipe = genlab.load_pipeline()  # the tiny model\nPROMPT = 'a red circle on a blue background'",
            metadata=_meta("setup", locked=True),
        ),
        new_code_cell(
            "### BEGIN SOLUTION\npicture = genlab.generate(PROMPT, seed=7, steps=8).image\n### END SOLUTION",
            metadata=_meta("answer", solution=True),
        ),
        new_code_cell(
            "assert picture.size[0] > 0, 'make a picture'\n"
            "### BEGIN HIDDEN TESTS\n"
            "expected = genlab.generate(PROMPT, seed=7, steps=8).image\n"
            "assert picture.convert('RGB').tobytes() == expected.convert('RGB').tobytes()\n"
            "### END HIDDEN TESTS",
            metadata=_meta("check", grade=True, locked=True, points=2),
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--learners", type=int, default=30)
    p.add_argument("--baseline-sample", type=int, help="run plain nbgrader on only this many learners (default: all)")
    p.add_argument("--workers", type=int, default=None, help="genlab's pool size (default: CPU cores, at most 4)")
    args = p.parse_args(argv)

    from genlab.course import nbgrader_ops
    from genlab.course.testing import CourseCopy

    base = Path(tempfile.mkdtemp(prefix="genlab-bench-autograde-"))
    course = CourseCopy(base, [])
    folder = course.root / "source" / A
    folder.mkdir(parents=True)
    nbformat.write(source_notebook(), folder / f"{A}.ipynb")
    os.environ.update(course.env)
    print(f"Course copy: {course.root}  (cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f})")
    nbgrader_ops.release_and_generate(A, course.root)
    release = course.release_notebook(A)
    learners = [f"learner{i:02d}" for i in range(1, args.learners + 1)]
    for i, name in enumerate(learners):
        nb = nbformat.from_dict(release)
        seed = 7 if i % 2 == 0 else 8  # half right, half wrong
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer":
                cell.source = f"picture = genlab.generate(PROMPT, seed={seed}, steps=8).image"
        course.submit(A, name, nb)

    sample = learners[: args.baseline_sample] if args.baseline_sample else learners
    print(f"\n1) plain nbgrader: `nbgrader autograde {A} --student X --force`, one call per learner ({len(sample)} learners) ...", flush=True)
    t0 = time.monotonic()
    for name in sample:
        course.nbgrader("autograde", A, "--student", name, "--force")
    baseline = time.monotonic() - t0
    baseline_scores = {n: course.scores(A, n).auto_score for n in sample}
    per_base = baseline / len(sample)
    print(f"   {baseline:.1f} s for {len(sample)}: {per_base:.2f} s per submission", flush=True)

    print(f"\n2) genlab course autograde {A} --force (one process, sandboxed, {len(learners)} learners) ...", flush=True)
    cmd = [sys.executable, "-m", "genlab.cli", "course", "autograde", A, "--course", str(course.root), "--force"]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    t1 = time.monotonic()
    proc = subprocess.run(cmd, env=course.env, capture_output=True, text=True)
    ours = time.monotonic() - t1
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        return 1
    per_ours = ours / len(learners)
    print(f"   {ours:.1f} s for {len(learners)}: {per_ours:.2f} s per submission", flush=True)
    ours_scores = {n: course.scores(A, n).auto_score for n in learners}
    same = all(ours_scores[n] == baseline_scores[n] for n in sample)
    right = sum(1 for n in learners if ours_scores[n] == 2.0)

    print("\nseconds per submission")
    print(f"  plain nbgrader autograde (CLI per learner): {per_base:7.2f}   ({len(learners)} learners ≈ {per_base * len(learners) / 60:.1f} min)")
    print(f"  genlab course autograde (sandboxed, pool):  {per_ours:7.2f}   ({len(learners)} learners = {ours / 60:.1f} min)")
    print(f"  ratio: genlab is {per_base / per_ours:.1f}x faster")
    print(f"  same scores from both: {'yes' if same else 'NO'}; full marks: {right}/{len(learners)} (expected {(len(learners) + 1) // 2})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
