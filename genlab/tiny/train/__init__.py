"""``genlab tiny train image|motion``: train genlab's tiny shapes-world models from scratch.

The *image* model is a genuine Stable Diffusion pipeline on the tiny architecture of
:mod:`genlab.tiny.architecture`, trained in two stages on pictures from :mod:`genlab.tiny.world`
(the VAE, then the UNet and text encoder together); the *motion* model is an AnimateDiff
``MotionAdapter`` trained on the image model's frozen UNet. Models are saved with
``save_pretrained`` in fp16, each with a ``training.json``.

Modules, in the order a run uses them::

    presets   the presets smoke / cpu / gpu (data: assets/presets/tiny_train.toml)
    cli       the command line and one run, from arguments to the saved model
    runtime   device, autocast, fused AdamW options, progress bars, versions
    data      world batches (seeded by index), tokens, the VAE latent caches
    diffusion the objective: DDPM noise, offset noise, min-SNR weights (diffusers' compute_snr)
    loop      budgets, the CUDA-graph OptimiserStep, diffusers' EMAModel, checkpoints
    image     stage 1 the VAE, stage 2 the UNet + text encoder
    motion    the motion adapter and its motion contrast term
    preview   a sample grid of a trained model, scored by the pixel evaluator

Time: every stage has a step budget *and* a time budget (``--max-minutes`` for the whole
command, counted from the process's start: :data:`STARTED`; the preset splits it between
stages). The learning-rate schedule follows whichever runs out first, so a run stopped by the
clock still ends with a fully annealed, EMA-averaged model and always saves. Checkpoints
(``--resume``) live in ``<out>/../.checkpoints/<name>``.

``python -m genlab.tiny.train`` and ``genlab tiny train`` run :func:`main`.
"""

from __future__ import annotations

import time

STARTED = time.time()  # the process's start, as near as we can see it: budgets count from here

import os  # noqa: E402

# Before torch loads (only then do they take effect): spinning OpenMP threads collapse when the
# cores are shared (measured 5x slower on 2 busy cores); passive waiting costs little when not.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def main(argv: list[str] | None = None) -> int:
    """Run ``genlab tiny train`` with ``argv`` (default: the process's arguments)."""
    from genlab.tiny.train.cli import main as run

    return run(argv)


def __getattr__(name: str):
    if name == "PRESETS":  # the presets, as the single-file trainer exposed them
        from genlab.tiny.train.presets import PRESETS

        return PRESETS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
