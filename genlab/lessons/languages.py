"""The lessons in the learner's language, and `genlab i18n` for the people who write them.

Learners: `genlab lab --lang es` (or en) keeps the choice and puts the lessons, rendered in that
language, in ``my-lessons/`` (on the cohort hub: ``~/lessons``). A lesson the learner already
opened and changed is never overwritten; a new version of it goes next to it.

Authors and translators (see genlab.core.translations for the files)::

    genlab i18n update            every notebook's texts into its PO file (new texts empty, changed ones fuzzy)
    genlab i18n check             what is not translated yet (exit 1 if anything)
    genlab i18n render NOTEBOOK --lang es [--out FILE]   one notebook rendered, to look at
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from genlab import settings
from genlab.core import translations
from genlab.core.i18n import LANGUAGES, current_language, save_language, say

LEARNER_LESSONS = settings.REPO_ROOT / "my-lessons"
_RECORD = ".genlab-rendered.json"  # what each rendered file looked like when genlab wrote it


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render_lessons(dest: str | Path = LEARNER_LESSONS, lang: str | None = None, sources: list[Path] | None = None) -> list[Path]:
    """Write every lesson in `lang` into `dest`; returns the files written.

    A file genlab wrote before is replaced only while the learner has not changed it; otherwise
    the new rendering is saved next to it as ``NAME (new).ipynb`` and the learner's copy stays.
    """
    import nbformat

    lang = lang or current_language()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    record_path = dest / _RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    written = []
    lessons = sources if sources is not None else sorted(Path(translations.LESSONS_DIR).glob("[0-9][0-9]_*.ipynb"))
    for source in lessons:
        nb = translations.localize_notebook(nbformat.read(source, as_version=4), lang)
        text = nbformat.writes(nb)
        target = dest / source.name
        if target.is_file():
            if target.read_text(encoding="utf-8") == text:
                continue
            if record.get(source.name) != _digest(target):  # the learner's own version: keep it
                target = dest / f"{source.stem} (new){source.suffix}"
        target.write_text(text, encoding="utf-8")
        if target.name == source.name:
            record[source.name] = _digest(target)
        written.append(target)
    record_path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return written


# ---- genlab i18n --------------------------------------------------------------------------------------
def _chosen(names: list[str]) -> list[Path]:
    every = translations.source_notebooks()
    if not names:
        return every
    chosen = [p for p in every if p.stem in names or p.name in names or str(p) in names
              or f"{translations.domain_for(p)}" in names]
    if not chosen:
        raise SystemExit(f"genlab i18n: no notebook called {', '.join(names)}.")
    return chosen


def _update(args) -> int:
    total = 0
    for notebook in _chosen(args.notebooks):
        path, todo = translations.update_catalogue(notebook, args.lang)
        total += todo
        print(f"{path.relative_to(settings.REPO_ROOT)}: {todo} to translate" if todo else f"{path.name}: complete")
    print(f"{total} texts need a translator." if total else "Every text is translated.")
    return 0


def _check(args) -> int:
    bad = 0
    for notebook in _chosen(args.notebooks):
        todo = translations.missing(notebook, args.lang)
        if todo:
            bad += len(todo)
            print(f"{notebook.relative_to(settings.REPO_ROOT)}: {len(todo)} untranslated or fuzzy")
            for item in todo[: args.show]:
                print("   ", item)
    if bad:
        print(f"{bad} texts need a translator: edit the PO files in {translations.LOCALE_DIR} (Poedit reads them), "
              "then run `genlab i18n check` again.")
        return 1
    print("Every lesson and exercise is complete in", args.lang)
    return 0


def _render(args) -> int:
    import nbformat

    source = Path(args.notebook)
    if not source.is_file():
        matches = [p for p in translations.source_notebooks() if p.stem == args.notebook or p.name == args.notebook]
        if not matches:
            print(f"genlab i18n render: no notebook called {args.notebook!r}.", file=sys.stderr)
            return 2
        source = matches[0]
    nb = translations.localize_notebook(nbformat.read(source, as_version=4), args.lang, domain=source.name)
    out = Path(args.out) if args.out else Path(f"{source.stem}.{args.lang}.ipynb")
    nbformat.write(nb, out)
    print(out)
    return 0


def _lessons(args) -> int:
    if args.lang:  # the learner's choice, kept: fetched exercises and checks follow it too
        save_language(args.lang)
    written = render_lessons(args.to, args.lang)
    print(say("lessons.rendered", count=len(written), folder=str(Path(args.to).resolve())))
    return 0


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    sub = p.add_subparsers(dest="i18n_command", metavar="ACTION", required=True)
    u = sub.add_parser("update", help="put every notebook's texts into its PO file (new empty, changed fuzzy)")
    u.add_argument("--lang", default="es", choices=[x for x in LANGUAGES if x != translations.SOURCE_LANGUAGE])
    u.add_argument("notebooks", nargs="*", help="only these (names such as 01_first_images, or lesson-01_first_images)")
    u.set_defaults(run=_update)
    c = sub.add_parser("check", help="list the texts that are not translated yet (exit 1 if any)")
    c.add_argument("--lang", default="es", choices=[x for x in LANGUAGES if x != translations.SOURCE_LANGUAGE])
    c.add_argument("--show", type=int, default=5, help="how many texts to list per notebook")
    c.add_argument("notebooks", nargs="*", help="only these (names such as 01_first_images)")
    c.set_defaults(run=_check)
    r = sub.add_parser("render", help="write one notebook in a language, to look at")
    r.add_argument("notebook", help="a path, or a name such as 01_first_images")
    r.add_argument("--lang", default="es", choices=LANGUAGES)
    r.add_argument("--out")
    r.set_defaults(run=_render)
    s = sub.add_parser("lessons", help="put the lessons, in a language, into a folder (what `genlab lab` does); "
                       "--lang also keeps the choice for exercises and checks")
    s.add_argument("--lang", choices=LANGUAGES, default=None)
    s.add_argument("--to", default=str(LEARNER_LESSONS))
    s.set_defaults(run=_lessons)
    return p


def run(args: argparse.Namespace) -> int:
    return args.run(args)


def main(argv: list[str] | None = None) -> int:
    return run(add_arguments(argparse.ArgumentParser(prog="genlab i18n")).parse_args(argv))
