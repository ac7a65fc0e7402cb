"""LoRA: teach a model a small new thing (a brand colour, a new shape) with a few pictures.

A LoRA ("low-rank adaptation") is a small file of extra weights laid on top of a model. Training
one changes only those extra weights; the model itself stays as it was. Here:

- `brand_set(...)`: a small "brand" picture set from the shapes world in a colour the tiny model
  never saw ("magenta"), drawn with the world's own renderer, with captions;
- `train_lora(images, captions, ...)`: train a LoRA on the model's UNet and save it to a folder;
- `load_lora(profile_or_pipe, folder, adapter_name, weight)`: put it on the pipeline that
  `genlab.generate` uses; `set_loras`, `disable_loras`, `unload_loras` switch and combine adapters;
- `magenta_fraction(img)`, `shows_brand_colour(img)`: read the brand colour from pixels.

The recipe of every picture made while adapters are on lists them (genlab.generation.active_loras).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from PIL import Image

BRAND_COLOUR = "magenta"
BRAND_RGB = (225, 0, 150)
WEIGHTS_FILE = "pytorch_lora_weights.safetensors"
TARGET_MODULES = ["to_k", "to_q", "to_v", "to_out.0"]


# ---- the brand set ------------------------------------------------------------------------------
def render_brand(shape: str, background: str, *, colour: tuple[int, int, int] = BRAND_RGB, size: str = "large",
                 style: str = "flat", seed: int = 0, px: int = 128) -> Image.Image:
    """One shapes-world picture of `shape` in the brand colour on `background` (a world colour)."""
    from genlab.tiny import world

    rng = random.Random(seed)
    # The world draws only its own colours: draw the shape in a stand-in colour, then repaint it.
    stand_in = "black" if background != "black" else "white"
    obj = world.Shape(shape, stand_in, size, "centre", style, dx=rng.uniform(-0.02, 0.02),
                      dy=rng.uniform(-0.02, 0.02), scale=rng.uniform(0.95, 1.05))
    scene = world.Scene((obj,), background)
    img = np.asarray(world.render(scene, px), dtype=np.float32)
    bg = np.array(world.COLOURS[background], np.float32)
    fg = np.array(world.COLOURS[stand_in], np.float32)
    # How far each pixel is from background towards stand-in (anti-aliased edges keep their blend).
    t = np.clip(((img - bg) @ (fg - bg)) / max(float((fg - bg) @ (fg - bg)), 1.0), 0, 1)[..., None]
    out = bg * (1 - t) + np.array(colour, np.float32) * t
    return Image.fromarray(out.round().astype(np.uint8), "RGB")


def brand_set(n: int = 20, *, colour_name: str = BRAND_COLOUR, colour: tuple[int, int, int] = BRAND_RGB,
              seed: int = 0, shapes=None, backgrounds=("white", "black", "yellow", "blue", "green")):
    """`n` pictures of shapes in the brand colour, with captions like
    "a magenta circle on a white background". Returns (images, captions)."""
    from genlab.tiny import world

    shapes = tuple(shapes or world.SHAPES)
    rng = random.Random(seed)
    images, captions = [], []
    for i in range(n):
        shape = shapes[i % len(shapes)]
        bg = backgrounds[(i // len(shapes)) % len(backgrounds)]
        size = "large" if rng.random() < 0.75 else "small"
        images.append(render_brand(shape, bg, colour=colour, size=size, seed=seed * 1000 + i))
        words = f"{size} {colour_name}" if size == "small" or rng.random() < 0.3 else colour_name
        captions.append(f"a {words} {shape} on a {bg} background")
    return images, captions


# ---- reading the brand colour -------------------------------------------------------------------
def colour_fraction(img, rgb=BRAND_RGB, tolerance: float = 70.0) -> float:
    """Share of pixels (0-1) within `tolerance` (RGB distance) of `rgb`."""
    if isinstance(img, (str, Path)):
        img = Image.open(img)
    a = np.asarray(img.convert("RGB"), dtype=np.float32)
    d = np.sqrt(((a - np.array(rgb, np.float32)) ** 2).sum(-1))
    return float((d < tolerance).mean())


def magenta_fraction(img) -> float:
    return colour_fraction(img, BRAND_RGB)


def shows_brand_colour(img, min_fraction: float = 0.02) -> bool:
    """True when at least `min_fraction` of the picture is the brand colour (a small star is 2-3%)."""
    return magenta_fraction(img) >= min_fraction


# ---- training -----------------------------------------------------------------------------------
def _components(profile):
    """Fresh copies of the profile's models (training must not touch the pipeline generate() uses)."""
    import torch
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    from .pipelines import quiet_loading, resolve
    from .profiles import get_profile

    prof = get_profile(profile) if isinstance(profile, str) or profile is None else profile
    folder = resolve(prof, prof.source)
    with quiet_loading(True):
        tok = CLIPTokenizer.from_pretrained(folder / "tokenizer")
        te = CLIPTextModel.from_pretrained(folder / "text_encoder", torch_dtype=torch.float32)
        vae = AutoencoderKL.from_pretrained(folder / "vae", torch_dtype=torch.float32)
        unet = UNet2DConditionModel.from_pretrained(folder / "unet", torch_dtype=torch.float32)
        noise = DDPMScheduler.from_pretrained(folder / "scheduler")
    return prof, tok, te, vae, unet, noise


