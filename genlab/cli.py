"""The `genlab` command: one argparse tree. Each sub-command is a thin front end over the same
library calls that notebooks and apps use; `genlab --help`, `genlab course --help`,
`genlab course certificates --help` all come from this one parser."""

from __future__ import annotations

import argparse
import importlib
import sys

# The branches of the command tree whose options live next to the code they drive: each module's
# `add_arguments(parser)` fills its branch and sets `run` (its `main(argv)` runs it alone).
BRANCHES = {
    "lab": ("genlab.ui.lab", "start JupyterLab on the course (lessons + assignments)"),
    "demo": ("genlab.ui.demo", "start a Gradio demo: studio, video, explorer, progress"),
    "report": ("genlab.course.progress.report", "the managers' progress report from the gradebook"),
    "course": ("genlab.course.cli", "run the graded course: release, collect, grade, feedback"),
    "hub": ("genlab.hub.cli", "the cohort's JupyterHub on this machine: setup, start, status, users sync"),
    "tiny": ("genlab.tiny.cli", "train and evaluate the shipped tiny shapes-world models"),
    "i18n": ("genlab.lessons.languages", "lessons and exercises in es-MX and English: update, check, render"),
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

    for folder in fetch(args.profile, controls=args.control):
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genlab", description="genlab: learn generative image and video AI by doing.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("doctor", help="what this machine can run, and which profile to use")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_doctor)

    p = sub.add_parser("fetch", help="download a profile's model from the Hugging Face Hub (needs internet)")
    p.add_argument("profile", help="a profile name from assets/models.toml, e.g. sd15")
    p.add_argument("--control", action="append", metavar="CONDITION",
                   help="also fetch the profile's ControlNet for this condition (repeatable; 'all' for every one), e.g. --control canny")
    p.set_defaults(func=_fetch)

    p = sub.add_parser("generate", help="make pictures from a prompt and save them with their recipes")
    p.add_argument("prompt")
    p.add_argument("--negative-prompt")
    p.add_argument("--seed", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--guidance", type=float)
    p.add_argument("-n", type=int, default=1, help="how many pictures")
    p.add_argument("--profile")
    p.add_argument("--sampler")
    p.add_argument("--out", default="outputs", help="a folder, or a .png file name")
    p.set_defaults(func=_generate)

    for name, (module, help_text) in BRANCHES.items():
        importlib.import_module(module).add_arguments(sub.add_parser(name, help=help_text))
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
