"""Training data: batches of world pictures and clips, and the latent caches made from them.

Batches are generated from :mod:`genlab.tiny.world`, each seeded by its index (so the same seed
gives the same data whatever the number of data-loader workers). The UNet and motion stages
render and VAE-encode their examples *once* into a latent cache (mean and std of each
posterior, on the training device) and draw a fresh latent sample from it at every use.
"""

from __future__ import annotations

import dataclasses
import random
import time
from pathlib import Path

import numpy as np
import torch

from genlab import settings
from genlab.tiny import architecture as arch
from genlab.tiny import world
from genlab.tiny.train.runtime import autocast, progress_bar

EMPTY_CAPTION_PROB = 0.10  # captions dropped to "" (what classifier-free guidance needs)
MOTION_STILL_PROB = 0.10  # image examples that are a clip's first frame with its clip caption


def tokenizer_dir() -> Path:
    """The shipped tiny model's tokenizer (CLIP's real BPE vocabulary)."""
    return settings.MODELS_DIR / "tiny-shapes" / "tokenizer"


# ------------------------------------------------------------------------------------------
# Captions to token ids

_TOKENIZERS: dict[str, object] = {}


def load_tokenizer(path: str | Path):
    """``CLIPTokenizer`` from a folder (cached per folder)."""
    from transformers import CLIPTokenizer

    key = str(path)
    if key not in _TOKENIZERS:
        _TOKENIZERS[key] = CLIPTokenizer.from_pretrained(key, model_max_length=arch.MAX_TOKENS)
    return _TOKENIZERS[key]


def tokenize(tokenizer, captions: list[str]) -> np.ndarray:
    """(N, 77) int32 token ids, padded to the text encoder's length."""
    out = tokenizer(
        captions, padding="max_length", max_length=arch.MAX_TOKENS, truncation=True, return_tensors="np"
    )
    return out["input_ids"].astype(np.int32)


# ------------------------------------------------------------------------------------------
# Batches


def _rng(seed: int, stream: str, index: int) -> random.Random:
    return random.Random(f"{seed}/{stream}/{index}")


@dataclasses.dataclass
class ImageBatchMaker:
    """Batch ``index`` of world images (uint8 NCHW) and, if ``tokenizer_dir``, token ids."""

    seed: int
    stream: str
    batch: int
    crop: int | None = None
    tokenizer_dir: str | None = None
    still_prob: float = MOTION_STILL_PROB

    def __call__(self, index: int):
        rng = _rng(self.seed, self.stream, index)
        side = self.crop or arch.IMAGE_SIZE
        imgs = np.empty((self.batch, side, side, 3), np.uint8)
        caps = []
        for i in range(self.batch):
            if self.tokenizer_dir is not None and rng.random() < self.still_prob:
                clip = world.sample_clip(rng)
                img, cap = world.render_clip_frame(clip, 0), world.clip_caption(clip, rng)
            elif self.tokenizer_dir is not None:
                img, cap = world.sample_training_example(rng)
            else:
                if rng.random() < 0.2:  # the VAE also sees clip frames (any time in the clip)
                    clip = world.sample_clip(rng)
                    img = world.render_clip_frame(clip, rng.randrange(clip.n_frames))
                else:
                    img = world.render(world.sample_scene(rng, split="any", two_object_prob=0.2))
                cap = ""
            arr = np.asarray(img)
            if self.crop:
                y, x = rng.randrange(arch.IMAGE_SIZE - side + 1), rng.randrange(arch.IMAGE_SIZE - side + 1)
                arr = arr[y : y + side, x : x + side]
            imgs[i] = arr
            caps.append(cap)
        x = torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous()
        if self.tokenizer_dir is None:
            return x
        return x, torch.from_numpy(tokenize(load_tokenizer(self.tokenizer_dir), caps))


@dataclasses.dataclass
class ClipBatchMaker:
    """Batch ``index`` of world clips: frames uint8 (B, F, 3, H, W), token ids (B, 77) of their
    captions, and of the same captions with the opposite motion (for the motion contrast)."""

    seed: int
    stream: str
    batch: int
    n_frames: int
    tokenizer_dir: str

    def __call__(self, index: int):
        rng = _rng(self.seed, self.stream, index)
        s = arch.IMAGE_SIZE
        frames = np.empty((self.batch, self.n_frames, s, s, 3), np.uint8)
        caps, opposite = [], []
        for i in range(self.batch):
            clip = world.sample_clip(rng, n_frames=self.n_frames)
            for f, img in enumerate(world.render_clip(clip)):
                frames[i, f] = np.asarray(img)
            caps.append(world.clip_caption(clip, rng))
            opposite.append(caps[-1].replace(clip.motion, world.OPPOSITE_MOTION[clip.motion]))
        x = torch.from_numpy(frames).permute(0, 1, 4, 2, 3).contiguous()
        tokenizer = load_tokenizer(self.tokenizer_dir)
        return x, torch.from_numpy(tokenize(tokenizer, caps)), torch.from_numpy(tokenize(tokenizer, opposite))


