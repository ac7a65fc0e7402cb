"""Progress as files a spreadsheet opens, written with pandas: CSV (``DataFrame.to_csv``) and XLSX
(``pd.ExcelWriter`` with openpyxl; colours through ``Styler``).

- CSV: one row per learner × assignment (:data:`~genlab.course.progress.dashboard.FIELDS`), UTF-8
  with a byte-order mark so Excel shows accents; empty = none (a score left empty is "not graded
  yet", never 0), points without trailing zeros, times in UTC (ISO 8601). The CSV is data for
  other tools: its column names and cells (``status``, ``result``, ``yes``/``no``) are the same
  English words whatever the report's language.
- XLSX: "Summary" (headline numbers; per assignment, team and level), "Progress" (the CSV's rows
  with numbers as numbers and UTC times), "Heatmap" (learner × assignment, coloured like the
  dashboard) and "Behind schedule". The workbook is for people: sheet names, headers, state names
  and notes are in the dashboard's language (``dash.lang``; in Spanish "Resumen", "Avance", "Mapa
  de calor", "Con atraso"), from the ``[report.xlsx]`` and ``[report.fields]`` tables of
  assets/i18n.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from genlab.course.progress.dashboard import FIELDS, Dashboard
from genlab.course.progress.formats import fmt_points, iso_utc, naive_utc
from genlab.course.progress.gradebook import ROW_FIELDS, Progress
from genlab.course.progress.formats import text
from genlab.course.progress.states import BELOW, LOOKS, MUTED, NOT_STARTED, PASSED, RESULTS, help_text, state_name

HEADER_CSS = "font-weight: bold; background-color: #f1f5f9"


def _yes_no(x) -> str:
    return "yes" if x else "no"


#: How a CSV cell is written, per column (the rest: as they are, empty for none).
CSV_CELLS = {
    "score": fmt_points,
    "max_score": fmt_points,
    "percent": lambda x: "" if x is None else f"{x:.1f}",
    "submitted_at": iso_utc,
    "due_at": iso_utc,
    "late": _yes_no,
    "pass_mark": lambda x: "" if x is None else f"{x:g}",
    "due": lambda d: d.isoformat() if d else "",
    "behind": _yes_no,
}


def csv_frame(rows, fields):
    """``rows`` (dicts) as the CSV's DataFrame: the columns ``fields``, every cell text."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(rows), columns=list(fields)).astype(object)
    frame = frame.where(frame.notna(), None)
    for column in frame.columns:
        cell = CSV_CELLS.get(column, lambda x: "" if x is None else x)
        frame[column] = [cell(x) for x in frame[column]]
    return frame


