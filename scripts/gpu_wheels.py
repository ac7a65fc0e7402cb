"""Fill .whl/ with the wheels a borrowed GPU machine lacks to run benchmarks/room.py.

    .venv/bin/python scripts/gpu_wheels.py            # download (exact .venv versions) + strip gradio
    .venv/bin/python scripts/gpu_wheels.py --check    # only say what is missing or the wrong version

The GPU machine (Python 3.12, no internet) has torch, transformers, accelerate, safetensors,
huggingface_hub, numpy, pillow, pandas, httpx, anyio, h11, jinja2, markupsafe, pyyaml, typer,
rich, tqdm, requests, aiofiles, uvloop, matplotlib, scipy, packaging, fsspec, annotated-doc, but
not diffusers or the Gradio web stack. scripts/gpu_room_benchmark.sh installs everything in .whl/
with `pip install --no-index --no-deps --target /tmp/site`. The list below is the closure of
gradio 6.31.0 + gradio_client + diffusers minus what that machine has; small wheels it probably
has (typing_extensions, anyio, click, annotated-doc) travel anyway, as their versions there are
not known and pydantic/fastapi need recent ones.

The gradio wheel is 31 MB, mostly the browser front end (templates/frontend, templates/node) and
demo media (media_assets). The benchmark only talks to Gradio's API with gradio_client, so the
copy in .whl/ leaves those out (index.html, share.html and favicon.png stay) and its RECORD is
rewritten to match: it is still a valid wheel, ~2.5 MB. A browser opening that server gets a page
without its scripts; the API works (checked by scripts/gpu_wheels.py --smoke).
.whl/ is git-ignored (.git/info/exclude) and travels with `carry: [".whl"]`; keep it under ~25 MB.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import importlib.metadata as md
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WHL = REPO / ".whl"

# distribution names; versions are the ones installed in the running Python (the repo's .venv)
WHEELS = [
    "gradio",  # stripped, see strip_gradio()
    "gradio_client",
    "hf-gradio",
    "diffusers",
    "importlib_metadata",  # diffusers
    "zipp",  # importlib_metadata
    "lazy-importer",  # importlib_metadata
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic_core",  # binary, cp312 manylinux
    "typing-inspection",
    "annotated-types",
    "annotated-doc",
    "opentelemetry-api",  # fastapi
    "uvicorn",
    "click",  # uvicorn
    "orjson",  # binary
    "python-multipart",
    "groovy",
    "safehttpx",
    "semantic-version",
    "pydub",
    "brotli",  # binary
    "tomlkit",
    "pytz",
    "shellingham",  # typer
    "typing_extensions",  # pydantic 2.14 needs >= 4.16
    "anyio",  # starlette needs anyio 4
]
PLATFORM = [
    "--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp",
    "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64",
]
STRIP = ("gradio/templates/frontend/", "gradio/templates/node/", "gradio/media_assets/")
KEEP = ("gradio/templates/frontend/index.html", "gradio/templates/frontend/share.html", "gradio/templates/frontend/favicon.png")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_for(name: str, folder: Path = WHL) -> Path | None:
    version = md.version(name)
    for f in folder.glob("*.whl"):
        dist, ver = f.name.split("-")[:2]
        if norm(dist) == norm(name) and ver == version:
            return f
    return None


def is_stripped(wheel: Path) -> bool:
    with zipfile.ZipFile(wheel) as z:
        return not any(n.startswith(STRIP) and n not in KEEP for n in z.namelist())


def strip_gradio(wheel: Path) -> None:
    """Rewrite the gradio wheel in place without STRIP's folders; RECORD lists what is left."""
    out = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = [n for n in src.namelist() if not (n.startswith(STRIP) and n not in KEEP)]
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        rows = []
        for n in names:
            if n == record_name:
                continue
            data = src.read(n)
            dst.writestr(src.getinfo(n), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append((n, f"sha256={digest}", str(len(data))))
        record = io.StringIO()
        writer = csv.writer(record, lineterminator="\n")
        writer.writerows(rows + [(record_name, "", "")])
        dst.writestr(record_name, record.getvalue())
    out.replace(wheel)


def smoke(wheel_dir: Path) -> None:
    """Install the wheels' gradio + gradio_client into a temporary folder in front of this
    Python's site-packages and check that an app launches and answers a gradio_client call."""
    target = Path(tempfile.mkdtemp(prefix="gr-strip-"))
    try:
        wheels = [str(wheel_for(n, wheel_dir)) for n in ("gradio", "gradio_client")]
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                        "--target", str(target), *wheels], check=True)
        code = (
            "import gradio as gr, gradio, pathlib, sys\n"
            f"assert gradio.__file__.startswith({str(target)!r}), gradio.__file__\n"
            "assert not (pathlib.Path(gradio.__file__).parent / 'templates/node').exists()\n"
            "from gradio_client import Client\n"
            "demo = gr.Interface(lambda s: s[::-1], 'text', 'text', api_name='predict')\n"
            "demo.launch(server_name='127.0.0.1', prevent_thread_lock=True, quiet=True)\n"
            "print('answer:', Client(demo.local_url, verbose=False).predict('gradio', api_name='/predict'))\n"
            "demo.close()\n"
        )
        env = dict(os.environ, PYTHONPATH=str(target), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
    finally:
        shutil.rmtree(target, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list what is missing")
    parser.add_argument("--smoke", action="store_true", help="also launch a Gradio app from the stripped wheel and call it")
    args = parser.parse_args(argv)
    WHL.mkdir(exist_ok=True)
    missing = [n for n in WHEELS if wheel_for(n) is None]
    if args.check:
        for n in missing:
            print(f"missing: {n}=={md.version(n)}")
        return 1 if missing else 0
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", *PLATFORM, "-d", str(WHL),
                        *(f"{n}=={md.version(n)}" for n in missing)], check=True)
    gradio = wheel_for("gradio")
    if not is_stripped(gradio):
        strip_gradio(gradio)
    total = 0
    for n in WHEELS:
        f = wheel_for(n)
        total += f.stat().st_size
        print(f"{f.stat().st_size / 1e6:6.2f} MB  {f.name}")
    extra = sorted(set(WHL.glob("*.whl")) - {wheel_for(n) for n in WHEELS})
    for f in extra:
        print(f"  (not in the list, installed too by gpu_room_benchmark.sh: {f.name})")
    print(f"{total / 1e6:6.2f} MB in all ({len(WHEELS)} wheels) in {WHL}")
    if args.smoke:
        smoke(WHL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
