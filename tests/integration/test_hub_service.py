"""The shared generation service (genlab/hub/service.py) and the kernel's client (genlab/core/remote.py).

Learners' kernels are separate Python processes (tests/fixtures/hub_kernel.py) that call
`genlab.generate` with GENLAB_SERVICE_URL set, as a learner's server on the hub has it.
"""

import base64
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from genlab.hub import service as svc
from genlab.ports import any_free_local_port

REPO = Path(__file__).resolve().parents[2]
KERNEL = REPO / "tests" / "fixtures" / "hub_kernel.py"
PY = sys.executable


# ---- helpers ---------------------------------------------------------------------------------------
def base_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENLAB_SERVICE", "JUPYTERHUB_"))}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", TQDM_DISABLE="1", GENLAB_PROFILE="tiny")
    env.update(extra)
    return env


def start_service(port: int, *args: str, env: dict | None = None, log=None) -> subprocess.Popen:
    return subprocess.Popen(
        [PY, "-m", "genlab.hub.service", "--port", str(port), *args],
        env=env or base_env(), stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=REPO,
    )


def wait_healthy(url: str, proc: subprocess.Popen | None = None, seconds: float = 120) -> dict:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "health", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"no service at {url}")


def health(url: str) -> dict:
    with urllib.request.urlopen(url + "health", timeout=5) as r:
        return json.loads(r.read())


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def kernel(url: str, out: Path, *args: str, token: str = "", lang: str = "", **popen) -> subprocess.Popen:
    env = base_env(GENLAB_SERVICE_URL=url)
    if token:
        env["JUPYTERHUB_API_TOKEN"] = token
    if lang:
        env["GENLAB_LANG"] = lang
    return subprocess.Popen([PY, str(KERNEL), str(out), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, **popen)


def finish(proc: subprocess.Popen, timeout: float = 180) -> dict:
    out, err = proc.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"the kernel printed no report; stderr:\n{err[-3000:]}"
    return json.loads(lines[-1])


def post(url: str, path: str, body, token: str = "", lang: str = "en") -> tuple[int, list[dict]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method="POST",
                                 headers={"Content-Type": "application/json", "Accept-Language": lang,
                                          **({"Authorization": f"token {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, [json.loads(line) for line in r.read().splitlines() if line.strip()]
    except urllib.error.HTTPError as err:
        return err.code, [json.loads(err.read())]


def pictures_request(**key) -> dict:
    k = dict(profile="tiny", task="txt2img", steps=2, guidance=7.0, width=128, height=128, sampler=None, strength=None)
    k.update(key)
    return {"key": k, "items": [{"prompt": "a red circle on a blue background", "seed": 1}]}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """One shared service on loopback (no hub: --no-auth), the tiny model, batches of 4."""
    port = any_free_local_port()
    log = open(tmp_path_factory.mktemp("svc") / "service.log", "w")
    proc = start_service(port, "--no-auth", "--profiles", "tiny", "--batch", "4", "--per-person", "2", log=log)
    url = f"http://127.0.0.1:{port}/services/genlab-generate/"
    try:
        wait_healthy(url, proc)
        yield url, proc
    finally:
        stop(proc)
        log.close()


# ---- the interface genlab hub calls (fast) ---------------------------------------------------------
def test_hub_service_entry_gives_service_roles_and_learner_environment():
    from traitlets.config import Config

    e = svc.hub_service_entry(port=9999, python="/opt/genlab-env/bin/python", profiles=["sd15"],
                              video_profiles=["animatediff"], batch=8, language="es")
    s = e.service
    assert s["name"] == "genlab-generate" and s["url"] == "http://127.0.0.1:9999" and s["oauth_no_confirm"] is True
    assert s["command"][:3] == ["/opt/genlab-env/bin/python", "-m", "genlab.hub.service"]
    assert ["--profiles", "sd15"] == s["command"][s["command"].index("--profiles"):][:2]
    assert "--no-auth" not in s["command"]  # under the hub every request needs a hub token
    scope = "access:services!service=genlab-generate"
    roles = {r["name"]: r for r in e.roles}
    assert scope in roles["server"]["scopes"] and "access:servers!server" in roles["server"]["scopes"]
    assert scope in roles["user"]["scopes"] and "self" in roles["user"]["scopes"]
    assert e.environment == {"GENLAB_SERVICE_URL": "http://127.0.0.1:9999/services/genlab-generate/", "GENLAB_DEFAULT_LANG": "es"}

    c = Config()
    c.JupyterHub.services = [{"name": "idle-culler"}]
    e.apply(c)
    assert [x["name"] for x in c.JupyterHub.services] == ["idle-culler", "genlab-generate"]

    class Hub:  # what genlab hub's settings object looks like to the hooks
        extra = {"generation_service": {"port": 8799, "profiles": "tiny", "language": "es"}}
        env_dir = Path("/nonexistent")

    assert svc.services(Hub())[0]["url"] == "http://127.0.0.1:8799"
    assert svc.service_environment(Hub())["GENLAB_SERVICE_URL"].endswith(":8799/services/genlab-generate/")
    Hub.extra = {"generation_service": {"enabled": False}}
    assert svc.services(Hub()) == [] and svc.service_roles(Hub()) == [] and svc.service_environment(Hub()) == {}
    Hub.extra = {"generation_service": {"prot": 1}}
    with pytest.raises(ValueError, match="unknown key"):
        svc.services(Hub())


def test_no_auth_only_on_loopback():
    out = subprocess.run([PY, "-m", "genlab.hub.service", "--host", "0.0.0.0", "--no-auth", "--no-warm"],
                         env=base_env(), capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.returncode == 2 and "loopback" in out.stderr
    out = subprocess.run([PY, "-m", "genlab.hub.service", "--no-warm"], env=base_env(), capture_output=True, text=True,
                         timeout=60, cwd=REPO)
    assert out.returncode == 2 and "JUPYTERHUB_API_TOKEN" in out.stderr


def test_service_down_is_a_clear_message_at_once_in_the_learners_language(monkeypatch):
    from genlab.core import remote
    from genlab.render import BatchKey, PictureItem

    monkeypatch.setenv("GENLAB_SERVICE_URL", f"http://127.0.0.1:{any_free_local_port()}/")
    key, items = BatchKey("tiny", "txt2img", 2, 7.0, 128, 128, None), [PictureItem("a cat", None, 1)]
    for lang, words in (("es", "no responde"), ("en", "is not answering")):
        monkeypatch.setenv("GENLAB_LANG", lang)
        started = time.monotonic()
        with pytest.raises(remote.ServiceError, match=words) as info:
            remote.render(key, items)
        assert time.monotonic() - started < 3
        assert info.value.key == "errors.service_down" and isinstance(info.value, ValueError)
    monkeypatch.setenv("GENLAB_LANG", "")
    monkeypatch.setenv("LANG", "es_MX.UTF-8")
    assert remote.language() == "es"


def test_kernel_uses_the_service_only_when_the_hub_says_so(monkeypatch):
    from genlab import pipelines
    from genlab.core import remote

    monkeypatch.delenv("GENLAB_SERVICE_URL", raising=False)
    assert not remote.wanted()
    monkeypatch.setenv("GENLAB_SERVICE_URL", "http://127.0.0.1:1/")
    monkeypatch.setattr(pipelines, "_cache", {})
    assert remote.wanted() and remote.wanted("tiny") and remote.wanted("tiny-video", video=True)
    assert not remote.wanted(device="cpu")  # an explicit device is a local call
    monkeypatch.setattr(pipelines, "_cache", {("tiny", "txt2img", "cpu"): object()})
    assert not remote.wanted("tiny")  # a lesson holds the model here (LoRA, internals): keep using it


# ---- through a running service -----------------------------------------------------------------------
@pytest.mark.slow
def test_kernel_generates_through_the_service_same_pixels_and_recipe(service, tmp_path):
    import genlab
    from genlab import editing

    url, _ = service
    report = finish(kernel(url, tmp_path / "k.npz", "--task", "all", "--seed", "42", "--n", "2", "--steps", "8"))
    print("kernel:", report)
    assert report["ok"], report
    assert not report["torch"] and not report["diffusers"], "the kernel loaded torch/diffusers"
    got = np.load(tmp_path / "k.npz")
    recipes = json.loads((tmp_path / "k.npz.json").read_text())
    assert len(got.files) == 6

    source = editing.picture_of("a red circle on a blue background")
    mask = editing.box_mask(source, (0.25, 0.25, 0.75, 0.75))
    local = {
        "txt2img": genlab.generate("a red circle on a blue background", seed=42, n=2, steps=8, device="cpu"),
        "img2img": genlab.generate("a red circle on a blue background", seed=42, n=2, steps=8, image=source, strength=0.7, device="cpu"),
        "inpaint": genlab.generate("a red circle on a blue background", seed=42, n=2, steps=8, image=source,
                                   mask_image=mask, strength=0.7, device="cpu"),
    }
    for task, made in local.items():
        for i in range(2):
            assert np.array_equal(got[f"{task}-{i}"], np.asarray(made.images[i])), f"{task} {i}: other pixels"
            assert recipes[f"{task}-{i}"] == made.recipes[i].to_json(), f"{task} {i}: another recipe"
    assert json.loads(recipes["txt2img-1"])["seed"] == 43


@pytest.mark.slow
def test_five_kernels_share_one_model(service, tmp_path):
    url, proc = service
    before = health(url)
    kernels = [kernel(url, tmp_path / f"k{i}.npz", "--seed", str(100 + i), "--hold", "4", token=f"learner-{i}")
               for i in range(5)]
    reports = []
    for k in kernels:  # each prints its report when its picture came, then holds on 4 s
        line = k.stdout.readline()
        reports.append(json.loads(line))
    service_rss = svc.rss_bytes(proc.pid) / 2**20
    after = health(url)
    for k in kernels:
        k.wait(30)
    kernel_rss = [r["rss_mb"] for r in reports]
    print(f"\nservice RSS {service_rss:.0f} MB (one tiny model; {before['rss_mb']:.0f} MB before the five kernels)")
    print("kernels RSS MB:", kernel_rss, f"(sum {sum(kernel_rss):.0f} MB); torch in a kernel:", [r["torch"] for r in reports])
    print("pipelines in the service:", after["loaded"])
    assert all(r["ok"] for r in reports), reports
    assert not any(r["torch"] or r["diffusers"] for r in reports)
    assert [x for x in after["loaded"] if x.startswith("tiny/txt2img")] == ["tiny/txt2img/cpu"]  # held once
    assert max(kernel_rss) < 0.5 * service_rss
    assert service_rss < before["rss_mb"] + 150  # the service did not load a model per kernel


@pytest.mark.slow
def test_bad_input_gets_a_clear_answer_and_the_service_stays_up(service):
    url, _ = service
    status, [body] = post(url, "api/pictures", b"{not json")
    assert status == 400 and body["error"]["key"] == "errors.service_bad_request"
    status, [body] = post(url, "api/pictures", pictures_request(profile="sdxl"), lang="es")
    assert status == 404 and "no ofrece el modelo 'sdxl'" in body["error"]["message"]
    status, [body] = post(url, "api/pictures", pictures_request(width=4096, height=4096))
    assert status == 400 and "4096" in body["error"]["message"]
    status, [body] = post(url, "api/pictures", pictures_request(steps=10_000))
    assert status == 400 and "steps" in body["error"]["message"]
    many = pictures_request()
    many["items"] = many["items"] * 17
    status, [body] = post(url, "api/pictures", many)
    assert status == 413 and body["error"]["key"] == "errors.service_too_many"
    broken = pictures_request(task="img2img", strength=0.5)
    broken["items"][0]["image"] = base64.b64encode(b"not a png").decode()
    status, [body] = post(url, "api/pictures", broken)
    assert status == 400 and "not a picture" in body["error"]["message"]
    status, [body] = post(url, "api/pictures", b"x" * (33 * 1024 * 1024))
    assert status == 413 and body["error"]["key"] == "errors.service_too_big"
    status, [body] = post(url, "api/clip", {"request": {"profile": "tiny-video", "prompt": "x"}})
    assert status == 404  # this service serves no video profile
    # still serving
    status, events = post(url, "api/pictures", pictures_request())
    assert status == 200 and events[-1]["event"] == "done" and len(events[-1]["pictures"]) == 1
    assert health(url)["ok"]


@pytest.mark.slow
def test_per_person_cap(service):
    url, _ = service
    slow = pictures_request(steps=40)
    slow["items"] = slow["items"] * 4
    results = []
    threads = [threading.Thread(target=lambda: results.append(post(url, "api/pictures", slow, token="same-person")))
               for _ in range(3)]
    for th in threads:
        th.start()
        time.sleep(0.3)
    for th in threads:
        th.join(120)
    codes = sorted(code for code, _ in results)
    assert codes == [200, 200, 429], codes
    refused = next(events for code, events in results if code == 429)[0]
    assert refused["error"]["key"] == "errors.too_many_waiting"


@pytest.mark.slow
def test_a_kernel_killed_mid_generation_does_not_break_the_service(service, tmp_path):
    url, _ = service
    victim = kernel(url, tmp_path / "victim.npz", "--steps", "60", "--n", "4", token="culled-learner")
    end = time.monotonic() + 60
    while health(url)["waiting"] == 0 and time.monotonic() < end:  # its request is in the queue
        time.sleep(0.1)
    assert health(url)["waiting"] >= 1
    victim.send_signal(signal.SIGKILL)  # the culler stops the server: the kernel goes at once
    victim.wait(10)
    other = finish(kernel(url, tmp_path / "other.npz", "--seed", "5"))
    assert other["ok"], other
    end = time.monotonic() + 60
    while health(url)["waiting"] and time.monotonic() < end:  # the orphan's pictures were made and dropped
        time.sleep(0.2)
    assert health(url)["waiting"] == 0
    # and the culled learner, back with a new kernel, is not over their cap
    again = finish(kernel(url, tmp_path / "again.npz", "--seed", "6", token="culled-learner"))
    assert again["ok"], again


@pytest.mark.slow
def test_a_culled_learners_request_still_in_line_is_withdrawn_not_run(service, tmp_path):
    """The culler stops a learner's server while their request waits behind someone else's: the
    request leaves the line (it never takes the model from the others) and the others go on."""
    url, _ = service
    before = health(url)
    blocker = kernel(url, tmp_path / "blocker.npz", "--steps", "80", "--n", "4", "--seed", "1", token="busy-learner")
    end = time.monotonic() + 60
    while not (health(url)["waiting"] == 1 and health(url)["queued"] == 0) and time.monotonic() < end:
        time.sleep(0.1)  # the blocker's pictures are being made
    # another number of steps: another batch key, so it cannot join the blocker's call
    victim = kernel(url, tmp_path / "victim.npz", "--steps", "30", "--n", "2", "--seed", "2", token="culled-learner")
    end = time.monotonic() + 60
    while health(url)["queued"] == 0 and time.monotonic() < end:
        time.sleep(0.1)
    assert health(url)["queued"] == 1 and blocker.poll() is None
    victim.send_signal(signal.SIGKILL)  # the culler stops the server: the kernel goes at once
    victim.wait(10)
    end = time.monotonic() + 10
    while health(url)["withdrawn"] == before["withdrawn"] and time.monotonic() < end:
        time.sleep(0.2)
    now = health(url)
    assert now["withdrawn"] == before["withdrawn"] + 1 and now["queued"] == 0
    assert blocker.poll() is None, "the withdrawal happened while the other learner's call still ran"
    assert finish(blocker)["ok"]
    assert health(url)["served"] == before["served"] + 4  # the blocker's pictures only, not the victim's


@pytest.mark.slow
def test_service_restarted_while_kernels_wait(tmp_path):
    """Decided: a kernel whose connection drops waits for the service (GENLAB_SERVICE_RETRY) and sends
    the same request again: same seed, same picture. Not back in time: a clear message."""
    port = any_free_local_port()
    url = f"http://127.0.0.1:{port}/"
    first = start_service(port, "--no-auth", "--batch", "4")
    second = None
    try:
        wait_healthy(url, first)
        waiting = [kernel(url, tmp_path / f"w{i}.npz", "--steps", "60", "--n", "2", "--seed", str(10 + i),
                          token=f"l{i}") for i in range(2)]
        end = time.monotonic() + 60
        while health(url)["waiting"] < 2 and time.monotonic() < end:
            time.sleep(0.1)
        first.send_signal(signal.SIGKILL)  # the worst restart: no goodbye
        first.wait(10)
        second = start_service(port, "--no-auth", "--batch", "4")
        reports = [finish(k) for k in waiting]
        print("after the restart:", reports)
        assert all(r["ok"] for r in reports), reports
        # the same pictures as a request that never saw a restart
        check = finish(kernel(url, tmp_path / "check.npz", "--steps", "60", "--n", "2", "--seed", "10"))
        assert check["ok"]
        assert np.array_equal(np.load(tmp_path / "w0.npz")["txt2img-0"], np.load(tmp_path / "check.npz")["txt2img-0"])

        # not back in time: a message, not a hang
        env_retry = base_env(GENLAB_SERVICE_URL=url, GENLAB_SERVICE_RETRY="3", GENLAB_LANG="es")
        late = subprocess.Popen([PY, str(KERNEL), str(tmp_path / "late.npz"), "--steps", "60", "--n", "4"], env=env_retry,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        end = time.monotonic() + 60
        while health(url)["waiting"] < 1 and time.monotonic() < end:
            time.sleep(0.1)
        second.send_signal(signal.SIGKILL)
        second.wait(10)
        report = finish(late, timeout=60)
        assert not report["ok"] and report["error_type"] == "ServiceError"
        assert "se reinició" in report["error"] and report["seconds"] < 30
    finally:
        stop(first)
        if second is not None:
            stop(second)


# ---- the hub's own tokens ---------------------------------------------------------------------------
class FakeHub(BaseHTTPRequestHandler):
    """JupyterHub's /hub/api/user as HubAuth asks it: who owns the token in the Authorization header."""

    users = {
        "ana-server-token": {"kind": "user", "name": "ana", "scopes": ["access:services!service=genlab-generate",
                                                                      "users:activity!user=ana"]},
        "no-scope-token": {"kind": "user", "name": "beto", "scopes": ["users:activity!user=beto"]},
    }

    def do_GET(self):
        token = self.headers.get("Authorization", "").partition(" ")[2]
        model = self.users.get(token) if self.path.startswith("/hub/api/user") else None
        self.send_response(200 if model else 403)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(model or {"status": 403, "message": "no"}).encode())

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_requests_need_a_hub_token_with_the_service_scope(tmp_path):
    hub = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    port = any_free_local_port()
    env = base_env(JUPYTERHUB_API_URL=f"http://127.0.0.1:{hub.server_port}/hub/api", JUPYTERHUB_API_TOKEN="service-token",
                   JUPYTERHUB_SERVICE_NAME="genlab-generate", JUPYTERHUB_SERVICE_URL=f"http://127.0.0.1:{port}",
                   JUPYTERHUB_SERVICE_PREFIX="/services/genlab-generate/")
    proc = subprocess.Popen([PY, "-m", "genlab.hub.service", "--no-warm"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}/services/genlab-generate/"
    try:
        wait_healthy(url, proc)
        status, [body] = post(url, "api/pictures", pictures_request())
        assert status == 401 and body["error"]["key"] == "errors.service_denied"
        status, [body] = post(url, "api/pictures", pictures_request(), token="stolen", lang="es")
        assert status == 403 and "no aceptó tu sesión" in body["error"]["message"]
        status, [body] = post(url, "api/pictures", pictures_request(), token="no-scope-token")
        assert status == 403 and "access:services!service=genlab-generate" in body["error"]["message"]
        report = finish(kernel(url, tmp_path / "ana.npz", "--steps", "2", token="ana-server-token"))
        assert report["ok"], report
    finally:
        stop(proc)
        hub.shutdown()
