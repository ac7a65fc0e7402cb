"""``genlab tiny train image|motion``: train genlab's tiny shapes-world models from scratch.

The *image* model is a genuine Stable Diffusion pipeline on the tiny architecture of
:mod:`genlab.tiny.architecture`, trained in two stages on pictures from :mod:`genlab.tiny.world`:

1. **VAE** (``AutoencoderKL``, f8): L1 + MSE + an edge (image-gradient) term + a tiny KL, on
   world images (random crops on CPU presets, where full frames are slow). Afterwards
   ``vae.config.scaling_factor`` is set to 1 / std of the latents, as SD's 0.18215 was.
2. **UNet + text encoder**, jointly, from scratch: the world's images are rendered and encoded
   *once* into a latent cache (mean and std of each posterior, a fresh sample every time it is
   used), then trained with DDPM noise (SD's betas), epsilon prediction, min-SNR-5 loss
   weighting, a little offset noise (so black and white backgrounds come out), 10% empty
   captions (classifier-free guidance), AdamW, warmup + cosine LR, and an EMA of the weights.
   10% of the examples are the first frame of a world clip with its clip caption ("a yellow
   star moving right on a black background" -> the star where the motion starts), so the text
   encoder learns the motion words the motion model relies on.

The result is saved with ``StableDiffusionPipeline.save_pretrained`` in fp16, with
``training.json`` (command, seed, preset, steps, batch sizes, device, versions, wall time, losses).

The *motion* model loads the trained image pipeline, wraps its UNet with an AnimateDiff
``MotionAdapter`` (``UNetMotionModel.from_unet2d``), freezes everything but the motion modules
(whose output projections start at zero, so training starts from the still-image model) and
trains them on 8-frame world clips; the adapter is saved with ``MotionAdapter.save_pretrained``.
Besides the denoising loss, a *motion contrast* term (weight ``motion_contrast``) teaches the
direction: at the noisiest timesteps (t >= 700, where a clip's layout is decided) the motion
modules must denoise a clip better with its own caption than with the opposite motion's ("moving
left" for "moving right"; log-ratio margin 0.3). Motion modules never attend to the prompt, and
past the first sampling steps the noisy frames already show the direction, so the plain loss
teaches the axis long before the direction (measured: 62.5% of clips right without the term,
100% after 1,307 more CPU steps with it; the motion model's card has the details).

Time: every stage has a step budget *and* a time budget (``--max-minutes`` for the whole
command; the preset splits it between stages). The learning-rate schedule follows whichever
runs out first, so a run stopped by the clock still ends with a fully annealed, EMA-averaged
model and always saves. Checkpoints (``--resume``) live in ``<out>/../.checkpoints/<name>``.

Presets (numbers in ``PRESETS``): ``smoke`` (CI, seconds), ``cpu`` (both models in ~85 min on
2 CPU cores), ``gpu`` (what genlab ships: image + motion in ~6 minutes on one H200).
"""

from __future__ import annotations

import time

_T0 = time.time()  # the process's start, as near as we can see it: budgets count from here

