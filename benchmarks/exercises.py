"""How long grading every exercise takes for one learner who hands in all of them.

For each assignment in exercises/source/ (in programme order), one learner submits the solution
notebook; it is autograded once with plain `nbgrader autograde` (a CLI start per assignment, as a
trainer would run it) and once with `genlab course autograde` (sandboxed, preloaded). Prints the
seconds per exercise, the score each run gave (they must agree: full marks), the totals and their
ratio. Runs in a temporary copy of the course; nothing in exercises/ changes.

    python benchmarks/exercises.py                 # all exercises
    python benchmarks/exercises.py 01_first_images 03_under_the_hood
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from genlab.course import nbgrader_ops
from genlab.course.grading.autograde import autograde
from genlab.course.testing import CourseCopy

LEARNER = "bench"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment in exercises/source/")
    args = parser.parse_args(argv)
    names = args.assignments or nbgrader_ops.source_assignments()
    rows = []
    with tempfile.TemporaryDirectory(prefix="genlab-bench-") as tmp:
        course = CourseCopy(tmp, names)
        os.environ.update(course.env)  # genlab's autograde runs in this process, on the copy
        for name in names:
            course.generate(name)
            solutions = {nb: course.source_notebook(name, nb) for nb in course.notebook_names(name)}
            course.submit(name, LEARNER, solutions)
            t0 = time.perf_counter()
            course.autograde(name, LEARNER)
            plain = time.perf_counter() - t0
            plain_score = course.scores(name, LEARNER)
            t0 = time.perf_counter()
            autograde(name, course.root, [LEARNER], force=True)
            ours = time.perf_counter() - t0
            ours_score = course.scores(name, LEARNER)
            rows.append((name, plain, ours, plain_score.auto_score, ours_score.auto_score, ours_score.auto_max))
            print(f"  {name:24s} nbgrader {plain:6.1f} s   genlab {ours:6.1f} s   "
                  f"score {plain_score.auto_score:g} / {ours_score.auto_score:g} of {ours_score.auto_max:g}", flush=True)
    total_plain = sum(r[1] for r in rows)
    total_ours = sum(r[2] for r in rows)
    agree = all(r[3] == r[4] == r[5] for r in rows)
    print(f"\n{len(rows)} exercises, one learner, solutions handed in "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  plain nbgrader autograde : {total_plain:7.1f} s in all")
    print(f"  genlab course autograde  : {total_ours:7.1f} s in all")
    print(f"  ratio                    : {total_plain / total_ours:7.2f}x")
    print(f"  full marks in both runs  : {'yes' if agree else 'NO - see the scores above'}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
