"""``genlab course``: the trainer's grading cycle, in plain words, on nbgrader's Python API.

    genlab course status                       what is released, handed in, collected, graded
    genlab course learners import cohort.csv   the cohort (columns id,name,email,team)
    genlab course learners add ana.lopez --name "Ana López" --email ana@agency.mx --team azul
    genlab course release 01_first_images      make the learner version and hand it out
    genlab course collect 01_first_images      bring in what learners submitted
    genlab course autograde 01_first_images    run every submission in a sandbox and score it
    genlab course feedback 01_first_images     feedback pages (no hidden tests) back to learners
    genlab course grade-all 01_first_images    collect + autograde + feedback in one go
    genlab course check NOTEBOOK               a learner's "check my work", from a terminal
    genlab course learners forget ana.lopez    forget a learner who asks (docs/data-governance.md)

Every command takes ``--course PATH`` (default: the repo's exercises/). Each command runs in one
process: nbgrader starts once, not once per learner.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genlab.core.i18n import help_text, say
from genlab.course import nbgrader_ops


def _say(text: str = "") -> None:
    print(text, flush=True)


def _progress_to(bar):
    """autograde's `progress(done, total, result)` callback, moving a tqdm `bar` over learners."""

    def show(done, _total, result):
        bar.set_postfix_str(say("course_cli.last", learner=result.learner, status=result.status), refresh=False)
        bar.update(done - bar.n)

    return show


# ---- commands -----------------------------------------------------------------------------------
def cmd_status(args) -> int:
    from genlab.course.learners import read_roster
    from genlab.course.sandbox import best_mode

    st = nbgrader_ops.course_status(args.course)
    roster = read_roster(st["course"])
    _say(say("course_cli.course", course=st["course"], course_id=st["course_id"], exchange=st["exchange"]))
    mode = best_mode()
    _say(say("course_cli.grading_runs_in", sandbox=say(f"course_cli.sandbox_{mode}")))
    teams = sorted({r['team'] for r in roster.values() if r['team']})
    _say(
        say("course_cli.learners", gradebook=len(st["learners"]), roster=len(roster))
        + (say("course_cli.teams", teams=", ".join(teams)) if teams else "")
    )
    if not st["assignments"]:
        _say(say("course_cli.no_assignments"))
        return 0
    _say("")
    columns = [("assignment", 22), ("released", 9), ("handed_in", 11), ("collected", 11), ("graded", 8),
               ("to_grade", 10), ("feedback", 10)]
    heads = [say(f"course_cli.column_{key}") for key, _ in columns]
    widths = [max(w, len(h) + (1 if k else 0)) for k, (h, (_, w)) in enumerate(zip(heads, columns))]
    _say(f"{heads[0]:<{widths[0]}}" + "".join(f"{h:>{w}}" for h, w in zip(heads[1:], widths[1:])))
    yes, no = say("course_cli.yes"), say("course_cli.no")
    for a in st["assignments"]:
        cells = [yes if a["released"] else no, len(a["handed_in"]), len(a["collected"]), len(a["autograded"]),
                 len(a["to_autograde"]), len(a["feedback"])]
        _say(f"{a['assignment']:<{widths[0]}}" + "".join(f"{c:>{w}}" for c, w in zip(cells, widths[1:])))
    _say("")
    for a in st["assignments"]:
        name = a["assignment"]
        if not a["released"]:
            _say(say("course_cli.next_release", name=name))
        elif len(a["handed_in"]) > len(a["collected"]):
            _say(say("course_cli.next_collect", name=name))
        elif a["to_autograde"]:
            _say(say("course_cli.next_autograde", name=name, waiting=len(a["to_autograde"])))
        elif a["autograded"] and len(a["feedback"]) < len(a["autograded"]):
            _say(say("course_cli.next_feedback", name=name))
        elif a["autograded"]:
            _say(say("course_cli.all_done", name=name))
        else:
            _say(say("course_cli.waiting", name=name))
    return 0


def cmd_release(args) -> int:
    lay = nbgrader_ops.layout(args.course)
    if args.assignment not in nbgrader_ops.source_assignments(lay.root):
        _say(say("course_cli.no_such_assignment", assignment=args.assignment, folder=lay.source,
                 assignments=", ".join(nbgrader_ops.source_assignments(lay.root)) or say("course_cli.none")))
        return 2
    api = nbgrader_ops.nbgrader_api(lay.root, **{"ExchangeReleaseAssignment.force": True})
    _say(say("course_cli.making", assignment=args.assignment))
    nbgrader_ops.generate_assignment(args.assignment, api=api)
    nbgrader_ops.release_assignment(args.assignment, api=api)
    _say(say("course_cli.released", assignment=args.assignment, folder=lay.outbound / args.assignment))
    _say(say("course_cli.released_learners"))
    _say(say("course_cli.released_next", assignment=args.assignment))
    return 0


