"""A full room at once: 30 designers press Generate together. Default queue vs room mode.

    .venv/bin/python benchmarks/room.py                 # 30 people, 4 steps, tiny model
    .venv/bin/python benchmarks/room.py --people 40 --steps 8 --batch 8

Starts the Studio twice in this process on 127.0.0.1 (loopback only, as `genlab demo studio`
and `genlab demo studio --room` start it), warms the model, then fires `--people` concurrent
gradio_client requests (one thread and one browser session each, bounded by --people) with the
same settings and a different prompt and seed each. Prints, for each mode: total time until the
last picture arrived, p50 / p90 latency per person, pictures per second, and the ratio.
Nothing is asserted: speed depends on the machine (see the printout's device line).

    .venv/bin/python benchmarks/room.py --pipeline-only --batches 1,4,8,16

measures only what room mode changes below the web server: the same pictures made one per
pipeline call, then in calls of each batch size (genlab.core.render, as the room's Batcher calls it),
on the best device here (a GPU when there is one). No Gradio needed.

**A real model's cost without its weights** (`--architecture sd15`): builds a
StableDiffusionPipeline from Stable Diffusion 1.5's own component configs
(benchmarks/architectures/sd15/: UNet 860M, CLIP ViT-L/14 text tower 123M, VAE 84M parameters)
with *random* weights (`from_config`, nothing downloaded; the tokenizer is the CLIP one shipped
with the tiny model), saves it (float16, safetensors) to a temporary folder, and runs the same
benchmark on a temporary profile `sd15-random` that points at it (512x512, float16 on a GPU,
room_batch 8, 20 steps, guidance 7.5), through GENLAB_MODELS_TOML. The pictures are noise; the
time per step is the real model's.

    python3 benchmarks/room.py --architecture sd15 --people 30 --steps 20      # on a GPU
    python3 benchmarks/room.py --architecture sd15 --pipeline-only --people 16 --batches 1,4,8
    .venv/bin/python benchmarks/room.py --architecture sd15 --tiny-config --people 2 --steps 1   # CPU rehearsal

`--tiny-config` narrows the same configs (same classes and code path, a few MB, 128x128 pictures)
to rehearse on a CPU; `--model-dir DIR` keeps the built pipeline in DIR and reuses it next time;
`--memory attention_slicing` gives the profile that memory strategy (the shipped `sd15` profile
has it, for 10 GB cards; the default here is none, as a big GPU runs it).
scripts/gpu_room_benchmark.sh runs it on a borrowed GPU machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
if "GRADIO_TEMP_DIR" not in os.environ:
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="genlab-bench-")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # genlab from this checkout, also when it is not pip-installed
ARCHITECTURES = Path(__file__).resolve().parent / "architectures"
TOKENIZER = REPO / "assets" / "models" / "tiny-shapes" / "tokenizer"  # the real CLIP BPE vocabulary, 77 tokens
RANDOM_PROFILE = "sd15-random"
PASSWORD = "bench"

# --tiny-config: the same classes and code path with narrow layers, to rehearse on a CPU.
TINY_OVERRIDES = {
    "unet": dict(block_out_channels=[32, 64, 64, 64], layers_per_block=1, cross_attention_dim=32, sample_size=16),
    "vae": dict(block_out_channels=[32, 32, 64, 64], layers_per_block=1, sample_size=128),
    "text_encoder": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, projection_dim=32),
}


# ---- a real architecture with random weights ----------------------------------------------------
def load_configs(architecture: str = "sd15", tiny: bool = False) -> dict[str, dict]:
    """The pipeline's model_index.json and each component's config, read from
    benchmarks/architectures/ARCHITECTURE/ (`tiny`: with TINY_OVERRIDES applied)."""
    folder = ARCHITECTURES / architecture
    index = json.loads((folder / "model_index.json").read_text())
    configs = {"model_index": index}
    for name, (library, _cls) in components_of(index):
        if library is None or name == "tokenizer":
            continue
        config = json.loads((folder / name / ("scheduler_config.json" if name == "scheduler" else "config.json")).read_text())
        if tiny:
            config.update(TINY_OVERRIDES.get(name, {}))
        configs[name] = config
    return configs


def components_of(index: dict) -> list[tuple[str, tuple]]:
    return [(k, tuple(v)) for k, v in index.items() if not k.startswith("_") and isinstance(v, list)]


def build_components(configs: dict[str, dict], device: str = "cpu") -> dict:
    """Each component instantiated from its config with random weights (`from_config`), created
    directly on `device` ("meta": shapes only, no memory). The tokenizer is the shipped CLIP one."""
    import diffusers
    import torch
    import transformers

    parts = {}
    for name, (library, cls_name) in components_of(configs["model_index"]):
        if library is None:
            parts[name] = None
        elif name == "tokenizer":
            parts[name] = getattr(transformers, cls_name).from_pretrained(TOKENIZER)
        elif name == "scheduler":
            parts[name] = getattr(diffusers, cls_name).from_config(configs[name])
        elif library == "diffusers":
            with torch.device(device):
                parts[name] = getattr(diffusers, cls_name).from_config(configs[name])
        else:  # transformers
            cls = getattr(transformers, cls_name)
            config = cls.config_class.from_dict({k: v for k, v in configs[name].items() if not k.startswith("_")})
            with torch.device(device):
                parts[name] = cls(config)
    return parts


def parameter_counts(parts: dict) -> dict[str, int]:
    return {name: sum(p.numel() for p in m.parameters()) for name, m in parts.items() if hasattr(m, "parameters")}


def build_random_pipeline(architecture: str, folder: Path, tiny: bool = False) -> dict:
    """Build the pipeline on the best device (float16 on a GPU), save it to `folder` in float16
    safetensors, free it. Returns what was built (for the printout)."""
    import diffusers
    import torch

    device = os.environ.get("GENLAB_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    configs = load_configs(architecture, tiny=tiny)
    start = time.perf_counter()
    torch.manual_seed(0)
    parts = build_components(configs, device=device)
    counts = parameter_counts(parts)
    pipe = getattr(diffusers, configs["model_index"]["_class_name"])(**parts, requires_safety_checker=False)
    level = diffusers.utils.logging.get_verbosity()
    diffusers.utils.logging.set_verbosity_error()  # no "modules that should be kept in float32: []" notes
    try:
        pipe.to(torch.float16)
    finally:
        diffusers.utils.logging.set_verbosity(level)
    built = time.perf_counter() - start
    folder.mkdir(parents=True, exist_ok=True)
    pipe.save_pretrained(folder, safe_serialization=True)
    size_gb = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e9
    info = dict(architecture=architecture, tiny_config=tiny, parameters=counts, size_gb=size_gb,
                build_s=built, save_s=time.perf_counter() - start - built, built_on=device)
    (folder / "genlab-benchmark.json").write_text(json.dumps(info, indent=2))
    del pipe, parts
    if device == "cuda":
        torch.cuda.empty_cache()
    return info


def picture_size(configs: dict[str, dict]) -> int:
    """The size the architecture was trained for: UNet sample size x the VAE's downscale (SD 1.5: 64 x 8)."""
    return configs["unet"]["sample_size"] * 2 ** (len(configs["vae"]["block_out_channels"]) - 1)


