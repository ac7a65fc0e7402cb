"""Room mode: one model for a whole room, a password, batches, a fair share per person, a log.

The Batcher, the per-session limiter and the out-of-memory retry are tested on their own (fast,
no model); then the Studio runs in room mode in this process (batches of 4, one waiting request
per person, a workshop password), and `genlab demo studio --room` runs as trainers start it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import httpx
import pytest
import torch
from app_helpers import launch_app, wait_until
from gradio_client import Client
from gradio_client.exceptions import ValidationError

import genlab
from genlab.core import memory
from genlab.core.profiles import get_profile
from genlab.ui import demo as genlab_demo
from genlab.ui import pictures as studio_pictures
from genlab.ui import room
from genlab.ui.ports import any_free_local_port

PASSWORD = "tacos2024"
FAST = dict(steps=2, sampler="Euler")


# ---- the parts, without a model -----------------------------------------------------------------
def test_batcher_merges_waiting_jobs_with_the_same_key():
    calls = []
    busy, gate = threading.Event(), threading.Event()

    def run(key, items, on_step):
        calls.append((key, list(items)))
        on_step(1, 1)
        if key == "slow":
            busy.set()
            assert gate.wait(30)
        return [f"{key}:{item}" for item in items]

    b = room.Batcher(run, max_pictures=4, window_s=0.05)
    blocker = b.enqueue(room.Job("slow", ["x"]))  # keeps the worker busy while the others line up
    assert busy.wait(30)
    jobs = [b.enqueue(room.Job("a", [f"p{i}"])) for i in range(3)] + [b.enqueue(room.Job("b", ["q"])), b.enqueue(room.Job("a", ["p3", "p4"]))]
    assert b.waiting() == 5
    gate.set()
    results = [b.wait(job) for job in [blocker, *jobs]]
    assert results == [["slow:x"], ["a:p0"], ["a:p1"], ["a:p2"], ["b:q"], ["a:p3", "a:p4"]]
    assert [(k, len(items)) for k, items in calls] == [("slow", 1), ("a", 3), ("b", 1), ("a", 2)], (
        "jobs with the same key share a call up to 4 pictures; other keys wait for their own"
    )
    assert jobs[0].pictures_in_call == 3


def test_batcher_gives_each_job_its_own_error_and_lives_on():
    def run(key, items, on_step):
        if key == "bad":
            raise ValueError("no")
        return items

    b = room.Batcher(run, max_pictures=2)
    with pytest.raises(ValueError):
        b.submit(room.Job("bad", [1]))
    assert b.submit(room.Job("good", [2])) == [2]


def test_out_of_memory_is_retried_in_halves_in_order():
    kind = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    seen = []

    def run_chunk(chunk):
        seen.append(len(chunk))
        if len(chunk) > 2:
            raise kind("CUDA out of memory")
        return [x * 10 for x in chunk]

    assert memory.in_chunks([1, 2, 3, 4, 5], run_chunk) == [10, 20, 30, 40, 50]
    assert seen == [5, 2, 2, 1]
    with pytest.raises(memory.OutOfMemory):
        memory.in_chunks([1], lambda chunk: (_ for _ in ()).throw(RuntimeError("MPS backend out of memory")))
    with pytest.raises(KeyError):  # other errors are not retried
        memory.in_chunks([1, 2], lambda chunk: {}[0])


def test_session_limiter_counts_waiting_requests():
    limiter = room.SessionLimiter()
    assert limiter.try_join("ana", 2) == 1 and limiter.try_join("ana", 2) == 2
    assert limiter.try_join("ana", 2) is None, "a third waiting request is refused"
    assert limiter.try_join("beto", 2) == 1, "others are not affected"
    limiter.leave("ana")
    assert limiter.waiting("ana") == 1 and limiter.try_join("ana", 2) == 2
    assert limiter.try_join("carla", 0) == 1 and limiter.try_join("carla", 0) == 2, "0 = no limit"
    now = [1000.0]
    stale = room.SessionLimiter(ttl_s=600.0, clock=lambda: now[0])
    stale.try_join("dora", 1)
    now[0] += 599.0
    assert stale.try_join("dora", 1) is None, "still waiting within the time limit"
    now[0] += 2.0
    assert stale.try_join("dora", 1) == 1, "a request that never ran (tab closed) stops counting"


def test_room_batch_comes_from_the_profile_with_a_default():
    assert room.room_batch("tiny") == get_profile("tiny").room_batch == 16
    assert room.room_batch("tiny-video") == 1  # a video profile holds one clip per call
    values = room.room_settings(batch_size=6)
    assert values["room"] and values["batch_size"] == 6 and values["per_person"] == room.DEFAULT_PER_PERSON


# ---- the Studio in room mode ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def room_studio():
    settings = room.room_settings(batch_size=4, per_person=1)
    with launch_app("studio", room=settings, auth=("", PASSWORD)) as app:
        yield app


@pytest.fixture
def room_log(caplog):
    caplog.set_level(logging.INFO, logger="genlab.room")
    return caplog


class HeldModel:
    """The Studio's renderer behind a gate: the test sees when a model call starts (`started`) and
    says when calls may run (`go`), so requests can line up behind it without guessing at times."""

    def __init__(self, real):
        self.real = real
        self.started, self.go = threading.Event(), threading.Event()

    def __call__(self, key, items, on_step):
        self.started.set()
        assert self.go.wait(120), "the test never let the model run"
        return self.real(key, items, on_step)

    def batcher(self) -> room.Batcher:
        return room.batcher("studio", self)


@pytest.fixture
def held_model(monkeypatch):
    held = HeldModel(studio_pictures.render)
    monkeypatch.setattr(studio_pictures, "render", held)  # the Batcher the Studio uses now calls `held`
    yield held
    held.go.set()  # never leave a request hanging


def login(app, name="Lupita", **kwargs) -> Client:
    return Client(app.url, auth=(name, PASSWORD), verbose=False, **kwargs)


def test_the_room_needs_the_workshop_password(room_studio):
    assert httpx.get(room_studio.url + "config").status_code == 401
    with pytest.raises(Exception):
        Client(room_studio.url, auth=("Lupita", "wrong"), verbose=False)
    pictures, _, seed = login(room_studio, "Beto").predict(prompt="a red circle", seed=4, **FAST, api_name="/generate")
    assert seed == 4


def test_people_waiting_together_share_one_model_call(room_studio, room_log, held_model):
    # The room lets 4 requests in at once (batch_size=4): one in the model, three waiting together.
    people = [login(room_studio, f"person{i}") for i in range(4)]
    blocker = people[0].submit(prompt="a slow picture", seed=1, steps=3, sampler="Euler", api_name="/generate")
    assert held_model.started.wait(120), "the first request never reached the model"
    jobs = [c.submit(prompt=f"a red circle number {i}", seed=100 + i, **FAST, api_name="/generate") for i, c in enumerate(people[1:])]
    wait_until(lambda: held_model.batcher().waiting() == 3, what="three requests to line up behind the first")
    held_model.go.set()
    results = [job.result(timeout=300) for job in jobs]
    blocker.result(timeout=300)
    for i, (pictures, _, seed) in enumerate(results):
        recipe = genlab.read_recipe(pictures[0]["image"])
        assert (seed, recipe.seed, recipe.prompt) == (100 + i, 100 + i, f"a red circle number {i}"), "each person gets their own picture"
    lines = [r.getMessage() for r in room_log.records if "event=generate" in r.getMessage()]
    assert len(lines) == 4, lines
    batches = sorted(int(line.split("batch=")[1].split()[0]) for line in lines)
    assert batches == [1, 3, 3, 3], f"the three waiting requests were not made in one call: {lines}"
    assert all("app=studio" in line and "steps=" in line and "duration=" in line and "status=ok" in line for line in lines)
    assert not any("red circle" in line for line in lines), "prompts stay out of the log unless the trainer opts in"


def test_one_person_cannot_flood_the_queue(room_studio, room_log, held_model):
    ana = login(room_studio, "Ana")
    first = ana.submit(prompt="a blue square", seed=1, **FAST, api_name="/generate")
    assert held_model.started.wait(120), "her first request never reached the model"
    with pytest.raises(ValidationError, match="You already have 1 waiting"):
        ana.predict(prompt="another blue square", **FAST, api_name="/generate")
    es = login(room_studio, "Memo", headers={"Accept-Language": "es-MX"})
    other = es.submit(prompt="a green star", seed=2, **FAST, api_name="/generate")  # others are not refused
    held_model.go.set()
    pictures, _, _ = other.result(timeout=300)
    assert genlab.read_recipe(pictures[0]["image"]).prompt == "a green star"
    first.result(timeout=300)
    pictures, _, seed = ana.predict(prompt="another blue square", seed=3, **FAST, api_name="/generate")  # her turn again
    assert seed == 3


def test_the_limit_message_speaks_spanish(room_studio, held_model):
    memo = login(room_studio, "Memo", headers={"Accept-Language": "es-MX,es;q=0.9"})
    first = memo.submit(prompt="un cuadrado", seed=1, **FAST, api_name="/generate")
    assert held_model.started.wait(120), "the first request never reached the model"
    with pytest.raises(ValidationError, match="Ya tienes 1 en espera"):
        memo.predict(prompt="otro cuadrado", **FAST, api_name="/generate")
    held_model.go.set()
    first.result(timeout=300)


def test_prompts_are_logged_only_when_the_trainer_opts_in(room_studio, room_log):
    room.configure(log_prompts=True)
    try:
        login(room_studio, "Ana").predict(prompt="a purple heart", seed=8, **FAST, api_name="/generate")
    finally:
        room.configure(log_prompts=False)
    assert any("prompt='a purple heart'" in r.getMessage() for r in room_log.records)


def test_behind_jupyterhub_the_app_knows_its_prefix():
    prefix = "/user/ana/proxy/7860"
    with launch_app("studio", root_path=prefix) as app:
        config = httpx.get(app.url + "config", timeout=30).json()
        assert config["root"].endswith(prefix)


# ---- genlab demo --room, as trainers start it ------------------------------------------------------
def _wait_for(url: str, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_inside_jupyterhub_the_proxy_prefix_is_found(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ana/")
    assert genlab_demo.jupyterhub_root_path(7860) == "/user/ana/proxy/7860"
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX")
    assert genlab_demo.jupyterhub_root_path(7860) is None


def test_room_command_line_options_are_checked(capsys):
    assert genlab_demo.main(["studio", "--room", "--batch", "0"]) == 2
    assert "--batch must be 1 or more" in capsys.readouterr().err
    assert genlab_demo.random_password().startswith("taller-")


@pytest.mark.slow
def test_genlab_demo_room_prints_what_to_share_and_asks_for_the_password():
    port = any_free_local_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "genlab", "demo", "studio", "--room", "--host", "127.0.0.1", "--port", str(port),
         "--password", PASSWORD, "--batch", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        assert _wait_for(url + "config") == 401, "without the password the app must not open"
        client = Client(url, auth=("Lupita", PASSWORD), verbose=False)
        pictures, _, seed = client.predict(prompt="a red circle", seed=3, steps=2, api_name="/generate")
        assert seed == 3 and genlab.read_recipe(pictures[0]["image"]).steps == 2
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"Share this address with the room:  http://127.0.0.1:{port}/" in out
    assert f"Password: {PASSWORD}" in out and "2 pictures per model call" in out
    assert "app=studio event=generate" in out and "status=ok" in out, "one log line per request"
    assert "a red circle" not in out.split("Loading the model")[-1]
