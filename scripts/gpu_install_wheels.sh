# Install the wheels a borrowed GPU machine lacks (it has no network): source this file, then
#
#     install_wheels DIST...    # e.g. install_wheels diffusers importlib_metadata zipp
#
# Reads $WHEELS (default .whl: made on the dev machine by `.venv/bin/python scripts/gpu_wheels.py`,
# carried with the device tool's carry [".whl"]), installs the wheels of the named distributions into
# $SITE (default /tmp/site) with pip (--no-index --no-deps), or unpacks them when $PYTHON has no pip (a wheel is a
# zip of what goes into site-packages), and puts $SITE first on PYTHONPATH. Returns 3 when a named
# distribution has no wheel, 4 when installing fails (pip's errors in $OUT/pip.err).
# Used by scripts/gpu_room_benchmark.sh and scripts/train_tiny_gpu.sh.

install_wheels() {
  local py=${PYTHON:-python3} wheels=${WHEELS:-.whl} site=${SITE:-/tmp/site} err=${OUT:-/tmp}/pip.err
  local missing=() files=() dist
  for dist in "$@"; do
    if compgen -G "$wheels/${dist}-[0-9]*.whl" > /dev/null; then files+=("$wheels/${dist}"-[0-9]*.whl); else missing+=("$dist"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "MISSING WHEELS in $wheels: ${missing[*]}"
    echo "make them on the dev machine with '.venv/bin/python scripts/gpu_wheels.py' and carry .whl (carry: [\".whl\"])"
    return 3
  fi
  echo "installing ${#files[@]} wheels ($(du -shc "${files[@]}" | tail -1 | cut -f1)) into $site"
  if [ -z "${UNZIP_WHEELS:-}" ] && "$py" -m pip --version > /dev/null 2>&1; then
    if ! "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "${files[@]}" 2> "$err"; then
      tail -20 "$err"; echo "pip install failed (full output: $err)"; return 4
    fi
  else
    echo "no pip for $py (or UNZIP_WHEELS set): unpacking the wheels instead"
    "$py" -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:]]' "$site" "${files[@]}" || return 4
  fi
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
}
