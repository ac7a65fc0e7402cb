"""Reading pictures and clips, and prompt adherence: the evaluator's public API.

``read_image(picture)`` answers, with :func:`genlab.tiny.world.parse_prompt`'s keys, what a
picture shows; ``read_clip(frames)`` adds the motion (step 6 of the design: least-squares
slopes of the first object's centre and size over the frames). ``adherence(prompt, picture)``
is "parse the prompt, read the picture, compare what the prompt states".
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterable, Sequence

import numpy as np

from genlab.tiny import world
from genlab.tiny.evaluator.network import Evaluator, crop_inputs, load_evaluator
from genlab.tiny.evaluator.pixels import Frame, analyse, relation, to_array

ATTRIBUTES = ("shape", "colour", "background", "size", "position", "style")
OBJECT_KEYS = ("shape", "colour", "size", "style")
MIN_MOTION = 0.08  # a clip's travel (fraction of the frame) below this is no motion
BATCH = 64  # pictures analysed at once


def empty_reading() -> dict:
    """A reading that saw nothing: every key of ``parse_prompt`` set to None."""
    return {k: None for k in ("shape", "colour", "background", "size", "position", "style", "motion", "second", "relation")}


def read_frames(frames: list[Frame], evaluator: Evaluator | None) -> list[dict]:
    """Readings of analysed frames: the pixel rules' answers plus the network's shape and style."""
    which = [(fi, oi) for fi, fr in enumerate(frames) for oi in range(len(fr.objects))]
    classes = evaluator.classify(crop_inputs(frames, which)) if evaluator is not None else [(None, None)] * len(which)
    ss = dict(zip(which, classes))
    out = []
    for fi, fr in enumerate(frames):
        r = empty_reading()
        r["background"] = fr.background
        objs = []
        for oi, ob in enumerate(fr.objects):
            shape, style = ss[(fi, oi)]
            objs.append({"shape": shape, "colour": ob.colour, "size": ob.size, "position": ob.position, "style": style})
        if objs:
            r.update(objs[0])
        if len(objs) > 1:
            r["second"] = objs[1]
            r["relation"] = relation(fr.objects[0], fr.objects[1])
        out.append(r)
    return out


@contextmanager
def one_torch_thread():
    """Run torch on one thread meanwhile: the evaluator's many small tensor operations are faster
    so (much faster on a busy machine); the previous setting is restored afterwards."""
    import torch

    old = torch.get_num_threads()
    if old != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if old != 1:
            torch.set_num_threads(old)


def _analysed(images: Sequence[Any], evaluator: Evaluator, batch_size: int = BATCH) -> tuple[list[Frame], list[dict]]:
    """(frames, readings) of many pictures, analysed ``batch_size`` at a time."""
    frames: list[Frame] = []
    reads: list[dict] = []
    with one_torch_thread():
        for s in range(0, len(images), batch_size):
            part = analyse(np.stack([to_array(im) for im in images[s : s + batch_size]]))
            frames += part
            reads += read_frames(part, evaluator)
    return frames, reads


def read_images(images: Sequence[Any], *, evaluator: Evaluator | None = None, batch_size: int = BATCH) -> list[dict]:
    """:func:`read_image` for many pictures at once (batched; much faster per image)."""
    ev = evaluator if evaluator is not None else load_evaluator()
    return _analysed(images, ev, batch_size)[1]


def read_image(image: Any, *, evaluator: Evaluator | None = None) -> dict:
    """What a picture shows, with the keys of ``world.parse_prompt`` (None = cannot tell).

    The first object is the largest; ``second`` (a dict: shape, colour, size, position, style)
    is a second object if there is one, and ``relation`` is where the first is relative to it.
    """
    return read_images([image], evaluator=evaluator)[0]


def _slope(t: np.ndarray, v: np.ndarray) -> float:
    tc = t - t.mean()
    den = float((tc * tc).sum())
    return float((tc * (v - v.mean())).sum() / den) if den > 0 else 0.0


def _vote(values: Iterable) -> Any:
    c = Counter(v for v in values if v is not None)
    return c.most_common(1)[0][0] if c else None


def read_clips(clips: Sequence[Sequence[Any]], *, evaluator: Evaluator | None = None) -> list[dict]:
    """:func:`read_clip` for many clips (all frames of all clips read in batches)."""
    ev = evaluator if evaluator is not None else load_evaluator()
    frames, reads = _analysed([f for c in clips for f in c], ev)
    out, k = [], 0
    for c in clips:
        n = len(c)
        fr, rd = frames[k : k + n], reads[k : k + n]
        k += n
        r = empty_reading()
        for key in ("shape", "colour", "background", "style"):
            r[key] = _vote(x[key] for x in rd)
        seen = [i for i, f in enumerate(fr) if f.objects]
        if seen:
            r["size"], r["position"] = rd[seen[0]]["size"], rd[seen[0]]["position"]
        if len(seen) >= 2 and len(seen) >= n / 2:
            t = np.array(seen, np.float32)
            xs = np.array([fr[i].objects[0].centre[0] for i in seen])
            ys = np.array([fr[i].objects[0].centre[1] for i in seen])
            es = np.array([fr[i].objects[0].extent for i in seen])
            span = n - 1
            dx, dy, de = _slope(t, xs) * span, _slope(t, ys) * span, _slope(t, es) * span
            best = max((abs(dx), "x"), (abs(dy), "y"), (abs(de), "e"))
            if best[0] >= MIN_MOTION:
                r["motion"] = {
                    "x": "moving right" if dx > 0 else "moving left",
                    "y": "moving down" if dy > 0 else "moving up",
                    "e": "growing" if de > 0 else "shrinking",
                }[best[1]]
        out.append(r)
    return out


def read_clip(frames: Sequence[Any], *, evaluator: Evaluator | None = None) -> dict:
    """What a clip shows: shape, colour, background, style (majority over frames), size and
    position (first frame) and motion (moving left/right/up/down, growing, shrinking)."""
    return read_clips([frames], evaluator=evaluator)[0]


# ---------------------------------------------------------------------------------------------
# Adherence: what the prompt states against what was read


def _stated(parsed: dict) -> dict:
    return {k: v for k, v in parsed.items() if v is not None}


def compare(parsed: dict, read: dict) -> dict[str, bool]:
    """Compare what a prompt states with what was read (both with parse_prompt's keys)."""
    out: dict[str, bool] = {}
    for k, v in _stated(parsed).items():
        if k == "second":
            got = read.get("second") or {}
            for kk, vv in _stated(v).items():
                out[f"second {kk}"] = got.get(kk) == vv
        else:
            out[k] = read.get(k) == v
    return out


def swapped(read: dict) -> dict:
    """The same reading with the two objects exchanged (and the relation reversed)."""
    if not read.get("second"):
        return read
    inv = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}
    sw = dict(read)
    first = {k: read.get(k) for k in ("shape", "colour", "size", "position", "style")}
    sw.update(read["second"])
    sw["second"] = first
    sw["relation"] = inv.get(read.get("relation"), read.get("relation"))
    return sw


def adherence_of(prompt: str, read: dict) -> dict[str, bool]:
    """:func:`adherence` from an existing reading (``read_image``/``read_clip`` output)."""
    parsed = world.parse_prompt(prompt)
    a = compare(parsed, read)
    if parsed.get("second") is not None and read.get("second"):
        b = compare(parsed, swapped(read))
        if sum(b.values()) > sum(a.values()):
            a = b
    return a


def adherence(prompt: str, image_or_frames: Any, *, evaluator: Evaluator | None = None) -> dict[str, bool]:
    """For each attribute the prompt states (and only those), whether the picture/clip shows it.

    A list/tuple of pictures is read as a clip. Two-object prompts are matched to the two objects
    read in whichever order agrees more; their attributes are reported as "second shape", ...
    """
    if isinstance(image_or_frames, (list, tuple)):
        read = read_clip(image_or_frames, evaluator=evaluator)
    else:
        read = read_image(image_or_frames, evaluator=evaluator)
    return adherence_of(prompt, read)
