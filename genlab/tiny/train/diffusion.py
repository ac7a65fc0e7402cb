"""The denoising objective: DDPM noise (SD's betas), offset noise and min-SNR loss weights.

The forward process is diffusers' own (``DDPMScheduler.add_noise``) and the weights come from
``diffusers.training_utils.compute_snr``: epsilon prediction weighted by min(SNR, gamma) / SNR
(Hang et al., "Efficient Diffusion Training via Min-SNR Weighting Strategy"). Everything stays on
the training device, with no host synchronisation, so a whole step can be captured as a CUDA graph.
"""

from __future__ import annotations

import torch
from diffusers.training_utils import compute_snr

from genlab.tiny import architecture as arch

NOISE_OFFSET = 0.1  # offset noise: lets the model shift the mean colour (black/white backgrounds)
MIN_SNR_GAMMA = 5.0


def min_snr_weights(scheduler, t: torch.Tensor, gamma: float = MIN_SNR_GAMMA) -> torch.Tensor:
    """Per-example loss weights for epsilon prediction: min(SNR(t), gamma) / SNR(t)."""
    snr = compute_snr(scheduler, t)
    return torch.clamp(snr, max=gamma) / snr


class Noise:
    """Noise a batch of latents for training: ``zt, t, noise, weight = noise(z, gen)``."""

    def __init__(self, device: torch.device):
        self.scheduler = arch.build_train_scheduler()
        # On the device once, so that add_noise / compute_snr never copy from the host (a copy
        # from host memory cannot be captured in a CUDA graph).
        self.scheduler.alphas_cumprod = self.scheduler.alphas_cumprod.to(device=device, dtype=torch.float32)
        self.n = self.scheduler.config.num_train_timesteps

    def __call__(self, z: torch.Tensor, gen: torch.Generator | None, t_min: int = 0):
        """Latents ``z`` (B, ...) noised at random timesteps in [t_min, 1000): (zt, t, the noise
        to predict, the min-SNR weight of each example)."""
        b = z.shape[0]
        t = torch.randint(t_min, self.n, (b,), device=z.device, generator=gen)
        noise = torch.randn(z.shape, device=z.device, generator=gen)
        off_shape = (b, z.shape[1]) + (1,) * (z.dim() - 2)
        noise = noise + NOISE_OFFSET * torch.randn(off_shape, device=z.device, generator=gen)
        zt = self.scheduler.add_noise(z, noise, t)
        return zt, t, noise, min_snr_weights(self.scheduler, t)


def weighted_mse(pred: torch.Tensor, target: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of each example's MSE times its weight (in fp32)."""
    per = (pred.float() - target.float()).pow(2).flatten(1).mean(1)
    return (per * w).mean()
