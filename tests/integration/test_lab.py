"""`genlab lab` for real: a subprocess in a temporary copy of the course, with its own HOME and
Jupyter folders. JupyterLab must answer, nbgrader's Assignments endpoint must list the released
exercise, a learner must be able to fetch and submit it, and the server must stop cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from genlab import settings
from genlab.course import nbgrader_ops
from genlab.ui.ports import any_free_local_port

ASSIGNMENT = "01_first_images"
TOKEN = "genlab-test-token-0123456789"


def _request(url: str, method: str = "GET", data: dict | None = None, timeout: float = 60):
    body = urllib.parse.urlencode(data).encode() if data is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


def _copy_repo_layout(root: Path) -> None:
    """What `genlab lab` needs from a fresh clone: both nbgrader configs and the exercise."""
    (root / "exercises" / "source").mkdir(parents=True)
    shutil.copy2(settings.REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copy2(settings.COURSE_DIR / "nbgrader_config.py", root / "exercises" / "nbgrader_config.py")
    shutil.copytree(
        settings.COURSE_DIR / "source" / ASSIGNMENT,
        root / "exercises" / "source" / ASSIGNMENT,
        ignore=shutil.ignore_patterns("outputs", ".ipynb_checkpoints", "__pycache__"),
    )
    (root / "notebooks").mkdir()


@contextlib.contextmanager
def running_lab(base: Path, *extra_args: str):
    """`genlab lab` started as a trainer starts it, on a copy of the course in `base`, with its own
    HOME and Jupyter folders; yields once JupyterLab answers. Stopped (if still running) afterwards."""
    root = base / "genlab"
    _copy_repo_layout(root)
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "GENLAB_EXCHANGE", "GENLAB_ASSIGNMENT_DIR"))}
    env.pop("GENLAB_PROFILE", None)  # genlab lab must choose tiny by itself
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        PYTHONUNBUFFERED="1",
    )
    port = any_free_local_port()
    log_path = base / "lab.log"
    cmd = [sys.executable, "-m", "genlab", "lab", "--root", str(root), "--no-browser", "--port", str(port), "--token", TOKEN, *extra_args]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_answering(url, proc, log_path)
            yield {"url": url, "root": root, "proc": proc, "log_path": log_path, "env": env}
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _wait_until_answering(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"genlab lab exited with {proc.returncode}:\n{log_path.read_text()[-6000:]}")
        try:
            announced = "genlab lab is running" in log_path.read_text()  # printed once the port is open
            if announced and _request(f"{url}/api/status", timeout=5)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"JupyterLab did not answer within {timeout:g} s:\n{log_path.read_text()[-6000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One JupyterLab for the tests that look at it (none of them stops it)."""
    with running_lab(tmp_path_factory.mktemp("lab")) as info:
        yield info


def _assignments(lab) -> list[dict]:
    status, body = _request(f"{lab['url']}/assignments?course_id=genlab")
    assert status == 200
    answer = json.loads(body)
    assert answer["success"] is True, answer
    return [a for a in answer["value"] if a["course_id"] == "genlab" and a["assignment_id"] == ASSIGNMENT]


@pytest.mark.slow
def test_lab_page_answers(lab):
    status, body = _request(f"{lab['url']}/lab?token={TOKEN}")
    assert status == 200 and "JupyterLab" in body


