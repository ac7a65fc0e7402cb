"""LoRA: teach a model a small new thing (a brand colour, a new shape) with a few pictures.

A LoRA ("low-rank adaptation") is a small file of extra weights laid on top of a model. Training
one changes only those extra weights; the model itself stays as it was. Here:

- `brand_set(...)`: a small "brand" picture set from the shapes world in a colour the tiny model
  never saw ("magenta"), drawn with the world's own renderer, with captions;
- `train_lora(images, captions, ...)`: train a LoRA (UNet + text encoder, and on the tiny models
  a VAE-decoder part: their VAE cannot draw a colour it never saw) and save it to a folder;
- `load_lora(profile_or_pipe, folder, adapter_name, weight)`: put it on the pipeline that
  `genlab.generate` uses, every part under one adapter name; `set_loras`, `disable_loras`,
  `unload_loras` switch and combine adapters;
- `magenta_fraction(img)`, `shows_brand_colour(img)`: read the brand colour from pixels;
  `reads_as_brand(prompt, img)`: the brand colour, in the shape on the background the prompt asks for.

The recipe of every picture made while adapters are on lists them (genlab.core.lora.active_loras,
read from the pipeline's models). `benchmarks/lora.py` measures how well the default training
teaches the brand colour.
"""

from __future__ import annotations

import json
import math
import random
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from genlab.core.i18n import say

BRAND_COLOUR = "magenta"
BRAND_RGB = (225, 0, 150)
WEIGHTS_FILE = "pytorch_lora_weights.safetensors"
VAE_WEIGHTS_FILE = "vae_decoder_lora.safetensors"
UNET_TARGETS = ["to_k", "to_q", "to_v", "to_out.0"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]
# the VAE part: the whole decoder (mid block, up blocks, last conv), never the encoder
VAE_TARGETS = r"decoder\.(mid_block|up_blocks\.\d+)\..*(conv\d|to_[qkv])|decoder\.conv_out"


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


def reads_as_brand(prompt: str, img, *, evaluator=None) -> bool:
    """The evaluator's verdict on a picture made for a brand prompt ("a magenta star on a blue
    background"): genlab's tiny evaluator reads the prompt's shape and background, and the brand
    colour shows (`shows_brand_colour`). The evaluator names object colours by the nearest of the
    world's eight, so the colour itself is read from the pixels here."""
    from genlab.tiny import world
    from genlab.tiny.evaluator import read_image

    want, got = world.parse_prompt(prompt), read_image(img, evaluator=evaluator)
    asked = {k: want[k] for k in ("shape", "background") if want[k] is not None}
    return all(got.get(k) == v for k, v in asked.items()) and shows_brand_colour(img)


# ---- training -----------------------------------------------------------------------------------
# How train_lora trains (the defaults of its arguments are the lesson's recipe):
PRESERVE_SHARE = 0.25  # of each batch: pictures of what the model already knows (prior preservation)
CAPTION_DROPOUT = 0.10  # empty captions, as in the base training: keeps classifier-free guidance's "no prompt" side
SNR_GAMMA = 5.0  # min-SNR loss weighting, as in the tiny model's own training
NOISE_OFFSET = 0.1  # offset noise, likewise
DECODER_BATCH, DECODER_PRESERVE = 8, 6  # decoder part: 2 concept + 6 known pictures per step


def _components(profile):
    """Fresh copies of the profile's models (training must not touch the pipeline generate() uses)."""
    import torch
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    from genlab.core.pipelines import quiet_loading, resolve
    from genlab.core.profiles import get_profile

    prof = get_profile(profile) if isinstance(profile, str) or profile is None else profile
    folder = resolve(prof, prof.source)
    with quiet_loading(True):
        tok = CLIPTokenizer.from_pretrained(folder / "tokenizer")
        te = CLIPTextModel.from_pretrained(folder / "text_encoder", torch_dtype=torch.float32)
        vae = AutoencoderKL.from_pretrained(folder / "vae", torch_dtype=torch.float32)
        unet = UNet2DConditionModel.from_pretrained(folder / "unet", torch_dtype=torch.float32)
        noise = DDPMScheduler.from_pretrained(folder / "scheduler")
    return prof, tok, te, vae, unet, noise


