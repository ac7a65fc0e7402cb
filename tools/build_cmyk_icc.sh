#!/usr/bin/env bash
# Rebuild assets/icc/genlab-FOGRA39L-coated.icc from Fogra's FOGRA39L characterisation data
# (Debian's icc-profiles-free, Zlib) with ArgyllCMS colprof. See assets/icc/README.md.
set -euo pipefail
command -v colprof >/dev/null || { echo "needs ArgyllCMS: sudo apt-get install argyll icc-profiles-free" >&2; exit 1; }
data=/usr/share/color/icc/FOGRA39L.ti3
[ -f "$data" ] || { echo "needs $data: sudo apt-get install icc-profiles-free" >&2; exit 1; }
work=$(mktemp -d)
cp "$data" "$work/"
(cd "$work" && colprof -v -qm -kr -l300 -L95 -D "genlab FOGRA39L coated (ISO 12647-2, from FOGRA39L.ti3)" \
  -C "Built by genlab with ArgyllCMS colprof from FOGRA39L.ti3 (Zlib licence, Kai-Uwe Behrmann; data Fogra)" FOGRA39L)
cp "$work/FOGRA39L.icc" "$(dirname "$0")/../assets/icc/genlab-FOGRA39L-coated.icc"
echo "wrote assets/icc/genlab-FOGRA39L-coated.icc"
