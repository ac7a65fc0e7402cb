#!/usr/bin/env bash
# Train the tiny shapes-world models genlab ships, on one NVIDIA GPU. Sized for one H200 from
# CPU measurements (not yet timed on the GPU itself: read the timings in train.log).
#
# Run from the repository root with OUT set to the folder that comes back. Where diffusers is not
# installed, it comes from .whl/ (scripts/gpu_install_wheels.sh; wheels made by
# `.venv/bin/python scripts/gpu_wheels.py`, carried with the device tool's carry [".whl"]):
#
#     OUT=/path/to/out bash scripts/train_tiny_gpu.sh
#
# It trains the image model (VAE, then UNet + text encoder) into $OUT/tiny-shapes and the
# motion adapter into $OUT/tiny-shapes-motion (preset "gpu": held to 5.6 + 1.8 minutes,
# start-up included), logs to $OUT/train.log, optionally samples a preview grid into
# $OUT/preview.png (TINY_PREVIEW_S=35: scored by genlab.tiny.evaluator if its weights are
# present; off by default, `genlab tiny evaluate` scores the result on any machine), and packs
# each model folder into a tar in $OUT (the folders
# themselves are then removed). Files over 15 MB are split into .partN pieces (rebuild with
# `cat tiny-shapes.tar.part* > tiny-shapes.tar`): everything fits the 16 MB-per-file, 8-file
# limit of what comes back (train.log, preview.png, 2 + 1 tar pieces).
#
# The UNet and motion steps run as captured CUDA graphs; a stage that fails with them is run
# again without (--no-cuda-graph) in a shorter budget, so one bad capture does not cost the run.
#
# To go on training the shipped motion adapter only (the image model stays as it is):
#
#     OUT=... TINY_WHAT=motion TINY_MOTION_INIT=assets/models/tiny-shapes-motion \
#       TINY_MOTION_MINUTES=8 TINY_SEED=2 TINY_MOTION_EVAL="0:24 1:96" bash scripts/train_tiny_gpu.sh
#
# TINY_MOTION_EVAL ("SEED:N ..."): afterwards, `genlab tiny evaluate --motion-only --device cuda`
# scores the new adapter and the one it started from side by side on each prompt set (--seed SEED
# --n N: set 0:24 is the clips of `genlab tiny evaluate --n 24`); the tables go to train.log.
#
# Rehearse it anywhere: TINY_PRESET=smoke TINY_DEVICE=cpu TINY_EVAL=0 TINY_PREVIEW_S=300.
#
# Only genlab/settings.py and genlab/tiny/ (the train/ package, architecture, world; the evaluator
# for previews and scores) are imported (genlab/__init__.py is bypassed), so gradio, nbgrader or
# jupyter need not be installed.
set -euo pipefail

: "${OUT:?set OUT to the output folder}"
PY="${PYTHON:-python3}"
mkdir -p "$OUT"
LOG="$OUT/train.log"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if ! "$PY" -c "import diffusers" 2> /dev/null; then  # a bare GPU machine: diffusers travels as a wheel
  source scripts/gpu_install_wheels.sh
  PYTHON="$PY" install_wheels diffusers importlib_metadata zipp
fi

# Run genlab.tiny.train (or, with "cli" first, genlab.tiny.cli) without importing
# genlab/__init__.py (tests/test_tiny_layout.py checks that this works).
BOOT="$(mktemp -d)/tiny_train.py"
cat > "$BOOT" <<'PYEOF'
import importlib, pathlib, sys, types
root = pathlib.Path.cwd()
for name, path in (("genlab", root / "genlab"), ("genlab.tiny", root / "genlab" / "tiny")):
    mod = types.ModuleType(name)
    mod.__path__ = [str(path)]
    sys.modules[name] = mod
args = sys.argv[1:]
module = "cli" if args[:1] == ["cli"] else "train"
sys.exit(importlib.import_module(f"genlab.tiny.{module}").main(args[1:] if module == "cli" else args))
PYEOF