def _to_tensor(images, size: int):
    import torch

    imgs = [(Image.open(i) if isinstance(i, (str, Path)) else i).convert("RGB").resize((size, size)) for i in images]
    return torch.from_numpy(np.stack([np.asarray(i, np.float32) / 127.5 - 1 for i in imgs])).permute(0, 3, 1, 2)


def _world_pictures(n: int, seed: int):
    """`n` one-object shapes-world pictures with their captions: what the tiny models already know."""
    from genlab.tiny import world

    rng = random.Random(seed)
    pairs = [world.sample_training_example(rng, two_object_prob=0.0) for _ in range(n)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _draw(gen, n_concept: int, concept: tuple, n_known: int = 0, known: tuple | None = None) -> list:
    """One training batch: `n_concept` random rows of the concept tensors (latent mean, std, and
    captions or pixels, indexed alike), then `n_known` random rows of the known pictures' tensors."""
    import torch

    i = torch.randint(0, concept[0].shape[0], (n_concept,), generator=gen)
    rows = [c[i] for c in concept]
    if n_known:
        j = torch.randint(0, known[0].shape[0], (n_known,), generator=gen)
        rows = [torch.cat([r, k[j]]) for r, k in zip(rows, known)]
    return rows


def _add_lora(model, config) -> None:
    """`model.add_adapter(config)`: diffusers' and transformers' PEFT integration. transformers refuses
    when the installed peft is older than the one it asks for; then peft injects the same layers."""
    try:
        model.add_adapter(config)
    except ValueError as e:
        if "PEFT" not in str(e):
            raise
        from peft import inject_adapter_in_model

        inject_adapter_in_model(config, model)


def train_lora(concept_images, captions, *, profile: str = "tiny", rank: int = 8, steps: int = 500,
               lr: float = 2e-3, seed: int = 0, out_dir: str | Path = "lora", batch_size: int = 8,
               text_encoder: bool = True, decoder_steps: int | None = None, preserve: int | None = None,
               log=None) -> Path:
    """Train a LoRA on `profile` from pictures and their captions; save it in `out_dir`.

    Three parts, each a LoRA (peft) on one model, trained from the same pictures:

    - **UNet** (attention layers) and **text encoder** (attention layers), together, on the
      model's own training objective (noise prediction with min-SNR weighting and offset noise,
      10% empty captions): the UNet learns to draw the concept, the text encoder learns what the
      new word means (a word the model never trained on has no meaning of its own).
      `text_encoder=False` trains the UNet part only.
    - **VAE decoder** (its last block), `decoder_steps` steps (default: steps // 4 on the tiny
      shapes-world models, none elsewhere): the tiny models' VAE only ever learned the world's
      eight colours and turns any other colour into the nearest one it knows (magenta comes out
      purple), so no UNet could make it draw a new colour. Real Stable Diffusion VAEs draw any
      colour and need no decoder part.
    - `preserve` pictures of what the model already knows (default: 128 shapes-world pictures
      with their captions on the tiny models, none elsewhere) fill a quarter of every batch (and
      most of the decoder's), so ordinary prompts keep working ("prior preservation").

    Defaults (500 steps of 8 pictures, lr 2e-3, rank 8): about two minutes on 2 CPU cores.
    Returns the folder, which holds `pytorch_lora_weights.safetensors` (UNet + text encoder, the
    file diffusers' `load_lora_weights` and other tools read), `vae_decoder_lora.safetensors`
    (the decoder part, when trained) and `genlab_lora.json` (how it was trained, how long it took).
    """
    import time

    import torch
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    if len(concept_images) != len(captions) or not captions:
        raise ValueError("Give one caption per picture (and at least one picture).")
    for name, value in (("rank", rank), ("steps", steps), ("batch_size", batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a whole number of 1 or more, got {value!r}.")
    started = time.time()
    torch.manual_seed(seed)
    prof, tok, te, vae, unet, noise = _components(profile)
    world_model = prof.shipped  # genlab's own shapes-world models
    preserve = (128 if world_model else 0) if preserve is None else int(preserve)
    decoder_steps = (max(1, steps // 4) if world_model else 0) if decoder_steps is None else int(decoder_steps)
    size = prof.defaults.get("width", 128)
    sf = vae.config.scaling_factor

    def tokens(texts):
        return tok(list(texts), padding="max_length", max_length=tok.model_max_length, truncation=True,
                   return_tensors="pt").input_ids

    def encode(x):
        with torch.no_grad():
            d = vae.encode(x).latent_dist
        return d.mean.float(), d.std.float()

    x = _to_tensor(concept_images, size)
    n = x.shape[0]
    mean, std = encode(x)
    ids = tokens(captions)
    if preserve:
        known, known_captions = _world_pictures(preserve, seed + 1)
        kx = _to_tensor(known, size)
        kmean, kstd = encode(kx)
        kids = tokens(known_captions)
    empty = tokens([""])
    n_known = int(round(batch_size * PRESERVE_SHARE)) if preserve and batch_size > 1 else 0

    for m in (unet, te, vae):
        m.requires_grad_(False)
    unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=UNET_TARGETS))
    params = [p for p in unet.parameters() if p.requires_grad]
    if text_encoder:
        _add_lora(te, LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=TEXT_TARGETS))
        params += [p for p in te.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup))
    ac = noise.alphas_cumprod.float()
    snr = ac / (1 - ac)
    snr_weight = torch.clamp(snr, max=SNR_GAMMA) / snr
    gen = torch.Generator().manual_seed(seed)
    unet.train()
    te.train()
    losses = []
    for step in range(steps):
        zm, zs, bids = _draw(gen, batch_size - n_known, (mean, std, ids), n_known, (kmean, kstd, kids) if n_known else None)
        z = (zm + zs * torch.randn(zm.shape, generator=gen)) * sf
        dropped = torch.rand(z.shape[0], generator=gen) < CAPTION_DROPOUT
        bids = torch.where(dropped[:, None], empty, bids)
        eps = torch.randn(z.shape, generator=gen)
        eps = eps + NOISE_OFFSET * torch.randn(z.shape[0], z.shape[1], 1, 1, generator=gen)
        t = torch.randint(0, noise.config.num_train_timesteps, (z.shape[0],), generator=gen)
        with torch.set_grad_enabled(text_encoder):
            text = te(bids)[0]
        pred = unet(noise.add_noise(z, eps, t), t, text).sample
        loss = ((pred - eps).pow(2).flatten(1).mean(1) * snr_weight[t]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(float(loss.detach()))
        if log and (step + 1) % max(1, steps // 5) == 0:
            log(say("lora.step", step=step + 1, steps=steps, loss=sum(losses[-20:]) / len(losses[-20:]),
                    seconds=time.time() - started))
    unet.eval()
    te.eval()

    if decoder_steps:
        vae.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=VAE_TARGETS))
        dopt = torch.optim.AdamW([p for p in vae.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)
        d_known = DECODER_PRESERVE if preserve else 0
        for step in range(decoder_steps):
            zm, zs, target = _draw(gen, DECODER_BATCH - d_known, (mean, std, x), d_known, (kmean, kstd, kx) if d_known else None)
            dloss = (vae.decode(zm + zs * torch.randn(zm.shape, generator=gen)).sample - target).abs().mean()
            dopt.zero_grad(set_to_none=True)
            dloss.backward()
            dopt.step()
            if log and (step + 1) % max(1, decoder_steps // 2) == 0:
                log(say("lora.decoder_step", step=step + 1, steps=decoder_steps, loss=float(dloss.detach()),
                        seconds=time.time() - started))

    from genlab.core.pipelines import quiet_loading

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / VAE_WEIGHTS_FILE).unlink(missing_ok=True)  # a decoder part from an earlier training must not stay
    with quiet_loading(True):
        StableDiffusionPipeline.save_lora_weights(
            out,
            unet_lora_layers=convert_state_dict_to_diffusers(get_peft_model_state_dict(unet)),
            text_encoder_lora_layers=(convert_state_dict_to_diffusers(get_peft_model_state_dict(te))
                                      if text_encoder else None),
            safe_serialization=True,
        )
        if decoder_steps:
            vae.save_lora_adapter(out, weight_name=VAE_WEIGHTS_FILE)
    for f in (out / WEIGHTS_FILE, out / VAE_WEIGHTS_FILE):  # safetensors writes owner-only files (0600);
        if f.exists():  # a LoRA folder is shared (with learners, with the sandboxed grader's user)
            f.chmod(f.stat().st_mode | 0o044)
    seconds = round(time.time() - started, 1)
    info = {"profile": prof.name, "rank": rank, "steps": steps, "lr": lr, "seed": seed, "batch_size": batch_size,
            "text_encoder": text_encoder, "decoder_steps": decoder_steps, "preserve": preserve,
            "images": n, "captions": sorted(set(captions)),
            "final_loss": round(sum(losses[-20:]) / len(losses[-20:]), 5), "seconds": seconds}
    (out / "genlab_lora.json").write_text(json.dumps(info, indent=2) + "\n")
    if log:
        log(say("lora.trained", seconds=seconds))
    return out


def lora_info(folder: str | Path) -> dict:
    """How a LoRA folder made by `train_lora` was trained (empty for other LoRAs)."""
    p = Path(folder) / "genlab_lora.json"
    return json.loads(p.read_text()) if p.exists() else {}


# ---- using adapters -----------------------------------------------------------------------------
def _pipe(pipe_or_profile):
    if pipe_or_profile is None or isinstance(pipe_or_profile, str):
        from genlab.core.pipelines import load_pipeline

        return load_pipeline("txt2img", pipe_or_profile)
    if hasattr(pipe_or_profile, "unet"):
        return pipe_or_profile
    from genlab.core.pipelines import load_pipeline  # a Profile object

    return load_pipeline("txt2img", pipe_or_profile)


def load_lora(pipe_or_profile, path: str | Path, adapter_name: str = "brand", weight: float = 1.0):
    """Put the LoRA in `path` on the pipeline that `genlab.generate(..., profile=...)` uses.

    `pipe_or_profile`: a profile name ("tiny") or a diffusers pipeline. Loading a name that is
    already loaded replaces it. The new adapter is switched on together with the adapters that were
    already on (each keeps its weight). Returns the pipeline. Edits (image to image, inpainting)
    share the same model weights, so they use the adapter too.

    diffusers' `load_lora_weights` loads the UNet and text-encoder parts; a decoder part
    (`vae_decoder_lora.safetensors`, made by `train_lora`) goes on the VAE under the same name.
    """
    pipe = _pipe(pipe_or_profile)
    path = Path(path)
    if not (path / WEIGHTS_FILE).exists() and not path.is_file():
        raise FileNotFoundError(f"No LoRA weights in {path} (expected {WEIGHTS_FILE}). Train one with train_lora().")
    _check_weight(weight)
    before = lora_weights(pipe)
    if adapter_name in loaded_adapters(pipe):
        _delete(pipe, adapter_name)
        before.pop(adapter_name, None)
    from genlab.core.pipelines import quiet_loading

    with quiet_loading(True), warnings.catch_warnings():
        # peft notes that a model with one adapter gets a second one: that is the point here
        warnings.filterwarnings("ignore", message="Already found a `peft_config` attribute")
        pipe.load_lora_weights(str(path), adapter_name=adapter_name)
        if path.is_dir() and (path / VAE_WEIGHTS_FILE).exists():
            pipe.vae.load_lora_adapter(str(path), weight_name=VAE_WEIGHTS_FILE, prefix=None, adapter_name=adapter_name)
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
    names: list[str] = []
    for part in [*pipe.get_list_adapters().values(), vae_adapters(pipe)]:
        names += [n for n in part if n not in names]
    return names


def _delete(pipe, name: str) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Adapter .* was active which is now deleted")
        if name in [n for part in pipe.get_list_adapters().values() for n in part]:
            pipe.delete_adapters(name)
        if name in vae_adapters(pipe):
            pipe.vae.delete_adapters(name)


def set_loras(pipe_or_profile, weights: dict[str, float]):
    """Switch on exactly these adapters with these weights, e.g. {"brand": 1.0, "outline": 0.5}.

    An empty dict switches every adapter off (like `disable_loras`).
    """
    pipe = _pipe(pipe_or_profile)
    if not weights:
        return disable_loras(pipe)
    loaded = loaded_adapters(pipe)
    missing = [n for n in weights if n not in loaded]
    if missing:
        raise ValueError(f"No adapter called {', '.join(missing)}. Loaded: {', '.join(loaded) or 'none'}.")
    for w in weights.values():
        _check_weight(w)
    pipe.enable_lora()
    pipe.set_adapters(list(weights), adapter_weights=[float(w) for w in weights.values()])
    on_vae = [n for n in weights if n in vae_adapters(pipe)]
    if on_vae:
        pipe.vae.enable_lora()
        pipe.vae.set_adapters(on_vae, [float(weights[n]) for n in on_vae])
    elif vae_adapters(pipe):
        pipe.vae.disable_lora()
    return pipe


def disable_loras(pipe_or_profile):
    """Switch all adapters off (they stay loaded; `set_loras` switches them on again)."""
    pipe = _pipe(pipe_or_profile)
    if pipe.get_list_adapters():
        pipe.disable_lora()
    if vae_adapters(pipe):
        pipe.vae.disable_lora()
    return pipe


def unload_loras(pipe_or_profile):
    """Remove every adapter: the pipeline is back to the plain model."""
    pipe = _pipe(pipe_or_profile)
    if pipe.get_list_adapters():
        pipe.unload_lora_weights()
    if vae_adapters(pipe):
        pipe.vae.unload_lora()
    return pipe


def lora_weights(pipe_or_profile) -> dict[str, float]:
    """The adapters switched on now, with their weights (empty when none); what recipes record."""

    return active_loras(_pipe(pipe_or_profile))


def vae_adapters(pipe) -> list[str]:
    """Names of the LoRA adapters loaded on the pipeline's VAE (diffusers' `get_list_adapters` does
    not list the VAE; genlab's tiny-model LoRAs put a decoder part there)."""
    vae = getattr(pipe, "vae", None)
    return list(getattr(vae, "peft_config", {}) or {}) if getattr(vae, "_hf_peft_config_loaded", False) else []


def active_loras(pipe) -> dict[str, float]:
    """LoRA adapters switched on in the pipeline, with their weights (empty when none).

    Read from the models themselves, so it is right whoever switched the adapters (genlab.lora or
    diffusers' own `set_adapters` / `disable_lora`): the adapters diffusers lists per model
    (`get_list_adapters()`, plus a LoRA on the VAE), then each model's LoRA layers: a model whose
    layers are switched off counts for nothing; an active adapter's weight is its layer scaling
    divided by the scaling at weight 1 (lora_alpha / r).
    """
    try:
        listed = dict(pipe.get_list_adapters()) if hasattr(pipe, "get_list_adapters") else {}
    except (ValueError, AttributeError):
        listed = {}
    on_vae = vae_adapters(pipe)
    if on_vae:
        listed["vae"] = on_vae
    weights: dict[str, float] = {}
    for part, names in listed.items():
        model = getattr(pipe, part, None)
        if model is None or not names:
            continue
        for layer in model.modules():
            if not all(hasattr(layer, a) for a in ("scaling", "active_adapters", "lora_alpha")):
                continue  # not a LoRA layer
            if layer.disable_adapters:
                break  # this model's adapters are switched off
            for name in layer.active_adapters:
                if name in weights or name not in names or name not in layer.scaling:
                    continue
                r = layer.r[name]
                unit = layer.lora_alpha[name] / (math.sqrt(r) if layer.use_rslora.get(name, False) else r)
                weights[name] = round(float(layer.scaling[name]) / unit, 6) if unit else 0.0
    order = [n for names in listed.values() for n in names]
    return {n: weights[n] for n in sorted(weights, key=order.index)}
