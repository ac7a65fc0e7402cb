"""How closely the tiny ControlNet follows drawings: ``genlab tiny evaluate --controlnet``.

For each condition (sketch, layout), ``n`` held-out drawings (a seed stream training never used,
colours and shapes from the whole world, held-out pairs included; flat objects so colours read
cleanly) are turned into pictures with the drawing and, with the same prompts and seeds, without
it. Measured from pixels:

* **IoU** of the picture's object with the drawn shape (sketch) or of its bounding box with the
  drawn box (layout): :func:`genlab.tiny.control.adherence`. Bar: mean >= 0.8.
* **colour adherence** with and without the drawing (the evaluator reads the object's colour):
  control must not cost colour (bar: with >= without).
"""

from __future__ import annotations

import random

import numpy as np

from genlab.tiny import control

IOU_BAR = 0.8
EVAL_STREAM = "controlnet-eval"  # training draws from "controlnet"; these drawings are new


def held_out_examples(n: int, seed: int, condition: str) -> list[control.ControlExample]:
    rng = random.Random(f"{seed}/{EVAL_STREAM}/{condition}")
    return [control.sample_example(rng, split="any", condition=condition, style="flat") for _ in range(n)]


def measure(image_pipe, control_pipe, *, n: int = 24, seed: int = 0, steps: int = 20, guidance: float = 7.0,
            batch: int = 8, evaluator=None) -> dict:
    """{condition: {"iou": [...], "colour_with": [...], "colour_without": [...], "items": [...]}}, with pictures."""
    from genlab.tiny import evaluator as E
    from genlab.tiny.sampling import generate_images

    ev = evaluator or E.load_evaluator()
    results = {}
    for ci, condition in enumerate(control.CONDITIONS):
        examples = held_out_examples(n, seed, condition)
        prompts = [control.caption(e) for e in examples]
        seeds = [seed * 1000 + ci * 100 + i for i in range(n)]
        drawings = [control.draw(e) for e in examples]
        controls = [control.control_image(d) for d in drawings]
        with_control = generate_images(control_pipe, prompts, seeds, steps=steps, guidance=guidance, batch=batch, controls=controls)
        without = generate_images(image_pipe, prompts, seeds, steps=steps, guidance=guidance, batch=batch)
        read_with, read_without = E.read_images(with_control, evaluator=ev), E.read_images(without, evaluator=ev)
        items = []
        for e, p, d, pw, po, rw, ro in zip(examples, prompts, drawings, with_control, without, read_with, read_without):
            items.append({
                "prompt": p, "condition": condition, "geometry": [round(v, 4) for v in e.geometry],
                "iou": round(control.adherence(e, pw), 4),
                "iou_without_control": round(control.adherence(e, po), 4),
                "colour_with": rw.get("colour") == e.scene.objects[0].colour,
                "colour_without": ro.get("colour") == e.scene.objects[0].colour,
                "drawing": d, "picture": pw, "picture_without": po,
            })
        results[condition] = items
    return results


def summary(results: dict) -> dict:
    """Per condition: mean IoU (with / without the drawing), share of pictures at IoU >= 0.8,
    colour adherence with / without; and whether the bars are met."""
    out = {}
    for condition, items in results.items():
        iou = np.array([it["iou"] for it in items])
        out[condition] = {
            "n": len(items),
            "mean_iou": round(float(iou.mean()), 4),
            "share_iou_at_least_bar": round(float((iou >= IOU_BAR).mean()), 4),
            "mean_iou_without_control": round(float(np.mean([it["iou_without_control"] for it in items])), 4),
            "colour_with_control": round(float(np.mean([it["colour_with"] for it in items])), 4),
            "colour_without_control": round(float(np.mean([it["colour_without"] for it in items])), 4),
        }
        s = out[condition]
        s["iou_bar_met"] = s["mean_iou"] >= IOU_BAR
        s["colour_bar_met"] = s["colour_with_control"] >= s["colour_without_control"]
    return out


def format_markdown(table: dict, settings: dict) -> str:
    lines = ["# Tiny ControlNet: does the picture follow the drawing?", "",
             "Settings: " + ", ".join(f"{k} `{v}`" for k, v in settings.items()), "",
             "| condition | n | mean IoU | IoU >= 0.8 | mean IoU without the drawing | colour with | colour without | result |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for c, s in table.items():
        ok = s["iou_bar_met"] and s["colour_bar_met"]
        lines.append(f"| {c} | {s['n']} | {s['mean_iou']:.3f} | {s['share_iou_at_least_bar']:.0%} | {s['mean_iou_without_control']:.3f} "
                     f"| {s['colour_with_control']:.0%} | {s['colour_without_control']:.0%} | {'pass' if ok else 'MISS'} |")
    lines += ["", f"Bars: mean IoU >= {IOU_BAR} with the drawn shape (sketch) or box (layout); colour adherence with the "
              "drawing no lower than without it (same prompts and seeds).", ""]
    return "\n".join(lines)


def grid(results: dict, per_condition: int = 6):
    """Rows of (drawing, picture with it, picture without it), labelled, for the model card."""
    from genlab.tiny.scorecard import labelled_grid

    images, labels, notes = [], [], []
    for condition, items in results.items():
        for it in items[:per_condition]:
            images += [it["drawing"], it["picture"], it["picture_without"]]
            labels += [f"[{condition}] drawing", it["prompt"], "same prompt and seed, no drawing"]
            notes += ["", f"IoU {it['iou']:.2f}" + ("" if it["colour_with"] else " (colour missed)"),
                      f"IoU {it['iou_without_control']:.2f}"]
    return labelled_grid(images, labels, cols=3, notes=notes, title="genlab tiny ControlNet: drawing -> picture (held-out drawings)")
