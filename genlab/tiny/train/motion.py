"""Training the motion model: an AnimateDiff ``MotionAdapter`` on the trained image pipeline.

The image pipeline's UNet is wrapped with a new adapter (``UNetMotionModel.from_unet2d``);
everything but the motion modules is frozen, and their output projections start at zero, so
training starts from the still-image model. They learn on 8-frame world clips
(:func:`~genlab.tiny.train.data.build_clip_cache`) with the image stage's objective.

Besides the denoising loss, a *motion contrast* term (weight ``motion_contrast``) teaches the
direction: at the noisiest timesteps (t >= CONTRAST_T_MIN, where a clip's layout is decided)
the motion modules must denoise a clip better with its own caption than with the opposite
motion's ("moving left" for "moving right"; log-ratio margin CONTRAST_MARGIN). Motion modules
never attend to the prompt, and past the first sampling steps the noisy frames already show the
direction, so the plain loss teaches the axis long before the direction (measured: 62.5% of
clips right without the term, 100% after 1,307 more CPU steps with it; the motion model's card
has the details).
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from genlab.tiny import architecture as arch
from genlab.tiny.train.data import build_clip_cache, draw_from_cache, load_tokenizer, tokenize
from genlab.tiny.train.diffusion import Noise, weighted_mse
from genlab.tiny.train.loop import (
    Budget,
    OptimiserStep,
    load_checkpoint,
    load_ema_state,
    make_ema,
    run_steps,
    save_checkpoint,
)
from genlab.tiny.train.runtime import autocast, batch_generator, fused_adamw

CONTRAST_T_MIN = 700  # motion contrast: only the noisiest timesteps, where the direction is decided
CONTRAST_MARGIN = 0.3  # ... and log(loss with the opposite motion) - log(loss with the caption) >= this


def zero_motion_outputs(adapter) -> None:
    """Zero the motion modules' output projections: a new adapter changes nothing at first."""
    for name, mod in adapter.named_modules():
        if name.endswith("proj_out") and isinstance(mod, torch.nn.Linear):
            torch.nn.init.zeros_(mod.weight)
            torch.nn.init.zeros_(mod.bias)


def motion_contrast(munet, te, noise: Noise, z, ids, opposite_ids, f: int, gen, device) -> torch.Tensor:
    """The motion contrast term: at t >= CONTRAST_T_MIN the same noisy clip must be denoised
    better with its caption than with the opposite motion's, by a log-ratio of CONTRAST_MARGIN."""
    b = z.shape[0]
    zt, t, eps, _ = noise(z, gen, t_min=CONTRAST_T_MIN)
    with torch.no_grad(), autocast(device):
        h = te(torch.cat([ids, opposite_ids]))[0]
    with autocast(device):
        pred = munet(torch.cat([zt, zt]), torch.cat([t, t]), h.repeat_interleave(f, 0)).sample
    err = (pred.float() - torch.cat([eps, eps]).float()).pow(2).flatten(1).mean(1)
    margin = torch.log(err[b:]) - torch.log(err[:b])
    return torch.relu(CONTRAST_MARGIN - margin).mean()