def random_profile_toml(model_dir: Path, size: int, steps: int, room_batch: int, memory: list[str]) -> str:
    """assets/models.toml plus the `sd15-random` profile pointing at the built pipeline."""
    defaults = f"{{ steps = {steps}, guidance = 7.5, width = {size}, height = {size} }}"
    return (REPO / "assets" / "models.toml").read_text() + f"""
# Written by benchmarks/room.py: SD 1.5's architecture with random weights (benchmark only).
[profiles.{RANDOM_PROFILE}]
title = "SD 1.5 architecture, random weights (benchmark: same cost as the real model, pictures are noise)"
tasks = ["txt2img", "img2img", "inpaint"]
path = {json.dumps(str(model_dir))}
dtype = "float16"
memory = {json.dumps(memory)}
devices = ["cpu", "cuda"]
licence = "none (random weights)"
defaults = {defaults}
sizes = [[{size}, {size}]]
room_batch = {room_batch}
"""


def prepare_architecture(args) -> tuple[str, contextlib.ExitStack]:
    """Build (or reuse) the random-weights pipeline and point genlab at a profile for it.
    Must run before genlab is imported (GENLAB_MODELS_TOML is read at import)."""
    if "genlab.settings" in sys.modules:
        raise RuntimeError("genlab was imported before the benchmark profile was set up")
    warnings.filterwarnings("ignore", message="invalid value encountered in cast")  # noise pictures may hold NaN
    if args.tiny_config:  # diffusers' note that a UNet sample_size under 64 is unusual for SD 1.5
        warnings.filterwarnings("ignore", message="The configuration file of the unet has set the default `sample_size`")
    cleanup = contextlib.ExitStack()
    work = Path(tempfile.mkdtemp(prefix="genlab-sd15-"))
    cleanup.callback(shutil.rmtree, work, ignore_errors=True)
    model_dir = Path(args.model_dir).resolve() if args.model_dir else work / "model"
    marker = model_dir / "genlab-benchmark.json"
    info = json.loads(marker.read_text()) if marker.exists() else None
    if info is None and model_dir.exists() and any(model_dir.iterdir()):
        raise SystemExit(f"--model-dir {model_dir} holds files this benchmark did not make: give an empty or new folder")
    if info is None or info["architecture"] != args.architecture or info["tiny_config"] != args.tiny_config:
        shutil.rmtree(model_dir, ignore_errors=True)  # empty, or a random-weights pipeline this benchmark made
        info = build_random_pipeline(args.architecture, model_dir, tiny=args.tiny_config)
        made = f"built on {info['built_on']} in {info['build_s']:.1f} s, saved in {info['save_s']:.1f} s"
    else:
        made = f"reused from {model_dir}"
    toml = work / "models.toml"
    memory = [m for m in args.memory.split(",") if m]
    size = picture_size(load_configs(args.architecture, tiny=args.tiny_config))
    toml.write_text(random_profile_toml(model_dir, size, args.steps, args.batch or 8, memory))
    os.environ["GENLAB_MODELS_TOML"] = str(toml)
    os.environ["GENLAB_PROFILE"] = RANDOM_PROFILE
    counts = ", ".join(f"{name} {n / 1e6:.1f}M" for name, n in info["parameters"].items())
    label = "SD 1.5" + (" (--tiny-config: narrowed for a CPU rehearsal)" if args.tiny_config else "")
    print(f"architecture: {label}; random weights (same cost as the real model); parameters: {counts}; "
          f"{info['size_gb']:.2f} GB float16 safetensors, {made}; memory strategies: {', '.join(memory) or 'none'}", flush=True)
    return RANDOM_PROFILE, cleanup


