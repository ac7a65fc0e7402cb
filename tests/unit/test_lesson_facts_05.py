"""What lesson 05 (brand LoRA) says about a LoRA's rank, checked on real adapters.

A LoRA of rank r on a layer whose weight W is d x k learns B (d x r) and A (r x k): r * (d + k)
numbers. Its change to the layer is B @ A, a full d x k table: every number of W can change, but the
change has rank at most r. The rank bounds the rank of the update; it does not pick which weights
change. The tiny model's LoRA at the lesson's rank 8 has 102 400 numbers in its main file.
"""

from __future__ import annotations

import nbformat
import pytest
import torch
from peft import LoraConfig
from safetensors.torch import load_file

from genlab import settings
from genlab.core import lora

LESSON = settings.REPO_ROOT / "notebooks" / "05_brand_lora.ipynb"
RANK = 8  # the lesson's rank
TINY_LORA_NUMBERS = 102_400  # pytorch_lora_weights.safetensors of a rank-8 LoRA of the tiny model (UNet + text encoder)


def lora_pairs(weights: dict) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(layer, A, B) for each adapted layer of a LoRA weights file, in either naming
    (PEFT's lora_A / lora_B, or diffusers' lora down / up)."""
    pairs = []
    for name, a in weights.items():
        if name.endswith("lora_A.weight"):
            pairs.append((name[: -len(".lora_A.weight")], a, weights[name.replace("lora_A", "lora_B")]))
        elif name.endswith("down.weight"):
            pairs.append((name[: -len(".down.weight")], a, weights[name[: -len("down.weight")] + "up.weight"]))
    return pairs


def test_a_rank_r_lora_on_a_d_by_k_layer_has_r_times_d_plus_k_numbers_and_changes_every_weight():
    from peft import get_peft_model

    torch.manual_seed(0)
    d, k = 48, 32
    base = torch.nn.Sequential()
    base.add_module("layer", torch.nn.Linear(k, d, bias=False))
    model = get_peft_model(base, LoraConfig(r=RANK, lora_alpha=RANK, target_modules=["layer"], init_lora_weights="gaussian"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == RANK * (d + k) == 640
    layer = model.base_model.model.layer
    with torch.no_grad():
        layer.lora_B["default"].weight.normal_()  # as after training: B is no longer zero
        delta = layer.get_delta_weight("default")
    assert delta.shape == (d, k)
    assert int((delta != 0).sum()) == d * k  # every weight of the layer changes...
    assert int(torch.linalg.matrix_rank(delta)) == RANK  # ...but the change has rank r, not more
    assert RANK * (d + k) < d * k  # and it takes fewer numbers than the layer itself


def test_the_tiny_models_rank_8_lora_has_r_times_d_plus_k_numbers_per_layer():
    """The adapters train_lora puts on the tiny model's UNet and text encoder (no training needed to count)."""
    _prof, _tok, te, _vae, unet, _noise = lora._components("tiny")
    unet.add_adapter(LoraConfig(r=RANK, lora_alpha=RANK, init_lora_weights="gaussian", target_modules=lora.UNET_TARGETS))
    lora._add_lora(te, LoraConfig(r=RANK, lora_alpha=RANK, init_lora_weights="gaussian", target_modules=lora.TEXT_TARGETS))
    total = 0
    for model in (unet, te):
        for name, module in model.named_modules():
            if hasattr(module, "lora_A") and "default" in module.lora_A:
                d, k = module.base_layer.weight.shape[:2]
                numbers = sum(p.numel() for p in module.lora_A["default"].parameters()) + sum(
                    p.numel() for p in module.lora_B["default"].parameters())
                assert numbers == RANK * (d + k), name
                total += numbers
    assert total == TINY_LORA_NUMBERS


@pytest.mark.slow
def test_a_trained_lora_file_holds_those_numbers_and_changes_whole_layers(tmp_path):
    images, captions = lora.brand_set(4)
    folder = lora.train_lora(images, captions, rank=RANK, steps=2, batch_size=2, lr=1e-2, decoder_steps=1,
                             out_dir=tmp_path / "brand")
    weights = load_file(folder / lora.WEIGHTS_FILE)
    pairs = lora_pairs(weights)
    assert len(pairs) * 2 == len(weights)
    for layer, a, b in pairs:
        assert a.shape[0] == b.shape[1] == RANK, layer
    assert sum(a.numel() + b.numel() for _, a, b in pairs) == sum(t.numel() for t in weights.values()) == TINY_LORA_NUMBERS
    _layer, a, b = next(p for p in pairs if p[0].startswith("unet"))
    delta = b.float() @ a.float()
    assert int((delta != 0).sum()) == delta.numel()  # trained: the update touches every weight of the layer
    assert int(torch.linalg.matrix_rank(delta)) <= RANK


def test_the_lesson_explains_rank_as_the_rank_of_the_update():
    nb = nbformat.read(LESSON, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "how many numbers it may change" not in text
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "pytorch_lora_weights.safetensors" in code and "matrix_rank" in code
