"""Out-of-memory back-off: a batch that does not fit is retried in halves; what cannot be split
gets a clear message. Used by the one renderer (pictures and clips)."""

from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger("genlab.memory")


class OutOfMemory(RuntimeError):
    """The GPU ran out of memory even for one picture."""


def is_out_of_memory(err: BaseException) -> bool:
    import torch

    kinds = tuple(k for k in (getattr(torch, "OutOfMemoryError", None), getattr(torch.cuda, "OutOfMemoryError", None)) if k)
    if kinds and isinstance(err, kinds):
        return True
    return isinstance(err, RuntimeError) and "out of memory" in str(err).lower()


def free_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        mps.empty_cache()


def in_chunks(items: list, run_chunk: Callable[[list], list]) -> list:
    """run_chunk on all items at once; on out-of-memory, again in halves, down to one item at a time."""
    results: list = []
    size = len(items)
    i = 0
    while i < len(items):
        chunk = items[i : i + size]
        try:
            results.extend(run_chunk(chunk))
            i += len(chunk)
        except BaseException as err:
            if not is_out_of_memory(err):
                raise
            free_memory()
            if size == 1:
                raise OutOfMemory(str(err)) from err
            size = max(1, size // 2)
            log.warning("out of memory with %d pictures in one call; retrying %d at a time", len(chunk), size)
    return results
