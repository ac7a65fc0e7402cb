"""Speed of the tiny shapes world and trainer on this machine (prints figures; asserts nothing).

    .venv/bin/python benchmarks/tiny_speed.py              # world render rate + smoke training
    .venv/bin/python benchmarks/tiny_speed.py --skip-train

What the tests used to assert, as figures to read: the world renders ~2,500 scenes/s on one
idle core (the old test's floor was 150/s), and ``genlab tiny train image`` + ``motion`` with
the ``smoke`` preset take ~60 s on 2 idle cores (the old test's ceiling was 180 s). Also the
evaluator's reading rate (~10 ms a picture on 2 busy cores). The machine's load average is
printed: other work on a shared machine slows every number.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def world_render_rate(n: int = 300) -> float:
    """Scenes rendered per second (one- and two-object scenes, 128 px)."""
    from genlab.tiny import world

    rng = random.Random(0)
    scenes = [world.sample_scene(rng, two_object_prob=0.15) for _ in range(n)]
    world.render(scenes[0])
    t = time.perf_counter()
    for s in scenes:
        world.render(s)
    return n / (time.perf_counter() - t)


def evaluator_ms_per_picture(n: int = 128) -> float:
    """Milliseconds per picture read by the pixel evaluator (batched)."""
    from genlab.tiny import evaluator, world

    rng = random.Random(1)
    imgs = [world.render(world.sample_scene(rng, two_object_prob=0.3)) for _ in range(n)]
    ev = evaluator.load_evaluator()
    evaluator.read_images(imgs[:8], evaluator=ev)
    t = time.perf_counter()
    evaluator.read_images(imgs, evaluator=ev)
    return 1000 * (time.perf_counter() - t) / n


def smoke_training_seconds() -> dict[str, float]:
    """Wall seconds of ``python -m genlab.tiny.train image|motion --preset smoke`` on the CPU."""
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONPATH=str(ROOT))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for what, name in (("image", "tiny-shapes"), ("motion", "tiny-shapes-motion")):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "genlab.tiny.train", what, "--preset", "smoke", "--device", "cpu",
                 "--out", str(Path(tmp) / name)],
                cwd=ROOT, env=env, check=True, capture_output=True,
            )
            out[what] = time.perf_counter() - t
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-train", action="store_true", help="leave out the smoke training run (~1 min)")
    a = p.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"world: {world_render_rate():,.0f} scenes rendered per second")
    print(f"evaluator: {evaluator_ms_per_picture():.1f} ms per picture read")
    if not a.skip_train:
        secs = smoke_training_seconds()
        print("smoke training: " + ", ".join(f"{k} {v:.1f} s" for k, v in secs.items()) + f", total {sum(secs.values()):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
