"""A cohort's kernels generating at once: one shared model (the hub's service) vs a model per kernel.

    .venv/bin/python benchmarks/hub.py                         # 10 learners, tiny model, this machine
    .venv/bin/python benchmarks/hub.py --learners 10 --rounds 2 --log docs/benchmarks/hub-tiny-cpu.log
    python3 benchmarks/hub.py --architecture sd15 --learners 30          # on a GPU machine
    .venv/bin/python benchmarks/hub.py --architecture sd15 --tiny-config --learners 3 --steps 2   # CPU rehearsal

Each learner is a separate Python process, as a learner's kernel on the hub is. Two set-ups:

* **shared**: one generation service (``python -m genlab.hub.service --no-auth``, loopback, as the hub
  runs it but without hub tokens) holds the model; every learner process calls ``genlab.generate``
  with ``GENLAB_SERVICE_URL`` set, so it never imports torch;
* **own**: every learner process loads its own pipeline (``load_pipeline``, one warm-up picture)
  and calls ``genlab.generate`` locally: what a cohort gets without the service.

In both, the processes first get ready (the "own" ones load their model: load time is reported, not
counted in the latencies), then all start at the same moment and each makes ``--rounds`` pictures one
after the other (different prompts and seeds). Printed per set-up: p50 / p90 latency of one picture,
pictures per second for the whole cohort (all pictures / time until the last one came), and memory:
the service's resident memory (peak), the learner processes' (sum of their peaks), and on a GPU the
memory torch reserved (the service's, or the sum over the learners' processes).

``--architecture sd15`` builds Stable Diffusion 1.5's architecture with random weights (the same way
benchmarks/room.py does: benchmarks/architectures/sd15, nothing downloaded; same cost as the real
model) and points both set-ups at it. ``--modes shared`` skips the model-per-kernel run (30 copies of
SD 1.5 need ~30 x 3 GB of host memory while they load).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve()
PROMPTS = [
    "a red circle on a blue background", "a yellow star on a black background", "a green square on a white background",
    "a blue triangle on a yellow background", "a purple heart on a green background", "an orange circle on a grey background",
]


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def gpu_mb() -> float:
    if "torch" not in sys.modules:
        return 0.0
    import torch

    return torch.cuda.max_memory_reserved() / 2**20 if torch.cuda.is_available() else 0.0


# ---- one learner's process ----------------------------------------------------------------------------
def worker(args) -> int:
    sys.path.insert(0, str(REPO))
    import genlab

    load_s = 0.0
    if args.mode == "own":
        from genlab.core.pipelines import load_pipeline

        start = time.perf_counter()
        load_pipeline("txt2img")
        genlab.generate("warm up", seed=0, steps=args.steps)  # a kernel that has made a picture before
        load_s = time.perf_counter() - start
    print(json.dumps({"ready": True, "load_s": round(load_s, 2)}), flush=True)
    while not os.path.exists(args.go):
        time.sleep(0.01)
    latencies, error = [], None
    for r in range(args.rounds):
        start = time.perf_counter()
        try:
            genlab.generate(PROMPTS[(args.index + r) % len(PROMPTS)], seed=1000 * args.index + r, steps=args.steps)
        except Exception as err:
            error = f"{type(err).__name__}: {err}"
            break
        latencies.append(time.perf_counter() - start)
    print(json.dumps({
        "latencies": latencies, "end": time.time(), "error": error, "load_s": round(load_s, 2),
        "rss_mb": rss_mb(), "hwm_mb": rss_mb(field="VmHWM"), "gpu_mb": gpu_mb(), "torch": "torch" in sys.modules,
    }), flush=True)
    return 0


# ---- the parent ---------------------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, timeout: float = 5) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


class Peak(threading.Thread):
    """Samples a process's resident memory every 0.2 s; `.peak` in MB."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, 0.0, threading.Event()
        self.start()

    def run(self):
        while not self.stopped.wait(0.2):
            self.peak = max(self.peak, rss_mb(self.pid))


