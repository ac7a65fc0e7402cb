"""Training the tiny ControlNet: diffusers' ``ControlNetModel`` on the frozen image model.

The ControlNet starts as a copy of the UNet's encoder (``ControlNetModel.from_unet``, zero
convolutions on every output, as Zhang et al. do) and learns to add the residuals that make the
frozen UNet draw the object where a drawing says (:mod:`genlab.tiny.control`: an outline sketch
or a layout box, both conditions in one model). The text encoder, VAE and UNet stay frozen: the
picture's colours still come from the prompt.

The data is cached once: ``controlnet_examples`` free-placed scenes rendered, VAE-encoded
(posterior mean and std), their captions encoded by the frozen text encoder, and the drawings as
one-channel control images. A step draws a batch on the device, noises it with SD's schedule and
min-SNR weights (:mod:`~genlab.tiny.train.diffusion`), and drops ``CONTROL_EMPTY_CAPTION_PROB``
of the captions (so the ControlNet also works from the drawing alone and under guidance).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from genlab.tiny import control
from genlab.tiny.train.data import _rng, encode, load_tokenizer, tokenize, to_unit_range
from genlab.tiny.train.diffusion import Noise, weighted_mse
from genlab.tiny.train.loop import Budget, OptimiserStep, load_checkpoint, load_ema_state, make_ema, run_steps, save_checkpoint
from genlab.tiny.train.runtime import autocast, batch_generator, fused_adamw, progress_bar

CONTROL_EMPTY_CAPTION_PROB = 0.2
# The conditioning embedding's channels: three stride-2 convolutions take 128 px drawings to the
# UNet's 16 x 16 latents (SD's ControlNets use (16, 32, 96, 256) for 512 px -> 64 x 64).
CONDITIONING_CHANNELS = (16, 32, 64, 128)


def build_controlnet(unet):
    """A ControlNet for ``unet``: its encoder's weights, zero convolutions on every output."""
    from diffusers import ControlNetModel

    return ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=CONDITIONING_CHANNELS)


