"""``genlab course certificates``: a certificate (PDF and PNG) for each learner who passed every
required level of the programme, and a plain list of who is missing what.

"Passed a level" means: every required assignment of that level is fully graded with at least its
pass mark (``workshops/programme.toml``; see :mod:`genlab.course.programme`). Without a programme
file the whole course is one required level. Nobody else gets a certificate.

    genlab course certificates                          # exercises/ + workshops/programme.toml
    genlab course certificates --date 2026-12-15 --lang en --out reports/certificates

Typeset with matplotlib (DejaVu fonts, bundled with it): A4 landscape, one page per learner.
Files: ``<out>/certificate-<learner id>.pdf`` and ``.png``, and ``<out>/certificates.csv`` (everyone:
certificate yes/no, levels passed, what is missing).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genlab.core.i18n import help_text, say
from genlab.course.progress.dashboard import build_dashboard
from genlab.course.progress.formats import local_today
from genlab.course.progress.gradebook import Progress
from genlab.course.progress.options import add_source_options, add_timezone_option, date_arg, read_inputs
from genlab.course.progress.programme import Programme, load_programme
from genlab.course.progress.states import BELOW, NEEDS_MANUAL_GRADING, SUBMITTED

DEFAULT_OUT = os.path.join("reports", "certificates")
DEFAULT_LANGUAGE = "es"

NAVY = "#1e293b"
GOLD = "#b08d3c"
GOLD_LIGHT = "#e9dcb8"
MUTED = "#64748b"

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
}
TEXT = {
    "en": {
        "title": "Certificate of completion",
        "certifies": "This certifies that",
        "completed": "has successfully completed the programme",
        "levels": "Levels passed",
        "date": "Date",
        "signature": "Signature",
        "number": "Certificate no.",
        "workshops": "{n} workshops",
        "workshop": "1 workshop",
        "hours": "{h} h",
        "place": "Mexico City",
    },
    "es": {
        "title": "Constancia de acreditación",
        "certifies": "Se otorga la presente a",
        "completed": "por haber acreditado el programa",
        "levels": "Niveles acreditados",
        "date": "Fecha",
        "signature": "Firma",
        "number": "Constancia n.º",
        "workshops": "{n} talleres",
        "workshop": "1 taller",
        "hours": "{h} h",
        "place": "Ciudad de México",
    },
}


def format_date(day: dt.date, language: str) -> str:
    month = MONTHS[language][day.month - 1]
    return f"{day.day} {month} {day.year}" if language == "en" else f"{day.day} de {month} de {day.year}"


def certificate_number(learner_id: str, programme_name: str, day: dt.date) -> str:
    """A short reference printed on the certificate (the same learner, programme and date give
    the same number), e.g. ``GL-2026-7F3A9C``."""
    digest = hashlib.sha256(f"{learner_id}\n{programme_name}\n{day.isoformat()}".encode()).hexdigest()[:6].upper()
    return f"GL-{day.year}-{digest}"


def safe_name(learner_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", learner_id).strip("._") or "learner"


@dataclass
class Issued:
    learner_id: str
    name: str
    levels: list[str]
    pdf: Path
    png: Path
    number: str


@dataclass
class Missing:
    learner_id: str
    name: str
    passed_levels: list[str]
    lacking: list[dict[str, Any]]  # per missing level: {"level", "level_name", "lacking": [...]}

    def describe(self) -> str:
        """"Foundations: First images waiting for a trainer, Prompts not started; Practice: ..."."""
        parts = []
        for m in self.lacking:
            things = [describe_lack(x) for x in m["lacking"]] or ["no graded assignment in the programme yet"]
            parts.append(f"{m['level_name']}: " + ", ".join(things))
        return "; ".join(parts)


@dataclass
class CertificateResult:
    out_dir: Path
    issued: list[Issued] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    summary_csv: Path | None = None


def describe_lack(x: dict) -> str:
    r = x["result"]
    if r == BELOW:
        return f"{x['title']} {x['percent']:.0f}% (needs {x['pass_mark']:.0f}%)"
    if r == NEEDS_MANUAL_GRADING:
        return f"{x['title']} waiting for a trainer"
    if r == SUBMITTED:
        return f"{x['title']} handed in, not graded yet"
    if r == "not released":
        return f"{x['title']} not released yet"
    return f"{x['title']} not started"


# ------------------------------------------------------------------------------------------------
# Drawing


def certificate_figure(
    name: str,
    programme: Programme,
    levels: list[dict[str, Any]],
    day: dt.date,
    *,
    language: str = DEFAULT_LANGUAGE,
    number: str = "",
):
    """One certificate page (A4 landscape). ``levels``: ``[{"name", "workshops", "hours"}]``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyBboxPatch, Rectangle, RegularPolygon

    t = TEXT.get(language, TEXT["en"])
    W, H = 297 / 25.4, 210 / 25.4  # A4 landscape
    fig = Figure(figsize=(W, H), dpi=100)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, W)
    ax.set_ylim(0, H)
    ax.axis("off")
    serif = {"family": "DejaVu Serif"}
    sans = {"family": "DejaVu Sans"}

    # Frame: a navy band, a gold rule inside it, a soft tint at the corners.
    ax.add_patch(Rectangle((0.28, 0.28), W - 0.56, H - 0.56, fill=False, edgecolor=NAVY, linewidth=7))
    ax.add_patch(Rectangle((0.45, 0.45), W - 0.9, H - 0.9, fill=False, edgecolor=GOLD, linewidth=1.2))
    for cx, cy in ((0.45, 0.45), (W - 0.45, 0.45), (0.45, H - 0.45), (W - 0.45, H - 0.45)):
        ax.add_patch(RegularPolygon((cx, cy), 4, radius=0.13, orientation=0, facecolor=GOLD, edgecolor="white", linewidth=1.5))

    org = (programme.organisation or "genlab").upper()
    ax.text(W / 2, H - 0.95, "   ".join(org.split()), ha="center", va="center", fontsize=11, color=MUTED, fontweight="bold", **sans)
    ax.text(W / 2, H - 1.6, t["title"], ha="center", va="center", fontsize=36, color=NAVY, **serif)
    ax.plot([W / 2 - 0.9, W / 2 + 0.9], [H - 2.02, H - 2.02], color=GOLD, linewidth=1.5)
    ax.text(W / 2, H - 2.42, t["certifies"], ha="center", va="center", fontsize=14, color=MUTED, style="italic", **serif)
    size = 40 if len(name) <= 26 else 32 if len(name) <= 36 else 26
    ax.text(W / 2, H - 3.12, name, ha="center", va="center", fontsize=size, color=NAVY, fontweight="bold", **serif)
    ax.plot([W / 2 - 3.2, W / 2 + 3.2], [H - 3.6, H - 3.6], color=GOLD_LIGHT, linewidth=1)
    ax.text(W / 2, H - 3.98, t["completed"], ha="center", va="center", fontsize=14, color=MUTED, style="italic", **serif)
    prog_size = 22 if len(programme.name) <= 48 else 17
    ax.text(W / 2, H - 4.55, programme.name, ha="center", va="center", fontsize=prog_size, color=NAVY, fontweight="bold", **sans)

    # Levels as badges in one row.
    ax.text(W / 2, H - 5.12, t["levels"].upper(), ha="center", va="center", fontsize=9, color=GOLD, fontweight="bold", **sans)
    if levels:
        widths = []
        for lv in levels:
            detail = _level_detail(lv, t)
            widths.append(max(len(lv["name"]) * 0.13 + 0.5, len(detail) * 0.085 + 0.5, 1.6))
        gap = 0.25
        total = sum(widths) + gap * (len(widths) - 1)
        scale = min(1.0, (W - 2.2) / total)
        x = W / 2 - total * scale / 2
        for lv, w in zip(levels, widths):
            w *= scale
            ax.add_patch(FancyBboxPatch((x, H - 5.97), w, 0.62, boxstyle="round,pad=0,rounding_size=0.12",
                                        facecolor="#f8f5ec", edgecolor=GOLD, linewidth=1))
            ax.text(x + w / 2, H - 5.54, lv["name"], ha="center", va="center", fontsize=12 * min(1, scale + 0.15), color=NAVY, fontweight="bold", **sans)
            ax.text(x + w / 2, H - 5.78, _level_detail(lv, t), ha="center", va="center", fontsize=8.5, color=MUTED, **sans)
            x += w + gap * scale

    # Date (left), seal (centre), signature (right).
    base = 1.12
    place = programme.place or t["place"]
    ax.text(2.6, base + 0.28, format_date(day, language), ha="center", va="bottom", fontsize=13, color=NAVY, **serif)
    ax.plot([1.2, 4.0], [base + 0.18, base + 0.18], color=NAVY, linewidth=0.8)
    ax.text(2.6, base, f"{t['date']} · {place}", ha="center", va="top", fontsize=9, color=MUTED, **sans)
    ax.plot([W - 4.0, W - 1.2], [base + 0.18, base + 0.18], color=NAVY, linewidth=0.8)
    ax.text(W - 2.6, base, programme.signer or t["signature"], ha="center", va="top", fontsize=9, color=MUTED, **sans)
    sx, sy = W / 2, base + 0.36
    ax.add_patch(Circle((sx, sy), 0.62, facecolor=GOLD, edgecolor="none"))
    ax.add_patch(Circle((sx, sy), 0.54, facecolor="none", edgecolor="white", linewidth=1.2))
    ax.add_patch(Circle((sx, sy), 0.47, facecolor="none", edgecolor="white", linewidth=0.6, linestyle=(0, (2, 2))))
    ax.text(sx, sy + 0.06, "★", ha="center", va="center", fontsize=24, color="white", **sans)
    ax.text(sx, sy - 0.27, str(day.year), ha="center", va="center", fontsize=8, color="white", fontweight="bold", **sans)
    if number:
        ax.text(W / 2, 0.64, f"{t['number']} {number}", ha="center", va="center", fontsize=7.5, color=MUTED, **sans)
    return fig


