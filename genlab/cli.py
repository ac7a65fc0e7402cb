"""The `genlab` command. Each sub-command is a thin front end over the same library calls
that notebooks and apps use."""

from __future__ import annotations

import argparse
import importlib
import sys

# Sub-commands whose front end lives next to the code it drives: "module:function(argv) -> int".
DELEGATED = {
    "lab": ("genlab.ui.lab:main", "start JupyterLab on the course (lessons + assignments)"),
    "demo": ("genlab.ui.demo:main", "start a Gradio demo: studio, video, explorer, progress"),
    "report": ("genlab.course.progress.report:main", "the managers' progress report from the gradebook"),
    "course": ("genlab.course.cli:main", "run the graded course: release, collect, grade, feedback"),
    "tiny": ("genlab.tiny.cli:main", "train and evaluate the shipped tiny shapes-world models"),
    "hub": ("genlab.hub.cli:main", "the cohort's JupyterHub: setup, start, status, users sync"),
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

    for folder in fetch(args.profile):
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

    for name, (_, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        target, _ = DELEGATED[argv[0]]
        module, func = target.split(":")
        return int(getattr(importlib.import_module(module), func)(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
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
