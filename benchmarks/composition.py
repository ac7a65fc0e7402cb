"""Cost of composition control and finishing on this machine (prints ratios; asserts nothing).

    .venv/bin/python benchmarks/composition.py            # ~2 min on 2 cores
    .venv/bin/python benchmarks/composition.py --repeats 5

Side by side in one run, tiny profile, 128 x 128, 20 steps, guidance 7, seeded:

* a plain picture (genlab.generate) vs the same picture with the tiny ControlNet (a sketch):
  what composition control costs, as a ratio;
* genlab's ControlNet picture vs plain diffusers (StableDiffusionControlNetPipeline.from_pipe +
  pipe(image=...)) with the same settings: what genlab's layer costs;
* outpainting a picture to 16:9 (two inpainting windows) vs one plain picture;
* upscaling x2 and x4 (Pillow's Lanczos), as a fraction of one picture.

Medians of --repeats runs after one warm-up; the load average is printed (other work on a shared
machine slows every number, ratios less so).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")

PROMPT = "a red circle on a blue background"


def timed(fn, repeats: int) -> float:
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    import torch
    from diffusers import StableDiffusionControlNetPipeline

    import genlab
    from genlab.core.composition import drawing_to_control
    from genlab.core.pipelines import control_pipeline, load_pipeline
    from genlab.tiny import control as world_control

    ex = world_control.ControlExample(
        world_control.world.Scene((world_control.world.Shape("circle", "red", "large", "centre", "flat"),), "blue"),
        (0.35, 0.4, 0.45), "sketch")
    drawing = world_control.draw(ex)
    picture = genlab.generate(PROMPT, seed=1).image
    base = load_pipeline("txt2img", "tiny", device="cpu")
    control_pipeline("tiny", "sketch", device="cpu")  # loaded before timing, like the plain pipeline below
    plain = StableDiffusionControlNetPipeline.from_pipe(base, controlnet=control_pipeline("tiny", "sketch", device="cpu").controlnet)
    plain.set_progress_bar_config(disable=True)
    control_image = drawing_to_control(drawing, 128, 128)

    rows = {
        "plain picture (genlab)": lambda: genlab.generate(PROMPT, seed=1, steps=20, guidance=7.0),
        "with ControlNet (genlab)": lambda: genlab.generate(PROMPT, seed=1, steps=20, guidance=7.0, control=drawing, condition="sketch"),
        "with ControlNet (plain diffusers)": lambda: plain(PROMPT, image=control_image, num_inference_steps=20, guidance_scale=7.0,
                                                          height=128, width=128, generator=torch.Generator().manual_seed(1)),
        "outpaint to 16:9 (genlab)": lambda: genlab.outpaint(picture, "16:9", "a blue background", seed=2, steps=20, guidance=7.0),
        "upscale x2 (Lanczos)": lambda: genlab.upscale(picture, 2),
        "upscale x4 (Lanczos)": lambda: genlab.upscale(picture, 4),
    }
    print(f"load average before: {os.getloadavg()[0]:.1f}; torch threads {torch.get_num_threads()}; repeats {args.repeats}")
    times = {name: timed(fn, args.repeats) for name, fn in rows.items()}
    ref = times["plain picture (genlab)"]
    print(f"{'what':38s} {'median s':>9s} {'x plain picture':>16s}")
    for name, t in times.items():
        print(f"{name:38s} {t:9.3f} {t / ref:16.2f}")
    g, d = times["with ControlNet (genlab)"], times["with ControlNet (plain diffusers)"]
    print(f"\nControlNet cost: {g / ref:.2f}x a plain picture; genlab vs plain diffusers with the ControlNet: {d / g:.2f}x "
          f"(above 1: genlab faster)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