def train_motion(pipe_dir: Path, cfg: dict, device: torch.device, seed: int, deadline: float, ckpt_dir: Path,
                 resume: bool, log, init_from: Path | None = None):
    """Train a motion adapter on the image pipeline in ``pipe_dir`` (or go on training the one in
    ``init_from``); returns (MotionAdapter with the EMA weights, info)."""
    from diffusers import AutoencoderKL, UNet2DConditionModel, UNetMotionModel
    from transformers import CLIPTextModel

    ckpt_path = ckpt_dir / "motion.pt"
    vae = AutoencoderKL.from_pretrained(pipe_dir, subfolder="vae", dtype=torch.float32).to(device)
    te = CLIPTextModel.from_pretrained(pipe_dir, subfolder="text_encoder", dtype=torch.float32).to(device)
    unet2d = UNet2DConditionModel.from_pretrained(pipe_dir, subfolder="unet", dtype=torch.float32)
    tokenizer_dir = pipe_dir / "tokenizer"
    tokenizer = load_tokenizer(tokenizer_dir)
    torch.manual_seed(seed + 4)
    if init_from is not None:  # go on training an adapter that an earlier run made
        from diffusers import MotionAdapter

        adapter = MotionAdapter.from_pretrained(init_from, dtype=torch.float32)
        log(f"motion: starting from the adapter in {init_from}")
    else:
        adapter = arch.build_motion_adapter()
        zero_motion_outputs(adapter)
    munet = UNetMotionModel.from_unet2d(unet2d, adapter).to(device)
    munet.freeze_unet2d_params()
    te.requires_grad_(False)
    vae.requires_grad_(False)
    params = [p for p in munet.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg["motion_lr"], betas=(0.9, 0.999), weight_decay=1e-2,
                            **fused_adamw(device, cfg["cuda_graph"]))
    ema = make_ema(params, cfg["ema_decay"])
    start = 0
    ck = load_checkpoint(ckpt_path) if resume else None
    if ck is not None:
        munet.load_state_dict(ck["model"], strict=False)
        opt.load_state_dict(ck["opt"])
        load_ema_state(ema, ck["ema"], device)
        start = ck["step"]
        log(f"motion: resuming at step {start}")
    sf = vae.config.scaling_factor
    cap = time.time() + max(10.0, (deadline - time.time()) / 3)
    cache = build_clip_cache(vae, cfg, device, seed, tokenizer_dir, cap, log)
    n = cache["mean"].shape[0]
    f = cfg["n_frames"]
    empty_ids = torch.from_numpy(tokenize(tokenizer, [""])[0]).long().to(device)
    noise = Noise(device)
    gen = batch_generator(device, seed + 5 + 1000 * start)
    budget = Budget(cfg["motion_steps"], deadline, max(1, cfg["warmup"] // 2))
    munet.train()
    bs = cfg["motion_batch"]
    contrast = cfg["motion_contrast"]

    def motion_state():
        return {k: v for k, v in munet.state_dict().items() if "motion_modules" in k}

    def batch_loss() -> torch.Tensor:
        idx = torch.randint(0, n, (bs,), device=device, generator=gen)
        z, ids = draw_from_cache(cache, idx, sf, gen, empty_ids)  # z: (B, C, F, H, W)
        zt, t, eps, w = noise(z, gen)
        with torch.no_grad(), autocast(device):
            h = te(ids)[0]
        with autocast(device):
            pred = munet(zt, t, h.repeat_interleave(f, 0)).sample
        loss = weighted_mse(pred, eps, w)
        if contrast:
            loss = loss + contrast * motion_contrast(munet, te, noise, z, cache["ids"][idx].long(),
                                                     cache["opposite_ids"][idx].long(), f, gen, device)
        return loss

    def save(step: int):
        save_checkpoint(ckpt_path, {"step": step, "model": motion_state(), "opt": opt.state_dict(), "ema": ema.state_dict()})

    train_step = OptimiserStep(batch_loss, params, opt, device, graph=cfg["cuda_graph"], log=log)
    step, loss, rate = run_steps(train_step, "motion", cfg["motion_lr"], budget, ema, start, cfg, save)
    ema.copy_to(params)
    adapter = arch.build_motion_adapter()
    adapter.load_state_dict(motion_state(), strict=True)
    info = {"steps": step, "stop": budget.stop_reason(step), "loss": loss, "batch": bs, "n_frames": f, "cached_clips": n,
            "steps_per_s": round(rate, 2), "step_mode": train_step.mode}
    log(f"motion: {step} steps ({info['stop']}, {rate:.1f} steps/s, {train_step.mode}), "
        f"loss {info['loss'] if info['loss'] is None else round(info['loss'], 4)}")
    return adapter, info
