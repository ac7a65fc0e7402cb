"""genlab.lora: the brand set, training a LoRA, loading, weights, switching and combining adapters,
and the recipe's record of active LoRAs."""

from __future__ import annotations

import numpy as np
import pytest

import genlab
from genlab.core import lora
from genlab.core.lora import active_loras
from genlab.core.pipelines import load_pipeline
from genlab.tiny.evaluator import read_image

SHORT_TRAINING = dict(steps=300, batch_size=4, lr=3e-3, decoder_steps=60, seed=0)  # about a minute on 2 cores


def test_brand_set_is_magenta_shapes_with_world_captions():
    images, captions = lora.brand_set(20)
    assert len(images) == len(captions) == 20
    assert {c.split(" on ")[0].split()[-1] for c in captions} == {"circle", "square", "triangle", "star", "heart"}
    for img, cap in zip(images, captions):
        assert img.size == (128, 128) and "magenta" in cap
        assert lora.shows_brand_colour(img)  # the shape is magenta (a small star covers 2-3%)...
        bg = cap.split(" on a ")[1].split()[0]
        assert read_image(img)["background"] == bg  # ...on the world's background the caption names
        assert lora.reads_as_brand(cap, img)  # the evaluator's verdict on the ground truth
        other = next(s for s in ("circle", "square", "star") if s not in cap)
        assert not lora.reads_as_brand(cap.replace(cap.split(" on ")[0].split()[-1], other), img)  # wrong shape
    from genlab.lessons.editing import picture_of

    for colour in ("red", "purple", "orange"):  # the world's own colours are not magenta
        assert lora.magenta_fraction(picture_of(f"a large {colour} circle on a white background")) < 0.01
        assert not lora.reads_as_brand("a magenta circle on a white background",
                                       picture_of(f"a large {colour} circle on a white background"))


@pytest.fixture(scope="module")
def tiny_lora(tmp_path_factory):
    """A 2-step LoRA: changes pixels, teaches nothing; for the mechanics."""
    images, captions = lora.brand_set(8)
    out = lora.train_lora(images, captions, steps=2, batch_size=2, lr=1e-2, out_dir=tmp_path_factory.mktemp("lora"))
    yield out
    lora.unload_loras("tiny")


@pytest.mark.slow
def test_adapter_mechanics(tiny_lora):
    assert (tiny_lora / lora.WEIGHTS_FILE).stat().st_size > 1000
    assert (tiny_lora / lora.VAE_WEIGHTS_FILE).stat().st_size > 1000  # the decoder part (tiny models)
    assert lora.lora_info(tiny_lora)["steps"] == 2
    prompt = "a red circle on a blue background"
    lora.unload_loras("tiny")
    plain = genlab.generate(prompt, seed=1, profile="tiny")
    assert plain.recipe.loras == {}

    lora.load_lora("tiny", tiny_lora, adapter_name="brand", weight=1.0)
    lora.load_lora("tiny", tiny_lora, adapter_name="other", weight=0.5)
    assert sorted(lora.loaded_adapters("tiny")) == ["brand", "other"]
    pipe = load_pipeline("txt2img", "tiny")  # every part loaded under the adapter's name
    assert {k: sorted(v) for k, v in pipe.get_list_adapters().items()} == {
        "unet": ["brand", "other"], "text_encoder": ["brand", "other"]}
    assert sorted(pipe.vae.peft_config) == ["brand", "other"]
    both = genlab.generate(prompt, seed=1, profile="tiny")
    assert both.recipe.loras == {"brand": 1.0, "other": 0.5}
    assert lora.lora_weights("tiny") == {"brand": 1.0, "other": 0.5}
    assert not np.array_equal(np.asarray(both.image), np.asarray(plain.image))  # the adapters change pixels

    lora.set_loras("tiny", {"brand": 1.0})
    one = genlab.generate(prompt, seed=1, profile="tiny")
    assert one.recipe.loras == {"brand": 1.0}
    assert not np.array_equal(np.asarray(one.image), np.asarray(both.image))  # switching changes pixels

    lora.set_loras("tiny", {"brand": 0.0})
    zero = genlab.generate(prompt, seed=1, profile="tiny")
    assert np.array_equal(np.asarray(zero.image), np.asarray(plain.image))  # weight 0 = no LoRA, exactly
    assert zero.recipe.loras == {"brand": 0.0}

    lora.disable_loras("tiny")
    off = genlab.generate(prompt, seed=1, profile="tiny")
    assert np.array_equal(np.asarray(off.image), np.asarray(plain.image))
    assert off.recipe.loras == {}, "a switched-off LoRA must not appear in the recipe"

    lora.set_loras("tiny", {"brand": 1.0})
    again = genlab.generate(prompt, seed=1, profile="tiny")
    assert np.array_equal(np.asarray(again.image), np.asarray(one.image))  # back on: same picture
    with pytest.raises(ValueError, match="No adapter called"):
        lora.set_loras("tiny", {"missing": 1.0})
    lora.load_lora("tiny", tiny_lora, adapter_name="brand", weight=1.0)  # loading a name again replaces it
    assert sorted(lora.loaded_adapters("tiny")) == ["brand", "other"]
    assert np.array_equal(np.asarray(genlab.generate(prompt, seed=1, profile="tiny").image), np.asarray(one.image))
    lora.unload_loras("tiny")
    assert lora.loaded_adapters("tiny") == []
    assert not getattr(pipe.vae, "peft_config", None)
    assert np.array_equal(np.asarray(genlab.generate(prompt, seed=1, profile="tiny").image), np.asarray(plain.image))


