"""Progress as files a spreadsheet opens: CSV (and the cell formats the XLSX shares)."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

from genlab.course.progress.gradebook import ROW_FIELDS, Progress


def fmt_points(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}" if float(x).is_integer() else f"{x:.1f}"


def iso_utc(ts: dt.datetime | None) -> str:
    if ts is None:
        return ""
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts.replace(microsecond=0).isoformat() + "+00:00"


def csv_cells(r: dict, fields) -> dict:
    """A gradebook row as CSV cells: empty for none, points without trailing zeros, UTC times."""
    return {
        **{k: ("" if r.get(k) is None else r.get(k)) for k in fields},
        "score": fmt_points(r["score"]),
        "max_score": fmt_points(r["max_score"]),
        "percent": "" if r["percent"] is None else f"{r['percent']:.1f}",
        "submitted_at": iso_utc(r["submitted_at"]),
        "due_at": iso_utc(r["due_at"]),
        "late": "yes" if r["late"] else "no",
    }


def write_csv_rows(path: str | os.PathLike, fields, rows) -> Path:
    """``rows`` (dicts of cells) under a ``fields`` header; UTF-8 with a byte-order mark so Excel
    shows accents right."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_csv(progress: Progress, path: str | os.PathLike) -> Path:
    """One row per learner × assignment (columns ``ROW_FIELDS``). Empty score = not graded yet.
    Times are UTC (ISO 8601)."""
    return write_csv_rows(path, ROW_FIELDS, (csv_cells(r, ROW_FIELDS) for r in progress.rows))