@torch.no_grad()
def build_control_cache(vae, te, tokenizer, n: int, batch: int, device, seed: int, time_cap: float, log) -> dict:
    """``n`` examples: {"mean", "std": latents (fp16), "text": hidden states (fp16), "cond": drawings
    (uint8, 1 x 128 x 128)}."""
    means, stds, texts, conds = [], [], [], []
    t0 = time.time()
    bar = progress_bar(n, "control examples")
    for b in range(max(1, n // batch)):
        rng = _rng(seed, "controlnet", b)
        examples = [control.sample_example(rng) for _ in range(batch)]
        pictures = np.stack([np.asarray(control.render(e)) for e in examples])
        x = torch.from_numpy(pictures).permute(0, 3, 1, 2).contiguous()
        m, s = encode(vae, to_unit_range(x, device), device)
        ids = torch.from_numpy(tokenize(tokenizer, [control.caption(e, rng) for e in examples])).long().to(device)
        with autocast(device):
            texts.append(te(ids)[0].to(torch.float16))
        drawings = np.stack([np.asarray(control.control_image(control.draw(e)))[..., 0] for e in examples])
        conds.append(torch.from_numpy(drawings)[:, None].to(device))
        means.append(m)
        stds.append(s)
        bar.update(batch)
        if time.time() > time_cap and b + 1 >= 4:
            log(f"control examples: time cap reached after {(b + 1) * batch}")
            break
    bar.close()
    cache = {"mean": torch.cat(means), "std": torch.cat(stds), "text": torch.cat(texts), "cond": torch.cat(conds)}
    log(f"control examples: {cache['mean'].shape[0]} in {time.time() - t0:.1f}s")
    return cache


def train_controlnet(pipe_dir: Path, cfg: dict, device: torch.device, seed: int, deadline: float, ckpt_dir: Path,
                     resume: bool, log):
    """Train a ControlNet on the image pipeline in ``pipe_dir``; returns (ControlNetModel with the
    EMA weights, info)."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel

    ckpt_path = ckpt_dir / "controlnet.pt"
    vae = AutoencoderKL.from_pretrained(pipe_dir, subfolder="vae", dtype=torch.float32).to(device)
    te = CLIPTextModel.from_pretrained(pipe_dir, subfolder="text_encoder", dtype=torch.float32).to(device)
    unet = UNet2DConditionModel.from_pretrained(pipe_dir, subfolder="unet", dtype=torch.float32).to(device)
    tokenizer = load_tokenizer(pipe_dir / "tokenizer")
    for m in (vae, te, unet):
        m.requires_grad_(False)
        m.eval()
    torch.manual_seed(seed + 6)
    net = build_controlnet(unet).to(device)
    net.train()
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg["controlnet_lr"], betas=(0.9, 0.999), weight_decay=1e-2,
                            **fused_adamw(device, cfg["cuda_graph"]))
    ema = make_ema(params, cfg["controlnet_ema_decay"])
    start = 0
    ck = load_checkpoint(ckpt_path) if resume else None
    if ck is not None:
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        load_ema_state(ema, ck["ema"], device)
        start = ck["step"]
        log(f"controlnet: resuming at step {start}")
    sf = vae.config.scaling_factor
    cap = time.time() + max(10.0, (deadline - time.time()) / 4)
    cache = build_control_cache(vae, te, tokenizer, cfg["controlnet_examples"], cfg["cache_batch"], device, seed, cap, log)
    n = cache["mean"].shape[0]
    with torch.no_grad(), autocast(device):
        empty = te(torch.from_numpy(tokenize(tokenizer, [""])).long().to(device))[0].float()
    noise = Noise(device)
    gen = batch_generator(device, seed + 7 + 1000 * start)
    budget = Budget(cfg["controlnet_steps"], deadline, cfg["warmup"])
    bs = cfg["controlnet_batch"]

    def batch_loss() -> torch.Tensor:
        idx = torch.randint(0, n, (bs,), device=device, generator=gen)
        mean, std = cache["mean"][idx].float(), cache["std"][idx].float()
        z = (mean + std * torch.randn(mean.shape, device=device, generator=gen)) * sf
        h = cache["text"][idx].float()
        drop = torch.rand(bs, device=device, generator=gen) < CONTROL_EMPTY_CAPTION_PROB
        h = torch.where(drop[:, None, None], empty, h)
        cond = (cache["cond"][idx].float() / 255.0).expand(-1, 3, -1, -1)
        zt, t, eps, w = noise(z, gen)
        with autocast(device):
            down, mid = net(zt, t, h, controlnet_cond=cond, return_dict=False)
            pred = unet(zt, t, h, down_block_additional_residuals=down, mid_block_additional_residual=mid).sample
        return weighted_mse(pred, eps, w)

    def save(step: int):
        save_checkpoint(ckpt_path, {"step": step, "model": net.state_dict(), "opt": opt.state_dict(), "ema": ema.state_dict()})

    train_step = OptimiserStep(batch_loss, params, opt, device, graph=cfg["cuda_graph"], log=log)
    step, loss, rate = run_steps(train_step, "controlnet", cfg["controlnet_lr"], budget, ema, start, cfg, save)
    ema.copy_to(params)
    net.eval()
    info = {"steps": step, "stop": budget.stop_reason(step), "loss": loss, "batch": bs, "cached_examples": n,
            "conditions": list(control.CONDITIONS), "empty_caption_prob": CONTROL_EMPTY_CAPTION_PROB,
            "steps_per_s": round(rate, 2), "step_mode": train_step.mode}
    log(f"controlnet: {step} steps ({info['stop']}, {rate:.2f} steps/s, {train_step.mode}), "
        f"loss {info['loss'] if info['loss'] is None else round(info['loss'], 4)}")
    return net, info
