"""Lesson 3 (under the hood): the pieces a text-to-image pipeline is made of, one at a time.

    pipe = internals.pipeline(profile)                 # the same pipeline genlab.generate uses
    internals.count_tokens(pipe, "a red circle")       # tokens, start and end markers included
    latents = internals.encode(pipe, picture)          # VAE: picture -> latent grid (4 x 16 x 16 for 128 px)
    internals.decode(pipe, latents)                    # ...and back
    internals.add_noise(pipe, latents, noise, t)       # forward noising, done by the scheduler
    internals.denoise(pipe, prompt, seed=42)           # the whole loop, written out by hand

`denoise` repeats what diffusers' StableDiffusionPipeline does, step for step, so with the same
seed its picture is pixel-for-pixel the picture of `genlab.generate` (checked in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from genlab.core.i18n import say
from genlab.core.imaging import same_pixels  # noqa: F401  (internals.same_pixels: lesson 03 compares its loop with generate's)

MAX_TOKENS = 77  # CLIP's text encoder reads at most 77 tokens, start and end markers included


def pipeline(profile=None):
    """The text-to-image pipeline of a profile (loaded once, shared with genlab.generate)."""
    from genlab.core.pipelines import load_pipeline

    return load_pipeline("txt2img", profile)


def fresh_scheduler(pipe, steps: int, sampler: str | None = None):
    """A new scheduler like the pipeline's own (or a named sampler's), set to `steps` steps."""
    from genlab.core.samplers import generation_lock, make_scheduler, use_sampler

    with generation_lock:
        default = use_sampler(pipe, None)
    scheduler = type(default).from_config(default.config) if sampler is None else make_scheduler(sampler, default.config)
    scheduler.set_timesteps(steps, device=pipe.device)
    return scheduler


# ---- the tokenizer -----------------------------------------------------------------------------
def tokens(pipe, text: str) -> list[str]:
    """The pieces the tokenizer cuts `text` into (no start/end markers). `</w>` marks a word's end."""
    return pipe.tokenizer.tokenize(text)


def count_tokens(pipe, text: str) -> int:
    """How many tokens the text encoder would need for `text`, start and end markers included."""
    return len(pipe.tokenizer(text, truncation=False).input_ids)


def kept_text(pipe, text: str) -> str:
    """What the model actually reads of `text`: everything after token 77 is cut off."""
    ids = pipe.tokenizer(text, truncation=True, max_length=pipe.tokenizer.model_max_length).input_ids
    return pipe.tokenizer.decode(ids, skip_special_tokens=True)


def encode_text(pipe, prompt: str, negative_prompt: str | None = None):
    """(text embeddings, unconditional embeddings) exactly as the pipeline makes them."""
    import torch

    with torch.no_grad():
        text, uncond = pipe.encode_prompt(
            prompt, pipe.device, 1, True, negative_prompt=negative_prompt
        )
    return text, uncond


# ---- the VAE -----------------------------------------------------------------------------------
def encode(pipe, picture: Image.Image):
    """Picture -> latents (scaled as the UNet sees them): 8x smaller on each side, 4 channels."""
    import torch

    x = pipe.image_processor.preprocess(picture.convert("RGB")).to(pipe.device, pipe.vae.dtype)
    with torch.no_grad():
        latents = pipe.vae.encode(x).latent_dist.mode()
    return latents * pipe.vae.config.scaling_factor


def decode(pipe, latents) -> Image.Image:
    """Latents -> picture, exactly as the pipeline's last step does it."""
    import torch

    with torch.no_grad():
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
    return pipe.image_processor.postprocess(image, output_type="pil", do_denormalize=[True])[0]