def _level_detail(lv: dict, t: dict) -> str:
    n = lv.get("workshops") or 0
    parts = [t["workshop"] if n == 1 else t["workshops"].format(n=n)] if n else []
    if lv.get("hours"):
        h = lv["hours"]
        parts.append(t["hours"].format(h=f"{h:g}" if float(h).is_integer() else f"{h:.1f}"))
    return " · ".join(parts)


# ------------------------------------------------------------------------------------------------
# Who gets one


def write_certificates(
    progress: Progress,
    programme: Programme | None,
    out_dir: str | os.PathLike,
    *,
    day: dt.date | None = None,
    language: str | None = None,
    only: list[str] | None = None,
    timezone: str | None = None,
) -> CertificateResult:
    """A PDF and a PNG certificate in ``out_dir`` for each learner who passed every required level;
    the rest are listed in ``result.missing`` with what they lack. ``only``: just these learner ids.
    ``day``: the date on them and the day passes are counted on (default: today in ``timezone``)."""
    import matplotlib

    if programme is None:
        programme = load_programme()
    day = day or local_today(timezone)
    language = (language or programme.language or DEFAULT_LANGUAGE).lower()
    if language not in TEXT:
        language = "en"
    dash = build_dashboard(progress, programme, as_of=day)
    prog = dash.programme
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = CertificateResult(out_dir=out)
    requirements = prog.requirements()
    for status in dash.certificate_status():
        if only and status["learner_id"] not in only:
            continue
        lr = status["learner_info"]
        if not status["complete"]:
            result.missing.append(Missing(status["learner_id"], lr["name"], status["passed_levels"], status["missing"]))
            continue
        levels = []
        for level_id in status["passed_levels"]:
            items = [prog.item_for(a) for a in requirements[level_id]]
            hours = [it.hours for it in items if it and it.hours]
            levels.append({"name": prog.level(level_id).name, "workshops": len(items), "hours": sum(hours) if hours else None})
        number = certificate_number(status["learner_id"], prog.name, day)
        fig = certificate_figure(lr["name"], prog, levels, day, language=language, number=number)
        stem = out / f"certificate-{safe_name(status['learner_id'])}"
        pdf, png = stem.with_suffix(".pdf"), stem.with_suffix(".png")
        with matplotlib.rc_context({"pdf.fonttype": 42}):  # TrueType fonts: crisp in print, text searchable
            fig.savefig(pdf, format="pdf", metadata={
                "Title": f"{TEXT[language]['title']}: {prog.name}", "Subject": lr["name"],
                "Creator": "genlab course certificates", "Producer": "genlab", "Author": prog.organisation or None,
            })
        fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
        result.issued.append(Issued(status["learner_id"], lr["name"], [lv["name"] for lv in levels], pdf, png, number))
    result.summary_csv = _write_summary(result, out / "certificates.csv", prog)
    return result