start=$(date +%s)
rm -f "$OUT/.failed"
{
  echo "== $(date -u '+%Y-%m-%dT%H:%M:%SZ') genlab tiny GPU training, repo $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
  echo "cpus: $(nproc)"

  train() {  # what, extra args...
    local what=$1 name=tiny-shapes; shift
    [ "$what" = motion ] && name=tiny-shapes-motion
    "$PY" "$BOOT" "$what" --preset "${TINY_PRESET:-gpu}" --device "${TINY_DEVICE:-cuda}" --seed "${TINY_SEED:-0}" \
      --out "$OUT/$name" --work-dir "$OUT/.work/$name" "$@"
  }
  image_model="$OUT/tiny-shapes"
  if [ "${TINY_WHAT:-both}" = motion ]; then
    image_model="${TINY_IMAGE_MODEL:-assets/models/tiny-shapes}"
  else
    # (--resume: a VAE that finished before the failure is reused from its checkpoint)
    train image || { echo "!! image training failed; again without CUDA graphs, 3.5 minutes"
      train image --no-cuda-graph --max-minutes 3.5 --resume || { echo "!! image training failed"; echo image >> "$OUT/.failed"; }; }
  fi
  t_image=$(( $(date +%s) - start ))
  motion_args=(--image-model "$image_model")
  [ -n "${TINY_MOTION_INIT:-}" ] && motion_args+=(--init-from "$TINY_MOTION_INIT")
  [ -n "${TINY_MOTION_MINUTES:-}" ] && motion_args+=(--max-minutes "$TINY_MOTION_MINUTES")
  if [ -f "$image_model/model_index.json" ]; then  # (a retry's --max-minutes 1.2 overrides TINY_MOTION_MINUTES: the last one counts)
    train motion "${motion_args[@]}" || { echo "!! motion training failed; again without CUDA graphs, 1.2 minutes"
      train motion "${motion_args[@]}" --no-cuda-graph --max-minutes 1.2 || { echo "!! motion training failed"; echo motion >> "$OUT/.failed"; }; }
  fi
  t_train=$(( $(date +%s) - start ))
  echo "== training wall clock: image ${t_image}s, image + motion ${t_train}s"

  # Motion adapters side by side (new, and the one it started from), one prompt set at a time.
  for set in ${TINY_MOTION_EVAL:-}; do
    [ -f "$OUT/tiny-shapes-motion/config.json" ] || break
    for adapter in "$OUT/tiny-shapes-motion" ${TINY_MOTION_INIT:+"$TINY_MOTION_INIT"}; do
      echo "== motion evaluation: adapter $adapter, prompt set --seed ${set%%:*} --n ${set##*:}"
      timeout 300 "$PY" "$BOOT" cli evaluate --motion-only --device "${TINY_DEVICE:-cuda}" --model "$image_model" \
        --motion "$adapter" --seed "${set%%:*}" --n "${set##*:}" | grep -A 20 "^Every group" || echo "!! evaluation failed"
    done
  done

  # A look at the result (not part of the training budget; bounded).
  if [ -f "$OUT/tiny-shapes/model_index.json" ] && [ "${TINY_PREVIEW_S:-0}" -gt 0 ]; then
    timeout "${TINY_PREVIEW_S}" "$PY" "$BOOT" preview --device "${TINY_DEVICE:-cuda}" --image-model "$OUT/tiny-shapes" \
      --motion-model "$OUT/tiny-shapes-motion" --out "$OUT/preview.png" --eval "${TINY_EVAL:-128}" \
      || echo "preview failed or timed out (the models are saved regardless)"
  fi
} 2>&1 | tee "$LOG"

# Pack each folder (then remove it: at most 8 files come back); split anything over 15 MB.
rm -rf "$OUT/.work"
cd "$OUT"
for name in tiny-shapes tiny-shapes-motion; do
  [ -d "$name" ] || continue
  rm -f "$name.tar" "$name.tar.part"*
  tar -cf "$name.tar" "$name"
  tar -tf "$name.tar" > /dev/null
  rm -rf "$name"
  if [ "$(stat -c %s "$name.tar")" -gt 15000000 ]; then
    split -b 15000000 -d -a 1 "$name.tar" "$name.tar.part"
    rm -f "$name.tar"
  fi
done
echo "== total $(( $(date +%s) - start ))s; files:" | tee -a "$LOG"
ls -l "$OUT" | tee -a "$LOG"
if [ -f "$OUT/.failed" ]; then
  echo "!! failed: $(tr '\n' ' ' < "$OUT/.failed")" | tee -a "$LOG"
  rm -f "$OUT/.failed"
  exit 1
fi