def train_lora(concept_images, captions, *, profile: str = "tiny", rank: int = 8, steps: int = 300,
               lr: float = 1e-3, seed: int = 0, out_dir: str | Path = "lora", batch_size: int = 8,
               log=None) -> Path:
    """Train a LoRA on the UNet of `profile` from pictures and their captions; save it in `out_dir`.

    Returns the folder, which holds `pytorch_lora_weights.safetensors` (the file
    `load_lora` and other tools such as diffusers read) and `genlab_lora.json` (how it was trained).
    """
    import time

    import torch
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    if len(concept_images) != len(captions) or not captions:
        raise ValueError("Give one caption per picture (and at least one picture).")
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a whole number of 1 or more, got {rank!r}.")
    started = time.time()
    torch.manual_seed(seed)
    prof, tok, te, vae, unet, noise = _components(profile)
    size = prof.defaults.get("width", 128)
    imgs = [(Image.open(i) if isinstance(i, (str, Path)) else i).convert("RGB").resize((size, size)) for i in concept_images]
    x = torch.from_numpy(np.stack([np.asarray(i, np.float32) / 127.5 - 1 for i in imgs])).permute(0, 3, 1, 2)
    with torch.no_grad():
        latents = vae.encode(x).latent_dist.mean * vae.config.scaling_factor
        ids = tok(list(captions), padding="max_length", max_length=tok.model_max_length, truncation=True,
                  return_tensors="pt").input_ids
        text = te(ids)[0].float()
        latents = latents.float()
    del vae, te

    unet.requires_grad_(False)
    unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=TARGET_MODULES))
    params = [p for p in unet.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed)
    n = latents.shape[0]
    unet.train()
    losses = []
    for step in range(steps):
        idx = torch.randint(0, n, (min(batch_size, n),), generator=gen)
        z = latents[idx]
        eps = torch.randn(z.shape, generator=gen)
        t = torch.randint(0, noise.config.num_train_timesteps, (z.shape[0],), generator=gen)
        zt = noise.add_noise(z, eps, t)
        pred = unet(zt, t, text[idx]).sample
        loss = torch.nn.functional.mse_loss(pred, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if log and (step + 1) % max(1, steps // 5) == 0:
            log(f"step {step + 1}/{steps}: loss {sum(losses[-20:]) / len(losses[-20:]):.4f}")
    unet.eval()

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    StableDiffusionPipeline.save_lora_weights(out, unet_lora_layers=layers, safe_serialization=True)
    info = {"profile": prof.name, "rank": rank, "steps": steps, "lr": lr, "seed": seed, "batch_size": batch_size,
            "images": n, "captions": sorted(set(captions)), "final_loss": round(sum(losses[-20:]) / len(losses[-20:]), 5),
            "seconds": round(time.time() - started, 1)}
    (out / "genlab_lora.json").write_text(json.dumps(info, indent=2) + "\n")
    return out


def lora_info(folder: str | Path) -> dict:
    """How a LoRA folder made by `train_lora` was trained (empty for other LoRAs)."""
    p = Path(folder) / "genlab_lora.json"
    return json.loads(p.read_text()) if p.exists() else {}


# ---- using adapters -----------------------------------------------------------------------------
def _pipe(pipe_or_profile):
    if pipe_or_profile is None or isinstance(pipe_or_profile, str):
        from .pipelines import load_pipeline

        return load_pipeline("txt2img", pipe_or_profile)
    if hasattr(pipe_or_profile, "unet"):
        return pipe_or_profile
    from .pipelines import load_pipeline  # a Profile object

    return load_pipeline("txt2img", pipe_or_profile)


def load_lora(pipe_or_profile, path: str | Path, adapter_name: str = "brand", weight: float = 1.0):
    """Put the LoRA in `path` on the pipeline that `genlab.generate(..., profile=...)` uses.

    `pipe_or_profile`: a profile name ("tiny") or a diffusers pipeline. Loading a name that is
    already loaded replaces it. The new adapter is switched on together with the adapters that were
    already on (each keeps its weight). Returns the pipeline. Edits (image to image, inpainting)
    share the same model weights, so they use the adapter too.
    """
    pipe = _pipe(pipe_or_profile)
    path = Path(path)
    if not (path / WEIGHTS_FILE).exists() and not path.is_file():
        raise FileNotFoundError(f"No LoRA weights in {path} (expected {WEIGHTS_FILE}). Train one with train_lora().")
    _check_weight(weight)
    before = lora_weights(pipe)
    if adapter_name in loaded_adapters(pipe):
        pipe.delete_adapters(adapter_name)
        before.pop(adapter_name, None)
    from .pipelines import quiet_loading

    with quiet_loading(True):  # hides "no LoRA keys for the text encoder": this LoRA changes only the UNet
        pipe.load_lora_weights(str(path), adapter_name=adapter_name)
    set_loras(pipe, {**before, adapter_name: weight})
    return pipe


def _check_weight(weight):
    if not isinstance(weight, (int, float)) or isinstance(weight, bool):
        raise TypeError(f"A LoRA weight must be a number, got {weight!r}.")
    if not -2.0 <= weight <= 4.0:
        raise ValueError(f"A LoRA weight is usually between 0 and 1.5, got {weight}.")


def loaded_adapters(pipe_or_profile) -> list[str]:
    """Names of all adapters loaded on the pipeline (on or off)."""
    pipe = _pipe(pipe_or_profile)
    unet = pipe.unet
    return list(getattr(unet, "peft_config", {}) or {}) if getattr(unet, "_hf_peft_config_loaded", False) else []


_weights: dict[int, dict[str, float]] = {}  # pipeline id -> the weights last set through genlab


def set_loras(pipe_or_profile, weights: dict[str, float]):
    """Switch on exactly these adapters with these weights, e.g. {"brand": 1.0, "outline": 0.5}.

    An empty dict switches every adapter off (like `disable_loras`).
    """
    pipe = _pipe(pipe_or_profile)
    if not weights:
        return disable_loras(pipe)
    missing = [n for n in weights if n not in loaded_adapters(pipe)]
    if missing:
        raise ValueError(f"No adapter called {', '.join(missing)}. Loaded: {', '.join(loaded_adapters(pipe)) or 'none'}.")
    for w in weights.values():
        _check_weight(w)
    pipe.enable_lora()
    pipe.set_adapters(list(weights), adapter_weights=[float(w) for w in weights.values()])
    _weights[id(pipe.unet)] = {n: float(w) for n, w in weights.items()}
    _sync(pipe)
    return pipe


def _sync(pipe) -> None:
    """Let recipes (genlab.generation.active_loras) see what is on, and with which weight.

    active_loras reads `unet.peft_config[name].scale` and `pipe.get_active_adapters()`; diffusers
    keeps neither up to date (no `scale` field; adapters switched off still count as active). So:
    write each weight as `scale`, and make every cached pipeline that shares this UNet report no
    active adapters while they are switched off.
    """
    from . import pipelines

    unet = pipe.unet
    on = _weights.get(id(unet), {})
    for name, config in (getattr(unet, "peft_config", {}) or {}).items():
        config.scale = float(on.get(name, 1.0))
    sharing = [p for p in list(pipelines._cache.values()) + [pipe] if getattr(p, "unet", None) is unet]
    for p in sharing:
        if "get_active_adapters" not in vars(p):
            def reported(p=p):
                if not loaded_adapters(p) or _weights.get(id(p.unet)) == {}:
                    return []
                return type(p).get_active_adapters(p)

            p.get_active_adapters = reported


def disable_loras(pipe_or_profile):
    """Switch all adapters off (they stay loaded; `set_loras` switches them on again)."""
    pipe = _pipe(pipe_or_profile)
    if loaded_adapters(pipe):
        pipe.disable_lora()
    _weights[id(pipe.unet)] = {}
    _sync(pipe)
    return pipe


def unload_loras(pipe_or_profile):
    """Remove every adapter: the pipeline is back to the plain model."""
    pipe = _pipe(pipe_or_profile)
    if loaded_adapters(pipe):
        pipe.unload_lora_weights()
    _weights.pop(id(pipe.unet), None)
    return pipe


def lora_weights(pipe_or_profile) -> dict[str, float]:
    """The adapters switched on now, with their weights (empty when none)."""
    pipe = _pipe(pipe_or_profile)
    if not loaded_adapters(pipe):
        return {}
    known = _weights.get(id(pipe.unet))
    if known is not None:
        return dict(known)
    try:
        return {n: 1.0 for n in type(pipe).get_active_adapters(pipe)}
    except (ValueError, AttributeError):
        return {}