import argparse  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Spinning OpenMP threads collapse when the cores are shared (measured 5x slower on 2 busy
# cores); passive waiting costs little when they are not. Only effective before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from genlab.tiny import architecture as arch  # noqa: E402
from genlab.tiny import world  # noqa: E402

# ------------------------------------------------------------------------------------------
# Presets. Steps are upper bounds; ``image_minutes``/``motion_minutes`` are the default
# ``--max-minutes`` of each command, split between the stages by ``vae_time_frac``.

PRESETS: dict[str, dict] = {
    # CI: both stages in well under a minute on 2 CPU cores (measures plumbing, not quality).
    "smoke": dict(
        vae_steps=3, vae_batch=2, vae_crop=64, vae_lr=1e-3,
        n_latents=16, cache_batch=8,
        unet_steps=4, unet_batch=4, unet_lr=3e-4,
        motion_steps=2, motion_batch=1, motion_lr=3e-4, n_clips=2, n_frames=8, motion_contrast=0.02,
        ema_decay=0.9, warmup=2, scale_images=16,
        image_minutes=5.0, motion_minutes=5.0, vae_time_frac=0.3,
        workers=0, ckpt_every_s=0, cuda_graph=False,
    ),
    # 2 CPU cores. Rates measured on 2 cores (idle-ish / shared with other jobs): VAE on 64 px
    # crops ~24 / 11 img/s, UNet + text encoder (batch 32) ~45 / 18 img/s, VAE encoding ~60 /
    # 25 img/s, motion (batch 2 x 8 frames) ~5 / 2 clips/s. At the idle rates: VAE ~13 min,
    # latent cache ~3 min, UNet ~43 min, motion ~12 min: ~75 minutes; the time caps (70 + 18
    # minutes) keep a busy machine within 90 and still anneal and save.
    "cpu": dict(
        vae_steps=1200, vae_batch=16, vae_crop=64, vae_lr=2e-3,
        n_latents=12000, cache_batch=64,
        unet_steps=3600, unet_batch=32, unet_lr=5e-4,
        motion_steps=900, motion_batch=2, motion_lr=3e-4, n_clips=800, n_frames=8, motion_contrast=0.02,
        ema_decay=0.999, warmup=200, scale_images=256,
        image_minutes=70.0, motion_minutes=18.0, vae_time_frac=0.22,
        workers=1, ckpt_every_s=300, cuda_graph=False,
    ),
    # One H200 (16 CPU cores): the image command is held to 5.6 min and the motion command to
    # 1.8 min, process start-up included, so both fit 8 minutes of a 10-minute GPU call. The
    # first GPU run (eager steps, batch 384) measured the VAE at ~26 steps/s x 64 images, the
    # latent cache at ~13.5k images/s and the UNet + text encoder at ~13 steps/s x 384: the
    # tiny models are launch-bound there, so the UNet and motion steps are replayed as CUDA
    # graphs (``OptimiserStep``) at a larger batch. Step counts are upper bounds; the time
    # budgets end each stage and the LR schedule follows whichever ends first.
    "gpu": dict(
        vae_steps=4000, vae_batch=64, vae_crop=None, vae_lr=2e-3,
        n_latents=256_000, cache_batch=512,
        unet_steps=40_000, unet_batch=512, unet_lr=7e-4,
        motion_steps=12_000, motion_batch=32, motion_lr=4e-4, n_clips=16_000, n_frames=8, motion_contrast=0.02,
        ema_decay=0.999, warmup=300, scale_images=1024,
        image_minutes=5.6, motion_minutes=1.8, vae_time_frac=0.25,
        workers=15, ckpt_every_s=0, cuda_graph=True,
    ),
}

# Rates measured on a 2-core CPU (items/s), used for the start-of-run estimate.
CPU_RATES = dict(vae_px=24 * 64 * 64, unet=45, encode=60, motion=5.0, motion_with_contrast=1.7)

EMPTY_CAPTION_PROB = 0.10
MOTION_STILL_PROB = 0.10
NOISE_OFFSET = 0.1  # offset noise: lets the model shift the mean colour (black/white backgrounds)
MIN_SNR_GAMMA = 5.0
CONTRAST_T_MIN = 700  # motion contrast: only the noisiest timesteps, where the direction is decided
CONTRAST_MARGIN = 0.3  # ... and log(loss with the opposite motion) - log(loss with the caption) >= this
KL_WEIGHT = 1e-6
VAE_INIT_LOGVAR = -6.0
EDGE_WEIGHT = 0.5
SAVE_RESERVE_S = 8.0  # seconds kept back at the end of a command for saving

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKENIZER_DIR = REPO_ROOT / "assets" / "models" / "tiny-shapes" / "tokenizer"


def _default_out(what: str) -> Path:
    root = REPO_ROOT if (REPO_ROOT / "pyproject.toml").exists() else Path.cwd()
    return root / "assets" / "models" / ("tiny-shapes" if what == "image" else "tiny-shapes-motion")


# ------------------------------------------------------------------------------------------
# Data: batches generated from world.py, each seeded by its index (so the same seed gives the
# same data whatever the number of workers).

_TOKENIZERS: dict[str, object] = {}


def load_tokenizer(path: str | Path):
    from transformers import CLIPTokenizer

    key = str(path)
    if key not in _TOKENIZERS:
        _TOKENIZERS[key] = CLIPTokenizer.from_pretrained(key, model_max_length=arch.MAX_TOKENS)
    return _TOKENIZERS[key]


def tokenize(tokenizer, captions: list[str]) -> np.ndarray:
    out = tokenizer(
        captions, padding="max_length", max_length=arch.MAX_TOKENS, truncation=True, return_tensors="np"
    )
    return out["input_ids"].astype(np.int32)


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
    kw = dict(batch_size=None, num_workers=workers, pin_memory=pin)
    if workers > 0:
        kw.update(prefetch_factor=4, persistent_workers=False)
    return torch.utils.data.DataLoader(Batches(maker, start, stop), **kw)


# ------------------------------------------------------------------------------------------
# Training helpers


class Budget:
    """A stage's step and time budgets; ``progress`` is whichever is further along."""

    def __init__(self, steps: int, deadline: float, warmup: int, start_step: int = 0):
        self.steps, self.deadline, self.warmup = max(int(steps), 0), deadline, warmup
        self.t_start = time.time()
        self.start_step = start_step

    def progress(self, step: int) -> float:
        by_steps = step / max(self.steps, 1)
        span = max(self.deadline - self.t_start, 1e-6)
        by_time = (time.time() - self.t_start) / span
        return min(1.0, max(by_steps, by_time))

    def done(self, step: int) -> bool:
        return step >= self.steps or time.time() >= self.deadline

    def lr_factor(self, step: int) -> float:
        warm = min(1.0, (step + 1) / max(self.warmup, 1))
        p = self.progress(step)
        return warm * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * p)))

    def stop_reason(self, step: int) -> str:
        return "steps" if step >= self.steps else "time"


class EMA:
    def __init__(self, params, decay: float):
        self.params = [p for p in params]
        self.shadow = [p.detach().clone().float() for p in self.params]
        self.decay = decay

    @torch.no_grad()
    def update(self, step: int):
        d = min(self.decay, (1.0 + step) / (10.0 + step))
        torch._foreach_lerp_(self.shadow, [p.detach().float() for p in self.params], 1.0 - d)

    @torch.no_grad()
    def copy_to(self):
        for s, p in zip(self.shadow, self.params):
            p.copy_(s.to(p.dtype))

    def state_dict(self):
        return {"decay": self.decay, "shadow": [s.cpu() for s in self.shadow]}

    def load_state_dict(self, sd):
        for s, v in zip(self.shadow, sd["shadow"]):
            s.copy_(v)


class Smoothed:
    def __init__(self, beta: float = 0.98):
        self.beta, self.value, self.n = beta, 0.0, 0

    def add(self, x: float) -> float:
        self.n += 1
        self.value = self.beta * self.value + (1 - self.beta) * x
        return self.value / (1 - self.beta**self.n)

    def get(self) -> float | None:
        return None if self.n == 0 else self.value / (1 - self.beta**self.n)


