"""genlab.lessons.prompting, the helpers of lesson 2 and exercise 02 (fast: no model)."""

from __future__ import annotations

import pytest


def test_anatomy_and_parts_follow_the_shapes_grammar():
    from genlab.lessons import prompting
    from genlab.tiny.world import parse_prompt

    made = prompting.anatomy("star", ["large", "yellow"], "on a purple background", style="striped")
    assert made == "a large striped yellow star on a purple background"
    assert prompting.anatomy("circle", ["orange"], "on a black background", style="outlined").startswith("an outlined orange")
    assert parse_prompt(made)["style"] == "striped"
    assert prompting.parts(made) == {"subject": "star", "attributes": ["large", "yellow"],
                                     "setting": "on a purple background", "style": "striped"}
    assert prompting.parts("a star")["setting"] is None
    with pytest.raises(TypeError):
        prompting.anatomy(3)


def test_presets_and_variants():
    from genlab.lessons import prompting

    assert "flat brand" in prompting.presets("shapes") and "product photo" in prompting.presets("real")
    assert prompting.apply_preset("a yellow star on a black background", "flat brand") == (
        "a flat yellow star on a black background", "outlined, striped, dotted, gradient")
    assert prompting.apply_preset("a red star", None, "blurry") == ("a red star", "blurry")
    with pytest.raises(ValueError, match="No style preset"):
        prompting.apply_preset("a red star", "nope")
    assert prompting.variants("a yellow star on a yellow background", "yellow", ["red", "blue"]) == [
        "a red star on a yellow background", "a blue star on a yellow background"]
    with pytest.raises(ValueError):
        prompting.variants("a red star", "green", ["blue"])
    with pytest.raises(ValueError, match="An axis"):
        prompting.xy_grid("a red star", x=("colour", [1]))
