"""Progress as files a spreadsheet opens, written with pandas: CSV (``DataFrame.to_csv``) and XLSX
(``pd.ExcelWriter`` with openpyxl; colours through ``Styler``).

- CSV: one row per learner × assignment (:data:`~genlab.course.progress.dashboard.FIELDS`), UTF-8
  with a byte-order mark so Excel shows accents; empty = none (a score left empty is "not graded
  yet", never 0), points without trailing zeros, times in UTC (ISO 8601).
- XLSX: "Summary" (headline numbers; per assignment, team and level), "Progress" (the CSV's rows
  with numbers as numbers and UTC times), "Heatmap" (learner × assignment, coloured like the
  dashboard) and "Behind schedule".
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from genlab.course.progress.dashboard import FIELDS, Dashboard
from genlab.course.progress.formats import fmt_points, iso_utc, naive_utc
from genlab.course.progress.gradebook import ROW_FIELDS, Progress
from genlab.course.progress.states import BELOW, LOOKS, MUTED, NOT_STARTED, PASSED, RESULTS, help_text

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


def summary_tables(dash: Dashboard) -> dict:
    """The "Summary" sheet's tables as DataFrames: ``facts``, ``assignments``, ``team``, ``level``."""
    import pandas as pd

    k = dash.kpis()
    facts = pd.DataFrame(
        [
            ("Learners", k["learners"]),
            ("Assignments released", k["assignments"]),
            ("Completed every required level", k["completed_programme"]),
            ("On schedule", k["on_schedule"]),
            ("Behind the schedule", k["behind"]),
            ("Assignments handed in", k["handed_in"]),
            ("Waiting for grading", k["waiting_for_trainers"]),
            ("Passed", k[PASSED]),
            ("Below pass mark", k[BELOW]),
            ("Not started", k[NOT_STARTED]),
            ("Mean score of graded work (%)", _round(k["mean_percent"])),
            ("Pass mark (%)", k["pass_mark"]),
        ],
        columns=["what", "value"],
    )
    states = [s.capitalize() for s in reversed(RESULTS)]
    per_assignment = []
    for c in dash.columns:
        sub = [r for r in dash.rows if r["assignment"] == c["assignment"]]
        counts = dash.counts(sub)
        graded = [r["percent"] for r in sub if r["result"] in (PASSED, BELOW) and r["percent"] is not None]
        per_assignment.append([c["assignment"], c["title"], c["level_name"], c["due"], c["pass_mark"], len(dash.learners),
                               *[counts[s] for s in reversed(RESULTS)], round(sum(graded) / len(graded), 1) if graded else None])
    out = {
        "facts": facts,
        "assignments": pd.DataFrame(per_assignment, columns=["Assignment", "Title", "Level", "Due", "Pass mark (%)", "Learners",
                                                             *states, "Mean score (%)"]),
    }
    for key in ("team", "level"):
        if key == "team" and not dash.has_teams():
            continue
        extra = ["Completed"] if key == "level" else []
        out[key] = pd.DataFrame(
            [[g["label"], g["learners"], g["cells"], *[g[s] for s in reversed(RESULTS)], _round(g["passed_percent"]),
              *([g["complete"]] if key == "level" else [])] for g in dash.completion_by(key)],
            columns=[key.capitalize(), "Learners", "Cells", *states, "Passed (%)", *extra],
        )
    return out


def progress_frame(dash: Dashboard):
    """The "Progress" sheet: the CSV's rows with numbers as numbers and times as naive UTC."""
    import pandas as pd

    frame = pd.DataFrame.from_records(dash.rows, columns=list(FIELDS)).astype(object)
    frame = frame.where(frame.notna(), None)
    frame["submitted_at"] = [naive_utc(x) for x in frame["submitted_at"]]
    frame["due_at"] = [naive_utc(x) for x in frame["due_at"]]
    frame["percent"] = [_round(x) for x in frame["percent"]]
    for column in ("late", "behind"):
        frame[column] = [_yes_no(x) for x in frame[column]]
    return frame.replace({"": None})


