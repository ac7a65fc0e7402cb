"""The training loop every stage shares: budgets, the optimiser step, EMA, checkpoints.

* :class:`Budget`: a stage's step *and* time budget; the learning-rate schedule (warmup +
  cosine) follows whichever runs out first, so a run stopped by the clock still ends annealed.
* :class:`OptimiserStep`: one step (draw a batch, loss, backward, clip, AdamW), replayed as a
  captured CUDA graph on CUDA.
* :func:`make_ema`: diffusers' ``EMAModel`` of the trained weights.
* :func:`run_steps`: step until the budget ends, with EMA, progress bar and checkpoints.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import torch
from diffusers.training_utils import EMAModel

from genlab.tiny.train.runtime import progress_bar


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
        """Linear warmup, then cosine from 1 down to 0.05 over the budget's progress."""
        warm = min(1.0, (step + 1) / max(self.warmup, 1))
        p = self.progress(step)
        return warm * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * p)))

    def stop_reason(self, step: int) -> str:
        return "steps" if step >= self.steps else "time"


class Smoothed:
    """An exponential moving average of a logged number, bias-corrected (as Adam's moments)."""

    def __init__(self, beta: float = 0.98):
        self.beta, self.value, self.n = beta, 0.0, 0

    def add(self, x: float) -> float:
        self.n += 1
        self.value = self.beta * self.value + (1 - self.beta) * x
        return self.value / (1 - self.beta**self.n)

    def get(self) -> float | None:
        return None if self.n == 0 else self.value / (1 - self.beta**self.n)


class OptimiserStep:
    """One training step (draw a batch, loss, backward, clip, AdamW) as a callable.

    On CUDA with ``graph=True`` the whole step is captured once as a CUDA graph (after a few
    eager warm-up steps on a side stream, as PyTorch's "whole network capture" recipe says) and
    then replayed: one launch instead of thousands of small kernel launches from Python, which is
    what limits models this small on a big GPU. Anything that cannot be captured falls back to
    eager steps with a log line. ``batch_loss()`` must draw its own batch on the device (no host
    work, no syncs) and return the loss tensor.

    Written here rather than taken from a library: the usual trainers (accelerate, diffusers'
    example scripts) run eager steps. Capturing one needs the learning rate as a device tensor
    (set with ``fill_``, never replaced), a capturable fused AdamW, and the batch drawn inside the
    graph from the device's default generator.
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


def make_ema(params: list[torch.nn.Parameter], decay: float) -> EMAModel:
    """diffusers' ``EMAModel`` of ``params``: decay min(decay, (1 + n) / (10 + n)) at update n.

    It runs eagerly after each step, outside the captured CUDA graph (the graph holds only the
    optimiser step), so the library's step is fine here; ``foreach`` updates all the tensors in a
    few kernel launches, which is what matters for models this small on a big GPU.
    """
    return EMAModel(params, decay=decay, foreach=True)


def run_steps(train_step: OptimiserStep, name: str, base_lr: float, budget: Budget, ema: EMAModel, start: int,
              cfg: dict, save) -> tuple[int, float | None, float]:
    """Step until the budget ends: LR schedule, EMA, progress bar, periodic and final checkpoints
    (``save(step)``). Returns (last step, smoothed loss, steps per second)."""
    sm = Smoothed()
    step, loss = start, None
    last_ckpt = t_loop = time.time()
    bar = progress_bar(cfg[f"{name}_steps"], name, initial=start)
    while not budget.done(step):
        loss = train_step(base_lr * budget.lr_factor(step))
        ema.step(train_step.params)
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


def load_ema_state(ema: EMAModel, state: dict, device: torch.device) -> None:
    """Restore an EMA from a checkpoint (read onto the CPU) and move it back to the device."""
    ema.load_state_dict(state)
    ema.to(device=device)


def save_checkpoint(path: Path, obj: dict) -> None:
    """``torch.save`` to a temporary file, then rename: a crash never leaves half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict | None:
    if path.exists():
        return torch.load(path, map_location="cpu", weights_only=False)
    return None
