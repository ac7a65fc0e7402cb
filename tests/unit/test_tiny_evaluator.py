"""The tiny-world evaluator reads ground-truth world renders correctly, never crashes on junk,
reads clip motion, and adherence() checks only what a prompt states."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from PIL import Image

from genlab.tiny import evaluator as E
from genlab.tiny import world


@pytest.fixture(scope="module")
def ev():
    return E.load_evaluator()


def _scene(shape, colour, bg, *, size="large", position="centre", style="flat"):
    return world.Scene((world.Shape(shape, colour, size, position, style),), bg)


def test_shipped_evaluator_is_small_and_labelled():
    files = {p.name: p.stat().st_size for p in E.EVALUATOR_DIR.iterdir()}
    assert {"model.safetensors", "labels.json", "README.md"} <= set(files)
    assert sum(files.values()) < 1_000_000
    meta = json.loads((E.EVALUATOR_DIR / "labels.json").read_text())
    assert meta["shapes"] == list(world.SHAPES) and meta["styles"] == list(world.STYLES)


def test_reads_ground_truth(ev):
    """>= 98% per attribute on seen and held-out combinations (all sizes, positions, styles),
    two-object scenes (both objects, relation) and clips."""
    res = E.validate_evaluator(150, seed=7, n_clips=30, evaluator=ev)
    assert set(res) == {"seen", "held-out", "two-object", "clips"}
    assert res["seen"]["shape"]["n"] == 150 and res["two-object"]["relation"]["n"] == 75
    low = {f"{g} {k}": v["accuracy"] for g, d in res.items() for k, v in d.items() if v["accuracy"] < 0.98}
    assert not low, low


def test_reads_every_style_shape_position(ev):
    rng = random.Random(3)
    scenes = []
    for style in world.STYLES:
        for shape in world.SHAPES:
            colour, bg = rng.sample(list(world.COLOURS), 2)
            pos = rng.choice(world.POSITIONS)
            size = rng.choice(world.SIZES)
            scenes.append(_scene(shape, colour, bg, size=size, position=pos, style=style))
    reads = E.read_images([world.render(s) for s in scenes], evaluator=ev)
    for s, r in zip(scenes, reads):
        o = s.objects[0]
        want = dict(shape=o.shape, colour=o.colour, background=s.background, size=o.size, position=o.position, style=o.style)
        assert {k: r[k] for k in want} == want
        assert r["second"] is None and r["relation"] is None and r["motion"] is None


def test_batch_and_single_reads_agree(ev):
    rng = random.Random(5)
    imgs = [world.render(world.sample_scene(rng, split="any", two_object_prob=0.5)) for _ in range(6)]
    assert E.read_images(imgs, evaluator=ev) == [E.read_image(i, evaluator=ev) for i in imgs]


def test_accepts_arrays_and_other_sizes(ev):
    img = world.render(_scene("star", "yellow", "blue", position="left"), size=256)
    want = E.read_image(img, evaluator=ev)
    assert want["shape"] == "star" and want["position"] == "left"
    arr = np.asarray(img)
    assert E.read_image(arr, evaluator=ev) == want
    assert E.read_image(arr.astype(np.float32) / 255.0, evaluator=ev)["shape"] == "star"
    assert E.read_image(img.convert("RGBA"), evaluator=ev) == want


JUNK = {
    "black": lambda r: np.zeros((128, 128, 3), np.uint8),
    "grey": lambda r: np.full((128, 128, 3), 128, np.uint8),
    "blue": lambda r: np.broadcast_to(np.array(world.COLOURS["blue"], np.uint8), (128, 128, 3)).copy(),
    "uniform noise": lambda r: r.integers(0, 256, (128, 128, 3), dtype=np.uint8),
    "gaussian noise": lambda r: np.clip(r.normal(128, 60, (128, 128, 3)), 0, 255).astype(np.uint8),
    "tiny noise": lambda r: r.integers(0, 256, (7, 5, 3), dtype=np.uint8),
    "grey noise": lambda r: r.integers(0, 256, (128, 128), dtype=np.uint8),
    "nan": lambda r: np.full((64, 64, 3), np.nan, np.float32),
    "1x1": lambda r: np.zeros((1, 1, 3), np.uint8),
}


@pytest.mark.parametrize("name", list(JUNK))
def test_junk_reads_as_none_without_raising(ev, name):
    img = JUNK[name](np.random.default_rng(0))
    r = E.read_image(img, evaluator=ev)
    assert set(r) == set(world.parse_prompt(""))
    for k in ("shape", "colour", "size", "position", "style", "second", "relation", "motion"):
        assert r[k] is None, (k, r)
    if name in ("black", "blue"):
        assert r["background"] == name
    if "noise" in name or name == "grey":
        assert r["background"] is None
    clip = E.read_clip([JUNK[name](np.random.default_rng(i)) for i in range(4)], evaluator=ev)
    assert clip["motion"] is None and clip["shape"] is None


def test_junk_fails_adherence(ev):
    noise = np.random.default_rng(1).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    a = E.adherence("a small dotted red circle in the top left on a blue background", noise, evaluator=ev)
    assert set(a) == {"shape", "colour", "background", "size", "position", "style"}
    assert not any(a.values())


@pytest.mark.parametrize("motion", world.MOTIONS)
def test_reads_clip_motion(ev, motion):
    rng = random.Random(world.MOTIONS.index(motion))
    for _ in range(3):
        shape, colour, bg = rng.choice(world.SHAPES), *rng.sample(list(world.COLOURS), 2)
        size = "large" if motion == "shrinking" else "small"
        obj = world.Shape(shape, colour, size, world.MOTION_START[motion], "flat", rng.uniform(-0.02, 0.02), rng.uniform(-0.02, 0.02))
        clip = world.ClipSpec(world.Scene((obj,), bg), motion, 8)
        frames = world.render_clip(clip)
        r = E.read_clip(frames, evaluator=ev)
        o = clip.scene.objects[0]
        assert (r["motion"], r["shape"], r["colour"], r["background"]) == (motion, o.shape, o.colour, clip.scene.background)
        assert E.adherence(world.clip_caption(clip), frames, evaluator=ev) == {"shape": True, "colour": True, "background": True, "motion": True}
        # A still picture has no motion; the clip played backwards has the opposite one.
        assert E.read_clip([frames[0]] * 8, evaluator=ev)["motion"] is None
        opposite = {"moving left": "moving right", "moving right": "moving left", "moving up": "moving down",
                    "moving down": "moving up", "growing": "shrinking", "shrinking": "growing"}[motion]
        assert E.read_clip(frames[::-1], evaluator=ev)["motion"] == opposite


def test_adherence_checks_only_stated_attributes(ev):
    img = world.render(_scene("circle", "red", "blue", size="small", position="top left", style="striped"))
    assert E.adherence("a red circle on a blue background", img, evaluator=ev) == {"shape": True, "colour": True, "background": True}
    assert E.adherence("a circle", img, evaluator=ev) == {"shape": True}
    assert E.adherence("something blue", img, evaluator=ev) == {"colour": False}
    assert E.adherence("a large green circle in the centre", img, evaluator=ev) == {
        "shape": True, "colour": False, "size": False, "position": False}
    assert E.adherence("a small striped red circle in the top left on a blue background", img, evaluator=ev) == dict.fromkeys(
        ["shape", "colour", "background", "size", "position", "style"], True)
    assert E.adherence("", img, evaluator=ev) == {}
    # A clip prompt on a still picture: the motion is stated and not seen.
    assert E.adherence("a red circle moving left on a blue background", img, evaluator=ev)["motion"] is False


def test_adherence_two_objects_in_either_order(ev):
    scene = world.Scene(
        (world.Shape("circle", "red", "small", "left", "dotted"), world.Shape("square", "blue", "small", "right", "flat")),
        "white",
        "left of",
    )
    img = world.render(scene)
    full = {"shape": True, "colour": True, "background": True, "second shape": True, "second colour": True, "relation": True}
    assert E.adherence("a red circle left of a blue square on a white background", img, evaluator=ev) == full
    assert E.adherence("a blue square right of a red circle on a white background", img, evaluator=ev) == full
    assert E.adherence("a white background with a dotted red circle to the left of a blue square", img, evaluator=ev) == {
        **full, "style": True}
    wrong = E.adherence("a red circle above a blue square on a white background", img, evaluator=ev)
    assert wrong["relation"] is False and wrong["shape"] and wrong["second shape"]
    r = E.read_image(img, evaluator=ev)
    assert r["second"] is not None and {r["shape"], r["second"]["shape"]} == {"circle", "square"}


def test_decoder_frame_and_noisy_background(ev):
    """Generated pictures often have a faint frame at the edge and a noisy background."""
    img = np.asarray(world.render(_scene("heart", "yellow", "purple", size="small", position="bottom right")), np.float32)
    img[:2], img[-2:], img[:, :2], img[:, -2:] = (200, 120, 200), (90, 20, 120), (160, 60, 190), (170, 40, 150)
    img += np.random.default_rng(0).normal(0, 7, img.shape)
    r = E.read_image(np.clip(img, 0, 255).astype(np.uint8), evaluator=ev)
    assert (r["shape"], r["colour"], r["background"], r["size"], r["position"], r["style"]) == (
        "heart", "yellow", "purple", "small", "bottom right", "flat")
    assert r["second"] is None


def test_degraded_pictures_still_read(ev):
    """Blurred, resampled, noisy, colour-drifted copies (like a small generator's output)."""
    res = E.validate_evaluator(60, seed=11, n_clips=12, degraded=True, evaluator=ev)
    low = {f"{g} {k}": v["accuracy"] for g, d in res.items() for k, v in d.items() if v["accuracy"] < 0.93}
    assert not low, low


def test_validation_through_a_vae(ev, tmp_path):
    """--through-vae: ground truth encoded and decoded by a model's VAE (here a random one)."""
    from genlab.tiny import architecture

    architecture.build_vae().save_pretrained(tmp_path / "vae")
    rt = E.vae_roundtrip(tmp_path)
    img = world.render(_scene("circle", "red", "blue"))
    out = rt([img, img])
    assert len(out) == 2 and out[0].size == (128, 128) and out[0].mode == "RGB"
    res = E.validate_evaluator(4, seed=0, n_clips=1, transform=rt, evaluator=ev)
    assert res["seen"]["shape"]["n"] == 4 and res["clips"]["motion"]["n"] == 1


def test_prompt_set_is_seeded_and_covers_groups():
    from genlab.tiny.cli import build_prompt_set

    a, b = build_prompt_set(5, 3), build_prompt_set(5, 3)
    assert a == b and a != build_prompt_set(5, 4)
    groups = [it["group"] for it in a]
    assert {g: groups.count(g) for g in set(groups)} == {
        "seen": 5, "held-out": 5, "position": 5, "size": 5, "style": 5, "two-object": 5, "motion": 5}
    held = [world.parse_prompt(it["prompt"]) for it in a if it["group"] == "held-out"]
    assert all((p["shape"], p["colour"]) in world.HELD_OUT for p in held)
    seen = [world.parse_prompt(it["prompt"]) for it in a if it["group"] in ("seen", "position", "size", "style")]
    assert all((p["shape"], p["colour"]) not in world.HELD_OUT for p in seen)
    assert all(world.parse_prompt(it["prompt"])["position"] for it in a if it["group"] == "position")
    assert all(world.parse_prompt(it["prompt"])["relation"] for it in a if it["group"] == "two-object")
    assert all(world.parse_prompt(it["prompt"])["motion"] for it in a if it["group"] == "motion")
    assert len({it["seed"] for it in a}) == len(a)


def test_scoring_and_bars():
    from genlab.tiny.cli import check_bars, format_markdown, format_table, score

    items = [
        {"group": "seen", "adherence": {"shape": True, "colour": True, "background": True}},
        {"group": "seen", "adherence": {"shape": False, "colour": True, "background": True}},
        {"group": "motion", "adherence": {"motion": True}},
    ]
    t = score(items)
    assert t["seen"]["shape"] == {"correct": 1, "n": 2, "rate": 0.5}
    assert t["seen"]["all"]["rate"] == 0.5
    bars = {(b["group"], b["attribute"]): b for b in check_bars(t)}
    assert bars[("seen", "shape")]["passed"] is False and bars[("seen", "colour")]["passed"] is True
    assert bars[("motion", "motion")]["passed"] is True and bars[("style", "style")]["passed"] is None
    assert "FAIL" in format_table(t, list(bars.values()))
    assert "| seen | shape | 50.0% | 95.0% | **fail** |" in format_markdown(t, list(bars.values()), {"seed": 0})


def test_cli_train_delegates_every_argument(monkeypatch):
    import sys
    import types

    from genlab.tiny import cli

    seen = {}
    fake = types.ModuleType("genlab.tiny.train")

    def fake_main(argv):
        seen["argv"] = argv
        return 0

    fake.main = fake_main
    monkeypatch.setitem(sys.modules, "genlab.tiny.train", fake)
    monkeypatch.setattr("genlab.tiny.train", fake, raising=False)
    assert cli.main(["train", "image", "--preset", "smoke", "--help"]) == 0
    assert seen["argv"] == ["image", "--preset", "smoke", "--help"]


def test_cli_evaluator_only(tmp_path, capsys):
    from genlab.tiny import cli

    assert cli.main(["evaluate", "--evaluator-only", "--n", "20", "--report", str(tmp_path), "--strict"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out
    rep = json.loads((tmp_path / "evaluator.json").read_text())
    assert rep["passed"] is True and rep["groups"]["seen"]["shape"]["n"] == 20


def test_labelled_grid_draws_clips_and_notes():
    from genlab.tiny.cli import labelled_grid

    img = Image.new("RGB", (128, 128), "red")
    sheet = labelled_grid([img, [img] * 8], ["a red picture", "a clip " * 10], cols=2, notes=["ok: all 1 stated attributes", "missed: motion"], title="t")
    assert sheet.size[0] > 256 and sheet.size[1] > 128


@pytest.mark.slow
def test_cli_evaluate_and_grid_on_a_model(tmp_path):
    """The whole evaluate / grid path on the model in assets (noise until it is trained)."""
    from genlab.tiny import architecture, cli

    motion = cli.DEFAULT_MOTION
    if not (motion / "config.json").exists():  # a random adapter of the shipped architecture
        motion = tmp_path / "motion"
        architecture.build_motion_adapter().save_pretrained(motion)
    rep_dir = tmp_path / "report"
    rc = cli.main(["evaluate", "--n", "1", "--clips", "1", "--steps", "2", "--report", str(rep_dir), "--batch", "4", "--motion", str(motion)])
    assert rc == 0
    rep = json.loads((rep_dir / "adherence.json").read_text())
    assert {b["group"] for b in rep["bars"]} >= {"seen", "held-out", "position", "size", "style", "motion"}
    assert [it["group"] for it in rep["items"]].count("motion") == 1
    assert "motion" in rep["items"][-1]["adherence"]
    assert len(rep["items"]) == 7 and (rep_dir / "adherence.png").exists() and (rep_dir / "adherence.md").exists()
    out = tmp_path / "grid.png"
    assert cli.main(["grid", "--steps", "2", "--out", str(out)]) == 0
    assert Image.open(out).size[0] > 512


@pytest.mark.slow
def test_cli_motion_only_scores_the_same_clips_as_a_full_run(tmp_path, capsys):
    """`--motion-only` generates no pictures and scores exactly the clips a full run with the
    same --n and --seed would (how a motion adapter is compared on a GPU in seconds)."""
    from genlab.tiny import cli

    rep_dir = tmp_path / "report"
    args = ["evaluate", "--n", "2", "--clips", "2", "--steps", "2", "--seed", "5", "--motion-only", "--report", str(rep_dir)]
    assert cli.main(args) == 0
    rep = json.loads((rep_dir / "adherence.json").read_text())
    full = [it for it in cli.build_prompt_set(2, 5, n_clips=2) if it["kind"] == "clip"]
    assert [(it["prompt"], it["seed"]) for it in rep["items"]] == [(it["prompt"], it["seed"]) for it in full]
    assert {it["group"] for it in rep["items"]} == {"motion"} and [b["group"] for b in rep["bars"]] == ["motion"]
    assert rep["settings"]["motion_only"] is True and "pictures" not in capsys.readouterr().out
    assert cli.main(["evaluate", "--motion-only", "--clips", "0"]) == 2
    assert "nothing to measure" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# Connected components (scipy.ndimage.label) and the package's two halves


def _reference_components(fg: np.ndarray, dilate: int = 3) -> np.ndarray:
    """The evaluator's labelling before scipy: torch max-label propagation with pointer jumping,
    at half resolution (the shipped evaluator was measured with these labels)."""
    import torch
    import torch.nn.functional as F

    b, h, w = fg.shape
    m = F.max_pool2d(torch.from_numpy(fg).float()[:, None], 2, stride=2)
    r = max(1, (dilate + 1) // 2)
    mask = F.max_pool2d(m, 2 * r + 1, stride=1, padding=r)[:, 0] > 0
    hh, ww = mask.shape[1:]
    idx = torch.arange(1, hh * ww + 1, dtype=torch.float32).reshape(1, hh, ww).expand(b, hh, ww)
    lab = torch.where(mask, idx, torch.zeros(()))
    flat_mask = mask.reshape(b, -1)
    for _ in range(4 * (hh + ww)):
        new = torch.where(mask, F.max_pool2d(lab[:, None], 3, stride=1, padding=1)[:, 0], torch.zeros(()))
        flat = new.reshape(b, -1)
        jumped = torch.gather(flat, 1, (flat.long() - 1).clamp(min=0))
        new = torch.where(flat_mask, torch.maximum(flat, jumped), flat).reshape(b, hh, ww)
        if torch.equal(new, lab):
            break
        lab = new
    return lab.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)[:, :h, :w].long().numpy()


def test_components_are_the_same_labels_as_before():
    from genlab.tiny.evaluator import pixels

    rng = np.random.default_rng(0)
    fg = np.concatenate([rng.random((6, 128, 128)) < p for p in (0.002, 0.02, 0.1)])
    assert np.array_equal(pixels.components(fg), _reference_components(fg))
    blobs = np.zeros((1, 128, 128), bool)
    blobs[0, 10:20, 10:20] = True  # one square...
    blobs[0, 22:30, 10:20] = True  # ...and a piece 2 px below it: joined by the dilation
    blobs[0, 80:90, 80:90] = True  # far away: a second object
    blobs[0, 90:95, 90:95] = True  # touching it diagonally: the same object (8-connected)
    lab = pixels.components(blobs)[0]
    assert np.array_equal(lab, _reference_components(blobs)[0])
    assert len(np.unique(lab[blobs[0]])) == 2
    assert lab[15, 15] == lab[25, 15] and lab[85, 85] == lab[92, 92] != lab[15, 15]
    assert not pixels.components(np.zeros((2, 128, 128), bool)).any()


def test_reading_does_not_load_the_training_half():
    import subprocess
    import sys

    code = (
        "import sys; from genlab.tiny import evaluator as E; from genlab.tiny import world; "
        "r = E.read_image(world.render(world.sample_scene(__import__('random').Random(0)))); "
        "assert r['shape'], r; "
        "assert not [m for m in sys.modules if m.startswith('genlab.tiny.evaluator.') and m.rsplit('.', 1)[1] in ('training', 'validation')]; "
        "assert callable(E.train_evaluator) and 'genlab.tiny.evaluator.training' in sys.modules; print('ok')"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_genlab_tiny_evaluator_is_read_when_used(tmp_path, monkeypatch):
    """$GENLAB_TINY_EVALUATOR points the evaluator elsewhere, at run time (through genlab.settings)."""
    import shutil

    from genlab import settings

    shipped = settings.tiny_evaluator_dir()
    other = tmp_path / "my-evaluator"
    shutil.copytree(shipped, other)
    meta = json.loads((other / "labels.json").read_text())
    (other / "labels.json").write_text(json.dumps({**meta, "note": "a copy"}))
    monkeypatch.setenv("GENLAB_TINY_EVALUATOR", str(other))
    assert E.EVALUATOR_DIR == other == E.evaluator_dir()
    assert E.load_evaluator().meta.get("note") == "a copy"
    monkeypatch.delenv("GENLAB_TINY_EVALUATOR")
    assert E.EVALUATOR_DIR == shipped and "note" not in E.load_evaluator().meta
    monkeypatch.setenv("GENLAB_TINY_EVALUATOR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="train-evaluator"):
        E.load_evaluator()
