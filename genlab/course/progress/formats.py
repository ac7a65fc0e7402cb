"""How progress numbers, days and times are written, the same in every output (HTML, figures,
CSV, XLSX, the app), and the report's words in the reader's language (:func:`text`: the
``[report]`` table of assets/i18n, English and Mexican Spanish)."""

from __future__ import annotations

import datetime as dt

from genlab import settings


def fmt_points(x: float | None) -> str:
    """9.0 → "9", 7.25 → "7.2", None → ""."""
    if x is None:
        return ""
    return f"{x:g}" if float(x).is_integer() else f"{x:.1f}"


def pct(x: float | None) -> str:
    """A percentage without decimals: "90%"; None → ""."""
    return "" if x is None else f"{x:.0f}%"


def text(key: str, lang: str = "en", **values) -> str:
    """The report's text ``report.<key>`` (assets/i18n) in ``lang``, placeholders filled."""
    from genlab.core.i18n import t

    return t(f"report.{key}", lang, **values)


def month_abbr(month: int, lang: str = "en") -> str:
    """3 → "Mar" (en) or "mar" (es)."""
    return text("months", lang).split()[month - 1]


def fmt_day(d: dt.date | None, lang: str = "en") -> str:
    """"10 Dec 2026" ("10 dic 2026" in Spanish); None → ""."""
    return f"{d.day} {month_abbr(d.month, lang)} {d.year}" if d else ""


def iso_utc(ts: dt.datetime | None) -> str:
    """ISO 8601 in UTC to the second (``2026-11-18T18:00:00+00:00``); naive times are UTC."""
    if ts is None:
        return ""
    return naive_utc(ts).replace(microsecond=0).isoformat() + "+00:00"


def naive_utc(ts):
    """A datetime as naive UTC (what nbgrader stores and spreadsheets take); other values as they are."""
    if isinstance(ts, dt.datetime) and ts.tzinfo is not None:
        return ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts


def zone(name: str | None = None):
    """The time zone called ``name`` (default ``$GENLAB_TIMEZONE``, Mexico City); UTC if unknown."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name or settings.get("GENLAB_TIMEZONE"))
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def zone_name(tz) -> str:
    return getattr(tz, "key", "UTC")


def local(ts: dt.datetime | None, tz) -> dt.datetime | None:
    """A naive-UTC (nbgrader) or aware datetime in the time zone ``tz``."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return ts.astimezone(tz)


def fmt_time(ts: dt.datetime | None, tz, with_time: bool = True, lang: str = "en") -> str:
    """"18 Nov 2026, 12:00" in ``tz`` (or just the day; "18 nov 2026, 12:00" in Spanish); None → ""."""
    ts = local(ts, tz)
    if ts is None:
        return ""
    out = fmt_day(ts.date(), lang)
    return f"{out}, {ts:%H:%M}" if with_time else out


def local_today(timezone: str | None = None) -> dt.date:
    """Today in ``timezone`` (default ``$GENLAB_TIMEZONE``)."""
    return dt.datetime.now(zone(timezone)).date()
