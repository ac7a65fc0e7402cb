#!/usr/bin/env python
"""Keep lesson notebooks committed without outputs.

    python tools/strip_notebooks.py                 # strip every notebooks/*.ipynb in place
    python tools/strip_notebooks.py path.ipynb ...  # strip these
    python tools/strip_notebooks.py --check         # list notebooks that still carry outputs; exit 1 if any

Removes outputs, execution counts and run-time metadata (papermill, execution timings,
widget state). Keeps what authors set on purpose: cell tags (the `parameters` cell), nbgrader
metadata, cell ids, the kernelspec.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
CELL_KEYS_DROPPED = ("execution", "papermill", "ExecuteTime", "collapsed", "scrolled")
NOTEBOOK_KEYS_DROPPED = ("papermill", "widgets", "vscode", "toc-autonumbering")


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip `nb` in place and return it."""
    for cell in nb.cells:
        for key in CELL_KEYS_DROPPED:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if cell.get("attachments") == {}:
            del cell["attachments"]
    for key in NOTEBOOK_KEYS_DROPPED:
        nb.metadata.pop(key, None)
    info = nb.metadata.get("language_info")
    if info:  # version numbers of the last machine that ran it are noise in a diff
        nb.metadata["language_info"] = {"name": info.get("name", "python")}
    return nb


def _text(nb) -> str:
    return nbformat.writes(nb) + "\n"


def process(path: Path, check: bool) -> bool:
    """True when the file is (or would be) changed."""
    original = path.read_text(encoding="utf-8")
    nb = nbformat.reads(original, as_version=4)
    stripped = _text(strip(nb))
    if stripped == original:
        return False
    if not check:
        path.write_text(stripped, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook needs stripping")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
    changed = [p for p in paths if process(p, args.check)]
    for p in changed:
        print(f"{'needs stripping' if args.check else 'stripped'}: {p}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
