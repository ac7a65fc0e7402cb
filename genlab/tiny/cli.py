"""``genlab tiny``: train, measure and show genlab's tiny shapes-world models.

Sub-commands::

    genlab tiny train ...            train the image / motion models (all arguments go to
                                     genlab.tiny.train; see ``genlab tiny train --help``)
    genlab tiny evaluate             generate a seeded prompt set from the world's grammar, read
                                     every picture back with the evaluator and print prompt
                                     adherence per attribute against genlab's acceptance bars
    genlab tiny evaluate --evaluator-only
                                     measure the evaluator itself on ground-truth world renders
    genlab tiny grid                 the labelled picture grid docs/tiny-samples.png
    genlab tiny train-evaluator      retrain the evaluator's shape/style CNN (CPU, seeded)

``python -m genlab.tiny.cli ...`` is the same command. Models and the evaluator are found through
:mod:`genlab.settings` (``$GENLAB_ASSETS``, ``$GENLAB_TINY_EVALUATOR``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import textwrap
from pathlib import Path

from genlab import settings

DEFAULT_MODEL = settings.MODELS_DIR / "tiny-shapes"
DEFAULT_MOTION = settings.MODELS_DIR / "tiny-shapes-motion"
DEFAULT_GRID = settings.REPO_ROOT / "docs" / "tiny-samples.png"

# Acceptance bars: (group, attribute, bar). "two-object" and clip attributes other than motion
# are reported without a bar.
BARS = [
    ("seen", "shape", 0.95),
    ("seen", "colour", 0.95),
    ("seen", "background", 0.95),
    ("held-out", "shape", 0.85),
    ("held-out", "colour", 0.85),
    ("held-out", "background", 0.85),
    ("position", "position", 0.80),
    ("size", "size", 0.80),
    ("style", "style", 0.80),
    ("motion", "motion", 0.80),
]
EVALUATOR_BAR = 0.98

# The committed grid: a fixed, readable tour of the grammar (held-out pairs marked).
GRID_PROMPTS = [
    "a red circle on a blue background",
    "a yellow star on a black background",
    "a large green square on a white background",
    "a small purple heart on an orange background",
    "a white triangle in the top left on a red background",
    "a blue square on the right on a yellow background",
    "a black circle at the bottom on a green background",
    "an orange heart in the bottom right on a purple background",
    "a striped red star on a white background",
    "a dotted blue circle on a yellow background",
    "an outlined yellow heart on a black background",
    "a gradient purple square on a white background",
    "a red circle left of a blue square on a white background",
    "a yellow star above a green heart on a purple background",
    "a green star on a white background",
    "a blue heart on a yellow background",
]


def _quiet_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import diffusers.utils.logging as dlog
        import transformers.utils.logging as tlog

        dlog.disable_progress_bar()
        tlog.disable_progress_bar()
    except Exception:  # older versions: bars are only cosmetic
        pass


# ---------------------------------------------------------------------------------------------
# Prompt set


def build_prompt_set(n: int, seed: int = 0, *, n_clips: int | None = None) -> list[dict]:
    """The seeded evaluation prompts: ``n`` per image group, ``n_clips`` clips (default ``n``).

    Groups: "seen" (shape, colour, background of combinations the model trained on),
    "held-out" (world.HELD_OUT pairs), "position", "size", "style" (one optional attribute
    stated each, seen pairs), "two-object" (two objects and a relation) and "motion" (clips).
    Each item: group, prompt, seed (of its generator), kind ("image"/"clip").
    """
    from genlab.tiny import world

    rng = random.Random(seed)
    items: list[dict] = []
    specs = [
        ("seen", dict(split="train", two_object_prob=0.0), set()),
        ("held-out", dict(split="heldout", two_object_prob=0.0), set()),
        ("position", dict(split="train", two_object_prob=0.0), {"position"}),
        ("size", dict(split="train", two_object_prob=0.0), {"size"}),
        ("style", dict(split="train", two_object_prob=0.0), {"style"}),
        ("two-object", dict(split="train", two_object_prob=1.0), set()),
    ]
    k = 0
    for group, kw, mention in specs:
        for _ in range(n):
            scene = world.sample_scene(rng, **kw)
            items.append(dict(group=group, kind="image", prompt=world.caption(scene, rng, mention=mention), seed=seed + k))
            k += 1
    for _ in range(n if n_clips is None else n_clips):
        clip = world.sample_clip(rng, n_frames=8, split="train")
        items.append(dict(group="motion", kind="clip", prompt=world.clip_caption(clip, rng), seed=seed + k))
        k += 1
    return items


# ---------------------------------------------------------------------------------------------
# Generation


def load_image_pipeline(model_dir: str | Path):
    """``StableDiffusionPipeline.from_pretrained(model_dir)`` in float32, offline, no progress bars."""
    _quiet_env()
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(model_dir), dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_motion_pipeline(image_pipe, motion_dir: str | Path):
    """An ``AnimateDiffPipeline`` sharing the image pipeline's weights, with the motion adapter."""
    import torch
    from diffusers import AnimateDiffPipeline, MotionAdapter

    adapter = MotionAdapter.from_pretrained(str(motion_dir), dtype=torch.float32)
    pipe = AnimateDiffPipeline.from_pipe(image_pipe, motion_adapter=adapter)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def generate_images(pipe, prompts: list[str], seeds: list[int], *, steps: int, guidance: float, batch: int = 8):
    """Pictures for ``prompts``; picture i uses ``torch.Generator().manual_seed(seeds[i])`` (so the
    result does not depend on the batch size)."""
    import torch

    out = []
    for s in range(0, len(prompts), batch):
        p, sd = prompts[s : s + batch], seeds[s : s + batch]
        with torch.inference_mode():
            res = pipe(
                prompt=p,
                num_inference_steps=steps,
                guidance_scale=guidance,
                height=128,
                width=128,
                generator=[torch.Generator().manual_seed(x) for x in sd],
            )
        out += list(res.images)
    return out


