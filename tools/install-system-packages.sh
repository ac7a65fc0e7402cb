#!/usr/bin/env bash
# System packages the test suite and safe grading use, from Debian's archive:
#   chromium    headless browser for the app and dashboard tests (Playwright drives it; its own
#               browser download needs the internet)
#   bubblewrap  the sandbox `genlab course autograde` runs each learner's notebook in
# Needs root or sudo on Debian/Ubuntu; elsewhere install them with your package manager.
set -euo pipefail
PACKAGES=(chromium bubblewrap)
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "genlab's tests need: ${missing[*]}. Install them (Debian/Ubuntu: apt-get install ${missing[*]}) and run make test again." >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "No apt-get here: install ${missing[*]} with your system's package manager, then run make test again." >&2
  exit 1
fi
echo "Installing ${missing[*]} (Debian packages)..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
echo "Installed: ${missing[*]}"
