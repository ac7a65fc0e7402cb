"""Safe autograding of a whole cohort with the real nbgrader engine (genlab course autograde).

One cohort run is shared by every test here: 12 submissions of the light "probe" assignment
(tests/fixtures/submissions/probe.py) covering correct, wrong, blank, partial, tampered and deleted
test cells, an always-equal object, an infinite loop, a loop that ignores interrupts, os._exit, a
notebook that tries to read source/ and write gradebook.db, and one that tries the network.

The run is first started as `genlab course autograde` in a subprocess and killed with SIGKILL
midway, then run again in-process: the final grades must be what each submission deserves.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from genlab import settings
from genlab.course import nbgrader_ops
from genlab.course.grading.autograde import autograde, marker_path
from genlab.course.grading.feedback import feedback
from genlab.course.preprocessors import split_hidden
from genlab.course.sandbox import SandboxPolicy, best_mode, bwrap_argv, hidden_paths
from genlab.course.testing import CourseCopy

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "submissions"))
import probe  # noqa: E402

A = probe.ASSIGNMENT
CELL_TIMEOUT = 6
POLICY = SandboxPolicy(cell_timeout=CELL_TIMEOUT, notebook_timeout=120)


def _hash_folder(folder: Path) -> dict[str, str]:
    out = {}
    if folder.is_file():
        return {folder.name: hashlib.sha256(folder.read_bytes()).hexdigest()}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _snapshot(course: CourseCopy) -> dict:
    root = course.root
    return {
        "source": _hash_folder(root / "source"),
        "release": _hash_folder(root / "release"),
        "submitted": _hash_folder(root / "submitted"),
        "exchange": _hash_folder(course.base / "exchange"),
        "config": _hash_folder(root / "nbgrader_config.py"),
        "repo_course_source": _hash_folder(settings.COURSE_DIR / "source"),
        "course_top_level": sorted(p.name for p in root.iterdir() if p.name not in ("autograded", "feedback", ".genlab", "gradebook.db")),
    }


class _Listener:
    """A TCP server on the host's 127.0.0.1 that counts connections (there must be none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except (socket.timeout, OSError):
                pass

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


