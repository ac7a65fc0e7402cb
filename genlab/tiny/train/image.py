"""Training the image model: stage 1 the VAE, stage 2 the UNet and text encoder together.

1. **VAE** (``AutoencoderKL``, f8): L1 + MSE + an edge (image-gradient) term + a tiny KL, on
   world images (random crops on CPU presets, where full frames are slow). Afterwards
   ``vae.config.scaling_factor`` is set to 1 / std of the latents, as SD's 0.18215 was.
2. **UNet + text encoder**, jointly, from scratch, on the latent cache
   (:func:`~genlab.tiny.train.data.build_image_cache`): DDPM noise, epsilon prediction, min-SNR-5
   weights, offset noise (:mod:`~genlab.tiny.train.diffusion`), 10% empty captions, AdamW with
   weight decay on matrices only, warmup + cosine LR, an EMA of the weights. 10% of the examples
   are the first frame of a world clip with its clip caption, so the text encoder learns the
   motion words the motion model relies on.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from genlab.tiny import architecture as arch
from genlab.tiny.train.data import (
    ImageBatchMaker,
    build_image_cache,
    draw_from_cache,
    load_tokenizer,
    loader,
    to_unit_range,
    tokenize,
)
from genlab.tiny.train.diffusion import Noise, weighted_mse
from genlab.tiny.train.loop import (
    Budget,
    OptimiserStep,
    Smoothed,
    load_checkpoint,
    load_ema_state,
    make_ema,
    run_steps,
    save_checkpoint,
)
from genlab.tiny.train.runtime import autocast, batch_generator, fused_adamw, progress_bar

KL_WEIGHT = 1e-6
EDGE_WEIGHT = 0.5
# Start with a narrow posterior (std ~0.05 instead of ~1): the decoder sees the encoder's signal
# from the first step instead of noise (measured: much faster start).
VAE_INIT_LOGVAR = -6.0


def vae_loss(x: torch.Tensor, rec: torch.Tensor, kl: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, L1): L1 + MSE + EDGE_WEIGHT x the L1 of the image gradients' error + KL_WEIGHT x KL."""
    diff = rec - x
    l1 = diff.abs().mean()
    mse = diff.pow(2).mean()
    edge = (diff[..., :, 1:] - diff[..., :, :-1]).abs().mean() + (diff[..., 1:, :] - diff[..., :-1, :]).abs().mean()
    return l1 + mse + EDGE_WEIGHT * edge + KL_WEIGHT * kl, l1


