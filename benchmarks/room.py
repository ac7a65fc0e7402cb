"""A full room at once: 30 designers press Generate together. Default queue vs room mode.

    .venv/bin/python benchmarks/room.py                 # 30 people, 4 steps, tiny model
    .venv/bin/python benchmarks/room.py --people 40 --steps 8 --batch 8

Starts the Studio twice in this process on 127.0.0.1 (loopback only, as `genlab demo studio`
and `genlab demo studio --room` start it), warms the model, then fires `--people` concurrent
gradio_client requests (one thread and one browser session each, bounded by --people) with the
same settings and a different prompt and seed each. Prints, for each mode: total time until the
last picture arrived, p50 / p90 latency per person, pictures per second, and the ratio.
Nothing is asserted: speed depends on the machine (see the printout's device line).

    .venv/bin/python benchmarks/room.py --pipeline-only --batches 1,4,8,16

measures only what room mode changes below the web server: the same pictures made one per
pipeline call, then in calls of each batch size (genlab.render, as the room's Batcher calls it),
on the best device here (a GPU when there is one). No Gradio needed.
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


def run_pipeline_only(people: int, steps: int, batches: list[int]) -> None:
    """Pictures of `people` prompts, one call each vs calls of each batch size; latency = when a
    person's call finished, counting from the moment everyone asked."""
    import torch

    from genlab.render import BatchKey, PictureItem, render

    key = BatchKey("tiny", "txt2img", steps, 7.0, 128, 128, "Euler")
    items = [PictureItem(f"a red circle on a blue background {i}", None, i) for i in range(people)]
    render(key, items[:max(batches)], None)  # warm up every batch shape's kernels once
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    results = {}
    for b in batches:
        sync()
        start = time.perf_counter()
        latencies = []
        for i in range(0, people, b):
            chunk = items[i : i + b]
            render(key, chunk, None)
            sync()
            latencies += [time.perf_counter() - start] * len(chunk)
        total = time.perf_counter() - start
        q = statistics.quantiles(latencies, n=10)
        results[b] = total
        print(
            f"{'one per call' if b == 1 else f'batch {b}':<14} total {total:6.2f} s   p50 {statistics.median(latencies):6.2f} s   "
            f"p90 {q[8]:6.2f} s   {people / total:6.1f} pictures/s   x{results[batches[0]] / total:.2f}",
            flush=True,
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, help="room mode: pictures per model call (default: the profile's room_batch)")
    parser.add_argument("--pipeline-only", action="store_true", help="no web server: one picture per call vs batches (genlab.render)")
    parser.add_argument("--batches", default="1,4,8", help="with --pipeline-only: batch sizes to compare (first is the baseline)")
    args = parser.parse_args(argv)
    if args.pipeline_only:
        from genlab.pipelines import load_pipeline

        pipe = load_pipeline("txt2img")
        print(f"device: {pipe.device}; profile tiny; {args.people} pictures; {args.steps} steps; 128x128; Euler", flush=True)
        run_pipeline_only(args.people, args.steps, [int(b) for b in args.batches.split(",")])
        return 0

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
