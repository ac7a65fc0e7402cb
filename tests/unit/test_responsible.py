"""genlab.lessons.responsible, the library of lesson 8 and exercise 08: licence facts from
assets/models.toml, shares, world probes, the watermark round trip through PNG, its absence
without the key, and its loss in JPEG."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from genlab.lessons import responsible
from genlab.tiny import world


def test_licence_facts_follow_models_toml():
    facts = responsible.licences()
    assert facts["tiny"].commercial == "yes"
    assert facts["sd-turbo"].commercial == "check"  # Stability AI Community License: depends on the user
    assert "revenue" in facts["sd-turbo"].summary
    assert facts["sd15"].commercial == "yes" and "Attachment A" in facts["sd15"].restrictions
    assert facts["sdxl"].commercial == "yes"  # "Open RAIL++-M" is one licence, not two parts
    assert facts["animatediff"].parts == ("Apache-2.0 (motion adapter)", "CreativeML OpenRAIL-M (SD 1.5)")
    assert facts["ltx-video"].commercial == "check"
    assert "sd-turbo" in responsible.licence_table()


def test_unknown_and_combined_licences_take_the_strictest_part():
    assert [p["commercial"] for p in responsible._facts_for("Some New Licence 1.0")] == ["check"]
    parts = responsible._facts_for("Apache-2.0 + Stability AI Non-Commercial Research Community License")
    assert [p["commercial"] for p in parts] == ["yes", "no"]


def test_shares_skip_unreadable_values():
    assert responsible.shares(["flat", "flat", "striped", None]) == {"flat": 2 / 3, "striped": 1 / 3}
    assert responsible.shares([None, None]) == {}
    assert responsible.shares(["a", None], skip_none=False) == {"a": 0.5, None: 0.5}


def test_world_probe_matches_the_documented_defaults():
    probe = responsible.world_probe("a circle", n=400, seed=1, read=False)
    assert set(probe.values("shape")) == {"circle"}
    assert abs(probe.shares("size")["large"] - 0.8) < 0.06
    assert abs(probe.shares("position")["centre"] - 0.8) < 0.06
    assert abs(probe.shares("style")["flat"] - 0.85) < 0.06
    assert all(r["colour"] != r["background"] for r in probe.readings)
    rows = {r.attribute: r for r in responsible.compare(probe)}
    assert set(rows) == {"colour", "background", "size", "position", "style"}  # "circle" is stated
    assert rows["size"].top == "large" and rows["size"].world_share == 0.8
    assert abs(rows["size"].skew) < 0.06


def test_world_probe_read_by_the_evaluator_agrees_with_the_truth():
    truth = responsible.world_probe("a star on a black background", n=24, seed=3, read=False)
    read = responsible.world_probe("a star on a black background", n=24, seed=3, read=True)
    for attr in ("shape", "colour", "background", "size", "position"):
        assert read.values(attr) == truth.values(attr), attr
    assert "background" not in [r.attribute for r in responsible.compare(read)]


def test_watermark_round_trip_through_png(tmp_path):
    for i, scene in enumerate(responsible.world_scenes("a heart", 6, seed=5)):
        img = world.render(scene)
        path = responsible.save_marked(img, tmp_path / f"m{i}.png", key="k1")
        with Image.open(path) as f:
            assert f.format == "PNG"
        assert responsible.detect_watermark(path, "k1").present
        assert not responsible.detect_watermark(path, "another key").present
        assert not responsible.detect_watermark(img, "k1").present
        assert responsible.psnr(img, path) > 40  # invisible
        # only the blue channel changes, by at most the strength
        diff = np.asarray(Image.open(path).convert("RGB"), int) - np.asarray(img, int)
        assert np.all(diff[..., :2] == 0) and np.abs(diff[..., 2]).max() <= responsible.STRENGTH


def test_watermark_is_lost_in_jpeg_and_recipe_check(tmp_path):
    from genlab.core.recipe import Recipe

    img = world.render(responsible.world_scenes("a red square on a white background", 1, seed=2)[0])
    recipe = Recipe(prompt="a red square on a white background", seed=2, steps=20, guidance=7.0, width=128, height=128, profile="tiny")
    path = responsible.save_marked(img, tmp_path / "x.png", key="k", recipe=recipe)
    info = responsible.check_provenance(path, "k")
    assert info["recipe"] and info["watermark"] and info["profile"] == "tiny" and info["seed"] == 2
    Image.open(path).convert("RGB").save(tmp_path / "x.jpg", quality=90)
    info = responsible.check_provenance(tmp_path / "x.jpg", "k")
    assert info["format"] == "JPEG" and not info["recipe"] and not info["watermark"]
    with pytest.raises(ValueError):
        responsible.embed_watermark(img, "")


def test_unmarked_pictures_stay_below_the_threshold():
    scores = [responsible.watermark_score(world.render(s), "agency") for s in responsible.world_scenes("a circle", 40, seed=9)]
    assert max(abs(s) for s in scores) < responsible.THRESHOLD