# ---- the benchmark ------------------------------------------------------------------------------
@contextlib.contextmanager
def launch_studio(room_values: dict | None, **launch_extra):
    """apps/studio.py on a free local port (genlab.ui.demo.serving, as the tests start apps)."""
    from genlab.ui.demo import serving

    with serving("studio", room=room_values, **launch_extra) as module:
        yield module.demo.local_url


def p90_of(latencies: list[float]) -> float:
    """statistics.quantiles' 90th percentile (never more than the slowest, as it can be for a few people)."""
    return min(statistics.quantiles(latencies, n=10)[8], max(latencies)) if len(latencies) > 1 else latencies[0]


def run_room(people: int, steps: int, room_values: dict | None, label: str) -> dict:
    from gradio_client import Client

    auth = ("", PASSWORD) if room_values else None
    with launch_studio(room_values, auth=auth) as url:
        login = (lambda i: (f"person{i}", PASSWORD)) if auth else (lambda i: None)  # each person logs in with a name
        Client(url, auth=login("warm"), verbose=False).predict(prompt="warm up", seed=0, steps=steps, sampler="Euler", api_name="/generate")
        clients = [Client(url, auth=login(i), verbose=False) for i in range(people)]

        def one(i: int) -> float:
            start = time.perf_counter()
            clients[i].predict(prompt=f"a red circle on a blue background {i}", seed=i, steps=steps, sampler="Euler", api_name="/generate")
            return time.perf_counter() - start

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=people) as pool:
            latencies = sorted(pool.map(one, range(people)))
        total = time.perf_counter() - start
    p90 = p90_of(latencies)
    result = dict(label=label, total=total, p50=statistics.median(latencies), p90=p90, per_s=people / total)
    print(
        f"{label:<26} total {total:6.1f} s   p50 {result['p50']:6.1f} s   p90 {result['p90']:6.1f} s   "
        f"{result['per_s']:5.2f} pictures/s",
        flush=True,
    )
    return result