def _sandbox_processes(pid: int) -> list[str]:
    """Command lines of processes that belong to the sandbox of grader `pid`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"genlab-sandbox-{pid}-" in cmd:
            found.append(cmd)
    return found


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    base = tmp_path_factory.mktemp("cohort")
    course = CourseCopy(base, [])
    probe.write_source(course.root)
    listener = _Listener()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in course.env.items():
            mp.setenv(key, value)
        nbgrader_ops.release_and_generate(A, course.root)
        lay = nbgrader_ops.layout(course.root)
        release = course.release_notebook(A)
        ctx = {"course": str(course.root), "exchange": str(lay.exchange), "repo_course": str(settings.COURSE_DIR), "port": listener.port}
        for name in probe.LEARNERS:
            course.hand_in(A, name, probe.make_submission(name, release, ctx))
        collected = nbgrader_ops.collect_assignment(A, course.root)
        before = _snapshot(course)

        # 1. `genlab course autograde` in its own process, killed with SIGKILL midway
        t0 = time.monotonic()
        log = open(base / "killed-run.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "genlab.cli", "course", "autograde", A, "--course", str(course.root),
             "--timeout", str(CELL_TIMEOUT), "--notebook-timeout", "120", "--workers", "2"],
            env=course.env, stdout=log, stderr=subprocess.STDOUT,
        )
        done_before_kill: list[str] = []
        while time.monotonic() - t0 < 600 and proc.poll() is None:
            done_before_kill = [n for n in probe.LEARNERS if marker_path(lay, A, n).is_file()]
            if len(done_before_kill) >= 3:
                break
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
        killed_seconds = time.monotonic() - t0
        deadline = time.monotonic() + 15
        while _sandbox_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.3)
        leftovers = _sandbox_processes(proc.pid)
        done_before_kill = [n for n in probe.LEARNERS if marker_path(lay, A, n).is_file()]

        # 2. the same command again (in-process): finishes the others
        t1 = time.monotonic()
        run = autograde(A, course.root, policy=POLICY, workers=2)
        rerun_seconds = time.monotonic() - t1
        after = _snapshot(course)
        scores = {n: course.scores(A, n) for n in probe.LEARNERS}

        # 3. feedback pages, released to the exchange
        t2 = time.monotonic()
        fb = feedback(A, course.root)
        feedback_seconds = time.monotonic() - t2
        # 4. once more: nothing changed, so nothing runs again
        again = autograde(A, course.root, policy=POLICY, workers=2)
        yield {
            "course": course,
            "lay": lay,
            "proc": proc,
            "killed_log": (base / "killed-run.log").read_text(),
            "done_before_kill": done_before_kill,
            "leftovers": leftovers,
            "run": run,
            "again": again,
            "scores": scores,
            "before": before,
            "after": after,
            "listener": listener,
            "feedback": fb,
            "collected": collected,
            "timings": {"killed_run": killed_seconds, "rerun": rerun_seconds, "feedback": feedback_seconds},
        }
    listener.close()


def _cells(scores) -> dict:
    return {k: v for k, v in scores.cells.items()}


def _autograded_outputs(cohort, learner: str) -> str:
    nb = nbformat.read(cohort["course"].root / "autograded" / learner / A / f"{A}.ipynb", as_version=4)
    texts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            texts.append(o.get("text", "") + o.get("evalue", ""))
    return "\n".join(texts)


# ---- fast checks of the sandbox set-up ----------------------------------------------------------
def test_bwrap_command_hides_the_course_and_cuts_the_network(tmp_path):
    course = CourseCopy(tmp_path, ["01_first_images"])
    argv = bwrap_argv([tmp_path / "slot"], course.root)
    joined = " ".join(argv)
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--ro-bind / /"):
        assert flag in joined
    hidden = [argv[i + 1] for i, a in enumerate(argv) if a == "--tmpfs"]  # folders: an empty tmpfs
    hidden += [argv[i + 2] for i, a in enumerate(argv) if a == "--ro-bind" and argv[i + 1] == "/dev/null"]  # files
    assert str(settings.COURSE_DIR) in hidden  # the repo's own course (source/ with hidden tests)
    assert str(settings.REPO_ROOT / ".git") in hidden  # its history holds the same notebooks (a file in a git worktree)
    assert "/tmp" in hidden  # the temp copy of the course lives under /tmp: hidden with it
    assert course.root.resolve() in hidden_paths(course.root)
    # the sandbox's own folder is bound writable, after everything that hides
    slot = str((tmp_path / "slot").resolve())
    bind = argv.index("--bind")
    assert argv[bind + 1 : bind + 3] == [slot, slot]
    assert bind > max(i for i, a in enumerate(argv) if a == "--tmpfs")


def test_a_git_worktree_hides_the_history_its_git_file_points_to(tmp_path):
    from genlab.course.sandbox.policy import git_dirs

    history = tmp_path / "main" / ".git"
    (history / "worktrees" / "wt").mkdir(parents=True)
    (history / "worktrees" / "wt" / "commondir").write_text("../..\n")
    checkout = tmp_path / "wt"
    checkout.mkdir()
    (checkout / ".git").write_text(f"gitdir: {history / 'worktrees' / 'wt'}\n")
    assert git_dirs(checkout) == [checkout / ".git", (history / "worktrees" / "wt").resolve(), history.resolve()]
    assert git_dirs(tmp_path / "main") == [tmp_path / "main" / ".git"]


def test_split_hidden_removes_the_block_and_reports_its_lines():
    source = "assert a == 1, 'a'\n### BEGIN HIDDEN TESTS\nassert b == 2\n### END HIDDEN TESTS\nprint('ok')"
    visible, hidden, numbers = split_hidden(source)
    assert "assert b == 2" not in visible and "assert a == 1" in visible and "print('ok')" in visible
    assert hidden == ["assert b == 2"] and numbers == {2, 3, 4}


# ---- the cohort -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_sandbox_is_the_real_one_here(cohort):
    # CI installs bubblewrap (tools/install-system-packages.sh) and runs as root
    assert best_mode() in ("zygote", "bwrap"), "bubblewrap is missing: run bash tools/install-system-packages.sh"
    assert cohort["run"].warning is None


@pytest.mark.slow
@pytest.mark.parametrize("learner", probe.LEARNERS)
def test_each_submission_gets_the_grade_it_deserves(cohort, learner):
    got = _cells(cohort["scores"][learner])
    assert got == {k: float(v) for k, v in probe.EXPECTED[learner].items()}, _autograded_outputs(cohort, learner)[-3000:]


@pytest.mark.slow
def test_sigkill_midway_then_rerun_finishes_the_rest_with_the_same_grades(cohort):
    proc = cohort["proc"]
    assert proc.returncode == -signal.SIGKILL, cohort["killed_log"][-3000:]
    done = cohort["done_before_kill"]
    assert 3 <= len(done) < len(probe.LEARNERS), f"killed too late or too early: {done}"
    assert cohort["leftovers"] == [], "sandbox processes outlived the killed grader"
    by = cohort["run"].by_learner()
    for learner in probe.LEARNERS:
        expected_status = "skipped" if learner in done else "graded"
        assert by[learner].status == expected_status, (learner, by[learner])
        assert by[learner].auto_score == sum(probe.EXPECTED[learner].values())
    # and nothing runs a third time: same grades, all kept
    again = cohort["again"].by_learner()
    assert {n: r.status for n, r in again.items()} == {n: "skipped" for n in probe.LEARNERS}
    assert {n: r.auto_score for n, r in again.items()} == {n: by[n].auto_score for n in probe.LEARNERS}


@pytest.mark.slow
def test_collect_brought_in_every_hand_in(cohort):
    assert cohort["collected"] == sorted(probe.LEARNERS)


@pytest.mark.slow
def test_gradebook_is_consistent(cohort):
    from nbgrader.api import Gradebook

    lay = cohort["lay"]
    with Gradebook(f"sqlite:///{lay.gradebook}", lay.course_id) as gb:
        assert sorted(s.id for s in gb.students) == sorted(probe.LEARNERS)
        subs = gb.assignment_submissions(A)
        assert sorted(s.student.id for s in subs) == sorted(probe.LEARNERS)
        for sub in subs:
            for nb in sub.notebooks:
                for grade in nb.grades:
                    assert grade.auto_score is not None, (sub.student.id, grade.name)
                    assert grade.manual_score is None, (sub.student.id, grade.name)
                    assert not grade.needs_manual_grade, (sub.student.id, grade.name)
            assert sub.score == sum(probe.EXPECTED[sub.student.id].values())


@pytest.mark.slow
def test_nothing_outside_the_sandbox_changed(cohort):
    assert cohort["after"] == cohort["before"]
    assert not (cohort["course"].root / "pwned.txt").exists()
    assert cohort["listener"].connections == 0


@pytest.mark.slow
def test_snooping_and_network_were_blocked_inside(cohort):
    snoop = [ln for ln in _autograded_outputs(cohort, "snoop").splitlines() if ln.startswith("SNOOP ")]
    assert snoop, _autograded_outputs(cohort, "snoop")[-2000:]
    tried = json.loads(snoop[0][len("SNOOP "):])
    assert len(tried) == 11
    assert all(v.startswith("blocked") for v in tried.values()), tried
    net = [ln for ln in _autograded_outputs(cohort, "network").splitlines() if ln.startswith("NETWORK ")]
    tried = json.loads(net[0][len("NETWORK "):])
    assert all(v.startswith("blocked") for v in tried.values()), tried


@pytest.mark.slow
def test_stopped_notebooks_say_why(cohort):
    by = cohort["run"].by_learner() | cohort["again"].by_learner()
    assert "did not stop when interrupted" in (by["swallow_interrupt"].stopped or "")
    assert "Python" in (by["os_exit"].stopped or "")
    assert by["infinite_loop"].stopped is None  # interrupted, and the rest of the notebook ran
    assert "task2_check" in by["swallow_interrupt"].failed_checks
    line = by["swallow_interrupt"].line()
    assert line.startswith("swallow_interrupt: ") and "stopped early" in line


@pytest.mark.slow
def test_feedback_shows_failures_without_hidden_tests(cohort):
    root = cohort["course"].root
    assert sorted(cohort["feedback"]["generated"]) == sorted(probe.LEARNERS)
    pages = sorted((root / "feedback").rglob("*.html"))
    assert len(pages) == len(probe.LEARNERS)
    source = probe.source_notebook()
    hidden_lines = []
    for cell in source.cells:
        hidden_lines += [h.strip() for h in split_hidden(cell.source)[1]]
    assert hidden_lines and "HIDDEN-TEST-CANARY-5a1f" in " ".join(hidden_lines)
    import html as html_lib

    for page in pages:
        text = html_lib.unescape(page.read_text(encoding="utf-8"))
        assert "HIDDEN-TEST-CANARY" not in text, page
        assert "BEGIN HIDDEN TESTS" not in text, page
        for line in hidden_lines:
            assert line not in text, (page, line)
    wrong = html_lib.unescape((root / "feedback" / "wrong" / A / f"{A}.html").read_text(encoding="utf-8"))
    assert "area(2, 3) should be 6" in wrong  # why the visible check failed
    assert "Your results" in wrong and "not yet" in wrong
    equal = html_lib.unescape((root / "feedback" / "always_equal" / A / f"{A}.html").read_text(encoding="utf-8"))
    assert "extra checks your trainer runs" in equal  # a hidden check failed: said, not shown
    # released to the exchange, where learners fetch it
    assert sorted(cohort["feedback"]["released"]) == sorted(probe.LEARNERS)
    assert len(list((cohort["lay"].exchange / cohort["lay"].course_id / "feedback").rglob("*.html"))) == len(probe.LEARNERS)


@pytest.mark.slow
def test_timings_are_printed(cohort):
    t = cohort["timings"]
    print(f"\ncohort of {len(probe.LEARNERS)}: killed run {t['killed_run']:.1f} s, rerun {t['rerun']:.1f} s, feedback {t['feedback']:.1f} s")


def test_without_bubblewrap_grading_warns_loudly(tmp_path):
    from genlab.course.sandbox import Sandbox

    with pytest.warns(UserWarning, match="WITHOUT a sandbox"):
        with Sandbox(tmp_path, SandboxPolicy(mode="none")) as sb:
            assert "bash tools/install-system-packages.sh" in sb.warning
            slot = sb.new_slot(None)
            cmd = sb.command(slot)
            assert "bwrap" not in " ".join(cmd) and cmd[-3:-1] == ["-m", "genlab.course.sandbox.kernel"]