@contextlib.contextmanager
def shared_service(args, env):
    port = free_port()
    cmd = [sys.executable, "-m", "genlab.hub.service", "--no-auth", "--port", str(port), "--per-person", "0"]
    if args.batch:
        cmd += ["--batch", str(args.batch)]
    log = tempfile.NamedTemporaryFile("w+", prefix="genlab-hub-bench-", suffix=".log", delete=False)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}/services/genlab-generate/"
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise SystemExit(f"the service stopped:\n{log.read()[-3000:]}")
            try:
                get_json(url + "health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        load_s = time.perf_counter() - started
        # one picture first, so the cohort does not pay the first call's costs
        warm_env = {**env, "GENLAB_SERVICE_URL": url}
        subprocess.run([sys.executable, "-c", f"import genlab; genlab.generate('warm up', seed=0, steps={args.steps})"],
                       env=warm_env, cwd=REPO, check=True, capture_output=True)
        yield url, proc, load_s
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        os.unlink(log.name)


def run_mode(mode: str, args, env) -> dict:
    with contextlib.ExitStack() as stack:
        service_pid, service_load, url = None, None, None
        worker_env = {**env, **getattr(args, "learner_env", {})}
        if mode == "shared":
            url, proc, service_load = stack.enter_context(shared_service(args, env))
            service_pid = proc.pid
            worker_env["GENLAB_SERVICE_URL"] = url
        go = Path(tempfile.mkdtemp(prefix="genlab-hub-go-")) / "go"
        procs = [
            subprocess.Popen([sys.executable, str(HERE), "--worker", "--mode", mode, "--index", str(i), "--rounds",
                              str(args.rounds), "--steps", str(args.steps), "--go", str(go)],
                             env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
            for i in range(args.learners)
        ]
        ready_start = time.perf_counter()
        loads = []
        for p in procs:
            line = p.stdout.readline()
            if not line:
                raise SystemExit(f"a learner process stopped before it was ready:\n{p.stderr.read()[-3000:]}")
            loads.append(json.loads(line)["load_s"])
        ready_s = time.perf_counter() - ready_start
        peaks = [Peak(p.pid) for p in procs]
        service_peak = Peak(service_pid) if service_pid else None
        t0 = time.time()
        go.write_text("go")
        results = []
        for p in procs:
            out, err = p.communicate(timeout=args.timeout)
            lines = [x for x in out.splitlines() if x.startswith("{")]
            if not lines:
                raise SystemExit(f"a learner process printed nothing:\n{err[-3000:]}")
            results.append(json.loads(lines[-1]))
        for pk in peaks:
            pk.stopped.set()
        errors = [r["error"] for r in results if r["error"]]
        latencies = [x for r in results for x in r["latencies"]]
        wall = max(r["end"] for r in results) - t0
        service_rss = service_gpu = 0.0
        if service_peak:
            service_peak.stopped.set()
            service_rss = max(service_peak.peak, rss_mb(service_pid))
            health = get_json(url + "health")
            service_gpu = health.get("gpu_mb", 0.0)
        learners_rss = sum(max(r["hwm_mb"], pk.peak) for r, pk in zip(results, peaks))
        return {
            "mode": mode,
            "pictures": len(latencies),
            "errors": errors,
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p90": p90_of(latencies) if latencies else float("nan"),
            "per_s": len(latencies) / wall if wall > 0 else float("nan"),
            "wall": wall,
            "service_rss": service_rss,
            "learners_rss": learners_rss,
            "learner_rss_max": max(max(r["hwm_mb"], pk.peak) for r, pk in zip(results, peaks)),
            "gpu": service_gpu if mode == "shared" else sum(r["gpu_mb"] for r in results),
            "torch_in_learners": sum(r["torch"] for r in results),
            "load_s": service_load if mode == "shared" else statistics.median(loads),
            "ready_s": ready_s,
        }


def p90_of(latencies: list[float]) -> float:
    return min(statistics.quantiles(latencies, n=10)[8], max(latencies)) if len(latencies) > 1 else latencies[0]


def table(rows: list[dict], gpu: bool) -> str:
    head = ["set-up", "pictures", "p50 s", "p90 s", "pictures/s", "service MB", "learners MB (sum)", "per learner MB"]
    if gpu:
        head.append("GPU MB")
    head.append("model load s")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        name = "shared service" if r["mode"] == "shared" else "model per kernel"
        cells = [name, str(r["pictures"]), f"{r['p50']:.2f}", f"{r['p90']:.2f}", f"{r['per_s']:.2f}",
                 f"{r['service_rss']:.0f}" if r["mode"] == "shared" else "-", f"{r['learners_rss']:.0f}",
                 f"{r['learner_rss_max']:.0f}"]
        if gpu:
            cells.append(f"{r['gpu']:.0f}")
        cells.append(f"{r['load_s']:.1f}" + (" (once)" if r["mode"] == "shared" else " (each, median)"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_room_benchmark():
    spec = importlib.util.spec_from_file_location("genlab_bench_room", REPO / "benchmarks" / "room.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learners", type=int, default=10, help="learner processes generating at once (default 10)")
    p.add_argument("--rounds", type=int, default=2, help="pictures each learner makes, one after the other (default 2)")
    p.add_argument("--steps", type=int, help="denoising steps (default: the profile's: 20)")
    p.add_argument("--batch", type=int, help="the service's pictures per model call (default: the profile's room_batch)")
    p.add_argument("--modes", default="shared,own", help="shared, own or both (default shared,own)")
    p.add_argument("--architecture", choices=("tiny", "sd15"), default="tiny")
    p.add_argument("--tiny-config", action="store_true", help="with sd15: narrow layers, same code path (CPU rehearsal)")
    p.add_argument("--model-dir", help="with sd15: keep the built pipeline here and reuse it")
    p.add_argument("--memory", default="", help="with sd15: the profile's memory strategies")
    p.add_argument("--learner-threads", type=int, default=0,
                   help="torch threads in each learner process (OMP_NUM_THREADS; default: torch's own, one per core, as a kernel has)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds a learner process may take")
    p.add_argument("--log", help="also write the printout to this file")
    # a learner process (internal)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--mode", help=argparse.SUPPRESS)
    p.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--go", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.tiny_config and args.architecture != "sd15":
        p.error("--tiny-config only applies to --architecture sd15")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"shared", "own"}:
        p.error("--modes takes shared, own or both")

    out_lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        out_lines.append(text)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with contextlib.ExitStack() as cleanup:
        if args.architecture == "sd15":
            args.steps = args.steps or 20
            room_bench = load_room_benchmark()
            profile_name, stack = room_bench.prepare_architecture(args)
            cleanup.enter_context(stack)
        else:
            profile_name = os.environ.setdefault("GENLAB_PROFILE", "tiny")
        sys.path.insert(0, str(REPO))
        from genlab.core.profiles import get_profile

        prof = get_profile(profile_name)
        args.steps = args.steps or int(prof.defaults.get("steps", 20))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENLAB_SERVICE", "JUPYTERHUB_"))}
        env.update(PYTHONPATH=str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
                   TQDM_DISABLE="1", GENLAB_PROFILE=profile_name)
        learner_env_threads = {"OMP_NUM_THREADS": str(args.learner_threads)} if args.learner_threads else {}
        args.learner_env = learner_env_threads
        import torch  # only to describe the device

        gpu = torch.cuda.is_available() and not os.environ.get("GENLAB_DEVICE", "").startswith("cpu")
        device = torch.cuda.get_device_name(0) if gpu else f"CPU, {os.cpu_count()} cores"
        size = f"{prof.defaults.get('width', 512)}x{prof.defaults.get('height', 512)}"
        say(f"# benchmarks/hub.py, {time.strftime('%Y-%m-%d %H:%M')}: {args.learners} learner processes x {args.rounds} "
            f"pictures; profile {prof.name} ({size}, {args.steps} steps); device {device}; torch {torch.__version__}; "
            f"learner torch threads: {args.learner_threads or 'default'}; load average before: "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        rows = []
        for mode in modes:
            say(f"running: {mode} ...")
            r = run_mode(mode, args, env)
            rows.append(r)
            if r["errors"]:
                say(f"  {len(r['errors'])} errors, e.g. {r['errors'][0]}")
            say(f"  {r['pictures']} pictures in {r['wall']:.1f} s; learners ready after {r['ready_s']:.1f} s; "
                f"learner processes with torch loaded: {r['torch_in_learners']} of {args.learners}")
        say("")
        say(table(rows, gpu))
        if len(rows) == 2:
            shared, own = rows
            say("")
            say(f"shared / own: {shared['per_s'] / own['per_s']:.2f}x the pictures per second, p90 "
                f"{own['p90'] / shared['p90']:.2f}x shorter, memory {(own['learners_rss']) / (shared['service_rss'] + shared['learners_rss']):.1f}x "
                f"less ({shared['service_rss'] + shared['learners_rss']:.0f} MB vs {own['learners_rss']:.0f} MB in all)")
    if args.log:
        Path(args.log).parent.mkdir(parents=True, exist_ok=True)
        Path(args.log).write_text("\n".join(out_lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
