"""The shapes world: determinism, grammar round trips, held-out pairs, and that pictures show
what their captions say (colours, positions, sizes, styles, motions). The render rate is a
figure of benchmarks/tiny_speed.py, not a test."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from genlab.tiny import world as w


def _arr(img) -> np.ndarray:
    return np.asarray(img).astype(np.int32)


def _object_mask(img, background: str, tol: int = 60) -> np.ndarray:
    """Pixels clearly unlike the background colour."""
    a = _arr(img)
    bg = np.array(w.COLOURS[background])
    return np.abs(a - bg).sum(-1) > tol


def _colour_mask(img, colour: str, tol: int = 60) -> np.ndarray:
    a = _arr(img)
    return np.abs(a - np.array(w.COLOURS[colour])).sum(-1) < tol


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    n = mask.shape[0]
    return (xs.mean() + 0.5) / n, (ys.mean() + 0.5) / n


def _one(shape="circle", colour="red", size="large", position="centre", style="flat", bg="blue", **kw):
    return w.Scene((w.Shape(shape, colour, size, position, style, **kw),), bg)


# ------------------------------------------------------------------------------------------


def test_vocabulary():
    assert w.SHAPES == ("circle", "square", "triangle", "star", "heart")
    for c in ("red", "orange", "yellow", "green", "blue", "purple", "white", "black"):
        assert c in w.COLOURS and len(w.COLOURS[c]) == 3
    assert 3 <= len(w.HELD_OUT) <= 7
    for shape, colour in w.HELD_OUT:
        assert shape in w.SHAPES and colour in w.COLOURS
    assert abs(sum(w.DEFAULTS["position"].values()) - 1) < 1e-9
    assert max(w.DEFAULTS["style"], key=w.DEFAULTS["style"].get) == "flat"
    assert max(w.DEFAULTS["position"], key=w.DEFAULTS["position"].get) == "centre"


def test_render_is_deterministic_for_a_scene():
    rng1, rng2 = random.Random(7), random.Random(7)
    for _ in range(30):
        s1, s2 = w.sample_scene(rng1, two_object_prob=0.4), w.sample_scene(rng2, two_object_prob=0.4)
        assert s1 == s2
        a, b = w.render(s1), w.render(s2)
        assert a.mode == "RGB" and a.size == (128, 128)
        assert a.tobytes() == b.tobytes()
    assert w.render(_one(), size=64).size == (64, 64)


def test_training_examples_are_seeded_and_parseable():
    for seed in range(40):
        img1, cap1 = w.sample_training_example(random.Random(seed))
        img2, cap2 = w.sample_training_example(random.Random(seed))
        assert cap1 == cap2 and img1.tobytes() == img2.tobytes()
        p = w.parse_prompt(cap1)
        assert p["shape"] in w.SHAPES and p["colour"] in w.COLOURS and p["background"] in w.COLOURS
        assert p["colour"] != p["background"]


def test_canonical_caption_example():
    s = _one("circle", "red", "large", "centre", "flat", "blue")
    assert w.caption(s, mention=set()) == "a red circle on a blue background"
    assert w.caption(s) == "a large flat red circle in the centre on a blue background"
    assert w.parse_prompt("a red circle on a blue background") == {
        "shape": "circle", "colour": "red", "background": "blue", "size": None, "position": None,
        "style": None, "motion": None, "second": None, "relation": None,
    }
    clip = w.ClipSpec(_one("star", "yellow", "small", "left", "flat", "black"), "moving right", 8)
    assert w.clip_caption(clip) == "a yellow star moving right on a black background"
    assert w.caption(_one("heart", "orange", style="outlined", bg="white"), mention={"style"}) == (
        "an outlined orange heart on a white background"
    )


def test_every_phrasing_round_trips_through_parse_prompt():
    rng = random.Random(3)
    subsets = [set(c) for r in range(4) for c in itertools.combinations(("size", "position", "style"), r)]
    checked = 0
    for shape, colour, bg in itertools.product(w.SHAPES, w.COLOURS, w.COLOURS):
        if colour == bg:
            continue
        size, pos, style = rng.choice(w.SIZES), rng.choice(w.POSITIONS), rng.choice(w.STYLES)
        scene = _one(shape, colour, size, pos, style, bg)
        for mention in subsets:
            for t in range(w.CAPTION_TEMPLATES):
                text = w.caption(scene, mention=mention, template=t)
                p = w.parse_prompt(text)
                assert (p["shape"], p["colour"], p["background"]) == (shape, colour, bg), text
                assert p["size"] == (size if "size" in mention else None), text
                assert p["position"] == (pos if "position" in mention else None), text
                assert p["style"] == (style if "style" in mention else None), text
                assert p["motion"] is None and p["second"] is None and p["relation"] is None, text
                checked += 1
    assert checked > 2000
    # Captions chosen by an rng parse too.
    for _ in range(300):
        s = w.sample_scene(rng, split="any", two_object_prob=0.0)
        p = w.parse_prompt(w.caption(s, rng))
        assert (p["shape"], p["colour"], p["background"]) == (s.objects[0].shape, s.objects[0].colour, s.background)


def test_two_object_and_clip_phrasings_round_trip():
    rng = random.Random(5)
    n = 0
    while n < 200:
        s = w.sample_scene(rng, split="any", two_object_prob=1.0)
        assert len(s.objects) == 2 and s.relation in w.RELATIONS
        for t in range(w.TWO_OBJECT_TEMPLATES):
            for mention in (set(), {"style"}):
                text = w.caption(s, mention=mention, template=t)
                p = w.parse_prompt(text)
                a, b = s.objects
                assert (p["shape"], p["colour"], p["background"], p["relation"]) == (a.shape, a.colour, s.background, s.relation), text
                assert p["second"]["shape"] == b.shape and p["second"]["colour"] == b.colour, text
                if mention:
                    assert p["style"] == a.style and p["second"]["style"] == b.style, text
        n += 1
    for _ in range(200):
        clip = w.sample_clip(rng, split="any")
        for t in range(w.CLIP_TEMPLATES):
            text = w.clip_caption(clip, template=t)
            p = w.parse_prompt(text)
            o = clip.scene.objects[0]
            assert (p["shape"], p["colour"], p["background"], p["motion"]) == (o.shape, o.colour, clip.scene.background, clip.motion), text
            assert p["position"] is None, text


@pytest.mark.parametrize("text", ["", "hello world", "!!!", "a a a", "background", "left of", 12, None, "a 🐸 on mars"])
def test_parse_prompt_never_raises(text):
    p = w.parse_prompt(text)
    assert set(p) == {"shape", "colour", "background", "size", "position", "style", "motion", "second", "relation"}
    if text in ("", "hello world", None, 12):
        assert all(v is None for v in p.values())


def test_parse_prompt_synonyms():
    p = w.parse_prompt("A big striped green STAR in the top-left corner, on a black background.")
    assert (p["size"], p["style"], p["colour"], p["shape"], p["position"], p["background"]) == (
        "large", "striped", "green", "star", "top left", "black")
    assert w.parse_prompt("a purple heart in the center on a white background")["position"] == "centre"
    assert w.parse_prompt("a blue square to the left of a red circle")["relation"] == "left of"
    assert w.parse_prompt("a red star moving up on a white background")["position"] is None


def test_held_out_pairs_never_in_train_split():
    rng = random.Random(11)
    for _ in range(4000):
        s = w.sample_scene(rng, split="train", two_object_prob=0.3)
        for o in s.objects:
            assert (o.shape, o.colour) not in w.HELD_OUT
            assert o.colour != s.background
        c = w.sample_clip(rng, split="train")
        o = c.scene.objects[0]
        assert (o.shape, o.colour) not in w.HELD_OUT
    seen = set()
    for _ in range(500):
        s = w.sample_scene(rng, split="heldout")
        assert (s.objects[0].shape, s.objects[0].colour) in w.HELD_OUT
        seen.add((s.objects[0].shape, s.objects[0].colour))
    assert seen == set(w.HELD_OUT)
    # The training captions never name a held-out pair either.
    for seed in range(1500):
        _, cap = w.sample_training_example(random.Random(seed))
        p = w.parse_prompt(cap)
        assert (p["shape"], p["colour"]) not in w.HELD_OUT, cap
        if p["second"]:
            assert (p["second"]["shape"], p["second"]["colour"]) not in w.HELD_OUT, cap


def test_object_pixels_have_the_named_colour():
    for colour in w.COLOURS:
        for shape in w.SHAPES:
            bg = "black" if colour != "black" else "white"
            img = w.render(_one(shape, colour, "large", "centre", "flat", bg))
            mask = _object_mask(img, bg)
            assert mask.mean() > 0.12, (shape, colour)
            med = np.median(_arr(img)[mask], axis=0)
            assert np.abs(med - np.array(w.COLOURS[colour])).max() <= 12, (shape, colour, med)
            # The background is untouched at the corners.
            assert tuple(_arr(img)[1, 1]) == w.COLOURS[bg]


def test_positions_and_sizes_land_where_they_say():
    expected = {"centre": (0, 0), "left": (-1, 0), "right": (1, 0), "top": (0, -1), "bottom": (0, 1),
                "top left": (-1, -1), "top right": (1, -1), "bottom left": (-1, 1), "bottom right": (1, 1)}
    areas = {}
    for size in w.SIZES:
        for pos, (ux, uy) in expected.items():
            for shape in ("circle", "square", "star"):
                img = w.render(_one(shape, "white", size, pos, "flat", "black"))
                mask = _object_mask(img, "black")
                cx, cy = _centroid(mask)
                # Centroids fall in the right third (left < 0.42, centre 0.42-0.58, right > 0.58).
                for u, c in ((ux, cx), (uy, cy)):
                    if u < 0:
                        assert c < 0.42, (size, pos, shape, cx, cy)
                    elif u > 0:
                        assert c > 0.58, (size, pos, shape, cx, cy)
                    else:
                        assert 0.42 <= c <= 0.58, (size, pos, shape, cx, cy)
                areas.setdefault((shape, size), []).append(mask.mean())
                ys, xs = np.nonzero(mask)
                width = (xs.max() - xs.min() + 1) / 128
                lo, hi = (0.2, 0.36) if size == "small" else (0.45, 0.68)
                assert lo <= width <= hi, (size, pos, shape, width)
    for shape in ("circle", "square", "star"):
        assert min(areas[shape, "large"]) > 3 * max(areas[shape, "small"]), shape


def test_jitter_moves_a_little():
    base = _centroid(_object_mask(w.render(_one(bg="white")), "white"))
    moved = _centroid(_object_mask(w.render(_one(bg="white", dx=0.025, dy=-0.025)), "white"))
    assert 0.015 < moved[0] - base[0] < 0.035 and 0.015 < base[1] - moved[1] < 0.035


def test_styles_look_like_their_names():
    bg, col = "white", "blue"
    def inside(style):
        img = w.render(_one("square", col, "large", "centre", style, bg))
        a = _arr(img)
        box = a[45:83, 45:83]  # well inside the square
        return img, box
    _, flat = inside("flat")
    assert (np.abs(flat - w.COLOURS[col]).sum(-1) < 10).all()
    _, outl = inside("outlined")
    assert (np.abs(outl - w.COLOURS[bg]).sum(-1) < 10).mean() > 0.95  # background inside
    img, _ = inside("outlined")
    assert _colour_mask(img, col).mean() > 0.08  # but a thick coloured border
    for style in ("striped", "dotted"):
        _, box = inside(style)
        frac_bg = (np.abs(box - w.COLOURS[bg]).sum(-1) < 60).mean()
        frac_col = (np.abs(box - w.COLOURS[col]).sum(-1) < 60).mean()
        assert 0.08 < frac_bg < 0.5 and frac_col > 0.45, (style, frac_bg, frac_col)
    _, grad = inside("gradient")
    top, bottom = grad[:5].mean(), grad[-5:].mean()
    assert top > bottom + 40  # light at the top, dark at the bottom
    mid = grad[17:21].mean((0, 1))
    assert np.abs(mid - np.array(w.COLOURS[col])).max() < 45


def test_two_object_scenes_follow_the_relation():
    rng = random.Random(2)
    for _ in range(60):
        s = w.sample_scene(rng, split="any", two_object_prob=1.0)
        a, b = s.objects
        if a.colour == b.colour:
            continue
        img = w.render(w.Scene((_flat(a), _flat(b)), s.background, s.relation))
        ca, cb = _centroid(_colour_mask(img, a.colour)), _centroid(_colour_mask(img, b.colour))
        dx, dy = ca[0] - cb[0], ca[1] - cb[1]
        if s.relation == "left of":
            assert dx < -0.3
        elif s.relation == "right of":
            assert dx > 0.3
        elif s.relation == "above":
            assert dy < -0.3
        else:
            assert dy > 0.3


def _flat(o):
    import dataclasses

    return dataclasses.replace(o, style="flat")


@pytest.mark.parametrize("motion", w.MOTIONS)
def test_clips_move_in_the_stated_direction(motion):
    rng = random.Random(hash(motion) % 1000)
    clip = w.sample_clip(rng)
    clip = w.ClipSpec(w.Scene((_flat(clip.scene.objects[0]),), clip.scene.background), motion, 8)
    frames = w.render_clip(clip)
    assert len(frames) == 8 and all(f.size == (128, 128) for f in frames)
    masks = [_object_mask(f, clip.scene.background) for f in frames]
    cents = [_centroid(m) for m in masks]
    areas = [m.mean() for m in masks]
    dx, dy = cents[-1][0] - cents[0][0], cents[-1][1] - cents[0][1]
    if motion == "moving right":
        assert dx > 0.35 and abs(dy) < 0.05
    elif motion == "moving left":
        assert dx < -0.35 and abs(dy) < 0.05
    elif motion == "moving down":
        assert dy > 0.35 and abs(dx) < 0.05
    elif motion == "moving up":
        assert dy < -0.35 and abs(dx) < 0.05
    elif motion == "growing":
        assert all(b > a for a, b in zip(areas, areas[1:])) and areas[-1] > 3 * areas[0]
    else:
        assert all(b < a for a, b in zip(areas, areas[1:])) and areas[0] > 3 * areas[-1]
    if motion.startswith("moving"):
        steps = [abs(b[0] - a[0]) + abs(b[1] - a[1]) for a, b in zip(cents, cents[1:])]
        assert min(steps) > 0.04  # every frame moves
    # Deterministic.
    assert [f.tobytes() for f in w.render_clip(clip)] == [f.tobytes() for f in frames]