def cmd_collect(args) -> int:
    lay = nbgrader_ops.layout(args.course)
    before = set(nbgrader_ops.inbound_learners(lay, args.assignment))
    learners = nbgrader_ops.collect_assignment(args.assignment, lay.root)
    _say(say("course_cli.collected", assignment=args.assignment, count=len(learners), folder=lay.root / "submitted"))
    if learners:
        _say("  " + ", ".join(learners))
    missing = sorted(before - set(learners))
    if missing:
        _say("  " + say("course_cli.not_collected", learners=", ".join(missing)))
    _say(say("course_cli.next_autograde_run", assignment=args.assignment) if learners else say("course_cli.nobody_yet"))
    return 0


def _policy(args):
    from genlab.course.sandbox import SandboxPolicy

    p = SandboxPolicy()
    if args.timeout:
        p.cell_timeout = args.timeout
    if args.notebook_timeout:
        p.notebook_timeout = args.notebook_timeout
    if args.cpu_seconds:
        p.cpu_seconds = args.cpu_seconds
    if args.memory_mb:
        p.memory_mb = args.memory_mb
    if args.sandbox:
        p.mode = args.sandbox
    return p


def _autograde(args) -> int:
    from tqdm import tqdm

    from genlab.course.grading.autograde import autograde, submitted_learners

    lay = nbgrader_ops.layout(args.course)
    n = len(args.learner or submitted_learners(lay, args.assignment))
    if n == 0:
        _say(say("course_cli.nothing_collected", assignment=args.assignment))
        return 1
    _say(say("course_cli.autograding", assignment=args.assignment, count=n))
    log_lines = []
    # on stderr, so stdout keeps only the lines a trainer reads (TQDM_DISABLE=1 turns the bar off)
    with tqdm(total=n, desc=args.assignment, unit=say("course_cli.unit_learner"), file=sys.stderr, dynamic_ncols=True) as bar:
        run = autograde(
            args.assignment,
            lay.root,
            args.learner,
            force=args.force,
            workers=args.workers,
            policy=_policy(args),
            progress=_progress_to(bar),
            log=log_lines.append,
        )
        bar.update(len(run.results) - bar.n)  # learners kept from an earlier run count as done too
    if run.warning:
        _say(run.warning)
    _say("")
    for r in run.results:
        _say("  " + r.line())
    graded = [r for r in run.results if r.status != "failed"]
    _say("")
    _say(say("course_cli.graded", graded=len(graded), total=len(run.results), seconds=f"{run.seconds:.0f}",
             workers=run.workers, mode=run.mode))
    if run.failed:
        detail = Path(lay.root) / ".genlab" / "autograde" / f"{args.assignment}-errors.log"
        detail.parent.mkdir(parents=True, exist_ok=True)
        detail.write_text("\n".join(log_lines), encoding="utf-8")
        _say(say("course_cli.not_graded", learners=", ".join(r.learner for r in run.failed), details=detail))
        _say(say("course_cli.fix_then", assignment=args.assignment))
        _say(say("course_cli.kept"))
        return 1
    manual = [r.learner for r in run.results if r.waiting_for_trainer]
    if manual:
        _say(say("course_cli.manual", count=len(manual)))
    _say(say("course_cli.next_feedback_run", assignment=args.assignment))
    return 0


def cmd_feedback(args) -> int:
    from genlab.course.grading.feedback import feedback

    out = feedback(args.assignment, args.course, args.learner, release=not args.no_release)
    _say(say("course_cli.feedback_pages", count=len(out["generated"]), folder=out["folder"]))
    if out["released"]:
        _say(say("course_cli.feedback_released", count=len(out["released"])))
    if out["not_released"] and not args.no_release:
        _say(say("course_cli.feedback_not_released", learners=", ".join(out["not_released"]), folder=out["folder"]))
    elif args.no_release:
        _say(say("course_cli.feedback_later", assignment=args.assignment))
    _say(say("course_cli.feedback_next"))
    return 0


def cmd_grade_all(args) -> int:
    _say(say("course_cli.step_collect", assignment=args.assignment))
    cmd_collect(args)
    _say(say("course_cli.step_autograde", assignment=args.assignment))
    code = _autograde(args)
    if code not in (0, 1):
        return code
    _say(say("course_cli.step_feedback", assignment=args.assignment))
    try:
        cmd_feedback(args)
    except nbgrader_ops.CourseError as err:
        _say(str(err))
        return 1
    _say(say("course_cli.grade_all_done"))
    return code


REPORT_FILES = ("progress.html", "progress.csv", "progress.xlsx", "progress.png", "progress.pdf")