def _shown(path: Path) -> str:
    """A path as a report shows it: relative to the repository when inside it."""
    try:
        return str(Path(path).resolve().relative_to(settings.REPO_ROOT))
    except ValueError:
        return str(path)


def generate_clips(pipe, prompts: list[str], seeds: list[int], *, steps: int, guidance: float, frames: int = 8, batch: int = 2):
    import torch

    out = []
    for s in range(0, len(prompts), batch):
        p, sd = prompts[s : s + batch], seeds[s : s + batch]
        with torch.inference_mode():
            res = pipe(
                prompt=p,
                num_frames=frames,
                num_inference_steps=steps,
                guidance_scale=guidance,
                height=128,
                width=128,
                generator=[torch.Generator().manual_seed(x) for x in sd],
                output_type="pil",
            )
        out += [list(f) for f in res.frames]
    return out


# ---------------------------------------------------------------------------------------------
# Pictures


def _font(size: int = 11):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except Exception:  # Pillow without FreeType
        return ImageFont.load_default()


def _wrap(text: str, font, width: int) -> list[str]:
    """Wrap ``text`` into lines no wider than ``width`` pixels in ``font``."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def labelled_grid(images, labels: list[str], *, cols: int = 4, notes: list[str] | None = None, tile: int = 160, title: str | None = None):
    """A picture grid with each picture's prompt (wrapped) under it, and an optional note
    (e.g. what the evaluator found missing: green when all is right, red otherwise). A clip
    shows its first, middle and last frames side by side."""
    from PIL import Image, ImageDraw

    font, small = _font(12), _font(11)
    lh, slh = 15, 13
    label_lines = [_wrap(lab, font, tile) for lab in labels]
    note_lines = [_wrap(nt, small, tile) if nt else [] for nt in (notes or [""] * len(labels))]
    text_h = max((lh * len(a) + slh * len(b) for a, b in zip(label_lines, note_lines)), default=lh)
    cell_h = tile + 6 + text_h
    rows = (len(images) + cols - 1) // cols
    gap = 10
    top = 28 if title else 0
    sheet = Image.new("RGB", (cols * (tile + gap) + gap, top + rows * (cell_h + gap) + gap), "white")
    d = ImageDraw.Draw(sheet)
    if title:
        d.text((gap, 8), title, fill=(0, 0, 0), font=font)
    for i, (img, ls, ns) in enumerate(zip(images, label_lines, note_lines)):
        x = gap + (i % cols) * (tile + gap)
        y = top + gap + (i // cols) * (cell_h + gap)
        if isinstance(img, (list, tuple)):  # a clip: first, middle and last frame side by side
            strip = Image.new("RGB", (tile, tile), "white")
            picks = [img[0], img[len(img) // 2], img[-1]]
            w = tile // 3
            for j, f in enumerate(picks):
                strip.paste(f.convert("RGB").resize((w, tile)), (j * w + j, 0))
            img = strip
        sheet.paste(img.convert("RGB").resize((tile, tile), Image.Resampling.NEAREST), (x, y))
        ty = y + tile + 4
        for line in ls:
            d.text((x, ty), line, fill=(20, 20, 20), font=font)
            ty += lh
        ok = bool(notes) and notes[i].startswith("ok")
        for line in ns:
            d.text((x, ty), line, fill=(0, 120, 0) if ok else (190, 0, 0), font=small)
            ty += slh
    return sheet


def _note(adh: dict) -> str:
    miss = [k for k, v in adh.items() if not v]
    if not miss:
        return f"ok: all {len(adh)} stated attributes"
    return "missed: " + ", ".join(miss)


# ---------------------------------------------------------------------------------------------
# Scoring


def score(items: list[dict]) -> dict:
    """{group: {attribute: {"correct", "n", "rate"}}} from items with an "adherence" dict; each
    group also gets "all" (every stated attribute right)."""
    groups: dict[str, dict[str, list[bool]]] = {}
    for it in items:
        g = groups.setdefault(it["group"], {})
        for k, v in it["adherence"].items():
            g.setdefault(k, []).append(bool(v))
        if it["adherence"]:
            g.setdefault("all", []).append(all(it["adherence"].values()))
    return {
        g: {k: {"correct": sum(v), "n": len(v), "rate": round(sum(v) / len(v), 4)} for k, v in d.items()}
        for g, d in groups.items()
    }


def check_bars(table: dict) -> list[dict]:
    out = []
    for group, attr, bar in BARS:
        cell = table.get(group, {}).get(attr)
        rate = None if cell is None else cell["rate"]
        out.append(dict(group=group, attribute=attr, rate=rate, bar=bar, passed=None if rate is None else rate >= bar))
    return out


def _pct(x) -> str:
    return "  -  " if x is None else f"{100 * x:5.1f}%"


def format_table(table: dict, bars: list[dict]) -> str:
    lines = ["Acceptance bars", f"  {'group':<11} {'attribute':<11} {'rate':>7} {'bar':>6}  result"]
    for b in bars:
        res = "n/a" if b["passed"] is None else ("PASS" if b["passed"] else "FAIL")
        lines.append(f"  {b['group']:<11} {b['attribute']:<11} {_pct(b['rate']):>7} {_pct(b['bar']):>6}  {res}")
    lines.append("")
    lines.append("Every group, every stated attribute (correct / n)")
    for g, d in table.items():
        cells = ", ".join(f"{k} {_pct(v['rate']).strip()} ({v['correct']}/{v['n']})" for k, v in d.items())
        lines.append(f"  {g:<11} {cells}")
    return "\n".join(lines)


def format_markdown(table: dict, bars: list[dict], settings: dict) -> str:
    md = ["# Tiny model prompt adherence", ""]
    md.append("Settings: " + ", ".join(f"{k} `{v}`" for k, v in settings.items()))
    md += ["", "| group | attribute | rate | bar | result |", "|---|---|---:|---:|---|"]
    for b in bars:
        res = "n/a" if b["passed"] is None else ("pass" if b["passed"] else "**fail**")
        md.append(f"| {b['group']} | {b['attribute']} | {_pct(b['rate']).strip()} | {_pct(b['bar']).strip()} | {res} |")
    md += ["", "| group | attribute | correct | n | rate |", "|---|---|---:|---:|---:|"]
    for g, d in table.items():
        for k, v in d.items():
            md.append(f"| {g} | {k} | {v['correct']} | {v['n']} | {_pct(v['rate']).strip()} |")
    return "\n".join(md) + "\n"


# ---------------------------------------------------------------------------------------------
# Sub-commands


def _write_report(report_dir: Path | None, name: str, payload: dict, markdown: str, grid=None) -> None:
    if report_dir is None:
        return
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (report_dir / f"{name}.md").write_text(markdown)
    if grid is not None:
        grid.save(report_dir / f"{name}.png")
    print(f"report: {report_dir / name}.json, .md" + (", .png" if grid is not None else ""))


def _evaluator_only(args) -> int:
    from genlab.tiny import evaluator as E

    t0 = time.time()
    n = args.n or 400
    transform = E.vae_roundtrip(args.model) if args.through_vae else None
    res = E.validate_evaluator(n, seed=args.seed, n_clips=max(1, n // 4), degraded=args.degraded, transform=transform)
    rows = []
    worst = 1.0
    what = "damaged copies of ground-truth world renders" if args.degraded else "ground-truth world renders"
    if args.through_vae:
        what += f", encoded and decoded by {Path(args.model).name}'s VAE (the model's ceiling, not a bar)"
    print(f"Evaluator on {what} (seed {args.seed}; bar {EVALUATOR_BAR:.0%} per attribute)")
    for g, d in res.items():
        for k, v in d.items():
            worst = min(worst, v["accuracy"])
            rows.append((g, k, v["accuracy"], v["n"]))
        print(f"  {g:<11} " + ", ".join(f"{k} {100 * v['accuracy']:.1f}%" for k, v in d.items()) + f"  (n={next(iter(d.values()))['n']})")
    ok = worst >= EVALUATOR_BAR
    if args.through_vae:  # the model's ceiling: reported, no bar
        ok = True
        print(f"worst attribute {100 * worst:.1f}% (ceiling of what the VAE can show; no bar) ({time.time() - t0:.0f}s)")
    else:
        print(f"worst attribute {100 * worst:.1f}% -> {'PASS' if ok else 'FAIL'} ({time.time() - t0:.0f}s)")
    md = f"# Evaluator accuracy on {what}\n\n| group | attribute | accuracy | n |\n|---|---|---:|---:|\n"
    md += "".join(f"| {g} | {k} | {100 * a:.1f}% | {n} |\n" for g, k, a, n in rows)
    name = "evaluator" + ("-degraded" if args.degraded else "") + ("-through-vae" if args.through_vae else "")
    payload = {"seed": args.seed, "degraded": args.degraded, "through_vae": args.model if args.through_vae else None,
               "bar": EVALUATOR_BAR, "groups": res, "passed": ok}
    _write_report(args.report, name, payload, md)
    return 0 if ok or not args.strict else 1


def _evaluate(args) -> int:
    if args.evaluator_only:
        return _evaluator_only(args)
    from genlab.tiny import evaluator as E

    t0 = time.time()
    if args.motion_only and args.clips == 0:
        print("genlab tiny evaluate: --motion-only with --clips 0 leaves nothing to measure.", file=sys.stderr)
        return 2
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("genlab tiny evaluate: --device cuda, but torch sees no CUDA GPU here. Leave out --device to run on the CPU.", file=sys.stderr)
            return 2
    ev = E.load_evaluator()
    args.n = args.n or 24
    items = build_prompt_set(args.n, args.seed, n_clips=args.clips)
    model = Path(args.model)
    pipe = load_image_pipeline(model).to(args.device)
    imgs = [it for it in items if it["kind"] == "image" and not args.motion_only]
    if imgs:
        print(f"generating {len(imgs)} pictures ({args.steps} steps, guidance {args.guidance}, model {model})", flush=True)
        pics = generate_images(pipe, [i["prompt"] for i in imgs], [i["seed"] for i in imgs], steps=args.steps, guidance=args.guidance, batch=args.batch)
        reads = E.read_images(pics, evaluator=ev)
        for it, pic, r in zip(imgs, pics, reads):
            it["read"], it["adherence"], it["output"] = r, E.adherence_of(it["prompt"], r), pic
    clips = [it for it in items if it["kind"] == "clip"]
    motion_dir = Path(args.motion) if args.motion else DEFAULT_MOTION
    motion_note = None
    if clips and args.clips != 0:
        if (motion_dir / "config.json").exists():
            print(f"generating {len(clips)} clips of 8 frames (motion adapter {motion_dir})", flush=True)
            mpipe = load_motion_pipeline(pipe, motion_dir).to(args.device)
            vids = generate_clips(mpipe, [c["prompt"] for c in clips], [c["seed"] for c in clips], steps=args.steps, guidance=args.guidance)
            for it, vid, r in zip(clips, vids, E.read_clips(vids, evaluator=ev)):
                it["read"], it["adherence"], it["output"] = r, E.adherence_of(it["prompt"], r), vid
        else:
            motion_note = f"no motion adapter at {motion_dir}: motion not measured"
            print(motion_note)
    done = [it for it in items if "adherence" in it]
    table = score(done)
    bars = [b for b in check_bars(table) if b["group"] == "motion" or not args.motion_only]
    print()
    print(format_table(table, bars))
    settings = dict(model=_shown(model), motion=_shown(motion_dir) if not motion_note else None, n=args.n, steps=args.steps,
                    guidance=args.guidance, seed=args.seed, device=args.device, motion_only=args.motion_only)
    failed = [b for b in bars if b["passed"] is False]
    print(f"\n{len(done)} prompts in {time.time() - t0:.0f}s; " + ("all bars met" if not failed else f"{len(failed)} bar(s) missed"))
    grid = None
    if args.report:
        shown = []
        for g in dict.fromkeys(it["group"] for it in done):
            shown += [it for it in done if it["group"] == g][: args.grid_per_group]
        grid = labelled_grid(
            [it["output"] for it in shown],
            [f"[{it['group']}] {it['prompt']}" for it in shown],
            cols=args.grid_per_group,
            notes=[_note(it["adherence"]) for it in shown],
            title=f"genlab tiny evaluate: {model.name}, seed {args.seed}, {args.steps} steps, guidance {args.guidance}",
        )
    payload = dict(
        settings=settings,
        note=motion_note,
        bars=bars,
        groups=table,
        items=[{k: v for k, v in it.items() if k != "output"} for it in done],
    )
    _write_report(args.report, "adherence", payload, format_markdown(table, bars, settings), grid)
    return 1 if (failed and args.strict) else 0


def _grid(args) -> int:
    from genlab.tiny import evaluator as E
    from genlab.tiny import world

    pipe = load_image_pipeline(args.model)
    seeds = [args.seed + i for i in range(len(GRID_PROMPTS))]
    pics = generate_images(pipe, GRID_PROMPTS, seeds, steps=args.steps, guidance=args.guidance, batch=8)
    notes = None
    if not args.no_evaluator:
        reads = E.read_images(pics)
        notes = [_note(E.adherence_of(p, r)) for p, r in zip(GRID_PROMPTS, reads)]
    labels = []
    for p in GRID_PROMPTS:
        parsed = world.parse_prompt(p)
        held = (parsed["shape"], parsed["colour"]) in world.HELD_OUT
        labels.append(p + (" (held out)" if held else ""))
    title = (
        f"{Path(args.model).name}: seeds {args.seed}..{args.seed + len(GRID_PROMPTS) - 1}, "
        f"{args.steps} steps, guidance {args.guidance} (python -m genlab.tiny.cli grid)"
    )
    sheet = labelled_grid(pics, labels, cols=4, notes=notes, title=title)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, optimize=True)
    print(f"wrote {out} ({sheet.size[0]}x{sheet.size[1]})")
    return 0


def _train_evaluator(args) -> int:
    from genlab.tiny import evaluator as E

    meta = E.train_evaluator(args.out, n_images=args.images, epochs=args.epochs, seed=args.seed)
    print(json.dumps(meta, indent=2))
    res = E.validate_evaluator(args.validate, seed=1234, n_clips=max(1, args.validate // 5), evaluator=E.load_evaluator(args.out))
    for g, d in res.items():
        print(f"  {g:<11} " + ", ".join(f"{k} {100 * v['accuracy']:.1f}%" for k, v in d.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genlab tiny", description="Train, measure and show genlab's tiny shapes-world models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("train", help="train the tiny image / motion models (see `genlab tiny train --help`)", add_help=False)

    p = sub.add_parser("evaluate", help="prompt adherence of a tiny model, read from its pictures")
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="image pipeline folder (default: %(default)s)")
    p.add_argument("--motion", default=None, help=f"motion adapter folder (default: {DEFAULT_MOTION}, skipped if absent)")
    p.add_argument("--n", type=int, default=None, help="prompts per group (default: 24; --evaluator-only: 400 images per group)")
    p.add_argument("--clips", type=int, default=None, help="clips for the motion group (default: --n; 0 = none)")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=8, help="pictures per pipeline call")
    p.add_argument("--motion-only", action="store_true",
                   help="generate and score only the clips (the same clips, prompts and seeds as a full run with this --n and --seed)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where to generate (default cpu: the figures in the model cards; cuda for quick checks on a GPU)")
    p.add_argument("--report", type=Path, default=None, help="write JSON, Markdown and a picture grid here")
    p.add_argument("--grid-per-group", type=int, default=4)
    p.add_argument("--evaluator-only", action="store_true", help="measure the evaluator on ground-truth renders (no model)")
    p.add_argument("--degraded", action="store_true", help="with --evaluator-only: read blurred, noisy, colour-drifted copies")
    p.add_argument("--through-vae", action="store_true",
                   help="with --evaluator-only: read ground truth after --model's VAE (encode + decode): what the model can show at best")
    p.add_argument("--strict", action="store_true", help="exit 1 when a bar is missed")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("grid", help="the labelled picture grid of a tiny model (docs/tiny-samples.png)")
    p.add_argument("--model", default=str(DEFAULT_MODEL))
    p.add_argument("--out", default=str(DEFAULT_GRID))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=7.0)
    p.add_argument("--no-evaluator", action="store_true", help="do not print the evaluator's verdict under each picture")
    p.set_defaults(func=_grid)

    p = sub.add_parser("train-evaluator", help="retrain the evaluator's shape/style CNN (CPU, seeded, a few minutes)")
    p.add_argument("--out", default=None, help="folder for the weights (default: $GENLAB_TINY_EVALUATOR, else the shipped evaluator's)")
    p.add_argument("--images", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--validate", type=int, default=600, help="ground-truth images per group to validate on afterwards")
    p.set_defaults(func=_train_evaluator)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":
        from genlab.tiny import train

        return int(train.main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except FileNotFoundError as err:
        print(f"genlab tiny: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
