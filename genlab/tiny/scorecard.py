"""How well a tiny model follows prompts: the seeded prompt set, the acceptance bars, the score
table (text and Markdown) and the labelled picture grid that ``genlab tiny evaluate`` reports.
The pictures are read by :mod:`genlab.tiny.evaluator`; this module only counts and draws."""

from __future__ import annotations

import random

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


def note(adh: dict) -> str:
    """A grid note: "ok: all N stated attributes", or the attributes the evaluator found missing."""
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
