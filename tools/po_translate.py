"""Fill a notebook's Spanish catalogue from a Python file a translator (or a helper) edits.

    python tools/po_translate.py dump exercise-00_welcome > /tmp/ex00_es.py   # every entry, todo first
    python tools/po_translate.py dump exercise-00_welcome --todo > /tmp/ex00_es.py
    (edit the file: each English text maps to its Spanish; leave a value "" to skip it)
    python tools/po_translate.py apply /tmp/ex00_es.py

The file defines DOMAIN (the PO file's name) and TRANSLATIONS, a dict {English: Spanish}. Keys must
be the exact English of the entry (the dump writes them with repr(), so copy them as they are).
Applying sets each entry's translation and clears its fuzzy mark. Run `genlab i18n update` first
when the English changed, and `genlab i18n check` after.
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.pofile import read_po, write_po

from genlab.core import translations


def _load(domain: str):
    path = translations.catalogue_path(domain, "es")
    with open(path, "rb") as f:
        return path, read_po(f, locale="es_MX", domain=domain)


def dump(domain: str, todo_only: bool = False) -> str:
    _path, cat = _load(domain)
    out = [f"DOMAIN = {domain!r}", "", "TRANSLATIONS = {"]
    for m in cat:
        if not m.id:
            continue
        todo = (not m.string) or m.fuzzy
        if todo_only and not todo:
            continue
        where = ", ".join(f"{f}:{n}" for f, n in m.locations if f) if m.locations else ""
        note = " (FUZZY: the old Spanish is below, fix it)" if m.fuzzy else ""
        out.append(f"    # {where}{note}")
        out.append(f"    {m.id!r}:")
        out.append(f"        {m.string!r}," if m.string else '        "",')
    out.append("}")
    return "\n".join(out) + "\n"


def apply(path: str) -> int:
    data = runpy.run_path(path)
    domain, table = data["DOMAIN"], data["TRANSLATIONS"]
    po_path, cat = _load(domain)
    done, unknown = 0, []
    for english, spanish in table.items():
        if not spanish:
            continue
        m = cat.get(english)
        if m is None:
            unknown.append(english[:70])
            continue
        m.string = spanish.strip("\n") if english == english.strip("\n") else spanish
        m.flags.discard("fuzzy")
        m.previous_id = []
        done += 1
    with open(po_path, "wb") as f:
        write_po(f, cat, width=100, include_previous=True)
    print(f"{po_path.name}: {done} entries set")
    for u in unknown:
        print("  not in the catalogue (English changed? run genlab i18n update):", repr(u))
    return 1 if unknown else 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "dump":
        sys.stdout.write(dump(sys.argv[2], "--todo" in sys.argv))
    elif len(sys.argv) == 3 and sys.argv[1] == "apply":
        sys.exit(apply(sys.argv[2]))
    else:
        print(__doc__)
        sys.exit(2)