def latent_picture(latents, size: int | None = None) -> Image.Image:
    """The 4 latent channels side by side as grey pictures (to look at; not a real image)."""
    import numpy as np

    lat = latents[0].detach().float().cpu().numpy()
    tiles = []
    for ch in lat:
        lo, hi = float(ch.min()), float(ch.max())
        tiles.append(((ch - lo) / (hi - lo + 1e-8) * 255).astype(np.uint8))
    gap = np.full((lat.shape[1], 1), 255, dtype=np.uint8)
    row = np.concatenate([x for t in tiles for x in (t, gap)][:-1], axis=1)
    img = Image.fromarray(row, "L").convert("RGB")
    if size:
        img = img.resize((img.width * size // lat.shape[1], size), Image.NEAREST)
    return img


# ---- forward noising ---------------------------------------------------------------------------
def noise_like(latents, seed: int):
    """Seeded Gaussian noise of the latents' shape (the same numbers on every computer's CPU)."""
    import torch

    return torch.randn(latents.shape, generator=torch.Generator("cpu").manual_seed(seed), dtype=latents.dtype)


def noise_scheduler(pipe):
    """The training-time scheduler (DDPM) with the model's noise schedule: the one that adds noise."""
    from diffusers import DDPMScheduler

    from genlab.core.samplers import generation_lock, use_sampler

    with generation_lock:
        default = use_sampler(pipe, None)
    return DDPMScheduler.from_config(default.config)


def alpha_bar(pipe, t: int):
    """How much of the original signal is left at timestep t (1 = all of it, near 0 = pure noise)."""
    return noise_scheduler(pipe).alphas_cumprod[int(t)]


def add_noise(pipe, latents, noise, t: int):
    """The scheduler's forward noising: sqrt(alpha_bar) * latents + sqrt(1 - alpha_bar) * noise."""
    import torch

    return noise_scheduler(pipe).add_noise(latents, noise, torch.tensor([int(t)]))


# ---- the denoising loop ------------------------------------------------------------------------
def start_latents(pipe, seed, width: int | None = None, height: int | None = None, scheduler=None):
    """The starting noise the pipeline draws for `seed` (a number or a torch.Generator), scaled for the scheduler."""
    import torch
    from diffusers.utils.torch_utils import randn_tensor

    width = width or pipe.unet.config.sample_size * pipe.vae_scale_factor
    height = height or pipe.unet.config.sample_size * pipe.vae_scale_factor
    shape = (1, pipe.unet.config.in_channels, height // pipe.vae_scale_factor, width // pipe.vae_scale_factor)
    latents = randn_tensor(shape, generator=seed if isinstance(seed, torch.Generator) else torch.Generator("cpu").manual_seed(seed), device=pipe.device, dtype=pipe.unet.dtype)
    return latents * (scheduler.init_noise_sigma if scheduler is not None else 1.0)


def predict_noise(pipe, scheduler, latents, t, text, uncond):
    """The UNet's two noise guesses for this step: (without the prompt, with the prompt)."""
    import torch

    both = scheduler.scale_model_input(torch.cat([latents] * 2), t)
    with torch.no_grad():
        noise = pipe.unet(both, t, encoder_hidden_states=torch.cat([uncond, text]), return_dict=False)[0]
    noise_uncond, noise_text = noise.chunk(2)
    return noise_uncond, noise_text


def guide(noise_uncond, noise_text, guidance: float):
    """Classifier-free guidance: start from the guess without the prompt, push towards the prompt."""
    return noise_uncond + guidance * (noise_text - noise_uncond)


@dataclass
class Loop:
    image: Image.Image
    latents: list  # the latents after each step (index 0 = the starting noise)
    timesteps: list[int]


def denoise(pipe, prompt: str, *, seed: int, steps: int = 20, guidance: float = 7.0, negative_prompt: str | None = None,
            sampler: str | None = None, keep: bool = False) -> Loop:
    """The pipeline's loop by hand: encode the words, draw the noise, guess and remove noise step by step.

    Guidance above 1 uses classifier-free guidance (two guesses per step); at 1 or below, the UNet
    runs once per step on the prompt alone, as in diffusers.
    """
    import inspect

    import torch

    scheduler = fresh_scheduler(pipe, steps, sampler)
    text, uncond = encode_text(pipe, prompt, negative_prompt)
    generator = torch.Generator("cpu").manual_seed(seed)
    latents = start_latents(pipe, generator, scheduler=scheduler)
    # Samplers that add fresh noise each step ("Euler a") draw it from the same generator.
    step_kwargs = {"generator": generator} if "generator" in inspect.signature(scheduler.step).parameters else {}
    kept = [latents.clone()] if keep else []
    for t in scheduler.timesteps:
        if guidance > 1:
            noise_uncond, noise_text = predict_noise(pipe, scheduler, latents, t, text, uncond)
            noise = guide(noise_uncond, noise_text, guidance)
        else:
            with torch.no_grad():
                noise = pipe.unet(scheduler.scale_model_input(latents, t), t, encoder_hidden_states=text, return_dict=False)[0]
        latents = scheduler.step(noise, t, latents, **step_kwargs, return_dict=False)[0]
        if keep:
            kept.append(latents.clone())
    return Loop(image=decode(pipe, latents), latents=kept, timesteps=[int(t) for t in scheduler.timesteps])


def world_picture(prompt: str, seed: int = 0, size: int = 128) -> Image.Image:
    """A picture drawn by the shapes world's own painter (not by the model): exact content, known colours."""
    import random
    from dataclasses import replace

    from genlab.tiny.world import parse_prompt, render, sample_scene

    p = parse_prompt(prompt)
    attrs = {k: p[k] for k in ("size", "position", "style") if p.get(k)}
    scene = sample_scene(random.Random(seed), split="any", two_object_prob=0.0, attrs=attrs)
    obj = scene.objects[0]
    obj = replace(obj, shape=p["shape"] or obj.shape, colour=p["colour"] or obj.colour)
    background = p["background"] or scene.background
    if background == obj.colour:
        raise ValueError(say("internals.same_colours"))
    return render(replace(scene, objects=(obj,), background=background), size)