def _write_summary(result: CertificateResult, path: Path, programme: Programme) -> Path:
    names = {lv.id: lv.name for lv in programme.levels}
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["learner_id", "learner", "certificate", "number", "levels_passed", "missing"])
        for c in result.issued:
            w.writerow([c.learner_id, c.name, "yes", c.number, "; ".join(c.levels), ""])
        for m in result.missing:
            w.writerow([m.learner_id, m.name, "no", "", "; ".join(names.get(x, x) for x in m.passed_levels), m.describe()])
    return path


# ------------------------------------------------------------------------------------------------
# CLI: `genlab course certificates` (a branch of genlab's command tree)


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`genlab course certificates`' options, on the parser genlab's command tree gives it (or its own)."""
    p.description = say("cli_help.certificates_description")
    add_source_options(p)
    p.add_argument("--out", default=DEFAULT_OUT, help=help_text("cli_help.certificates_out", default=DEFAULT_OUT))
    p.add_argument("--date", "--as-of", type=date_arg, help=help_text("cli_help.certificates_date"))
    p.add_argument("--lang", choices=sorted(TEXT), help=help_text("cli_help.certificates_lang"))
    p.add_argument("--learner", action="append", metavar="ID", help=help_text("cli_help.only_learner"))
    add_timezone_option(p)
    p.set_defaults(run=run)
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="genlab course certificates"))


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(sys.argv[1:] if argv is None else argv))


def run(args: argparse.Namespace) -> int:
    inputs = read_inputs(args, "genlab course certificates")
    if inputs is None:
        return 2
    programme, progress = inputs
    if args.learner:
        unknown = sorted(set(args.learner) - {lr["id"] for lr in progress.learners})
        if unknown:
            print(f"genlab course certificates: no learner {', '.join(unknown)} in the gradebook", file=sys.stderr)
            return 2
    result = write_certificates(progress, programme, args.out, day=args.date, language=args.lang, only=args.learner,
                                timezone=args.timezone)
    if result.issued:
        print(f"Certificates ({len(result.issued)}) in {result.out_dir}:")
        width = max(len(c.name) for c in result.issued)
        for c in result.issued:
            print(f"  {c.name:<{width}}  {c.pdf.name}  ({', '.join(c.levels)})")
    else:
        print("No certificates: nobody has passed every required level yet.")
    if result.missing:
        print(f"Not yet ({len(result.missing)}):")
        for m in result.missing:
            print(f"  {m.name} ({m.learner_id}): {m.describe()}")
    print(f"List: {result.summary_csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
