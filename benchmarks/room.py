"""A full room at once: 30 designers press Generate together. Default queue vs room mode.

    .venv/bin/python benchmarks/room.py                 # 30 people, 4 steps, tiny model
    .venv/bin/python benchmarks/room.py --people 40 --steps 8 --batch 8

Starts the Studio twice in this process on 127.0.0.1 (loopback only, as `genlab demo studio`
and `genlab demo studio --room` start it), warms the model, then fires `--people` concurrent
gradio_client requests (one thread and one browser session each, bounded by --people) with the
same settings and a different prompt and seed each. Prints, for each mode: total time until the
last picture arrived, p50 / p90 latency per person, pictures per second, and the ratio.
Nothing is asserted: speed depends on the machine (see the printout's device line).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="genlab-bench-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GENLAB_PROFILE", "tiny")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

PASSWORD = "bench"


def run_room(people: int, steps: int, room_values: dict | None, label: str) -> dict:
    from app_helpers import launch_app
    from gradio_client import Client

    auth = ("", PASSWORD) if room_values else None
    with launch_app("studio", room=room_values, auth=auth) as app:
        login = (lambda i: (f"person{i}", PASSWORD)) if auth else (lambda i: None)  # each person logs in with a name
        Client(app.url, auth=login("warm"), verbose=False).predict(prompt="warm up", seed=0, steps=steps, api_name="/generate")
        clients = [Client(app.url, auth=login(i), verbose=False) for i in range(people)]

        def one(i: int) -> float:
            start = time.perf_counter()
            clients[i].predict(prompt=f"a red circle on a blue background {i}", seed=i, steps=steps, sampler="Euler", api_name="/generate")
            return time.perf_counter() - start

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=people) as pool:
            latencies = sorted(pool.map(one, range(people)))
        total = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=10)
    result = dict(label=label, total=total, p50=statistics.median(latencies), p90=q[8], per_s=people / total)
    print(
        f"{label:<26} total {total:6.1f} s   p50 {result['p50']:6.1f} s   p90 {result['p90']:6.1f} s   "
        f"{result['per_s']:5.2f} pictures/s",
        flush=True,
    )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, help="room mode: pictures per model call (default: the profile's room_batch)")
    args = parser.parse_args(argv)

    import logging

    logging.getLogger("genlab.room").setLevel(logging.WARNING)  # no per-request lines in the printout
    from genlab import room
    from genlab.pipelines import load_pipeline

    pipe = load_pipeline("txt2img")
    import torch

    batch = args.batch or room.room_batch()
    print(f"device: {pipe.device} ({torch.get_num_threads()} torch threads); profile tiny; {args.people} people; {args.steps} steps; 128x128", flush=True)
    default = run_room(args.people, args.steps, None, "default queue (1 at a time)")
    roomed = run_room(args.people, args.steps, room.room_settings(batch_size=batch), f"room mode (batch {batch})")
    print(
        f"room / default: {default['total'] / roomed['total']:.2f}x faster for the whole room, "
        f"p90 {default['p90'] / roomed['p90']:.2f}x shorter wait",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
