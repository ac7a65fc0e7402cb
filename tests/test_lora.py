"""genlab.lora: the brand set, training a LoRA, loading, weights, switching and combining adapters,
and the recipe's record of active LoRAs."""

from __future__ import annotations

import numpy as np
import pytest

import genlab
from genlab import lora
from genlab.tiny.evaluate import read_image


def test_brand_set_is_magenta_shapes_with_world_captions():
    images, captions = lora.brand_set(20)
    assert len(images) == len(captions) == 20
    assert {c.split(" on ")[0].split()[-1] for c in captions} == {"circle", "square", "triangle", "star", "heart"}
    for img, cap in zip(images, captions):
        assert img.size == (128, 128) and "magenta" in cap
        assert lora.shows_brand_colour(img)  # the shape is magenta (a small star covers 2-3%)...
        bg = cap.split(" on a ")[1].split()[0]
        assert read_image(img)["background"] == bg  # ...on the world's background the caption names
    from genlab.editing import picture_of

    for colour in ("red", "purple", "orange"):  # the world's own colours are not magenta
        assert lora.magenta_fraction(picture_of(f"a large {colour} circle on a white background")) < 0.01


@pytest.fixture(scope="module")
def tiny_lora(tmp_path_factory):
    images, captions = lora.brand_set(8)
    out = lora.train_lora(images, captions, steps=2, batch_size=2, lr=1e-2, out_dir=tmp_path_factory.mktemp("lora"))
    yield out
    lora.unload_loras("tiny")


@pytest.mark.slow
def test_adapter_mechanics(tiny_lora):
    assert (tiny_lora / lora.WEIGHTS_FILE).stat().st_size > 1000
    assert lora.lora_info(tiny_lora)["steps"] == 2
    prompt = "a red circle on a blue background"
    lora.unload_loras("tiny")
    plain = genlab.generate(prompt, seed=1, profile="tiny")
    assert plain.recipe.loras == {}

    lora.load_lora("tiny", tiny_lora, adapter_name="brand", weight=1.0)
    lora.load_lora("tiny", tiny_lora, adapter_name="other", weight=0.5)
    assert sorted(lora.loaded_adapters("tiny")) == ["brand", "other"]
    both = genlab.generate(prompt, seed=1, profile="tiny")
    assert both.recipe.loras == {"brand": 1.0, "other": 0.5}
    assert not np.array_equal(np.asarray(both.image), np.asarray(plain.image))  # the adapters change pixels

    lora.set_loras("tiny", {"brand": 1.0})
    one = genlab.generate(prompt, seed=1, profile="tiny")
    assert one.recipe.loras == {"brand": 1.0}
    assert not np.array_equal(np.asarray(one.image), np.asarray(both.image))  # switching changes pixels

    lora.set_loras("tiny", {"brand": 0.0})
    zero = genlab.generate(prompt, seed=1, profile="tiny")
    assert np.array_equal(np.asarray(zero.image), np.asarray(plain.image))  # weight 0 = no LoRA, exactly

    lora.disable_loras("tiny")
    off = genlab.generate(prompt, seed=1, profile="tiny")
    assert np.array_equal(np.asarray(off.image), np.asarray(plain.image))
    assert off.recipe.loras == {}, "a switched-off LoRA must not appear in the recipe"

    lora.set_loras("tiny", {"brand": 1.0})
    again = genlab.generate(prompt, seed=1, profile="tiny")
    assert np.array_equal(np.asarray(again.image), np.asarray(one.image))  # back on: same picture
    with pytest.raises(ValueError, match="No adapter called"):
        lora.set_loras("tiny", {"missing": 1.0})
    lora.unload_loras("tiny")
    assert lora.loaded_adapters("tiny") == []
    assert np.array_equal(np.asarray(genlab.generate(prompt, seed=1, profile="tiny").image), np.asarray(plain.image))


def test_load_lora_refuses_a_folder_without_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="No LoRA weights"):
        lora.load_lora("tiny", tmp_path, "brand")