def _write_csv(frame, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_csv(dash: Dashboard, path: str | os.PathLike) -> Path:
    """The dashboard's rows (``FIELDS``), one per learner × assignment of the programme."""
    return _write_csv(csv_frame(dash.rows, FIELDS), path)


def write_gradebook_csv(progress: Progress, path: str | os.PathLike) -> Path:
    """The gradebook's rows alone (``ROW_FIELDS``), without a programme."""
    return _write_csv(csv_frame(progress.rows, ROW_FIELDS), path)


# ------------------------------------------------------------------------------------------------
# XLSX


def _cell_css(state: str, *, bold: bool = False) -> str:
    look = LOOKS[state]
    return f"background-color: {look.colour}; color: {look.ink}; text-align: center" + ("; font-weight: bold" if bold else "")


def _date_css(value) -> str:
    """Days as 2026-11-20 and times as 2026-11-20 18:00 (Styler's ``number-format``; pandas 3's
    ExcelWriter leaves its own date formats out)."""
    if isinstance(value, dt.datetime):
        return "number-format: yyyy-mm-dd hh:mm"
    if isinstance(value, dt.date):
        return "number-format: yyyy-mm-dd"
    return ""


def _round(x, digits: int = 1):
    return None if x is None else round(x, digits)


def _table(writer, sheet: str, frame, startrow: int, *, header: bool = True, styler=None) -> int:
    """Write ``frame`` (through ``styler`` when given; headers bold on grey) from ``startrow``
    (0-based); returns the number of the last row written, 1-based."""
    styled = (styler if styler is not None else frame.style).map(_date_css)
    if header:
        styled = styled.map_index(lambda _: HEADER_CSS, axis=1)
    styled.to_excel(writer, sheet_name=sheet, startrow=startrow, index=False, header=header)
    return startrow + len(frame) + (1 if header else 0)


def _x(dash: Dashboard, key: str, **values) -> str:
    """``report.xlsx.<key>`` in the dashboard's language."""
    return text(f"xlsx.{key}", dash.lang, **values)


def _state(dash: Dashboard, state: str) -> str:
    return state_name(state, dash.lang)


def sheet_names(lang: str = "en") -> dict[str, str]:
    """The workbook's sheets: ``summary``, ``progress``, ``heatmap``, ``behind`` → their names in ``lang``."""
    return {key: text(f"xlsx.{key}", lang) for key in ("summary", "progress", "heatmap", "behind")}


def summary_tables(dash: Dashboard) -> dict:
    """The "Summary" sheet's tables as DataFrames: ``facts``, ``assignments``, ``team``, ``level``."""
    import pandas as pd

    k = dash.kpis()
    facts = pd.DataFrame(
        [
            (_x(dash, "learners"), k["learners"]),
            (_x(dash, "released"), k["assignments"]),
            (_x(dash, "completed"), k["completed_programme"]),
            (_x(dash, "on_schedule"), k["on_schedule"]),
            (_x(dash, "behind_schedule"), k["behind"]),
            (_x(dash, "handed_in"), k["handed_in"]),
            (_x(dash, "waiting"), k["waiting_for_trainers"]),
            (_state(dash, PASSED).capitalize(), k[PASSED]),
            (_state(dash, BELOW).capitalize(), k[BELOW]),
            (_state(dash, NOT_STARTED).capitalize(), k[NOT_STARTED]),
            (_x(dash, "mean"), _round(k["mean_percent"])),
            (_x(dash, "pass_mark"), k["pass_mark"]),
        ],
        columns=["what", "value"],
    )
    states = [_state(dash, s).capitalize() for s in reversed(RESULTS)]
    per_assignment = []
    for c in dash.columns:
        sub = [r for r in dash.rows if r["assignment"] == c["assignment"]]
        counts = dash.counts(sub)
        graded = [r["percent"] for r in sub if r["result"] in (PASSED, BELOW) and r["percent"] is not None]
        per_assignment.append([c["assignment"], c["title"], dash.name(c["level_name"]), c["due"], c["pass_mark"], len(dash.learners),
                               *[counts[s] for s in reversed(RESULTS)], round(sum(graded) / len(graded), 1) if graded else None])
    out = {
        "facts": facts,
        "assignments": pd.DataFrame(per_assignment, columns=[_x(dash, "assignment"), _x(dash, "title"), _x(dash, "level"),
                                                             _x(dash, "due"), _x(dash, "pass_mark"), _x(dash, "learners"),
                                                             *states, _x(dash, "mean_score")]),
    }
    for key in ("team", "level"):
        if key == "team" and not dash.has_teams():
            continue
        extra = [_x(dash, "completed_column")] if key == "level" else []
        out[key] = pd.DataFrame(
            [[g["label"], g["learners"], g["cells"], *[g[s] for s in reversed(RESULTS)], _round(g["passed_percent"]),
              *([g["complete"]] if key == "level" else [])] for g in dash.completion_by(key)],
            columns=[_x(dash, key), _x(dash, "learners"), _x(dash, "cells"), *states, _x(dash, "passed_percent"), *extra],
        )
    return out


def progress_frame(dash: Dashboard):
    """The "Progress" sheet: the CSV's rows with numbers as numbers and times as naive UTC; in a
    language other than English, its headers, states and yes/no in that language."""
    import pandas as pd

    frame = pd.DataFrame.from_records(dash.rows, columns=list(FIELDS)).astype(object)
    frame = frame.where(frame.notna(), None)
    frame["submitted_at"] = [naive_utc(x) for x in frame["submitted_at"]]
    frame["due_at"] = [naive_utc(x) for x in frame["due_at"]]
    frame["percent"] = [_round(x) for x in frame["percent"]]
    for column in ("late", "behind"):
        frame[column] = [text("yes" if x else "no", dash.lang) for x in frame[column]]
    for column in ("status", "result"):
        frame[column] = [_state(dash, x) for x in frame[column]]
    frame["level_name"] = [dash.name(x) if x else x for x in frame["level_name"]]
    frame.columns = [text(f"fields.{f}", dash.lang) for f in FIELDS]
    return frame.replace({"": None})


def heatmap_frames(dash: Dashboard):
    """The "Heatmap" sheet: (values, CSS per cell), learner × assignment, as the dashboard draws it:
    the score of graded work, else the state, on the state's colour."""
    import pandas as pd

    values, css = [], []
    for lr, rows in dash.grid():
        graded = [r["result"] in (PASSED, BELOW) and r["percent"] is not None for r in rows]
        values.append([lr["name"], lr.get("team") or None,
                       *[round(r["percent"], 1) if g else _state(dash, r["result"]) for r, g in zip(rows, graded)],
                       sum(r["result"] == PASSED for r in rows)])
        css.append(["font-weight: bold", "", *[_cell_css(r["result"], bold=g) for r, g in zip(rows, graded)], ""])
    columns = [_x(dash, "learner"), _x(dash, "team"), *[c["assignment"] for c in dash.columns], _x(dash, "passed_column")]
    return pd.DataFrame(values, columns=columns), pd.DataFrame(css, columns=columns)


def behind_frame(dash: Dashboard):
    import pandas as pd

    rows = [[b["learner"], b["team"] or None, m["assignment"], m["title"], m["due"], m["days_late"], _state(dash, m["result"]),
             _round(m["percent"])] for b in dash.behind_schedule() for m in b["missing"]]
    return pd.DataFrame(rows, columns=[_x(dash, k) for k in ("learner", "team", "assignment", "title", "due", "days_late", "result",
                                                             "score_percent")])


def _widths(ws, widths: dict[int, float]) -> None:
    from openpyxl.utils import get_column_letter

    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = w


def write_xlsx(dash: Dashboard, path: str | os.PathLike, *, title: str | None = None) -> Path:
    """The workbook (see the module docstring), in the dashboard's language."""
    import pandas as pd
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    title = title or dash.text("title")
    sheets = sheet_names(dash.lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = summary_tables(dash)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        # Summary: a title, the headline numbers, then a table per assignment, team and level.
        facts = tables["facts"]
        row = _table(writer, sheets["summary"], facts, 3, header=False,
                     styler=facts.style.map(lambda _: "font-weight: bold", subset=["value"]))
        headings = {}
        for key, label in (("assignments", _x(dash, "per_assignment")), ("team", _x(dash, "per_team")), ("level", _x(dash, "per_level"))):
            if key not in tables:
                continue
            heading = row + 2  # a blank row, the heading, then the table
            headings[heading] = label
            row = _table(writer, sheets["summary"], tables[key], heading)
        ws = writer.sheets[sheets["summary"]]
        ws["A1"] = title
        ws["A1"].font = Font(bold=True, size=16)
        ws["A2"] = _x(dash, "as_of", programme=dash.programme_name, day=dash.as_of.isoformat()) + (
            " · " + dash.text("pseudonymised") if dash.pseudonymised else "")
        ws["A2"].font = Font(color=MUTED.lstrip("#").upper())
        for r, label in headings.items():
            ws.cell(row=r, column=1, value=label).font = Font(bold=True, size=13)
        _widths(ws, {1: 34, 2: 26, 3: 18, 4: 12, 5: 13, 6: 10, 7: 10, 8: 16, 9: 14, 10: 11, 11: 12, 12: 15})

        # Progress: the rows.
        frame = progress_frame(dash)
        _table(writer, sheets["progress"], frame, 0)
        wp = writer.sheets[sheets["progress"]]
        wp.freeze_panes = "C2"
        wp.auto_filter.ref = f"A1:{get_column_letter(len(FIELDS))}{len(frame) + 1}"
        _widths(wp, {j: 16 for j in range(1, len(FIELDS) + 1)})

        # Heatmap: learner × assignment in the dashboard's colours, and what the colours mean.
        values, css = heatmap_frames(dash)
        end = _table(writer, sheets["heatmap"], values, 0, styler=values.style.apply(lambda _: css, axis=None))
        legend = pd.DataFrame([f"{_state(dash, s)}: {help_text(s, dash.lang)}" for s in reversed(RESULTS)], columns=["legend"])
        legend_css = pd.DataFrame([_cell_css(s).replace("text-align: center", "text-align: left") for s in reversed(RESULTS)], columns=["legend"])
        _table(writer, sheets["heatmap"], legend, end + 2, header=False, styler=legend.style.apply(lambda _: legend_css, axis=None))
        wh = writer.sheets[sheets["heatmap"]]
        wh.cell(row=end + 2, column=1, value=_x(dash, "heatmap_note")).font = Font(color=MUTED.lstrip("#").upper())
        wh.freeze_panes = "C2"
        _widths(wh, {1: 26, 2: 14, **{j: 17 for j in range(3, 4 + len(dash.columns))}})

        # Behind schedule.
        behind = behind_frame(dash)
        _table(writer, sheets["behind"], behind, 0)
        wb_ = writer.sheets[sheets["behind"]]
        if behind.empty:
            wb_.cell(row=2, column=1, value=_x(dash, "nobody_behind"))
        _widths(wb_, {1: 26, 2: 14, 3: 20, 4: 24, 5: 12, 6: 10, 7: 16, 8: 10})
        writer.book.properties.creator = "genlab report"
        writer.book.properties.title = title
    return path

