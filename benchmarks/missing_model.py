"""How fast does genlab say that a model is missing? (prints; asserts nothing)

    .venv/bin/python benchmarks/missing_model.py            # 5 tries
    .venv/bin/python benchmarks/missing_model.py --tries 20

A Hub profile (sd15) whose files are not in an empty Hugging Face cache, with the network refused:
`load_pipeline` should fail at once with the `genlab fetch` hint, before importing diffusers or
waiting on a network that is not there. Prints the time of each try (the first one includes
importing huggingface_hub where it gets that far) and the median. The behaviour itself (no
network, the hint) is tested in tests/unit/test_pipelines.py.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=5)
    args = parser.parse_args()

    def refuse(*_args, **_kwargs):
        raise AssertionError("genlab tried to use the network")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    os.environ["HF_HUB_CACHE"] = tempfile.mkdtemp(prefix="empty-hub-")

    import genlab
    from genlab.core import pipelines

    times = []
    for i in range(args.tries):
        start = time.perf_counter()
        try:
            pipelines.load_pipeline("txt2img", "sd15")
        except genlab.ModelNotFoundError:
            pass
        times.append(time.perf_counter() - start)
        print(f"try {i + 1}: failed with the fetch hint after {times[-1] * 1000:.1f} ms")
    print(f"median {statistics.median(times) * 1000:.1f} ms over {len(times)} tries")


if __name__ == "__main__":
    main()