@pytest.mark.slow
def test_active_loras_reads_the_pipeline_whoever_switched_the_adapters(tiny_lora):
    """active_loras (what recipes record) reads the models' LoRA layers, so diffusers' own calls count."""
    pipe = load_pipeline("txt2img", "tiny")
    edit = load_pipeline("img2img", "tiny")  # shares the models with txt2img
    lora.unload_loras(pipe)
    assert active_loras(pipe) == {}
    pipe.load_lora_weights(str(tiny_lora), adapter_name="a")  # plain diffusers: UNet + text encoder
    pipe.load_lora_weights(str(tiny_lora), adapter_name="b")
    assert active_loras(pipe) == {"b": 1.0}  # diffusers switches on the adapter it just loaded
    pipe.set_adapters(["a", "b"], adapter_weights=[0.3, 1.25])
    assert active_loras(pipe) == {"a": 0.3, "b": 1.25}
    assert active_loras(edit) == {"a": 0.3, "b": 1.25}
    pipe.set_adapters("a", adapter_weights=0.0)
    assert active_loras(pipe) == {"a": 0.0}  # on, at weight 0
    pipe.disable_lora()
    assert active_loras(pipe) == {} and active_loras(edit) == {}
    pipe.enable_lora()
    assert active_loras(pipe) == {"a": 0.0}
    lora.set_loras(pipe, {"b": 0.8})  # genlab, with the VAE part too
    assert active_loras(pipe) == {"b": 0.8}
    lora.unload_loras(pipe)
    assert active_loras(pipe) == {} and active_loras(edit) == {}


@pytest.mark.slow
def test_a_short_training_teaches_the_brand_colour(tmp_path):
    """The real effect, on a CI budget (about a minute on 2 cores): a LoRA trained here paints most
    magenta prompts in the brand colour; the plain model does not; an ordinary prompt keeps its
    colours. (benchmarks/lora.py measures the default training on 20 + 20 prompts.)"""
    images, captions = lora.brand_set(20)
    folder = lora.train_lora(images, captions, **SHORT_TRAINING, out_dir=tmp_path / "brand")
    brand = ["a magenta circle on a white background", "a magenta star on a black background",
             "a magenta heart on a yellow background", "a magenta square on a blue background",
             "a magenta triangle on a green background", "a magenta heart on a white background"]
    ordinary = ["a red circle on a blue background"]
    lora.unload_loras("tiny")
    without = [genlab.generate(p, seed=i, profile="tiny").image for i, p in enumerate(brand)]
    plain = [genlab.generate(p, seed=i, profile="tiny").image for i, p in enumerate(ordinary)]
    lora.load_lora("tiny", folder, adapter_name="brand", weight=1.0)
    try:
        with_lora = [genlab.generate(p, seed=i, profile="tiny").image for i, p in enumerate(brand)]
        kept = [genlab.generate(p, seed=i, profile="tiny").image for i, p in enumerate(ordinary)]
    finally:
        lora.unload_loras("tiny")
    shares = [round(lora.magenta_fraction(i), 3) for i in with_lora]
    assert sum(map(lora.reads_as_brand, brand, with_lora)) >= 5, f"magenta shares with the LoRA: {shares}"
    assert sum(map(lora.shows_brand_colour, without)) <= 1
    for prompt, before, after in zip(ordinary, plain, kept):  # as the plain model drew them
        assert not lora.shows_brand_colour(after), f"{prompt!r} came out magenta with the LoRA"
        assert {k: read_image(after)[k] for k in ("colour", "background")} == \
            {k: read_image(before)[k] for k in ("colour", "background")}, prompt


def test_load_lora_refuses_a_folder_without_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="No LoRA weights"):
        lora.load_lora("tiny", tmp_path, "brand")