def _clean_reports(folder: Path, words: list[str], args) -> list[str]:
    """A folder of `genlab report` / `genlab course certificates` outputs without the person: the
    report written again from the gradebook (in the language it was in), their certificate gone,
    their row out of certificates.csv, any other file that names them removed."""
    import csv as _csv
    import re

    from genlab.course.learners import mentions
    from genlab.course.progress.programme import load_programme_and_progress
    from genlab.course.progress.report import write_report

    done = []
    hit = mentions(folder, words)
    if any(p.name in REPORT_FILES for p in hit):
        old = folder / "progress.html"
        lang = None
        if old.is_file():
            found = re.search(r'<html lang="(\w\w)"', old.read_text(encoding="utf-8", errors="replace"))
            lang = found.group(1) if found else None
        for name in REPORT_FILES:
            (folder / name).unlink(missing_ok=True)
        programme, progress = load_programme_and_progress(getattr(args, "programme", None), args.course)
        write_report(progress, folder, programme=programme, lang=lang)
        done.append(say("course_cli.forget_report_rewritten", folder=folder))
    for p in mentions(folder, words):
        if p.suffix.lower() == ".csv":
            text = p.read_text(encoding="utf-8-sig")
            rows = list(_csv.reader(text.splitlines()))
            kept = [r for r in rows if not any(cell.strip() in words for cell in r)]
            with open(p, "w", encoding="utf-8", newline="") as f:
                _csv.writer(f).writerows(kept)
            if p not in mentions(folder, words):
                done.append(say("course_cli.forget_rows_removed", file=p, rows=len(rows) - len(kept)))
                continue
        p.unlink()
        done.append(say("course_cli.forget_file_removed", file=p))
    return done


def cmd_forget(args) -> int:
    from genlab.course.learners import forget_learner, forget_plan, mentions

    plan = forget_plan(args.id, args.course)
    who = plan["identity"]
    if not (plan["roster"] or plan["gradebook"] or plan["paths"]):
        _say(say("course_cli.forget_unknown", id=args.id))
        return 1
    reports = [Path(r).resolve() for r in (args.reports or [])] or [
        p for p in (Path.cwd() / "reports", plan["layout"].root / "reports") if p.is_dir()]
    _say(say("course_cli.forget_will", id=args.id, names=", ".join(who["names"]) or "-", emails=", ".join(who["emails"]) or "-"))
    for label, present in (("roster", plan["roster"]), ("gradebook", plan["gradebook"])):
        if present:
            _say("  - " + say(f"course_cli.forget_{label}"))
    for p in plan["paths"]:
        _say(f"  - {p}")
    for r in reports:
        _say("  - " + say("course_cli.forget_reports_in", folder=r))
    if not args.yes:
        answer = input(say("course_cli.forget_confirm", id=args.id) + " ").strip().lower()
        if answer not in ("y", "yes", "s", "si", "sí"):
            _say(say("course_cli.forget_cancelled"))
            return 1
    done = forget_learner(args.id, args.course)
    words = [w for w in (args.id, *who["names"], *who["emails"]) if w]
    for item in done["removed"]:
        _say(say("course_cli.forget_removed", item=item))
    for folder in reports:
        for line in _clean_reports(folder, words, args):
            _say(line)
    lay = done["layout"]
    left = mentions(lay.root, words) + (mentions(lay.exchange / lay.course_id, words) if (lay.exchange / lay.course_id).is_dir() else [])
    for folder in reports:
        left += mentions(folder, words)
    if left:
        _say(say("course_cli.forget_left", files="\n  ".join(str(p) for p in left)))
        return 1
    _say(say("course_cli.forget_done", id=args.id))
    return 0


def cmd_learners(args) -> int:
    from genlab.course.learners import add_learners, import_learners

    if args.learners_cmd == "forget":
        return cmd_forget(args)
    if args.learners_cmd == "add":
        out = add_learners([{"id": args.id, "name": args.name or "", "email": args.email or "", "team": args.team or ""}], args.course)
    elif args.learners_cmd == "import":
        out = import_learners(args.file, args.course)
    else:
        from genlab.course.learners import read_roster

        roster = read_roster(args.course)
        for r in roster.values():
            _say(f"{r['id']:<20} {r['name']:<30} {r['email']:<30} {r['team']}")
        _say(say("course_cli.roster_count", count=len(roster)))
        return 0
    _say(say("course_cli.learners_added", added=len(out["added"]), updated=len(out["updated"]), roster=out["roster"]))
    _say(say("course_cli.learners_next"))
    return 0


def cmd_check(args) -> int:
    from genlab.course.grading.check import main as check_main

    return check_main([args.notebook, "--cell-timeout", str(args.cell_timeout)])