@torch.no_grad()
def latent_scaling_factor(vae, device: torch.device, seed: int, n_images: int, gen) -> tuple[float, torch.Tensor]:
    """1 / std of posterior samples of ``n_images`` world images (as SD's 0.18215), and the samples."""
    zs = []
    with autocast(device):
        nb = min(64, n_images)
        mk = ImageBatchMaker(seed, "vae-scale", nb)
        for i in range(max(1, n_images // nb)):
            zs.append(vae.encode(to_unit_range(mk(i), device)).latent_dist.sample(generator=gen).float())
    z = torch.cat(zs)
    return float(1.0 / z.std()), z


def train_vae(cfg: dict, device: torch.device, seed: int, deadline: float, ckpt_dir: Path, resume: bool, log) -> tuple:
    """Stage 1: train the VAE until its budget ends; returns (vae in eval mode, info)."""
    ckpt_path = ckpt_dir / "vae.pt"
    torch.manual_seed(seed)
    vae = arch.build_vae()
    with torch.no_grad():
        vae.quant_conv.bias[arch.LATENT_CHANNELS :] = VAE_INIT_LOGVAR
    vae = vae.to(device)
    opt = torch.optim.AdamW(vae.parameters(), lr=cfg["vae_lr"], betas=(0.9, 0.99), weight_decay=0.0, **fused_adamw(device))
    start = 0
    ck = load_checkpoint(ckpt_path) if resume else None
    if ck is not None:
        vae.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        start = ck["step"]
        if ck.get("done"):
            vae.register_to_config(scaling_factor=ck["info"]["scaling_factor"])
            vae.eval()
            log(f"vae: resumed finished stage ({start} steps)")
            return vae, ck["info"]
        log(f"vae: resuming at step {start}")
    budget = Budget(cfg["vae_steps"], deadline, cfg["warmup"])
    maker = ImageBatchMaker(seed, "vae", cfg["vae_batch"], crop=cfg["vae_crop"])
    gen = torch.Generator(device=device).manual_seed(seed + 1)
    sm = Smoothed()
    step = start
    last_ckpt = time.time()
    vae.train()
    bar = progress_bar(cfg["vae_steps"], "vae", initial=start)
    if not budget.done(step):
        for x in loader(maker, cfg["workers"], start=start, pin=device.type == "cuda"):
            x = to_unit_range(x, device)
            for g in opt.param_groups:
                g["lr"] = cfg["vae_lr"] * budget.lr_factor(step)
            with autocast(device):
                post = vae.encode(x).latent_dist
                z = post.mean + post.std * torch.randn(post.mean.shape, device=device, generator=gen)
                rec = vae.decode(z).sample.float()
            kl = post.kl().float().mean()
            loss, l1 = vae_loss(x, rec, kl)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
            opt.step()
            step += 1
            v = sm.add(l1.item())
            bar.update(1)
            if step % 10 == 0:
                bar.set_postfix(l1=f"{v:.4f}", kl=f"{kl.item():.0f}")
            if cfg["ckpt_every_s"] and time.time() - last_ckpt > cfg["ckpt_every_s"]:
                save_checkpoint(ckpt_path, {"step": step, "model": vae.state_dict(), "opt": opt.state_dict()})
                last_ckpt = time.time()
            if budget.done(step):
                break
    bar.close()
    info = {"steps": step, "stop": budget.stop_reason(step), "l1": sm.get(), "batch": cfg["vae_batch"], "crop": cfg["vae_crop"]}
    vae.eval()
    sf, z = latent_scaling_factor(vae, device, seed, cfg["scale_images"], gen)
    vae.register_to_config(scaling_factor=sf)
    info.update(scaling_factor=sf, latent_mean=float(z.mean()), latent_std=float(z.std()))
    log(f"vae: {step} steps ({info['stop']}), l1 {info['l1']:.4f}, scaling_factor {sf:.4f}")
    save_checkpoint(ckpt_path, {"step": step, "model": vae.state_dict(), "opt": opt.state_dict(), "done": True, "info": info})
    return vae, info


def train_unet(vae, cfg: dict, device: torch.device, seed: int, deadline: float, ckpt_dir: Path, resume: bool,
               tokenizer_dir: Path, log) -> tuple:
    """Stage 2: the UNet and text encoder from scratch on the VAE's latents; returns
    (unet, text encoder, info), the weights set to their EMA."""
    ckpt_path = ckpt_dir / "unet.pt"
    tokenizer = load_tokenizer(tokenizer_dir)
    torch.manual_seed(seed + 2)
    unet = arch.build_unet().to(device)
    te = arch.build_text_encoder().to(device)
    params = list(unet.parameters()) + list(te.parameters())
    decay, no_decay = [], []
    for p in params:
        (decay if p.dim() >= 2 else no_decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 1e-2}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg["unet_lr"], betas=(0.9, 0.999), **fused_adamw(device, cfg["cuda_graph"]),
    )
    ema = make_ema(params, cfg["ema_decay"])
    start = 0
    ck = load_checkpoint(ckpt_path) if resume else None
    if ck is not None:
        unet.load_state_dict(ck["unet"])
        te.load_state_dict(ck["te"])
        opt.load_state_dict(ck["opt"])
        load_ema_state(ema, ck["ema"], device)
        start = ck["step"]
        log(f"unet: resuming at step {start}")
    sf = vae.config.scaling_factor
    # The cache may use up to a third of what is left of the stage's time.
    cap = time.time() + max(10.0, (deadline - time.time()) / 3)
    cache = build_image_cache(vae, cfg, device, seed, tokenizer_dir, cap, log)
    n = cache["mean"].shape[0]
    empty_ids = torch.from_numpy(tokenize(tokenizer, [""])[0]).long().to(device)
    noise = Noise(device)
    gen = batch_generator(device, seed + 3 + 1000 * start)
    budget = Budget(cfg["unet_steps"], deadline, cfg["warmup"])
    unet.train()
    te.train()
    bs = cfg["unet_batch"]

    def batch_loss() -> torch.Tensor:
        idx = torch.randint(0, n, (bs,), device=device, generator=gen)
        z, ids = draw_from_cache(cache, idx, sf, gen, empty_ids)
        zt, t, eps, w = noise(z, gen)
        with autocast(device):
            h = te(ids)[0]
            pred = unet(zt, t, h).sample
        return weighted_mse(pred, eps, w)

    def save(step: int):
        save_checkpoint(ckpt_path, {"step": step, "unet": unet.state_dict(), "te": te.state_dict(),
                                    "opt": opt.state_dict(), "ema": ema.state_dict()})

    train_step = OptimiserStep(batch_loss, params, opt, device, graph=cfg["cuda_graph"], log=log)
    step, loss, rate = run_steps(train_step, "unet", cfg["unet_lr"], budget, ema, start, cfg, save)
    ema.copy_to(params)
    info = {"steps": step, "stop": budget.stop_reason(step), "loss": loss, "batch": bs, "cached_examples": n,
            "steps_per_s": round(rate, 2), "step_mode": train_step.mode}
    log(f"unet: {step} steps ({info['stop']}, {rate:.1f} steps/s, {train_step.mode}), "
        f"loss {info['loss'] if info['loss'] is None else round(info['loss'], 4)}")
    return unet, te, info