@pytest.mark.slow
def test_course_was_generated_and_released(lab):
    course = lab["root"] / "exercises"
    assert (course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert (course / ".exchange" / "genlab" / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert (course / "gradebook.db").is_file()
    learner_config = lab["root"] / "my-assignments" / "nbgrader_config.py"
    assert str(course) in learner_config.read_text()
    log = lab["log_path"].read_text()
    assert "genlab lab is running" in log and f"/lab?token={TOKEN}" in log  # no notebooks/01 yet: /lab
    assert "genlab profile: tiny" in log


@pytest.mark.slow
def test_learner_sees_fetches_and_submits_the_exercise(lab):
    """One learner's path through the Assignments tab, in its order (released → fetched → submitted)."""
    released = [a for a in _assignments(lab) if a["status"] == "released"]
    assert len(released) == 1, _assignments(lab)
    status, _ = _request(
        f"{lab['url']}/assignments/fetch", "POST", {"course_id": "genlab", "assignment_id": ASSIGNMENT}
    )
    assert status == 200
    fetched = lab["root"] / "my-assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert fetched.is_file()
    entries = _assignments(lab)
    assert [a["status"] for a in entries if a["status"] == "fetched"] == ["fetched"], entries
    notebook = next(a for a in entries if a["status"] == "fetched")["notebooks"][0]
    assert notebook["path"] == f"my-assignments/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"  # relative to the lab root

    status, body = _request(
        f"{lab['url']}/assignments/submit", "POST", {"course_id": "genlab", "assignment_id": ASSIGNMENT}
    )
    assert status == 200 and json.loads(body)["success"] is True, body
    inbound = lab["root"] / "exercises" / ".exchange" / "genlab" / "inbound"
    submitted = [p.name for p in inbound.iterdir() if f"+{ASSIGNMENT}+" in p.name]
    assert len(submitted) == 1, submitted


@pytest.mark.slow
def test_second_setup_has_nothing_to_do_and_sees_changes(lab):
    course = lab["root"] / "exercises"
    assert nbgrader_ops.ensure_released(course, log=lambda m: None) == []
    lay = nbgrader_ops.layout(course)
    assert not nbgrader_ops.needs_generate(lay, ASSIGNMENT) and not nbgrader_ops.needs_release(lay, ASSIGNMENT)
    source = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    later = time.time() + 5
    os.utime(source, (later, later))  # the trainer edits the exercise
    assert nbgrader_ops.needs_generate(lay, ASSIGNMENT)


@pytest.mark.slow
def test_shutdown_is_clean(tmp_path):
    """Its own JupyterLab (no course to prepare), so stopping it leaves the other tests' server alone."""
    with running_lab(tmp_path, "--skip-course") as own:
        status, _ = _request(f"{own['url']}/api/shutdown", "POST")
        assert status == 200
        assert own["proc"].wait(timeout=60) == 0
    assert "genlab lab is running" in own["log_path"].read_text()


# ---- fast checks: no server -----------------------------------------------------------------------
def test_refuses_no_token_on_the_network(capsys):
    from genlab.ui.lab import main

    assert main(["--ip", "0.0.0.0", "--token", "", "--skip-course"]) == 2
    assert "token" in capsys.readouterr().err


def test_refuses_a_busy_port(capsys):
    from genlab.ui.lab import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port), "--skip-course", "--no-browser"]) == 2
    assert f"port {port} is busy" in capsys.readouterr().err


def test_refuses_a_missing_root(tmp_path, capsys):
    from genlab.ui.lab import main

    assert main(["--root", str(tmp_path / "nowhere"), "--skip-course"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_course_errors_say_what_to_do(tmp_path):
    with pytest.raises(nbgrader_ops.CourseError, match="No course found"):
        nbgrader_ops.layout(tmp_path)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.root = '/somewhere/else'\n")
    with pytest.raises(nbgrader_ops.CourseError, match="course_id"):
        nbgrader_ops.layout(tmp_path)
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'x'\nc.CourseDirectory.root = '/somewhere/else'\n"
    )
    with pytest.raises(nbgrader_ops.CourseError, match="__file__"):
        nbgrader_ops.layout(tmp_path)


def test_course_config_follows_its_folder_and_env(tmp_path, monkeypatch):
    """A copy of exercises/ is a course of its own; GENLAB_EXCHANGE moves the exchange."""
    shutil.copy2(settings.COURSE_DIR / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    monkeypatch.delenv("GENLAB_EXCHANGE", raising=False)
    monkeypatch.delenv("GENLAB_ASSIGNMENT_DIR", raising=False)
    lay = nbgrader_ops.layout(tmp_path)
    assert (lay.root, lay.course_id, lay.exchange) == (tmp_path.resolve(), "genlab", tmp_path.resolve() / ".exchange")
    assert lay.assignment_dir == tmp_path.resolve().parent / "my-assignments"
    assert "outputs" in lay.ignore
    monkeypatch.setenv("GENLAB_EXCHANGE", str(tmp_path / "shared-exchange"))
    assert nbgrader_ops.layout(tmp_path).exchange == (tmp_path / "shared-exchange").resolve()