def run_pipeline_only(people: int, steps: int, batches: list[int], profile) -> None:
    """Pictures of `people` prompts, one call each vs calls of each batch size; latency = when a
    person's call finished, counting from the moment everyone asked."""
    import torch

    from genlab.core.render import BatchKey, PictureItem, render

    d = profile.defaults
    key = BatchKey(profile.name, "txt2img", steps, float(d.get("guidance", 7.0)), d["width"], d["height"], "Euler")
    items = [PictureItem(f"a red circle on a blue background {i}", None, i) for i in range(people)]
    render(key, items[:max(batches)], None)  # warm up every batch shape's kernels once
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    results = {}
    for b in batches:
        sync()
        start = time.perf_counter()
        latencies = []
        for i in range(0, people, b):
            chunk = items[i : i + b]
            render(key, chunk, None)
            sync()
            latencies += [time.perf_counter() - start] * len(chunk)
        total = time.perf_counter() - start
        results[b] = total
        print(
            f"{'one per call' if b == 1 else f'batch {b}':<14} total {total:6.2f} s   p50 {statistics.median(latencies):6.2f} s   "
            f"p90 {p90_of(latencies):6.2f} s   {people / total:6.1f} pictures/s   x{results[batches[0]] / total:.2f}",
            flush=True,
        )


def device_line(pipe) -> str:
    import torch

    where = str(pipe.device)
    if pipe.device.type == "cuda":
        where += f" ({torch.cuda.get_device_name(pipe.device)}, {str(pipe.unet.dtype).replace('torch.', '')})"
    else:
        where += f" ({torch.get_num_threads()} torch threads, {str(pipe.unet.dtype).replace('torch.', '')})"
    return where


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--steps", type=int, help="denoising steps (default: 4 on the tiny model, 20 on --architecture sd15)")
    parser.add_argument("--batch", type=int, help="room mode: pictures per model call (default: the profile's room_batch; 8 for sd15)")
    parser.add_argument("--pipeline-only", action="store_true", help="no web server: one picture per call vs batches (genlab.core.render)")
    parser.add_argument("--batches", default="1,4,8", help="with --pipeline-only: batch sizes to compare (first is the baseline)")
    parser.add_argument("--architecture", choices=("tiny", "sd15"), default="tiny",
                        help="tiny: the shipped model; sd15: SD 1.5's architecture with random weights (same cost, no download)")
    parser.add_argument("--tiny-config", action="store_true", help="with sd15: narrow layers, same code path (CPU rehearsal)")
    parser.add_argument("--model-dir", help="with sd15: keep the built pipeline here and reuse it next time (default: a temporary folder)")
    parser.add_argument("--memory", default="", help="with sd15: the profile's memory strategies, e.g. attention_slicing (default: none)")
    args = parser.parse_args(argv)
    if args.tiny_config and args.architecture != "sd15":
        parser.error("--tiny-config only applies to --architecture sd15")
    args.steps = args.steps or (20 if args.architecture == "sd15" else 4)

    with contextlib.ExitStack() as cleanup:
        if args.architecture == "sd15":
            profile_name, stack = prepare_architecture(args)
            cleanup.enter_context(stack)
        else:
            profile_name = os.environ.setdefault("GENLAB_PROFILE", "tiny")

        import logging

        logging.getLogger("genlab.room").setLevel(logging.WARNING)  # no per-request lines in the printout
        from genlab.core.pipelines import load_pipeline
        from genlab.core.profiles import get_profile
        from genlab.ui import room

        profile = get_profile(profile_name)
        size = f"{profile.defaults.get('width', 512)}x{profile.defaults.get('height', 512)}"
        start = time.perf_counter()
        pipe = load_pipeline("txt2img")
        loaded = f"loaded in {time.perf_counter() - start:.1f} s"
        if args.pipeline_only:
            print(f"device: {device_line(pipe)}; profile {profile.name}; {args.people} pictures; {args.steps} steps; "
                  f"{size}; guidance {profile.defaults.get('guidance', 7.0)}; Euler; {loaded}", flush=True)
            run_pipeline_only(args.people, args.steps, [int(b) for b in args.batches.split(",")], profile)
            return 0

        batch = args.batch or room.room_batch()
        print(f"device: {device_line(pipe)}; profile {profile.name}; {args.people} people; {args.steps} steps; {size}; "
              f"guidance {profile.defaults.get('guidance', 7.0)}; Euler; {loaded}", flush=True)
        default = run_room(args.people, args.steps, None, "default queue (1 at a time)")
        roomed = run_room(args.people, args.steps, room.room_settings(batch_size=batch), f"room mode (batch {batch})")
        print(
            f"room / default: {default['total'] / roomed['total']:.2f}x faster for the whole room, "
            f"p90 {default['p90'] / roomed['p90']:.2f}x shorter wait",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
