"""Out-of-memory back-off: a batch that does not fit is retried in halves; what cannot be split
gets a clear message. Used by the one renderer (pictures, clips and explorer steps).

Built on accelerate's memory utilities (`accelerate.utils.memory`): `should_reduce_batch_size`
recognises the out-of-memory errors of CUDA, ROCm, XPU, MPS and the CPU allocator, and
`clear_device_cache` frees the device cache before the retry (on whatever accelerator torch has).

accelerate's `find_executable_batch_size` decorator is not used as is: it restarts the whole job
at the smaller size (the pictures already made would be made again), it only retries on the error
*text* (a `torch.OutOfMemoryError` worded differently is not caught), and at size 0 it raises a
generic RuntimeError that loses the original error. `in_chunks` keeps what is done, moves on from
there, and ends with `OutOfMemory` (the studio's "even for one picture" message) chained to the cause.
"""

from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger("genlab.memory")


class OutOfMemory(RuntimeError):
    """The GPU ran out of memory even for one picture."""


def is_out_of_memory(err: BaseException) -> bool:
    """torch's typed out-of-memory error, or any error accelerate recognises as one (MPS, CPU, cuDNN...)."""
    import torch
    from accelerate.utils.memory import should_reduce_batch_size

    return isinstance(err, torch.OutOfMemoryError) or should_reduce_batch_size(err)


def free_memory() -> None:
    """Collect garbage and empty the accelerator's cache (CUDA, MPS, XPU...; nothing to do on a CPU)."""
    from accelerate.utils.memory import clear_device_cache

    clear_device_cache(garbage_collection=True)


def in_chunks(items: list, run_chunk: Callable[[list], list]) -> list:
    """run_chunk on all items at once; on out-of-memory, again in halves, down to one item at a time.

    `run_chunk(chunk)` returns one result per item of `chunk`; results come back in the order of
    `items`. Other errors are raised as they are.
    """
    results: list = []
    size = len(items)
    i = 0
    while i < len(items):
        chunk = items[i : i + size]
        try:
            results.extend(run_chunk(chunk))
            i += len(chunk)
        except Exception as err:
            if not is_out_of_memory(err):
                raise
            free_memory()
            if size == 1:
                raise OutOfMemory(str(err)) from err
            size = max(1, size // 2)
            log.warning("out of memory with %d pictures in one call; retrying %d at a time", len(chunk), size)
    return results