def _progress(total: int, desc: str, initial: int = 0):
    from tqdm.auto import tqdm

    tty = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, initial=initial, mininterval=0.5 if tty else 10.0, dynamic_ncols=True, leave=True)


def _autocast(device: torch.device):
    if device.type == "cuda":
        # No cast cache: a captured CUDA graph must redo the casts on every replay.
        return torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False)
    return contextlib.nullcontext()


def _fused(device: torch.device, graph: bool = False) -> dict:
    """One fused AdamW kernel on CUDA (the tiny models are launch-bound there); capturable
    when the step is replayed as a CUDA graph."""
    if device.type != "cuda":
        return {}
    return {"fused": True, "capturable": True} if graph else {"fused": True}


def _generator(device: torch.device, seed: int):
    """The random stream a training stage draws its batches from. On CUDA it is the device's
    default generator (seeded here): the only one a captured CUDA graph advances on each replay."""
    if device.type == "cuda":
        torch.cuda.manual_seed(seed)
        return None
    return torch.Generator(device=device).manual_seed(seed)


class OptimiserStep:
    """One training step (draw a batch, loss, backward, clip, AdamW) as a callable.

    On CUDA with ``graph=True`` the whole step is captured once as a CUDA graph (after a few
    eager warm-up steps on a side stream, as PyTorch's "whole network capture" recipe says) and
    then replayed: one launch instead of thousands of small kernel launches from Python, which is
    what limits models this small on a big GPU. Anything that cannot be captured falls back to
    eager steps with a log line. ``batch_loss()`` must draw its own batch on the device (no host
    work, no syncs) and return the loss tensor.
    """

    WARMUP = 3

    def __init__(self, batch_loss, params, opt, device: torch.device, *, graph: bool, log):
        self.batch_loss, self.params, self.opt, self.log = batch_loss, params, opt, log
        self.graph_wanted = bool(graph) and device.type == "cuda"
        self.graph = None
        self.static_loss = None
        self.calls = 0
        self.mode = "cuda graph" if self.graph_wanted else "eager"
        if self.graph_wanted:
            for g in opt.param_groups:  # replays read the learning rate from the device
                g["lr"] = torch.tensor(float(g["lr"]), device=device)

    def _set_lr(self, lr: float):
        for g in self.opt.param_groups:
            if torch.is_tensor(g["lr"]):
                g["lr"].fill_(lr)
            else:
                g["lr"] = lr

    def _eager(self) -> torch.Tensor:
        self.opt.zero_grad(set_to_none=True)
        loss = self.batch_loss()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        return loss

    def _capture(self) -> torch.Tensor:
        graph = torch.cuda.CUDAGraph()
        self.opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(graph):
            loss = self.batch_loss()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.params, 1.0)
            self.opt.step()
        self.graph, self.static_loss = graph, loss
        graph.replay()  # capturing records the step; this runs it
        return loss

    def __call__(self, lr: float) -> torch.Tensor:
        self._set_lr(lr)
        self.calls += 1
        if self.graph is not None:
            self.graph.replay()
            return self.static_loss
        if not self.graph_wanted:
            return self._eager()
        if self.calls <= self.WARMUP:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                loss = self._eager()
            torch.cuda.current_stream().wait_stream(side)
            return loss
        try:
            loss = self._capture()
            self.log(f"training step captured as a CUDA graph (after {self.WARMUP} eager steps)")
            return loss
        except Exception as exc:  # noqa: BLE001 - any capture failure: carry on eagerly
            self.graph, self.graph_wanted, self.mode = None, False, "eager (capture failed)"
            self.log(f"CUDA graph capture failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); continuing eagerly")
            torch.cuda.synchronize()
            return self._eager()


def _pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("genlab tiny train: --device cuda but CUDA is not available")
    return torch.device(name)


def _setup_device(device: torch.device, workers: int):
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
        # Leave the CPU cores to the data workers.
        torch.set_num_threads(max(1, min(4, (os.cpu_count() or 2) - workers)))


class Noise:
    """DDPM forward process with SD's betas, min-SNR weights and offset noise."""

    def __init__(self, device: torch.device):
        sched = arch.build_train_scheduler()
        ac = sched.alphas_cumprod.to(device=device, dtype=torch.float32)
        self.n = sched.config.num_train_timesteps
        self.sqrt_ac = ac.sqrt()
        self.sqrt_1mac = (1 - ac).sqrt()
        snr = ac / (1 - ac)
        self.weight = torch.clamp(snr, max=MIN_SNR_GAMMA) / snr  # epsilon-prediction min-SNR

    def __call__(self, z: torch.Tensor, gen: torch.Generator, t_min: int = 0):
        b = z.shape[0]
        t = torch.randint(t_min, self.n, (b,), device=z.device, generator=gen)
        noise = torch.randn(z.shape, device=z.device, generator=gen)
        off_shape = (b, z.shape[1]) + (1,) * (z.dim() - 2)
        noise = noise + NOISE_OFFSET * torch.randn(off_shape, device=z.device, generator=gen)
        shape = (b,) + (1,) * (z.dim() - 1)
        zt = self.sqrt_ac[t].view(shape) * z + self.sqrt_1mac[t].view(shape) * noise
        return zt, t, noise, self.weight[t]


