"""``genlab tiny train preview``: sample a trained tiny model into a PNG grid, and (where the
pixel evaluator is available) score a set of sampled prompts with it."""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import torch

from genlab.tiny import world
from genlab.tiny.train.runtime import pick_device

PREVIEW_PROMPTS = (
    "a red circle on a blue background",
    "a yellow star on a black background",
    "a large green square in the top left on a white background",
    "a small purple heart on the right on a yellow background",
    "a striped orange triangle on a blue background",
    "a dotted white circle on a red background",
    "an outlined blue star on a white background",
    "a gradient red heart on a green background",
    "a green star on a purple background",  # held out
    "a blue heart on a yellow background",  # held out
    "a purple triangle on a white background",  # held out
    "an orange circle on a black background",  # held out
    "a red circle left of a blue square on a white background",
    "a small black triangle at the bottom on an orange background",
    "a white square at the top on a purple background",
    "a yellow star moving right on a black background",
)


def eval_prompts(n: int, seed: int) -> list[tuple[str, str]]:
    """(group, prompt): seen and held-out single objects, each optional attribute stated half
    of the time."""
    rng = random.Random(f"preview/{seed}")
    out = []
    for i in range(n):
        split = "heldout" if i % 4 == 3 else "train"
        scene = world.sample_scene(rng, split=split, two_object_prob=0.0)
        mention = {a for a in world.OPTIONAL_ATTRIBUTES if rng.random() < 0.5}
        out.append(("held-out" if split == "heldout" else "seen", world.caption(scene, mention=mention)))
    return out


def preview(image_dir: Path, motion_dir: Path | None, out_png: Path, device: torch.device, n_eval: int = 0, seed: int = 0) -> dict:
    """Write the grid to ``out_png``; with ``n_eval``, also accuracy per group and attribute."""
    from diffusers import StableDiffusionPipeline
    from PIL import Image

    dtype = torch.float32  # tiny models: fp32 is fast enough everywhere, and never overflows
    pipe = StableDiffusionPipeline.from_pretrained(image_dir, dtype=dtype).to(device)
    pipe.set_progress_bar_config(disable=True)

    def gen(prompts, s0):
        gens = [torch.Generator(device=device).manual_seed(s0 + i) for i in range(len(prompts))]
        return pipe(list(prompts), num_inference_steps=20, guidance_scale=7.0, generator=gens).images

    imgs = gen(PREVIEW_PROMPTS, seed)
    rows = [imgs[i : i + 8] for i in range(0, len(imgs), 8)]
    strip = []
    if motion_dir is not None and (motion_dir / "config.json").exists():
        from diffusers import AnimateDiffPipeline, MotionAdapter

        adapter = MotionAdapter.from_pretrained(motion_dir, dtype=dtype)
        anim = AnimateDiffPipeline(
            vae=pipe.vae, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer, unet=pipe.unet,
            motion_adapter=adapter, scheduler=pipe.scheduler,
        ).to(device)
        anim.set_progress_bar_config(disable=True)
        for k, prompt in enumerate(("a yellow star moving right on a black background", "a red heart growing on a white background")):
            strip.append(
                anim(prompt, num_frames=8, num_inference_steps=20, guidance_scale=7.0, height=128, width=128,
                     generator=torch.Generator(device=device).manual_seed(seed + k)).frames[0]
            )
    grid = Image.new("RGB", (8 * 128, (len(rows) + len(strip)) * 128), (128, 128, 128))
    for r, row in enumerate(rows + strip):
        for c, im in enumerate(row):
            grid.paste(im.convert("RGB").resize((128, 128)), (c * 128, r * 128))
    out_png.parent.mkdir(parents=True, exist_ok=True)
    grid.save(out_png)
    result: dict = {"preview": str(out_png)}
    if n_eval > 0:
        try:
            from genlab.tiny import evaluator as ev

            evaluator = ev.load_evaluator()
        except Exception as e:  # the evaluator (or its weights) may not be there
            result["eval_skipped"] = f"{type(e).__name__}: {e}"
            return result
        items = eval_prompts(n_eval, seed)
        images = []
        for i in range(0, len(items), 64):
            images += gen([p for _, p in items[i : i + 64]], 10_000 + i)
        reads = ev.read_images(images, evaluator=evaluator)
        tally: dict = {}
        for (group, prompt), rd in zip(items, reads):
            for k, ok in ev.adherence_of(prompt, rd).items():
                t = tally.setdefault(f"{group} {k}", [0, 0])
                t[0] += int(ok)
                t[1] += 1
        result["accuracy"] = {k: round(a / n, 3) for k, (a, n) in sorted(tally.items())}
        result["n"] = {k: n for k, (a, n) in sorted(tally.items())}
        if strip:
            clip_prompts = [world.clip_caption(world.sample_clip(random.Random(f"pc/{i}"))) for i in range(8)]
            clips = [
                anim(p, num_frames=8, num_inference_steps=20, guidance_scale=7.0, height=128, width=128,
                     generator=torch.Generator(device=device).manual_seed(seed + 100 + i)).frames[0]
                for i, p in enumerate(clip_prompts)
            ]
            oks = [ev.adherence_of(p, r).get("motion") for p, r in zip(clip_prompts, ev.read_clips(clips, evaluator=evaluator))]
            result["motion_accuracy"] = round(sum(bool(o) for o in oks) / len(oks), 3)
    return result


def preview_main(argv: list[str]) -> int:
    from genlab.tiny.train.presets import default_out

    p = argparse.ArgumentParser(prog="genlab tiny train preview", description="Sample a trained tiny model into a PNG grid (and score it with the pixel evaluator).")
    p.add_argument("--image-model", type=Path, default=default_out("image"))
    p.add_argument("--motion-model", type=Path, default=None)
    p.add_argument("--out", type=Path, required=True, help="PNG to write")
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    p.add_argument("--eval", type=int, default=0, help="score this many sampled prompts with genlab.tiny.evaluator")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    t = time.time()
    res = preview(a.image_model.resolve(), a.motion_model.resolve() if a.motion_model else None, a.out, pick_device(a.device), a.eval, a.seed)
    res["seconds"] = round(time.time() - t, 1)
    print("genlab tiny train preview:", json.dumps(res), flush=True)
    return 0
