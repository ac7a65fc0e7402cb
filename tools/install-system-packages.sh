#!/usr/bin/env bash
# System packages the test suite, safe grading and the cohort hub use, from Debian's archive:
#   chromium    headless browser for the app, dashboard and hub tests (Playwright drives it; its own
#               browser download needs the internet)
#   bubblewrap  the sandbox `genlab course autograde` runs each learner's notebook in
#   nodejs npm  to install configurable-http-proxy, the proxy JupyterHub puts in front of the
#               learners' servers (`genlab hub`), from the npm registry
# Needs root or sudo on Debian/Ubuntu; elsewhere install them with your package manager (and
# `npm install --global configurable-http-proxy`).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    if [ ${#missing[@]} -gt 0 ] || ! command -v configurable-http-proxy >/dev/null 2>&1; then
      echo "genlab's tests need: ${missing[*]} configurable-http-proxy. Install them (Debian/Ubuntu: apt-get install ${missing[*]}; npm install --global configurable-http-proxy) and run make test again." >&2
      exit 1
    fi
    exit 0
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "No apt-get here: install ${missing[*]} with your system's package manager, then run make test again." >&2
    exit 1
  fi
  echo "Installing ${missing[*]} (Debian packages)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "Installed: ${missing[*]}"
fi
if ! command -v configurable-http-proxy >/dev/null 2>&1; then
  echo "Installing configurable-http-proxy (npm registry)..."
  $SUDO npm install --global --no-fund --no-audit --loglevel=error configurable-http-proxy@4 >/dev/null
  echo "Installed: configurable-http-proxy $(configurable-http-proxy --version)"
fi
