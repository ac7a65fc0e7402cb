"""Where training runs: the device, its settings, mixed precision, and what a run records.

Small helpers every stage shares: pick and set up the device, bf16 autocast on CUDA, the fused
AdamW options, the random stream batches are drawn from, progress bars, library versions.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys

import torch

from genlab import settings


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA, else Apple MPS, else the CPU; or the device named."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("genlab tiny train: --device cuda but CUDA is not available")
    return torch.device(name)


def setup_device(device: torch.device, workers: int) -> None:
    """TF32 and cuDNN autotuning on CUDA; the CPU cores left to the data workers."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
        torch.set_num_threads(max(1, min(4, (os.cpu_count() or 2) - workers)))


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        return f"cpu: {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    return device.type


def autocast(device: torch.device):
    """bf16 autocast on CUDA (nothing elsewhere)."""
    if device.type == "cuda":
        # No cast cache: a captured CUDA graph must redo the casts on every replay.
        return torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False)
    return contextlib.nullcontext()


def fused_adamw(device: torch.device, graph: bool = False) -> dict:
    """AdamW options: one fused kernel on CUDA (the tiny models are launch-bound there);
    capturable when the step is replayed as a CUDA graph."""
    if device.type != "cuda":
        return {}
    return {"fused": True, "capturable": True} if graph else {"fused": True}


def batch_generator(device: torch.device, seed: int):
    """The random stream a training stage draws its batches from. On CUDA it is the device's
    default generator (seeded here): the only one a captured CUDA graph advances on each replay."""
    if device.type == "cuda":
        torch.cuda.manual_seed(seed)
        return None
    return torch.Generator(device=device).manual_seed(seed)


def progress_bar(total: int, desc: str, initial: int = 0):
    """A tqdm bar that redraws every 0.5 s on a terminal, every 10 s in a log file."""
    from tqdm.auto import tqdm

    tty = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, initial=initial, mininterval=0.5 if tty else 10.0, dynamic_ncols=True, leave=True)


def versions() -> dict:
    """The library versions a run records in its training.json."""
    return {"python": platform.python_version(), **settings.library_versions(("torch", "diffusers", "transformers", "numpy"))}
