"""The tiny shapes-world Stable Diffusion architecture, as data.

These configs are the single source of truth for the shipped tiny models: the training script
builds from them, the random-init builders used by fast unit tests build from them, and the
folders under ``assets/models/`` are ``save_pretrained`` of models built from them.

The layout is a genuine Stable Diffusion pipeline, only smaller:

* VAE: ``AutoencoderKL`` with four blocks, so three 2x downsamples: an **f8** VAE like real SD
  (128x128 px image -> 4x16x16 latent).
* UNet: ``UNet2DConditionModel`` with cross-attention at 16x16 and 8x8, conditioned on the text
  encoder's hidden states (cross_attention_dim = text hidden size).
* Text encoder: a 4-layer ``CLIPTextModel`` using CLIP's real BPE vocabulary (49,408 ids), so the
  tokenizer lesson shows the same token ids and the same 77-token limit as real SD.
* Motion adapter: an AnimateDiff ``MotionAdapter`` whose blocks mirror the UNet's.
"""

from __future__ import annotations

IMAGE_SIZE = 128
LATENT_CHANNELS = 4
VAE_SCALE_FACTOR = 8
LATENT_SIZE = IMAGE_SIZE // VAE_SCALE_FACTOR
TEXT_HIDDEN = 64
MAX_TOKENS = 77

VAE_CONFIG = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(32, 64, 64, 64),
    layers_per_block=1,
    latent_channels=LATENT_CHANNELS,
    # 8 groups, not SD's 32: with 32 channels, 32 groups is one channel per group (an instance
    # norm) and the decoder's last norm wipes out absolute colour. Measured on 2 CPU cores,
    # 300 steps: full-frame L1 0.38 with 32 groups, 0.22 with 8 (and the colours right).
    norm_num_groups=8,
    sample_size=IMAGE_SIZE,
    # Set from the trained latents' standard deviation (as real SD's 0.18215 was);
    # the trainer overwrites it.
    scaling_factor=1.0,
)

UNET_BLOCKS = (64, 128, 128)
UNET_CONFIG = dict(
    sample_size=LATENT_SIZE,
    in_channels=LATENT_CHANNELS,
    out_channels=LATENT_CHANNELS,
    layers_per_block=1,
    block_out_channels=UNET_BLOCKS,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=TEXT_HIDDEN,
    attention_head_dim=8,
    norm_num_groups=32,
)

TEXT_ENCODER_CONFIG = dict(
    vocab_size=49408,
    hidden_size=TEXT_HIDDEN,
    intermediate_size=4 * TEXT_HIDDEN,
    num_hidden_layers=4,
    num_attention_heads=4,
    max_position_embeddings=MAX_TOKENS,
    bos_token_id=49406,
    eos_token_id=49407,
    pad_token_id=49407,
    hidden_act="quick_gelu",
)

MOTION_ADAPTER_CONFIG = dict(
    block_out_channels=UNET_BLOCKS,
    motion_layers_per_block=1,
    motion_num_attention_heads=4,
    motion_norm_num_groups=32,
    motion_max_seq_length=16,
    use_motion_mid_block=True,
)

# Same betas as real Stable Diffusion ("scaled_linear", 1000 steps, epsilon prediction).
NOISE_SCHEDULE = dict(
    num_train_timesteps=1000,
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    prediction_type="epsilon",
    steps_offset=1,
)


def build_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(**VAE_CONFIG)


def build_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(**UNET_CONFIG)


def build_text_encoder():
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER_CONFIG))


def build_motion_adapter():
    from diffusers import MotionAdapter

    return MotionAdapter(**MOTION_ADAPTER_CONFIG)


def build_train_scheduler():
    from diffusers import DDPMScheduler

    return DDPMScheduler(**NOISE_SCHEDULE)


def build_inference_scheduler():
    """DPM++ 2M (``DPMSolverMultistepScheduler``): good pictures in 20 steps."""
    from diffusers import DPMSolverMultistepScheduler

    return DPMSolverMultistepScheduler(**NOISE_SCHEDULE)


def build_pipeline(tokenizer, *, seed: int = 0, vae=None, unet=None, text_encoder=None):
    """A complete ``StableDiffusionPipeline`` on the tiny architecture.

    Components not given are built with random weights from ``seed`` (used by unit tests and as
    the starting point of training).
    """
    import torch
    from diffusers import StableDiffusionPipeline

    torch.manual_seed(seed)
    return StableDiffusionPipeline(
        vae=vae if vae is not None else build_vae(),
        text_encoder=text_encoder if text_encoder is not None else build_text_encoder(),
        tokenizer=tokenizer,
        unet=unet if unet is not None else build_unet(),
        scheduler=build_inference_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
