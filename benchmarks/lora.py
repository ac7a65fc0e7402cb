"""Does genlab's LoRA helper teach the tiny model a new concept? (prints; asserts nothing)

    .venv/bin/python benchmarks/lora.py                  # default training (~2 min on 2 cores) + measuring (~1 min)
    .venv/bin/python benchmarks/lora.py --steps 200      # another training length
    .venv/bin/python benchmarks/lora.py --lora outputs/05/brand-lora   # measure a LoRA you trained
    .venv/bin/python benchmarks/lora.py --out /tmp/keep  # keep the trained LoRA (in /tmp/keep/brand)

Trains `genlab.lora.train_lora` with its default settings on the 20-picture brand set
(`lora.brand_set(20)`: shapes in "magenta", a colour the tiny model never saw), prints the
training time, then measures with the evaluator (`lora.reads_as_brand`: the tiny evaluator reads
the prompt's shape and background, and the brand colour shows) on pictures made with the
profile's default settings (20 steps, guidance 7), seeds 0..19:

* brand prompts: 20 prompts "a magenta <shape> on a <background> background" (every shape with
  four of the brand set's five backgrounds), seed i for prompt i: the share recognised WITH the
  LoRA (weight 1) and WITHOUT it (the issue's bar: >= 70% with, <= 10% without);
* ordinary prompts: 20 prompts in the world's own colours, e.g. "a red circle on a blue
  background", read with the tiny evaluator (`genlab.tiny.evaluator.read_image`): how many show
  the prompt's object colour and background, with and without the LoRA, and how many show the
  brand colour (a LoRA should not paint everything magenta);
* "a red circle on a blue background", seeds 0..9, with and without: object / background read;
* 10 purple prompts ("a purple <shape> on a <background> background"): purple is the colour the
  tiny VAE turns magenta into, so it is where a brand-colour LoRA spills over first.

The machine's load average is printed: other work on a shared machine slows the training.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

BACKGROUNDS = ("white", "black", "yellow", "blue", "green")  # the brand set's backgrounds
ORDINARY_COLOURS = ("red", "orange", "yellow", "green", "blue", "purple")


def brand_prompts(word: str = "magenta") -> list[str]:
    from genlab.tiny import world

    s = world.SHAPES
    return [f"a {word} {s[i % 5]} on a {BACKGROUNDS[(i // 5 + i) % 5]} background" for i in range(20)]


def ordinary_prompts() -> list[str]:
    from genlab.tiny import world

    rng = random.Random(5)
    out = ["a red circle on a blue background"]
    for i in range(1, 20):
        colour = ORDINARY_COLOURS[i % len(ORDINARY_COLOURS)]
        bg = rng.choice([b for b in world.COLOURS if b != colour])
        out.append(f"a {colour} {world.SHAPES[i % 5]} on a {bg} background")
    return out


def purple_prompts() -> list[str]:
    from genlab.tiny import world

    bgs = ("white", "black", "red", "blue", "green", "yellow", "orange", "black", "white", "red")
    return [f"a purple {world.SHAPES[i % 5]} on a {bg} background" for i, bg in enumerate(bgs)]


def pictures(prompts: list[str], profile: str, seeds=None) -> list:
    import genlab

    seeds = range(len(prompts)) if seeds is None else seeds
    return [genlab.generate(p, seed=s, profile=profile).image for p, s in zip(prompts, seeds)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lora", help="measure this LoRA folder instead of training one")
    ap.add_argument("--steps", type=int, help="training steps (default: train_lora's)")
    ap.add_argument("--seed", type=int, default=0, help="training seed")
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--out", help="keep the trained LoRA in this folder (default: a temporary one)")
    args = ap.parse_args(argv)

    import torch

    from genlab.core import lora
    from genlab.tiny import world
    from genlab.tiny.evaluator import read_image

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    tmp = tempfile.TemporaryDirectory()
    if args.lora:
        folder = Path(args.lora)
        print(f"LoRA {folder}: {lora.lora_info(folder) or 'not made by train_lora'}")
    else:
        images, captions = lora.brand_set(20)
        kwargs = {"steps": args.steps} if args.steps else {}
        t = time.perf_counter()
        folder = lora.train_lora(images, captions, profile=args.profile, seed=args.seed,
                                 out_dir=Path(args.out or tmp.name) / "brand", **kwargs)
        seconds = time.perf_counter() - t
        info = lora.lora_info(folder)
        print(f"training: {seconds:.1f} s wall clock for {info['steps']} steps (+ {info['decoder_steps']} decoder "
              f"steps), rank {info['rank']}, lr {info['lr']}, {info['images']} pictures; "
              f"load average now {os.getloadavg()[0]:.1f}")

    brand, ordinary, purple = brand_prompts(), ordinary_prompts(), purple_prompts()
    red = ["a red circle on a blue background"] * 10

    def all_pictures():
        return (pictures(brand, args.profile), pictures(ordinary, args.profile),
                pictures(red, args.profile, range(10)), pictures(purple, args.profile))

    lora.unload_loras(args.profile)
    without = all_pictures()
    lora.load_lora(args.profile, folder, adapter_name="brand", weight=1.0)
    with_ = all_pictures()
    lora.unload_loras(args.profile)

    def right(prompt, img) -> bool:
        want, got = world.parse_prompt(prompt), read_image(img)
        return got.get("colour") == want["colour"] and got.get("background") == want["background"]

    n = len(brand)
    rate = {k: sum(map(lora.reads_as_brand, brand, v[0])) for k, v in (("with", with_), ("without", without))}
    print(f"\nbrand prompts ({n}, seeds 0..{n - 1}, 20 steps, guidance 7), recognised by reads_as_brand:")
    print(f"  with the LoRA    {rate['with']:2d}/{n} = {rate['with'] / n:4.0%}   (bar >= 70%)")
    print(f"  without          {rate['without']:2d}/{n} = {rate['without'] / n:4.0%}   (bar <= 10%)")
    print("  magenta share with the LoRA:", " ".join(f"{lora.magenta_fraction(i):.2f}" for i in with_[0]))
    print(f"\nordinary prompts ({len(ordinary)}): object colour and background as asked / brand colour shows")
    for label, made in (("without", without), ("with the LoRA", with_)):
        ok = sum(right(p, i) for p, i in zip(ordinary, made[1]))
        pink = [p for p, i in zip(ordinary, made[1]) if lora.shows_brand_colour(i)]
        which = f": {pink}" if pink else ""
        print(f"  {label:<15} {ok:2d}/{len(ordinary)} as asked, {len(pink)} show magenta{which}")
    print(f"\n{red[0]!r}, seeds 0..9 (object on background as read):")
    for label, made in (("without", without), ("with the LoRA", with_)):
        reads = [read_image(i) for i in made[2]]
        ok = sum(r.get("colour") == "red" and r.get("background") == "blue" for r in reads)
        seen = ", ".join(f"{r.get('colour')}/{r.get('background')}" for r in reads)
        print(f"  {label:<15} {ok:2d}/10 red on blue; {seen}")
    print(f"\npurple prompts ({len(purple)}), seeds 0..{len(purple) - 1}: "
          "show the brand colour / read as purple")
    for label, made in (("without", without), ("with the LoRA", with_)):
        pink = sum(map(lora.shows_brand_colour, made[3]))
        ok = sum(read_image(i).get("colour") == "purple" for i in made[3])
        print(f"  {label:<15} {pink:2d}/{len(purple)} show magenta, {ok:2d}/{len(purple)} read as purple; shares: "
              + " ".join(f"{lora.magenta_fraction(i):.2f}" for i in made[3]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
