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
import sys
import time
from pathlib import Path

from genlab import settings
from genlab.tiny.sampling import generate_clips, generate_images, load_image_pipeline, load_motion_pipeline
from genlab.tiny.scorecard import (  # noqa: F401  (build_prompt_set, score, ... are this command's public names too)
    BARS,
    EVALUATOR_BAR,
    build_prompt_set,
    check_bars,
    format_markdown,
    format_table,
    labelled_grid,
    note,
    score,
)

DEFAULT_MODEL = settings.MODELS_DIR / "tiny-shapes"
DEFAULT_MOTION = settings.MODELS_DIR / "tiny-shapes-motion"
DEFAULT_GRID = settings.REPO_ROOT / "docs" / "tiny-samples.png"
DEFAULT_CONTROLNET = settings.MODELS_DIR / "tiny-shapes-controlnet"

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

def _shown(path: Path) -> str:
    """A path as a report shows it: relative to the repository when inside it."""
    try:
        return str(Path(path).resolve().relative_to(settings.REPO_ROOT))
    except ValueError:
        return str(path)


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


def _evaluate_controlnet(args) -> int:
    from genlab.tiny import controlnet_eval as C
    from genlab.tiny.sampling import load_controlnet_pipeline

    t0 = time.time()
    folder = Path(args.controlnet)
    if not (folder / "config.json").exists():
        raise FileNotFoundError(f"no ControlNet in {folder} (train one: genlab tiny train controlnet --preset cpu)")
    n = args.n or 24
    pipe = load_image_pipeline(Path(args.model)).to(args.device)
    cpipe = load_controlnet_pipeline(pipe, folder).to(args.device)
    print(f"generating {2 * n * len(C.control.CONDITIONS)} pictures ({n} held-out drawings per condition, with and without the drawing)", flush=True)
    results = C.measure(pipe, cpipe, n=n, seed=args.seed, steps=args.steps, guidance=args.guidance, batch=args.batch)
    table = C.summary(results)
    run_settings = dict(model=_shown(Path(args.model)), controlnet=_shown(folder), n=n, steps=args.steps,
                        guidance=args.guidance, seed=args.seed, device=args.device)
    markdown = C.format_markdown(table, run_settings)
    print(markdown)
    failed = [c for c, s in table.items() if not (s["iou_bar_met"] and s["colour_bar_met"])]
    print(f"{2 * n * len(table)} pictures in {time.time() - t0:.0f}s; " + ("all bars met" if not failed else f"bars missed: {', '.join(failed)}"))
    strip = ("drawing", "picture", "picture_without")
    payload = dict(settings=run_settings, bar_iou=C.IOU_BAR, conditions=table,
                   items=[{k: v for k, v in it.items() if k not in strip} for items in results.values() for it in items])
    _write_report(args.report, "controlnet", payload, markdown, C.grid(results, args.grid_per_group) if args.report else None)
    return 1 if (failed and args.strict) else 0


def _evaluate(args) -> int:
    if args.evaluator_only:
        return _evaluator_only(args)
    if args.controlnet:
        return _evaluate_controlnet(args)
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
    run_settings = dict(model=_shown(model), motion=_shown(motion_dir) if not motion_note else None, n=args.n, steps=args.steps,
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
            notes=[note(it["adherence"]) for it in shown],
            title=f"genlab tiny evaluate: {model.name}, seed {args.seed}, {args.steps} steps, guidance {args.guidance}",
        )
    payload = dict(
        settings=run_settings,
        note=motion_note,
        bars=bars,
        groups=table,
        items=[{k: v for k, v in it.items() if k != "output"} for it in done],
    )
    _write_report(args.report, "adherence", payload, format_markdown(table, bars, run_settings), grid)
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
        notes = [note(E.adherence_of(p, r)) for p, r in zip(GRID_PROMPTS, reads)]
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


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`genlab tiny` and its commands, on the parser genlab's command tree gives it (or its own)."""
    parser.description = "Train, measure and show genlab's tiny shapes-world models."
    parser.set_defaults(run=run, tiny_parser=parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # The trainer keeps its own parser: it also runs alone on a bare GPU machine
    # (`python -m genlab.tiny.train`, scripts/train_tiny_gpu.sh) and records its exact arguments, so
    # `genlab tiny train ...` hands its words to it unparsed (`train_argv`); listed here for --help.
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
    p.add_argument("--controlnet", nargs="?", const=str(DEFAULT_CONTROLNET), default=None, metavar="FOLDER",
                   help=f"measure the ControlNet instead (default folder: {DEFAULT_CONTROLNET}): IoU with held-out drawings, "
                        "colour adherence with and without the drawing")
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


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="genlab tiny"))


def train_argv(argv: list[str]) -> list[str] | None:
    """The trainer's own words when `argv` (after `genlab tiny`) asks for `train`, else None."""
    return list(argv[1:]) if argv[:1] == ["train"] else None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if train_argv(argv) is not None:
        from genlab.tiny import train

        return int(train.main(train_argv(argv)) or 0)
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    if not getattr(args, "func", None):
        args.tiny_parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except FileNotFoundError as err:
        print(f"genlab tiny: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