# ---- parser -------------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`genlab course` and its commands, on the parser genlab's command tree gives it (or its own)."""
    from genlab.course.progress import certificates

    p.description = say("cli_help.course")
    p.set_defaults(run=run, course_parser=p)
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")

    def course_arg(sp):
        sp.add_argument("--course", help=help_text("cli_help.course_folder"))

    sp = sub.add_parser("status", help=help_text("cli_help.status"))
    course_arg(sp)
    sp.set_defaults(func=cmd_status)

    sp = sub.add_parser("release", help=help_text("cli_help.release"))
    sp.add_argument("assignment")
    course_arg(sp)
    sp.set_defaults(func=cmd_release)

    sp = sub.add_parser("collect", help=help_text("cli_help.collect"))
    sp.add_argument("assignment")
    course_arg(sp)
    sp.set_defaults(func=cmd_collect)

    def grading_args(sp):
        sp.add_argument("assignment")
        course_arg(sp)
        sp.add_argument("--learner", action="append", help=help_text("cli_help.only_learner"))
        sp.add_argument("--force", action="store_true", help=help_text("cli_help.force"))
        sp.add_argument("--workers", type=int, help=help_text("cli_help.workers"))
        sp.add_argument("--timeout", type=int, help=help_text("cli_help.timeout"))
        sp.add_argument("--notebook-timeout", type=int, help=help_text("cli_help.notebook_timeout"))
        sp.add_argument("--cpu-seconds", type=int, help=help_text("cli_help.cpu_seconds"))
        sp.add_argument("--memory-mb", type=int, help=help_text("cli_help.memory_mb"))
        sp.add_argument("--sandbox", choices=["zygote", "bwrap", "none"], help=help_text("cli_help.sandbox"))

    sp = sub.add_parser("autograde", help=help_text("cli_help.autograde"))
    grading_args(sp)
    sp.set_defaults(func=_autograde)

    sp = sub.add_parser("feedback", help=help_text("cli_help.feedback"))
    sp.add_argument("assignment")
    course_arg(sp)
    sp.add_argument("--learner", action="append", help=help_text("cli_help.only_learner"))
    sp.add_argument("--no-release", action="store_true", help=help_text("cli_help.feedback_no_release"))
    sp.set_defaults(func=cmd_feedback)

    sp = sub.add_parser("grade-all", help=help_text("cli_help.grade_all"))
    grading_args(sp)
    sp.add_argument("--no-release", action="store_true", help=help_text("cli_help.grade_all_no_release"))
    sp.set_defaults(func=cmd_grade_all)

    sp = sub.add_parser("learners", help=help_text("cli_help.learners"))
    lsub = sp.add_subparsers(dest="learners_cmd", metavar="ACTION")
    la = lsub.add_parser("add", help=help_text("cli_help.learners_add"))
    la.add_argument("id", help=help_text("cli_help.learners_id"))
    la.add_argument("--name")
    la.add_argument("--email")
    la.add_argument("--team")
    course_arg(la)
    li = lsub.add_parser("import", help=help_text("cli_help.learners_import"))
    li.add_argument("file")
    course_arg(li)
    ll = lsub.add_parser("list", help=help_text("cli_help.learners_list"))
    course_arg(ll)
    lf = lsub.add_parser("forget", help=help_text("cli_help.learners_forget"), description=say("cli_help.learners_forget"))
    lf.add_argument("id", help=help_text("cli_help.learners_forget_id"))
    lf.add_argument("--yes", action="store_true", help=help_text("cli_help.learners_forget_yes"))
    lf.add_argument("--reports", action="append", metavar="FOLDER", help=help_text("cli_help.learners_forget_reports"))
    lf.add_argument("--programme", help=help_text("cli_help.source_programme"))
    course_arg(lf)
    sp.set_defaults(func=cmd_learners, course=None)

    sp = sub.add_parser("check", help=help_text("cli_help.check"))
    sp.add_argument("notebook")
    sp.add_argument("--cell-timeout", type=int, default=180, help=help_text("cli_help.check_cell_timeout"))
    sp.set_defaults(func=cmd_check)

    certificates.add_arguments(
        sub.add_parser("certificates", help=help_text("cli_help.certificates"))
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="genlab course"))


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(sys.argv[1:] if argv is None else argv))


def run(args: argparse.Namespace) -> int:
    import warnings

    # nbgrader 0.9.6 + SQLAlchemy 2 print "SAWarning: Object of type <SubmittedAssignment> not in
    # session" on every autograde: harmless, and it buries the lines trainers need to read.
    warnings.filterwarnings("ignore", message=r".*not in session, add operation along.*")
    if not getattr(args, "func", None):
        args.course_parser.print_help()
        return 0
    if getattr(args, "course", None) is None and hasattr(args, "course"):
        args.course = None
    nbgrader_ops.absolute_paths(args)  # a relative --course means: from where the command started
    try:
        return int(args.func(args) or 0)
    except (nbgrader_ops.CourseError, ValueError, FileNotFoundError) as err:
        print(f"genlab course: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(say("course_cli.stopped"), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