def heatmap_frames(dash: Dashboard):
    """The "Heatmap" sheet: (values, CSS per cell), learner × assignment, as the dashboard draws it:
    the score of graded work, else the state, on the state's colour."""
    import pandas as pd

    values, css = [], []
    for lr, rows in dash.grid():
        graded = [r["result"] in (PASSED, BELOW) and r["percent"] is not None for r in rows]
        values.append([lr["name"], lr.get("team") or None,
                       *[round(r["percent"], 1) if g else r["result"] for r, g in zip(rows, graded)],
                       sum(r["result"] == PASSED for r in rows)])
        css.append(["font-weight: bold", "", *[_cell_css(r["result"], bold=g) for r, g in zip(rows, graded)], ""])
    columns = ["Learner", "Team", *[c["assignment"] for c in dash.columns], "Passed"]
    return pd.DataFrame(values, columns=columns), pd.DataFrame(css, columns=columns)


def behind_frame(dash: Dashboard):
    import pandas as pd

    rows = [[b["learner"], b["team"] or None, m["assignment"], m["title"], m["due"], m["days_late"], m["result"], _round(m["percent"])]
            for b in dash.behind_schedule() for m in b["missing"]]
    return pd.DataFrame(rows, columns=["Learner", "Team", "Assignment", "Title", "Due", "Days late", "Result", "Score (%)"])


def _widths(ws, widths: dict[int, float]) -> None:
    from openpyxl.utils import get_column_letter

    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = w


def write_xlsx(dash: Dashboard, path: str | os.PathLike, *, title: str = "Course progress") -> Path:
    """The workbook (see the module docstring)."""
    import pandas as pd
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = summary_tables(dash)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        # Summary: a title, the headline numbers, then a table per assignment, team and level.
        facts = tables["facts"]
        row = _table(writer, "Summary", facts, 3, header=False,
                     styler=facts.style.map(lambda _: "font-weight: bold", subset=["value"]))
        headings = {}
        for key, label in (("assignments", "Per assignment"), ("team", "Per team"), ("level", "Per level")):
            if key not in tables:
                continue
            heading = row + 2  # a blank row, the heading, then the table
            headings[heading] = label
            row = _table(writer, "Summary", tables[key], heading)
        ws = writer.sheets["Summary"]
        ws["A1"] = title
        ws["A1"].font = Font(bold=True, size=16)
        ws["A2"] = f"{dash.programme.name} · as of {dash.as_of.isoformat()}" + (" · learners pseudonymised" if dash.pseudonymised else "")
        ws["A2"].font = Font(color=MUTED.lstrip("#").upper())
        for r, label in headings.items():
            ws.cell(row=r, column=1, value=label).font = Font(bold=True, size=13)
        _widths(ws, {1: 34, 2: 26, 3: 18, 4: 12, 5: 13, 6: 10, 7: 10, 8: 16, 9: 14, 10: 11, 11: 12, 12: 15})

        # Progress: the rows.
        frame = progress_frame(dash)
        _table(writer, "Progress", frame, 0)
        wp = writer.sheets["Progress"]
        wp.freeze_panes = "C2"
        wp.auto_filter.ref = f"A1:{get_column_letter(len(FIELDS))}{len(frame) + 1}"
        _widths(wp, {j: 16 for j in range(1, len(FIELDS) + 1)})

        # Heatmap: learner × assignment in the dashboard's colours, and what the colours mean.
        values, css = heatmap_frames(dash)
        end = _table(writer, "Heatmap", values, 0, styler=values.style.apply(lambda _: css, axis=None))
        legend = pd.DataFrame([f"{s}: {help_text(s)}" for s in reversed(RESULTS)], columns=["legend"])
        legend_css = pd.DataFrame([_cell_css(s).replace("text-align: center", "text-align: left") for s in reversed(RESULTS)], columns=["legend"])
        _table(writer, "Heatmap", legend, end + 2, header=False, styler=legend.style.apply(lambda _: legend_css, axis=None))
        wh = writer.sheets["Heatmap"]
        wh.cell(row=end + 2, column=1, value="Numbers are % of the points (fully graded). Colours:").font = Font(color=MUTED.lstrip("#").upper())
        wh.freeze_panes = "C2"
        _widths(wh, {1: 26, 2: 14, **{j: 17 for j in range(3, 4 + len(dash.columns))}})

        # Behind schedule.
        behind = behind_frame(dash)
        _table(writer, "Behind schedule", behind, 0)
        wb_ = writer.sheets["Behind schedule"]
        if behind.empty:
            wb_.cell(row=2, column=1, value="Nobody is behind the schedule.")
        _widths(wb_, {1: 26, 2: 14, 3: 20, 4: 24, 5: 12, 6: 10, 7: 16, 8: 10})
        writer.book.properties.creator = "genlab report"
        writer.book.properties.title = title
    return path

