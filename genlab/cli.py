"""The `genlab` command: one argparse tree. Each sub-command is a thin front end over the same
library calls that notebooks and apps use; `genlab --help`, `genlab course --help`,
`genlab course certificates --help` all come from this one parser."""

from __future__ import annotations

import argparse
import importlib
import sys

# The branches of the command tree whose options live next to the code they drive: each module's
# `add_arguments(parser)` fills its branch and sets `run` (its `main(argv)` runs it alone). The
# second item is the key of its one-line help in assets/i18n (`--help` speaks the reader's language).
BRANCHES = {
    "lab": ("genlab.ui.lab", "cli_help.branch_lab"),
    "demo": ("genlab.ui.demo", "cli_help.branch_demo"),
    "report": ("genlab.course.progress.report", "cli_help.branch_report"),
    "course": ("genlab.course.cli", "cli_help.branch_course"),
    "hub": ("genlab.hub.cli", "cli_help.branch_hub"),
    "tiny": ("genlab.tiny.cli", "cli_help.branch_tiny"),
    "i18n": ("genlab.lessons.languages", "cli_help.branch_i18n"),
    "committee": ("genlab.lessons.review", "cli_help.branch_committee"),
}


def _doctor(args) -> int:
    from genlab.core.doctor import doctor

    report = doctor()
    if args.json:
        import json

        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        print(report)
    return 0


def _fetch(args) -> int:
    from genlab.core.pipelines import fetch

    for folder in fetch(args.profile, controls=args.control, upscaler=args.upscaler, reference=args.reference):
        print(f"ready: {folder}")
    print(f"Done. Use it with GENLAB_PROFILE={args.profile} (or profile='{args.profile}').")
    return 0


def _generate(args) -> int:
    from genlab.core.generation import generate

    result = generate(
        args.prompt,
        negative_prompt=args.negative_prompt,
        seed=args.seed,
        steps=args.steps,
        guidance=args.guidance,
        n=args.n,
        profile=args.profile,
        sampler=args.sampler,
    )
    for path in result.save(args.out):
        print(path)
    return 0


def _deliver(args) -> int:
    from genlab.core.delivery import NotDeliverable, deliver
    from genlab.core.i18n import UserError, current_language

    try:
        deliver(args.campaign, out=args.out, cert=args.cert, key=args.key)
    except NotDeliverable as err:
        print(err.message(current_language()), file=sys.stderr)
        return 1
    except UserError as err:
        print(f"genlab: {err.message(current_language())}", file=sys.stderr)
        return 2
    return 0


def _verify(args) -> int:
    from genlab.core.i18n import UserError, current_language
    from genlab.core.provenance import explain, verify

    code = 0
    for path in args.file:
        try:
            found = verify(path)
        except UserError as err:
            print(f"genlab: {err.message(current_language())}", file=sys.stderr)
            code = 2
            continue
        if args.json:
            import json

            print(json.dumps(found.as_dict(), indent=2, ensure_ascii=False, default=str))
        else:
            print(explain(found))
        if found.changed or (found.manifest and found.state == "Invalid" and not found.untrusted):
            code = max(code, 1)
    return code


def build_parser() -> argparse.ArgumentParser:
    from genlab.core.i18n import help_text, say

    parser = argparse.ArgumentParser(prog="genlab", description=say("cli_help.genlab"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("doctor", help=help_text("cli_help.doctor"))
    p.add_argument("--json", action="store_true", help=help_text("cli_help.doctor_json"))
    p.set_defaults(func=_doctor)

    p = sub.add_parser("fetch", help=help_text("cli_help.fetch"))
    p.add_argument("profile", help=help_text("cli_help.fetch_profile"))
    p.add_argument("--control", action="append", metavar="CONDITION", help=help_text("cli_help.fetch_control"))
    p.add_argument("--upscaler", action="store_true", help=help_text("cli_help.fetch_upscaler"))
    p.add_argument("--reference", action="store_true", help=help_text("cli_help.fetch_reference"))
    p.set_defaults(func=_fetch)

    p = sub.add_parser("generate", help=help_text("cli_help.generate"))
    p.add_argument("prompt")
    p.add_argument("--negative-prompt")
    p.add_argument("--seed", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--guidance", type=float)
    p.add_argument("-n", type=int, default=1, help=help_text("cli_help.generate_n"))
    p.add_argument("--profile")
    p.add_argument("--sampler")
    p.add_argument("--out", default="outputs", help=help_text("cli_help.generate_out"))
    p.set_defaults(func=_generate)

    p = sub.add_parser("deliver", help=help_text("cli_help.deliver"), description=say("cli_help.deliver"))
    p.add_argument("campaign", help=help_text("cli_help.deliver_campaign"))
    p.add_argument("--out", help=help_text("cli_help.deliver_out"))
    p.add_argument("--cert", help=help_text("cli_help.deliver_cert"))
    p.add_argument("--key", help=help_text("cli_help.deliver_key"))
    p.set_defaults(func=_deliver)

    p = sub.add_parser("verify", help=help_text("cli_help.verify"), description=say("cli_help.verify"))
    p.add_argument("file", nargs="+", help=help_text("cli_help.verify_file"))
    p.add_argument("--json", action="store_true", help=help_text("cli_help.verify_json"))
    p.set_defaults(func=_verify)

    for name, (module, help_key) in BRANCHES.items():
        importlib.import_module(module).add_arguments(sub.add_parser(name, help=help_text(help_key)))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["tiny"] and argv[1:2] == ["train"]:  # the standalone trainer parses its own words
        from genlab.tiny import cli as tiny_cli

        return tiny_cli.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None):  # a branch: its module runs it (and explains its own errors)
        return int(args.run(args) or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except Exception as err:  # a clear message, not a traceback, for the errors we explain
        from genlab.core.pipelines import ModelNotFoundError
        from genlab.core.profiles import ProfileError

        if isinstance(err, (ModelNotFoundError, ProfileError, ValueError, TypeError, RuntimeError)):
            print(f"genlab: {err}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
