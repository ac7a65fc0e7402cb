"""Speed of genlab's tiny shapes-world models on this machine (prints; asserts nothing).

    .venv/bin/python benchmarks/tiny.py            # all measurements (~1-2 min on 2 cores)
    .venv/bin/python benchmarks/tiny.py --repeats 5 --skip-cold

Each measurement runs twice side by side: **genlab** (``genlab.generation.generate`` /
``genlab.pipelines.load_pipeline``, what lessons and apps call) and **plain diffusers**
(``StableDiffusionPipeline.from_pretrained`` + ``pipe(...)``, what a learner would write), with
the same settings: 128x128 px, 20 steps of the model's DPM++ 2M scheduler, guidance 7.0, seeded.
Warm numbers are the median of ``--repeats`` runs after one warm-up run. "Cold" spawns a fresh
Python that imports, loads the model and makes one picture (interpreter start included).
Torch keeps its default thread count. The machine's load average is printed: other work on a
shared machine slows every number.

Targets (2 CPU cores): image <= 0.6 s, batch of 4 <= 2 s, 8-frame clip <= 8 s, cold <= 8 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

PROMPT = "a red circle on a blue background"
CLIP_PROMPT = "a yellow star moving right on a black background"
SETTINGS = dict(num_inference_steps=20, guidance_scale=7.0, height=128, width=128)
TARGETS = {"image": 0.6, "batch of 4": 2.0, "8-frame clip": 8.0, "cold, first image": 8.0}

COLD_GENLAB = (
    "from genlab.generation import generate; "
    f"generate({PROMPT!r}, seed=0, steps=20, guidance=7.0, profile='tiny')"
)
COLD_PLAIN = (
    "import torch; from diffusers import StableDiffusionPipeline; "
    "p = StableDiffusionPipeline.from_pretrained({model!r}, dtype=torch.float32); "
    "p.set_progress_bar_config(disable=True); "
    f"p({PROMPT!r}, num_inference_steps=20, guidance_scale=7.0, height=128, width=128, "
    "generator=torch.Generator().manual_seed(0))"
)


BEST: dict[float, float] = {}  # median -> fastest run, printed alongside


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    med = statistics.median(ts)
    BEST[med] = min(ts)
    return med


def cold(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t


def row(name: str, genlab: float | None, plain: float | None) -> None:
    target = TARGETS.get(name)
    g = "   -   " if genlab is None else f"{genlab:6.2f}s"
    p = "   -   " if plain is None else f"{plain:6.2f}s"
    ratio = f"{plain / genlab:5.2f}x" if genlab and plain else "   -  "
    verdict = "" if genlab is None or target is None else ("meets" if genlab <= target else "MISSES")
    fastest = ""
    if genlab in BEST and plain in BEST:
        fastest = f"   (fastest run {BEST[genlab]:.2f}s / {BEST[plain]:.2f}s)"
    print(f"  {name:<20} {g:>9} {p:>9} {ratio:>8}   target <= {target:.1f}s {verdict}{fastest}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(ROOT / "assets" / "models" / "tiny-shapes"))
    ap.add_argument("--motion", default=str(ROOT / "assets" / "models" / "tiny-shapes-motion"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--skip-clip", action="store_true")
    args = ap.parse_args(argv)

    import diffusers.utils.logging as dlog
    import torch
    import transformers.utils.logging as tlog
    from diffusers import AnimateDiffPipeline, MotionAdapter, StableDiffusionPipeline

    dlog.disable_progress_bar()
    tlog.disable_progress_bar()

    from genlab.core.generation import generate
    from genlab.core.pipelines import load_pipeline

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"model {args.model}; {PROMPT!r}; 128 px, 20 steps, guidance 7.0; median of {args.repeats} warm runs\n")
    print(f"  {'':<20} {'genlab':>9} {'diffusers':>9} {'ratio':>8}")

    plain = StableDiffusionPipeline.from_pretrained(args.model, dtype=torch.float32)
    plain.set_progress_bar_config(disable=True)

    def plain_run(n: int):
        return plain([PROMPT] * n, generator=[torch.Generator().manual_seed(i) for i in range(n)], **SETTINGS).images

    def genlab_run(n: int):
        return generate(PROMPT, seed=0, steps=20, guidance=7.0, n=n, profile="tiny").images

    row("image", timed(lambda: genlab_run(1), args.repeats), timed(lambda: plain_run(1), args.repeats))
    row("batch of 4", timed(lambda: genlab_run(4), args.repeats), timed(lambda: plain_run(4), args.repeats))

    if not args.skip_clip:
        motion = Path(args.motion)
        if (motion / "config.json").exists():
            adapter = MotionAdapter.from_pretrained(str(motion), dtype=torch.float32)
            note = ""
        else:  # same architecture, random weights: the same cost
            from genlab.tiny.architecture import build_motion_adapter

            adapter = build_motion_adapter()
            note = f"  (no adapter at {motion}: a random one of the same architecture, same cost)"
        anim = AnimateDiffPipeline.from_pipe(plain, motion_adapter=adapter)
        anim.set_progress_bar_config(disable=True)

        def plain_clip():
            return anim(CLIP_PROMPT, num_frames=8, generator=torch.Generator().manual_seed(0), **SETTINGS).frames[0]

        genlab_clip = None
        if not note:
            video = load_pipeline("video", "tiny-video", device="cpu")

            def genlab_clip_fn():
                return video(CLIP_PROMPT, num_frames=8, generator=torch.Generator().manual_seed(0), **SETTINGS).frames[0]

            genlab_clip = timed(genlab_clip_fn, max(1, args.repeats - 1))
        row("8-frame clip", genlab_clip, timed(plain_clip, max(1, args.repeats - 1)))
        if note:
            print(note)

    if not args.skip_cold:
        row("cold, first image", cold(COLD_GENLAB), cold(COLD_PLAIN.format(model=args.model)))
    print("\nratio = plain diffusers time / genlab time (above 1: genlab is faster).")
    print(f"load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())} (above ~2 on 2 cores: the numbers are inflated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