class Batches(torch.utils.data.IterableDataset):
    """Batches ``start, start+1, ...`` (``stop`` excluded) from a maker, split among workers."""

    def __init__(self, maker, start: int = 0, stop: int | None = None):
        self.maker, self.start, self.stop = maker, start, stop

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
        i = self.start + wid
        while self.stop is None or i < self.stop:
            yield self.maker(i)
            i += nw


def loader(maker, workers: int, *, start: int = 0, stop: int | None = None, pin: bool = False):
    """A ``DataLoader`` over :class:`Batches` (each item is already a batch)."""
    kw = dict(batch_size=None, num_workers=workers, pin_memory=pin)
    if workers > 0:
        kw.update(prefetch_factor=4, persistent_workers=False)
    return torch.utils.data.DataLoader(Batches(maker, start, stop), **kw)


def to_unit_range(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 pixels -> float in [-1, 1] on the device (what the VAE reads)."""
    return x.to(device, non_blocking=True).float().div_(127.5).sub_(1.0)


# ------------------------------------------------------------------------------------------
# Latent caches


@torch.no_grad()
def encode(vae, x: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The VAE posterior's mean and std, in fp16 (what a cache keeps)."""
    with autocast(device):
        post = vae.encode(x).latent_dist
    return post.mean.to(torch.float16), post.std.to(torch.float16)


def build_image_cache(vae, cfg: dict, device, seed: int, tokenizer_dir, time_cap: float, log) -> dict:
    """Render + tokenize ``n_latents`` training examples and encode them with the VAE once:
    {"mean", "std": (N, 4, 16, 16) fp16, "ids": (N, 77)}."""
    bs = cfg["cache_batch"]
    n_batches = max(1, cfg["n_latents"] // bs)
    maker = ImageBatchMaker(seed, "unet", bs, tokenizer_dir=str(tokenizer_dir))
    means, stds, ids = [], [], []
    t0 = time.time()
    vae.eval()
    bar = progress_bar(n_batches * bs, "latents")
    for i, (x, tok) in enumerate(loader(maker, cfg["workers"], stop=n_batches, pin=device.type == "cuda")):
        m, s = encode(vae, to_unit_range(x, device), device)
        means.append(m)
        stds.append(s)
        ids.append(tok.to(device))
        bar.update(bs)
        if time.time() > time_cap and i + 1 >= 4:
            log(f"latents: time cap reached after {(i + 1) * bs} examples")
            break
    bar.close()
    cache = {"mean": torch.cat(means), "std": torch.cat(stds), "ids": torch.cat(ids)}
    log(f"latents: {cache['mean'].shape[0]} examples in {time.time() - t0:.1f}s")
    return cache


def build_clip_cache(vae, cfg: dict, device, seed: int, tokenizer_dir, time_cap: float, log) -> dict:
    """The same for ``n_clips`` clips: {"mean", "std": (N, 4, F, 16, 16), "ids", "opposite_ids"}."""
    f = cfg["n_frames"]
    bs = max(1, cfg["cache_batch"] // f)
    n_batches = max(1, cfg["n_clips"] // bs)
    maker = ClipBatchMaker(seed, "motion", bs, f, str(tokenizer_dir))
    means, stds, ids, opposite_ids = [], [], [], []
    t0 = time.time()
    vae.eval()
    bar = progress_bar(n_batches * bs, "clip latents")
    for i, (x, tok, opposite_tok) in enumerate(loader(maker, cfg["workers"], stop=n_batches, pin=device.type == "cuda")):
        b = x.shape[0]
        m, s = encode(vae, to_unit_range(x.flatten(0, 1), device), device)
        # (B*F, C, H, W) -> (B, C, F, H, W)
        means.append(m.unflatten(0, (b, f)).transpose(1, 2).contiguous())
        stds.append(s.unflatten(0, (b, f)).transpose(1, 2).contiguous())
        ids.append(tok.to(device))
        opposite_ids.append(opposite_tok.to(device))
        bar.update(b)
        if time.time() > time_cap and i + 1 >= 4:
            log(f"clip latents: time cap reached after {(i + 1) * bs} clips")
            break
    bar.close()
    cache = {"mean": torch.cat(means), "std": torch.cat(stds), "ids": torch.cat(ids), "opposite_ids": torch.cat(opposite_ids)}
    log(f"clip latents: {cache['mean'].shape[0]} clips in {time.time() - t0:.1f}s")
    return cache


def draw_from_cache(cache: dict, idx: torch.Tensor, scaling_factor: float, gen, empty_ids: torch.Tensor):
    """Scaled latents sampled from the cached posteriors ``idx``, and their token ids with
    EMPTY_CAPTION_PROB of them replaced by the empty caption's. All on the device (capturable)."""
    mean, std = cache["mean"][idx].float(), cache["std"][idx].float()
    z = (mean + std * torch.randn(mean.shape, device=mean.device, generator=gen)) * scaling_factor
    ids = cache["ids"][idx].long()
    drop = torch.rand(idx.shape[0], device=idx.device, generator=gen) < EMPTY_CAPTION_PROB
    ids = torch.where(drop[:, None], empty_ids[None, :], ids)
    return z, ids