def _weighted_mse(pred: torch.Tensor, target: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    per = (pred.float() - target.float()).pow(2).flatten(1).mean(1)
    return (per * w).mean()


def _save_ckpt(path: Path, obj: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _load_ckpt(path: Path):
    if path.exists():
        return torch.load(path, map_location="cpu", weights_only=False)
    return None


def _versions() -> dict:
    import diffusers
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
    }


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        return f"cpu: {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    return device.type


def _run_steps(train_step: OptimiserStep, name: str, base_lr: float, budget: Budget, ema: EMA, start: int,
               cfg: dict, save) -> tuple[int, float | None, float]:
    """Step until the budget ends: LR schedule, EMA, progress bar, periodic and final checkpoints
    (``save(step)``). Returns (last step, smoothed loss, steps per second)."""
    sm = Smoothed()
    step, loss = start, None
    last_ckpt = t_loop = time.time()
    bar = _progress(cfg[f"{name}_steps"], name, initial=start)
    while not budget.done(step):
        loss = train_step(base_lr * budget.lr_factor(step))
        ema.update(step)
        step += 1
        bar.update(1)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{sm.add(loss.item()):.4f}")
        if cfg["ckpt_every_s"] and time.time() - last_ckpt > cfg["ckpt_every_s"]:
            save(step)
            last_ckpt = time.time()
    if sm.get() is None and loss is not None:
        sm.add(loss.item())
    bar.close()
    rate = (step - start) / max(time.time() - t_loop, 1e-6)
    if cfg["ckpt_every_s"]:
        save(step)
    return step, sm.get(), rate


# ------------------------------------------------------------------------------------------
# Stage 1: the VAE


def train_vae(cfg: dict, device: torch.device, seed: int, deadline: float, ckpt_dir: Path, resume: bool, log) -> tuple:
    ckpt_path = ckpt_dir / "vae.pt"
    torch.manual_seed(seed)
    vae = arch.build_vae()
    with torch.no_grad():
        # Start with a narrow posterior (std ~0.05 instead of ~1): the decoder sees the
        # encoder's signal from the first step instead of noise (measured: much faster start).
        vae.quant_conv.bias[arch.LATENT_CHANNELS :] = VAE_INIT_LOGVAR
    vae = vae.to(device)
    opt = torch.optim.AdamW(vae.parameters(), lr=cfg["vae_lr"], betas=(0.9, 0.99), weight_decay=0.0, **_fused(device))
    start = 0
    ck = _load_ckpt(ckpt_path) if resume else None
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
    bar = _progress(cfg["vae_steps"], "vae", initial=start)
    if not budget.done(step):
        for x in loader(maker, cfg["workers"], start=start, pin=device.type == "cuda"):
            x = x.to(device, non_blocking=True).float().div_(127.5).sub_(1.0)
            for g in opt.param_groups:
                g["lr"] = cfg["vae_lr"] * budget.lr_factor(step)
            with _autocast(device):
                post = vae.encode(x).latent_dist
                z = post.mean + post.std * torch.randn(post.mean.shape, device=device, generator=gen)
                rec = vae.decode(z).sample.float()
            diff = rec - x
            l1 = diff.abs().mean()
            mse = diff.pow(2).mean()
            edge = (diff[..., :, 1:] - diff[..., :, :-1]).abs().mean() + (diff[..., 1:, :] - diff[..., :-1, :]).abs().mean()
            kl = post.kl().float().mean()
            loss = l1 + mse + EDGE_WEIGHT * edge + KL_WEIGHT * kl
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
                _save_ckpt(ckpt_path, {"step": step, "model": vae.state_dict(), "opt": opt.state_dict()})
                last_ckpt = time.time()
            if budget.done(step):
                break
    bar.close()
    info = {"steps": step, "stop": budget.stop_reason(step), "l1": sm.get(), "batch": cfg["vae_batch"], "crop": cfg["vae_crop"]}
    # Latent scale, as SD's 0.18215: 1 / std of posterior samples of world images.
    vae.eval()
    zs = []
    with torch.no_grad(), _autocast(device):
        nb = min(64, cfg["scale_images"])
        mk = ImageBatchMaker(seed, "vae-scale", nb)
        for i in range(max(1, cfg["scale_images"] // nb)):
            x = mk(i).to(device).float().div_(127.5).sub_(1.0)
            zs.append(vae.encode(x).latent_dist.sample(generator=gen).float())
    z = torch.cat(zs)
    sf = float(1.0 / z.std())
    vae.register_to_config(scaling_factor=sf)
    info.update(scaling_factor=sf, latent_mean=float(z.mean()), latent_std=float(z.std()))
    log(f"vae: {step} steps ({info['stop']}), l1 {info['l1']:.4f}, scaling_factor {sf:.4f}")
    _save_ckpt(ckpt_path, {"step": step, "model": vae.state_dict(), "opt": opt.state_dict(), "done": True, "info": info})
    return vae, info


# ------------------------------------------------------------------------------------------
# Latent caches


@torch.no_grad()
def _encode(vae, x: torch.Tensor, device: torch.device):
    with _autocast(device):
        post = vae.encode(x).latent_dist
    return post.mean.to(torch.float16), post.std.to(torch.float16)


def build_image_cache(vae, cfg, device, seed, tokenizer_dir, time_cap: float, log) -> dict:
    """Render + tokenize ``n_latents`` training examples and encode them with the VAE once."""
    bs = cfg["cache_batch"]
    n_batches = max(1, cfg["n_latents"] // bs)
    maker = ImageBatchMaker(seed, "unet", bs, tokenizer_dir=str(tokenizer_dir))
    means, stds, ids = [], [], []
    t0 = time.time()
    vae.eval()
    bar = _progress(n_batches * bs, "latents")
    for i, (x, tok) in enumerate(loader(maker, cfg["workers"], stop=n_batches, pin=device.type == "cuda")):
        x = x.to(device, non_blocking=True).float().div_(127.5).sub_(1.0)
        m, s = _encode(vae, x, device)
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


def build_clip_cache(vae, cfg, device, seed, tokenizer_dir, time_cap: float, log) -> dict:
    f = cfg["n_frames"]
    bs = max(1, cfg["cache_batch"] // f)
    n_batches = max(1, cfg["n_clips"] // bs)
    maker = ClipBatchMaker(seed, "motion", bs, f, str(tokenizer_dir))
    means, stds, ids, opposite_ids = [], [], [], []
    t0 = time.time()
    vae.eval()
    bar = _progress(n_batches * bs, "clip latents")
    for i, (x, tok, opposite_tok) in enumerate(loader(maker, cfg["workers"], stop=n_batches, pin=device.type == "cuda")):
        b = x.shape[0]
        x = x.to(device, non_blocking=True).flatten(0, 1).float().div_(127.5).sub_(1.0)
        m, s = _encode(vae, x, device)
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


def _draw(cache: dict, idx: torch.Tensor, sf: float, gen: torch.Generator, empty_ids: torch.Tensor):
    mean, std = cache["mean"][idx].float(), cache["std"][idx].float()
    z = (mean + std * torch.randn(mean.shape, device=mean.device, generator=gen)) * sf
    ids = cache["ids"][idx].long()
    drop = torch.rand(idx.shape[0], device=idx.device, generator=gen) < EMPTY_CAPTION_PROB
    ids = torch.where(drop[:, None], empty_ids[None, :], ids)
    return z, ids


# ------------------------------------------------------------------------------------------
# Stage 2: UNet + text encoder


def train_unet(vae, cfg, device, seed, deadline, ckpt_dir, resume, tokenizer_dir, log) -> tuple:
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
        lr=cfg["unet_lr"], betas=(0.9, 0.999), **_fused(device, cfg["cuda_graph"]),
    )
    ema = EMA(params, cfg["ema_decay"])
    start = 0
    ck = _load_ckpt(ckpt_path) if resume else None
    if ck is not None:
        unet.load_state_dict(ck["unet"])
        te.load_state_dict(ck["te"])
        opt.load_state_dict(ck["opt"])
        ema.load_state_dict(ck["ema"])
        start = ck["step"]
        log(f"unet: resuming at step {start}")
    sf = vae.config.scaling_factor
    # The cache may use up to a third of what is left of the stage's time.
    cap = time.time() + max(10.0, (deadline - time.time()) / 3)
    cache = build_image_cache(vae, cfg, device, seed, tokenizer_dir, cap, log)
    n = cache["mean"].shape[0]
    empty_ids = torch.from_numpy(tokenize(tokenizer, [""])[0]).long().to(device)
    noise = Noise(device)
    gen = _generator(device, seed + 3 + 1000 * start)
    budget = Budget(cfg["unet_steps"], deadline, cfg["warmup"])
    unet.train()
    te.train()
    bs = cfg["unet_batch"]

    def batch_loss() -> torch.Tensor:
        idx = torch.randint(0, n, (bs,), device=device, generator=gen)
        z, ids = _draw(cache, idx, sf, gen, empty_ids)
        zt, t, eps, w = noise(z, gen)
        with _autocast(device):
            h = te(ids)[0]
            pred = unet(zt, t, h).sample
        return _weighted_mse(pred, eps, w)

    def save(step: int):
        _save_ckpt(ckpt_path, {"step": step, "unet": unet.state_dict(), "te": te.state_dict(), "opt": opt.state_dict(), "ema": ema.state_dict()})

    train_step = OptimiserStep(batch_loss, params, opt, device, graph=cfg["cuda_graph"], log=log)
    step, loss, rate = _run_steps(train_step, "unet", cfg["unet_lr"], budget, ema, start, cfg, save)
    ema.copy_to()
    info = {"steps": step, "stop": budget.stop_reason(step), "loss": loss, "batch": bs, "cached_examples": n,
            "steps_per_s": round(rate, 2), "step_mode": train_step.mode}
    log(f"unet: {step} steps ({info['stop']}, {rate:.1f} steps/s, {train_step.mode}), "
        f"loss {info['loss'] if info['loss'] is None else round(info['loss'], 4)}")
    return unet, te, info


# ------------------------------------------------------------------------------------------
# Motion


def _zero_motion_outputs(adapter):
    for name, mod in adapter.named_modules():
        if name.endswith("proj_out") and isinstance(mod, torch.nn.Linear):
            torch.nn.init.zeros_(mod.weight)
            torch.nn.init.zeros_(mod.bias)


def _motion_contrast(munet, te, noise: Noise, z, ids, opposite_ids, f: int, gen, device) -> torch.Tensor:
    """The motion contrast term: at t >= CONTRAST_T_MIN the same noisy clip must be denoised
    better with its caption than with the opposite motion's, by a log-ratio of CONTRAST_MARGIN."""
    b = z.shape[0]
    zt, t, eps, _ = noise(z, gen, t_min=CONTRAST_T_MIN)
    with torch.no_grad(), _autocast(device):
        h = te(torch.cat([ids, opposite_ids]))[0]
    with _autocast(device):
        pred = munet(torch.cat([zt, zt]), torch.cat([t, t]), h.repeat_interleave(f, 0)).sample
    err = (pred.float() - torch.cat([eps, eps]).float()).pow(2).flatten(1).mean(1)
    margin = torch.log(err[b:]) - torch.log(err[:b])
    return torch.relu(CONTRAST_MARGIN - margin).mean()


def train_motion(pipe_dir: Path, cfg, device, seed, deadline, ckpt_dir, resume, log, init_from: Path | None = None):
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
        _zero_motion_outputs(adapter)
    munet = UNetMotionModel.from_unet2d(unet2d, adapter).to(device)
    munet.freeze_unet2d_params()
    te.requires_grad_(False)
    vae.requires_grad_(False)
    params = [p for p in munet.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg["motion_lr"], betas=(0.9, 0.999), weight_decay=1e-2, **_fused(device, cfg["cuda_graph"]))
    ema = EMA(params, cfg["ema_decay"])
    start = 0
    ck = _load_ckpt(ckpt_path) if resume else None
    if ck is not None:
        munet.load_state_dict(ck["model"], strict=False)
        opt.load_state_dict(ck["opt"])
        ema.load_state_dict(ck["ema"])
        start = ck["step"]
        log(f"motion: resuming at step {start}")
    sf = vae.config.scaling_factor
    cap = time.time() + max(10.0, (deadline - time.time()) / 3)
    cache = build_clip_cache(vae, cfg, device, seed, tokenizer_dir, cap, log)
    n = cache["mean"].shape[0]
    f = cfg["n_frames"]
    empty_ids = torch.from_numpy(tokenize(tokenizer, [""])[0]).long().to(device)
    noise = Noise(device)
    gen = _generator(device, seed + 5 + 1000 * start)
    budget = Budget(cfg["motion_steps"], deadline, max(1, cfg["warmup"] // 2))
    munet.train()
    bs = cfg["motion_batch"]

    def motion_state():
        return {k: v for k, v in munet.state_dict().items() if "motion_modules" in k}

    contrast = cfg["motion_contrast"]

    def batch_loss() -> torch.Tensor:
        idx = torch.randint(0, n, (bs,), device=device, generator=gen)
        z, ids = _draw(cache, idx, sf, gen, empty_ids)  # z: (B, C, F, H, W)
        zt, t, eps, w = noise(z, gen)
        with torch.no_grad(), _autocast(device):
            h = te(ids)[0]
        with _autocast(device):
            pred = munet(zt, t, h.repeat_interleave(f, 0)).sample
        loss = _weighted_mse(pred, eps, w)
        if contrast:
            loss = loss + contrast * _motion_contrast(munet, te, noise, z, cache["ids"][idx].long(), cache["opposite_ids"][idx].long(), f, gen, device)
        return loss

    def save(step: int):
        _save_ckpt(ckpt_path, {"step": step, "model": motion_state(), "opt": opt.state_dict(), "ema": ema.state_dict()})

    train_step = OptimiserStep(batch_loss, params, opt, device, graph=cfg["cuda_graph"], log=log)
    step, loss, rate = _run_steps(train_step, "motion", cfg["motion_lr"], budget, ema, start, cfg, save)
    ema.copy_to()
    adapter = arch.build_motion_adapter()
    missing = adapter.load_state_dict(motion_state(), strict=True)
    del missing
    info = {"steps": step, "stop": budget.stop_reason(step), "loss": loss, "batch": bs, "n_frames": f, "cached_clips": n,
            "steps_per_s": round(rate, 2), "step_mode": train_step.mode}
    log(f"motion: {step} steps ({info['stop']}, {rate:.1f} steps/s, {train_step.mode}), "
        f"loss {info['loss'] if info['loss'] is None else round(info['loss'], 4)}")
    return adapter, info


# ------------------------------------------------------------------------------------------
# Preview: a picture grid, a clip strip and (where the pixel evaluator is available) scores

PREVIEW_PROMPTS = (
    "a red circle on a blue background",
    "a yellow star on a black background",
    "a large green square in the top left on a white background",
    "a small purple heart on the right on a yellow background",
    "a striped orange triangle on a blue background",
    "a dotted white circle on a red background",
    "an outlined blue star on a white background",
    "a gradient red heart on a green background",
    "a green star on a purple background",  # held out
    "a blue heart on a yellow background",  # held out
    "a purple triangle on a white background",  # held out
    "an orange circle on a black background",  # held out
    "a red circle left of a blue square on a white background",
    "a small black triangle at the bottom on an orange background",
    "a white square at the top on a purple background",
    "a yellow star moving right on a black background",
)


def _eval_prompts(n: int, seed: int) -> list[tuple[str, str]]:
    """(group, prompt): seen and held-out single objects, each optional attribute stated half
    of the time."""
    rng = random.Random(f"preview/{seed}")
    out = []
    for i in range(n):
        split = "heldout" if i % 4 == 3 else "train"
        scene = world.sample_scene(rng, split=split, two_object_prob=0.0)
        mention = {a for a in world.OPTIONAL_ATTRIBUTES if rng.random() < 0.5}
        out.append(("held-out" if split == "heldout" else "seen", world.caption(scene, mention=mention)))
    return out


def preview(image_dir: Path, motion_dir: Path | None, out_png: Path, device: torch.device, n_eval: int = 0, seed: int = 0) -> dict:
    from diffusers import StableDiffusionPipeline
    from PIL import Image

    dtype = torch.float32  # tiny models: fp32 is fast enough everywhere, and never overflows
    pipe = StableDiffusionPipeline.from_pretrained(image_dir, dtype=dtype).to(device)
    pipe.set_progress_bar_config(disable=True)

    def gen(prompts, s0):
        gens = [torch.Generator(device=device).manual_seed(s0 + i) for i in range(len(prompts))]
        return pipe(list(prompts), num_inference_steps=20, guidance_scale=7.0, generator=gens).images

    imgs = gen(PREVIEW_PROMPTS, seed)
    rows = [imgs[i : i + 8] for i in range(0, len(imgs), 8)]
    strip = []
    if motion_dir is not None and (motion_dir / "config.json").exists():
        from diffusers import AnimateDiffPipeline, MotionAdapter

        adapter = MotionAdapter.from_pretrained(motion_dir, dtype=dtype)
        anim = AnimateDiffPipeline(
            vae=pipe.vae, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer, unet=pipe.unet,
            motion_adapter=adapter, scheduler=pipe.scheduler,
        ).to(device)
        anim.set_progress_bar_config(disable=True)
        for k, prompt in enumerate(("a yellow star moving right on a black background", "a red heart growing on a white background")):
            strip.append(
                anim(prompt, num_frames=8, num_inference_steps=20, guidance_scale=7.0, height=128, width=128,
                     generator=torch.Generator(device=device).manual_seed(seed + k)).frames[0]
            )
    grid = Image.new("RGB", (8 * 128, (len(rows) + len(strip)) * 128), (128, 128, 128))
    for r, row in enumerate(rows + strip):
        for c, im in enumerate(row):
            grid.paste(im.convert("RGB").resize((128, 128)), (c * 128, r * 128))
    out_png.parent.mkdir(parents=True, exist_ok=True)
    grid.save(out_png)
    result: dict = {"preview": str(out_png)}
    if n_eval > 0:
        try:
            from genlab.tiny import evaluate as ev

            evaluator = ev.load_evaluator()
        except Exception as e:  # the evaluator (or its weights) may not be there
            result["eval_skipped"] = f"{type(e).__name__}: {e}"
            return result
        items = _eval_prompts(n_eval, seed)
        images = []
        for i in range(0, len(items), 64):
            images += gen([p for _, p in items[i : i + 64]], 10_000 + i)
        reads = ev.read_images(images, evaluator=evaluator)
        tally: dict = {}
        for (group, prompt), rd in zip(items, reads):
            for k, ok in ev.adherence_of(prompt, rd).items():
                t = tally.setdefault(f"{group} {k}", [0, 0])
                t[0] += int(ok)
                t[1] += 1
        result["accuracy"] = {k: round(a / n, 3) for k, (a, n) in sorted(tally.items())}
        result["n"] = {k: n for k, (a, n) in sorted(tally.items())}
        if strip:
            clip_prompts = [world.clip_caption(world.sample_clip(random.Random(f"pc/{i}"))) for i in range(8)]
            clips = [
                anim(p, num_frames=8, num_inference_steps=20, guidance_scale=7.0, height=128, width=128,
                     generator=torch.Generator(device=device).manual_seed(seed + 100 + i)).frames[0]
                for i, p in enumerate(clip_prompts)
            ]
            oks = [ev.adherence_of(p, r).get("motion") for p, r in zip(clip_prompts, ev.read_clips(clips, evaluator=evaluator))]
            result["motion_accuracy"] = round(sum(bool(o) for o in oks) / len(oks), 3)
    return result


def preview_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="genlab tiny train preview", description="Sample a trained tiny model into a PNG grid (and score it with the pixel evaluator).")
    p.add_argument("--image-model", type=Path, default=_default_out("image"))
    p.add_argument("--motion-model", type=Path, default=None)
    p.add_argument("--out", type=Path, required=True, help="PNG to write")
    p.add_argument("--init-from", type=Path, default=None,
                   help="motion only: go on training this MotionAdapter folder (an earlier run's output) instead of a new one")
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    p.add_argument("--eval", type=int, default=0, help="score this many sampled prompts with genlab.tiny.evaluate")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    t = time.time()
    res = preview(a.image_model.resolve(), a.motion_model.resolve() if a.motion_model else None, a.out, _pick_device(a.device), a.eval, a.seed)
    res["seconds"] = round(time.time() - t, 1)
    print("genlab tiny train preview:", json.dumps(res), flush=True)
    return 0


# ------------------------------------------------------------------------------------------
# CLI


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="genlab tiny train",
        description="Train genlab's tiny shapes-world image model (VAE + UNet + text encoder) or its motion adapter.",
    )
    p.add_argument("what", choices=("image", "motion"), help="which model to train")
    p.add_argument("--out", type=Path, default=None, help="output folder (default assets/models/tiny-shapes or tiny-shapes-motion)")
    p.add_argument("--image-model", type=Path, default=None, help="motion only: the trained image pipeline (default: a 'tiny-shapes' folder beside --out, else assets/models/tiny-shapes)")
    p.add_argument("--init-from", type=Path, default=None,
                   help="motion only: go on training this MotionAdapter folder (an earlier run's output) instead of a new one")
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--preset", choices=tuple(PRESETS), default="cpu")
    p.add_argument("--vae-steps", type=int)
    p.add_argument("--unet-steps", type=int)
    p.add_argument("--motion-steps", type=int)
    p.add_argument("--motion-contrast", type=float,
                   help="motion only: weight of the motion contrast term that teaches the direction (0 = off; default: the preset's)")
    p.add_argument("--batch-size", type=int, help="batch of the UNet stage (image) or of the motion stage (motion)")
    p.add_argument("--vae-batch-size", type=int)
    p.add_argument("--max-minutes", type=float, help="wall-clock budget of this command, start-up included (default: the preset's)")
    p.add_argument("--workers", type=int, help="data-loader workers (default: the preset's, at most CPU count - 1)")
    p.add_argument("--cuda-graph", action=argparse.BooleanOptionalAction, default=None,
                   help="on CUDA, replay each training step as one captured CUDA graph (default: the preset's; "
                        "falls back to eager steps by itself if capture fails)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoints in the work dir")
    p.add_argument("--work-dir", type=Path, help="checkpoint folder (default <out>/../.checkpoints/<name>)")
    return p


def _config(args) -> dict:
    cfg = dict(PRESETS[args.preset])
    for key, val in (
        ("vae_steps", args.vae_steps),
        ("unet_steps", args.unet_steps),
        ("motion_steps", args.motion_steps),
        ("vae_batch", args.vae_batch_size),
        ("motion_contrast", args.motion_contrast),
    ):
        if val is not None:
            cfg[key] = val
    if args.batch_size is not None:
        cfg["unet_batch" if args.what == "image" else "motion_batch"] = args.batch_size
    if args.cuda_graph is not None:
        cfg["cuda_graph"] = args.cuda_graph
    workers = cfg["workers"] if args.workers is None else args.workers
    cfg["workers"] = max(0, min(workers, (os.cpu_count() or 1) - 1))
    minutes = args.max_minutes if args.max_minutes is not None else cfg[f"{args.what}_minutes"]
    cfg["max_minutes"] = minutes
    return cfg


def _estimate_cpu_minutes(cfg: dict, what: str) -> float:
    if what == "image":
        crop = cfg["vae_crop"] or arch.IMAGE_SIZE
        s = cfg["vae_steps"] * cfg["vae_batch"] * crop * crop / CPU_RATES["vae_px"]
        s += cfg["n_latents"] / CPU_RATES["encode"]
        s += cfg["unet_steps"] * cfg["unet_batch"] / CPU_RATES["unet"]
    else:
        s = cfg["n_clips"] * cfg["n_frames"] / CPU_RATES["encode"]
        s += cfg["motion_steps"] * cfg["motion_batch"] / CPU_RATES["motion_with_contrast" if cfg["motion_contrast"] else "motion"]
    return s / 60 + 0.3


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["preview"]:
        return preview_main(raw[1:])
    args = _parser().parse_args(argv)
    argv_list = list(sys.argv[1:] if argv is None else argv)
    cfg = _config(args)
    device = _pick_device(args.device)
    _setup_device(device, cfg["workers"])
    out = (args.out or _default_out(args.what)).resolve()
    work = (args.work_dir or (out.parent / ".checkpoints" / out.name)).resolve()
    deadline_total = _T0 + 60.0 * cfg["max_minutes"] - SAVE_RESERVE_S

    def log(msg: str):
        print(f"[genlab tiny train {args.what} {time.time() - _T0:6.1f}s] {msg}", flush=True)

    est = _estimate_cpu_minutes(cfg, args.what)
    log(" ".join(f"{k} {v}" for k, v in _versions().items()))
    log(
        f"preset {args.preset}, device {_device_name(device)}, {cfg['workers']} data workers, seed {args.seed}; "
        f"budget {cfg['max_minutes']:.2f} min; steps on a 2-core CPU would take ~{est:.1f} min"
        + ("" if device.type == "cpu" else " (far less here)")
    )
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    run = {
        "command": "genlab tiny train " + shlex.join(argv_list),
        "seed": args.seed,
        "preset": args.preset,
        "config": cfg,
        "device": _device_name(device),
        "versions": _versions(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(_T0)),
    }

    if args.what == "image":
        tokenizer_dir = TOKENIZER_DIR
        if not tokenizer_dir.exists() and (out / "tokenizer").exists():
            tokenizer_dir = out / "tokenizer"
        tokenizer = load_tokenizer(tokenizer_dir)
        now = time.time()
        vae_deadline = now + cfg["vae_time_frac"] * max(deadline_total - now, 0)
        vae, vae_info = train_vae(cfg, device, args.seed, vae_deadline, work, args.resume, log)
        unet, te, unet_info = train_unet(vae, cfg, device, args.seed, deadline_total, work, args.resume, tokenizer_dir, log)
        pipe = arch.build_pipeline(tokenizer, vae=vae.cpu(), unet=unet.cpu(), text_encoder=te.cpu())
        pipe.to(torch.float16).save_pretrained(out)
        run.update(vae=vae_info, unet=unet_info)
        summary = (
            f"vae {vae_info['steps']} steps (l1 {vae_info['l1']:.4f}), "
            f"unet {unet_info['steps']} steps (loss {unet_info['loss']:.4f})"
        )
    else:
        from diffusers import AnimateDiffPipeline  # noqa: F401  (fail early if unavailable)

        image_dir = args.image_model
        if image_dir is None:
            sib = out.parent / "tiny-shapes"
            image_dir = sib if (sib / "model_index.json").exists() else _default_out("image")
        image_dir = image_dir.resolve()
        init = args.init_from.resolve() if args.init_from else None
        if init is not None:
            if not (init / "config.json").exists():
                raise SystemExit(f"genlab tiny train motion: --init-from {init} holds no MotionAdapter (config.json)")
            # The earlier run's record, read before --out (possibly the same folder) is overwritten.
            before = init / "training.json"
            run["init_from"] = {"path": str(init), "training": json.loads(before.read_text()) if before.exists() else None}
        adapter, m_info = train_motion(image_dir, cfg, device, args.seed, deadline_total, work, args.resume, log, init_from=init)
        adapter.to(torch.float16).save_pretrained(out)
        run.update(image_model=str(image_dir), motion=m_info)
        summary = f"motion {m_info['steps']} steps (loss {m_info['loss']:.4f})"

    # safetensors writes owner-only files (0600); the shipped models are read by other users too
    # (the sandboxed grader's kernels run under their own user id), so make them readable.
    for p in out.rglob("*"):
        p.chmod(p.stat().st_mode | (0o055 if p.is_dir() else 0o044))
    wall = time.time() - _T0
    run["wall_seconds"] = round(wall, 1)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    run["folder_bytes"] = size
    (out / "training.json").write_text(json.dumps(run, indent=2, default=str) + "\n")
    print(
        f"genlab tiny train {args.what}: {wall:.1f} s on {_device_name(device)}, {summary}, "
        f"{size / 1e6:.1f} MB -> {out}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
