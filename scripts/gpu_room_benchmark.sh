#!/usr/bin/env bash
# The room benchmark (issue #5) on Stable Diffusion 1.5's architecture with random weights, on a
# borrowed GPU machine that has no internet and no diffusers/Gradio.
#
#     bash scripts/gpu_room_benchmark.sh          # from the repo root; the device tool sets OUT
#
# with .whl/ carried along (device tool: carry [".whl"]). Writes, and prints as it goes:
#   $OUT/env.txt              GPU, Python and library versions
#   $OUT/room_sd15.log        benchmarks/room.py --architecture sd15 --people 30 --steps 20
#                             (default queue vs room mode, 512x512, float16, room batch 8)
#   $OUT/pipeline_sd15.log    benchmarks/room.py --architecture sd15 --pipeline-only (batches 1,4,8),
#                             only when enough of BUDGET_S is left
# Expected on one H200: wheels ~10 s, model build+save+load ~20 s, default queue ~30 s, room mode
# ~10-15 s, pipeline-only ~35 s: about 110 s in all; BUDGET_S (default 140) caps it.
#
# Wheels (.whl/, made by `.venv/bin/python scripts/gpu_wheels.py`, ~14 MB; versions = the repo's
# .venv): gradio 6.31.0 (stripped of its browser front end and demo media, see gpu_wheels.py),
# gradio_client 2.7.2, hf-gradio, diffusers 0.42.1, importlib_metadata, zipp, lazy-importer,
# fastapi, starlette, pydantic, pydantic_core (cp312), typing-inspection, annotated-types,
# annotated-doc, opentelemetry-api, uvicorn, click, orjson (cp312), python-multipart, groovy,
# safehttpx, semantic-version, pydub, brotli (cp312), tomlkit, pytz, shellingham,
# typing_extensions, anyio. The machine has torch, transformers, accelerate, safetensors,
# huggingface_hub, numpy, pillow, pandas, httpx, jinja2, pyyaml, typer, rich, tqdm, requests.
#
# Rehearsal on a CPU (same steps, tiny settings):
#   PYTHON=/path/to/python WHEELS=/path/to/wheels OUT=/tmp/out \
#   ROOM_ARGS="--tiny-config --people 2 --steps 1" PIPE_ARGS="--tiny-config --people 2 --steps 1 --batches 1,2" \
#   bash scripts/gpu_room_benchmark.sh
set -uo pipefail

START=$SECONDS
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-.whl}
SITE=${SITE:-/tmp/site}
BUDGET_S=${BUDGET_S:-140}
OUT=${OUT:-/tmp/genlab-gpu-out}
MODEL_DIR=${MODEL_DIR:-/tmp/genlab-sd15-random}
ROOM_ARGS=${ROOM_ARGS:---people 30 --steps 20}
PIPE_ARGS=${PIPE_ARGS:---people 16 --steps 20 --batches 1,4,8}
mkdir -p "$OUT"

say() { echo "[gpu_room_benchmark $((SECONDS - START)) s] $*" | tee -a "$OUT/env.txt"; }

if [ ! -f benchmarks/room.py ]; then
  say "run me from the repo root (benchmarks/room.py not found in $PWD)"; exit 2
fi

# 1. the wheels this machine lacks ------------------------------------------------------------
source scripts/gpu_install_wheels.sh
install_wheels gradio gradio_client hf_gradio diffusers importlib_metadata zipp lazy_importer fastapi starlette \
               pydantic pydantic_core typing_inspection annotated_types opentelemetry_api uvicorn orjson \
               python_multipart groovy safehttpx semantic_version pydub brotli tomlkit pytz \
               annotated_doc anyio click shellingham typing_extensions 2>&1 | tee -a "$OUT/env.txt"
rc=${PIPESTATUS[0]}
[ "$rc" -ne 0 ] && exit "$rc"
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"  # (install_wheels ran in a pipe: set it here)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False PYTHONUNBUFFERED=1

# 2. what this machine is -----------------------------------------------------------------------
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >> "$OUT/env.txt"
if ! "$PYTHON" - >> "$OUT/env.txt" 2>&1 <<'EOF'
import sys, torch, transformers, huggingface_hub, diffusers, gradio, gradio_client, fastapi, pydantic
print("python", sys.version.split()[0], "| torch", torch.__version__, "cuda", torch.version.cuda,
      "available", torch.cuda.is_available(), "| transformers", transformers.__version__,
      "| huggingface_hub", huggingface_hub.__version__, "| diffusers", diffusers.__version__,
      "| gradio", gradio.__version__, gradio.__file__, "| gradio_client", gradio_client.__version__,
      "| fastapi", fastapi.__version__, "| pydantic", pydantic.__version__)
from genlab.demo import load_app  # noqa: F401  (genlab itself imports here)
EOF
then
  tail -20 "$OUT/env.txt"; say "the libraries do not import (see $OUT/env.txt)"; exit 5
fi
tail -1 "$OUT/env.txt"

# 3. the room: default queue vs room mode -------------------------------------------------------
left=$((BUDGET_S - (SECONDS - START)))
say "room benchmark: benchmarks/room.py --architecture sd15 --model-dir $MODEL_DIR $ROOM_ARGS (at most $left s)"
# shellcheck disable=SC2086
timeout "$left" "$PYTHON" benchmarks/room.py --architecture sd15 --model-dir "$MODEL_DIR" $ROOM_ARGS 2>&1 \
  | grep --line-buffered -v "requires torchvision" | tee "$OUT/room_sd15.log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  say "room benchmark FAILED (exit $rc$([ "$rc" -eq 124 ] && echo ": ran out of the $left s left"))"
  rm -rf "$MODEL_DIR"; exit 6
fi

# 4. pipeline calls only (no web server), on the same built model, if time allows -----------------
left=$((BUDGET_S - (SECONDS - START)))
if [ "$left" -ge 40 ]; then
  say "pipeline only: benchmarks/room.py --architecture sd15 --pipeline-only $PIPE_ARGS (at most $left s)"
  # shellcheck disable=SC2086
  timeout "$left" "$PYTHON" benchmarks/room.py --architecture sd15 --model-dir "$MODEL_DIR" --pipeline-only $PIPE_ARGS 2>&1 \
    | grep --line-buffered -v "requires torchvision" | tee "$OUT/pipeline_sd15.log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -ne 0 ] && say "pipeline-only run stopped (exit $rc); the room figures above stand"
else
  say "skipped the pipeline-only run: $left s left of BUDGET_S=$BUDGET_S"
fi
rm -rf "$MODEL_DIR"
say "done"
