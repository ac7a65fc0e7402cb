#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (Playwright drives it; its own browser download
# needs the internet). Needs root or sudo on Debian/Ubuntu; elsewhere, install Chromium yourself
# and put it on PATH (or set GENLAB_CHROMIUM=/path/to/chromium).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "The browser tests need Chromium. Install it (Debian/Ubuntu: apt-get install chromium) and run make test again." >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "No apt-get here: install Chromium with your system's package manager, then run make test again." >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
echo "Chromium installed: $(command -v chromium)"
