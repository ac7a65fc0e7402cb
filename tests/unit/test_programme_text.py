"""The programme's loose ends stay tied, in both languages (fast; no model, no kernel).

tests/unit/test_programme.py checks programme.toml, the lesson grammar and the lessons' minutes.
This file checks the text around them, where numbers and names drift when one file is edited and
its neighbours are not:

a. every exercise states the minutes of its level ("**Teaching:** T min · **Exercises:** E min" =
   teaching_minutes / exercise_minutes in workshops/programme.toml), and the Spanish rendering of
   every lesson and exercise states the same minutes ("**Enseñanza:** T min · **Ejercicios:** E min");
b. every pass mark a trainer guide states (workshops/*.md, workshops/es/*.md: "pass mark 70 %",
   "nota mínima 70 %", "para aprobar ... 70 %", a "pass mark" / "nota mínima" table column)
   equals the level's pass_mark, else the programme's; every level guide states its pass mark;
c. every workshops/X.md has its Spanish workshops/es/X.md with the same headings (number and
   levels, in order) and byte-identical fenced code blocks, so commands cannot drift between the
   languages; the same for notebooks/README.md and notebooks/README.es.md;
d. the check is `genlab.check()` everywhere: no "Validate" (nbgrader's button) or "Validar" in
   lessons, exercises (English and Spanish renderings), guides or READMEs; every exercise names
   `genlab.check()`;
e. the Spanish rendering of every lesson and exercise is complete (localize_notebook(strict=True))
   and has no English sentence left (english_in_notebook(...) == []).

Levels are translated one by one, so these tests name the file and the level that is behind.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

# the helpers and paths of the programme's own test (tests/unit is on sys.path when pytest collects it)
from test_programme import (
    LEVELS,
    MINUTES,
    NOTEBOOKS_DIR,
    NUMBERED,
    SLUGS,
    SOURCE_DIR,
    WORKSHOPS_DIR,
    _exercises,
    _ids,
    _lessons,
    _markdown,
    _programme_toml,
    _workshops,
)

from genlab import settings
from genlab.core import translations
from genlab.core.translations import english_in_notebook, localize_notebook

ES_WORKSHOPS_DIR = WORKSHOPS_DIR / "es"
REPO = settings.REPO_ROOT
MINUTES_ES = re.compile(r"\*\*Enseñanza:\*\*\s*(\d+)\s*min\b.{0,12}?\*\*Ejercicios:\*\*\s*(\d+)\s*min\b")


def _rel(path: Path) -> str:
    return str(Path(path).resolve().relative_to(REPO))


def _exercise_notebook(folder: Path) -> Path:
    notebooks = sorted(folder.glob("*.ipynb"))
    assert notebooks, f"{_rel(folder)}: no notebook"
    return notebooks[0]


def _first_markdown(nb) -> str:
    return next(c.source for c in nb.cells if c.cell_type == "markdown")


def _slug_of(path: Path) -> str:
    """The level slug a notebook belongs to (exercises/source/NN_slug/NN_slug.ipynb, notebooks/NN_slug.ipynb)."""
    return path.stem if NUMBERED.match(path.stem) else path.parent.name


# ---- a. minutes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("folder", _exercises(), ids=_ids)
def test_exercise_minutes_match_the_programme(folder):
    path = _exercise_notebook(folder)
    first = _first_markdown(nbformat.read(path, as_version=4))
    m = MINUTES.search(first)
    assert m, f"{_rel(path)}: the first cell has no '**Teaching:** T min · **Exercises:** E min' line"
    w = _workshops()[folder.name]
    stated = (int(m.group(1)), int(m.group(2)))
    assert stated == (w["teaching_minutes"], w["exercise_minutes"]), (
        f"{_rel(path)} says {stated[0]} + {stated[1]} min; workshops/programme.toml says "
        f"{w['teaching_minutes']} + {w['exercise_minutes']} min for level {folder.name}: make them agree"
    )


@pytest.mark.parametrize("path", translations.source_notebooks(), ids=translations.domain_for)
def test_spanish_rendering_states_the_same_minutes(path):
    es = localize_notebook(nbformat.read(path, as_version=4), "es")
    first = _first_markdown(es)
    m = MINUTES_ES.search(first)
    assert m, (
        f"{_rel(path)} in Spanish: the first cell has no '**Enseñanza:** T min · **Ejercicios:** E min' line "
        f"({translations.domain_for(path)}.po: translate the first cell)"
    )
    w = _workshops()[_slug_of(path)]
    stated = (int(m.group(1)), int(m.group(2)))
    assert stated == (w["teaching_minutes"], w["exercise_minutes"]), (
        f"{_rel(path)} in Spanish says {stated[0]} + {stated[1]} min; workshops/programme.toml says "
        f"{w['teaching_minutes']} + {w['exercise_minutes']} min"
    )


# ---- b. pass marks ------------------------------------------------------------------------------
_GAP = r"[^.;\d|]{0,40}?"  # within one clause: no full stop, no table cell, no other number
_PASS_WORDS = (
    r"pass(?:ing)?[ -](?:mark|score|grade)|to pass|pass(?:es|ed)? (?:with|at)"
    r"|nota m[ií]nima|calificaci[oó]n m[ií]nima|puntaje m[ií]nimo|apr(?:ob|ueb)\w*"
)
PASS_MARK_BEFORE = re.compile(rf"\b(?:{_PASS_WORDS})(?::\s*)?{_GAP}(\d{{1,3}})\s*%", re.IGNORECASE)
PASS_MARK_AFTER = re.compile(rf"(\d{{1,3}})\s*%[^.;:\d|%()\n]{{0,25}}?\b(?:{_PASS_WORDS})", re.IGNORECASE)
PASS_MARK_COLUMN = re.compile(rf"^(?:{_PASS_WORDS})$", re.IGNORECASE)


def _pass_marks() -> tuple[int, dict[str, int]]:
    """(the programme's pass mark, slug → the pass mark of its level)."""
    raw = _programme_toml()
    default = raw["programme"]["pass_mark"]
    by_level = {lv["id"]: lv.get("pass_mark", default) for lv in raw["levels"]}
    return default, {w["assignment"]: by_level[w["level"]] for w in raw["workshops"]}


def _guide_pages() -> list[Path]:
    return sorted([*WORKSHOPS_DIR.glob("*.md"), *ES_WORKSHOPS_DIR.glob("*.md")])


def _page_id(path: Path) -> str:
    return _rel(path).removeprefix("workshops/")


def _without_code(text: str) -> str:
    """The text with fenced code blocks blanked (line numbers kept)."""
    lines = text.splitlines()
    for start, end in _fence_spans(lines):
        for i in range(start, end + 1):
            lines[i] = ""
    return "\n".join(lines)


def stated_pass_marks(text: str, page_slug: str | None) -> list[tuple[str, int, str]]:
    """Every pass mark a page states: (slug it belongs to, or "" for the programme's; percent; where).

    A mark belongs to the level whose slug is named on the same line (a table row, "`08_responsible_use`
    ... pass mark 80 %"), else to the page's own level (workshops/NN_slug.md), else to the programme.
    """
    found = []
    lines = _without_code(text).splitlines()
    column = None  # in a table: the index of its "pass mark" / "nota mínima" column
    for n, line in enumerate(lines, start=1):
        named = [s for s in SLUGS if s in line]
        owner = named[0] if len(named) == 1 else (page_slug or "")
        if line.lstrip().startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            headers = [i for i, c in enumerate(cells) if PASS_MARK_COLUMN.match(c.strip("* "))]
            if headers:
                column = headers[0]
                continue
            if column is not None and column < len(cells) and re.fullmatch(r"\d{1,3}\s*%?", cells[column]):
                found.append((owner, int(cells[column].rstrip("% ")), f"line {n}: {line.strip()[:90]}"))
        else:
            column = None
    # prose: a pass-mark word and a percent in one clause (lines joined: guides wrap at ~100 chars)
    prose = "\n".join("" if ln.lstrip().startswith("|") else ln for ln in lines)
    seen = set()  # the offset of each percent found: one mark, one entry
    for rx in (PASS_MARK_BEFORE, PASS_MARK_AFTER):
        for m in rx.finditer(prose):
            if m.start(1) in seen:
                continue
            seen.add(m.start(1))
            n = prose.count("\n", 0, m.start()) + 1
            span = prose[prose.rfind("\n", 0, m.start()) + 1: prose.find("\n", m.end()) if "\n" in prose[m.end():] else None]
            named = [s for s in SLUGS if s in span]
            owner = named[0] if len(named) == 1 else (page_slug or "")
            found.append((owner, int(m.group(1)), f"line {n}: {' '.join(m.group(0).split())[:90]}"))
    return found


@pytest.mark.parametrize("path", _guide_pages(), ids=_page_id)
def test_guides_state_the_programme_pass_marks(path):
    default, by_slug = _pass_marks()
    page_slug = path.stem if path.stem in by_slug else None
    stated = stated_pass_marks(path.read_text(encoding="utf-8"), page_slug)
    wrong = [
        f"{where}: says {value} %, programme.toml says {by_slug.get(owner, default)} %"
        + (f" (level {owner})" if owner else " (the programme's pass mark)")
        for owner, value, where in stated
        if value != by_slug.get(owner, default)
    ]
    assert not wrong, f"workshops/{_page_id(path)}: pass marks that disagree with workshops/programme.toml:\n" + "\n".join(wrong)
    if page_slug:
        assert stated, f"workshops/{_page_id(path)}: a level guide states its pass mark ({by_slug[page_slug]} %)"


def test_pass_mark_finder_reads_both_languages():
    """The finder above sees the ways guides write a pass mark (so test (b) cannot pass by missing them)."""
    en = "`08_responsible_use` (10 points; pass mark 80 %) · session 90 min.\nTo pass they need 70% of the points."
    es = "(10 puntos; nota mínima 80 %)\nPara aprobar el nivel: 60 % de los puntos.\nSe aprueba con 70 %."
    table = "| level | slug | pass mark |\n|---|---|---|\n| 8 | `08_responsible_use` | 80 |\n| 9 | `09_capstone` | 60 |"
    tabla = "| nivel | nota mínima |\n|---|---|\n| 0 | 50 |"
    assert [(o, v) for o, v, _ in stated_pass_marks(en, None)] == [("08_responsible_use", 80), ("", 70)]
    assert sorted(v for _, v, _ in stated_pass_marks(es, "09_capstone")) == [60, 70, 80]
    assert [(o, v) for o, v, _ in stated_pass_marks(table, None)] == [("08_responsible_use", 80), ("09_capstone", 60)]
    assert [(o, v) for o, v, _ in stated_pass_marks(tabla, "00_welcome")] == [("00_welcome", 50)]
    assert stated_pass_marks("object green 41% (world 80%); 100% of the pixels", "08_responsible_use") == []


# ---- c. every guide in both languages, same structure, same commands ------------------------------
def _fence_spans(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line index of each fenced code block (CommonMark: a fence closes with the same
    character, at least as long, and no info string)."""
    spans, open_at, fence = [], None, ""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if open_at is None:
            m = re.match(r"^(`{3,}|~{3,})(.*)$", stripped)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                open_at, fence = i, m.group(1)
        else:
            m = re.match(r"^(`{3,}|~{3,})\s*$", stripped)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                spans.append((open_at, i))
                open_at = None
    if open_at is not None:
        spans.append((open_at, len(lines) - 1))
    return spans


def code_blocks(text: str) -> list[str]:
    lines = text.splitlines()
    return ["\n".join(lines[a: b + 1]) for a, b in _fence_spans(lines)]


def heading_levels(text: str) -> list[int]:
    return [len(m.group(1)) for m in re.finditer(r"^(#{1,6})\s+\S", _without_code(text), re.MULTILINE)]


def _english_pages() -> list[Path]:
    return sorted(WORKSHOPS_DIR.glob("*.md"))


def _assert_same_structure(en_path: Path, es_path: Path) -> None:
    assert es_path.is_file(), f"{_rel(en_path)} has no Spanish version {_rel(es_path)}"
    en, es = en_path.read_text(encoding="utf-8"), es_path.read_text(encoding="utf-8")
    en_h, es_h = heading_levels(en), heading_levels(es)
    assert en_h == es_h, (
        f"{_rel(es_path)}: headings differ from {_rel(en_path)} (levels in order: en {en_h}, es {es_h}); "
        "translate every heading, in the same order"
    )
    en_code, es_code = code_blocks(en), code_blocks(es)
    assert len(en_code) == len(es_code), (
        f"{_rel(es_path)} has {len(es_code)} code blocks, {_rel(en_path)} has {len(en_code)}"
    )
    for i, (a, b) in enumerate(zip(en_code, es_code), start=1):
        assert a == b, f"code block {i} differs between {_rel(en_path)} and {_rel(es_path)}:\n--- en\n{a}\n--- es\n{b}"


@pytest.mark.parametrize("path", _english_pages(), ids=lambda p: p.name)
def test_every_guide_has_a_spanish_twin_with_the_same_headings_and_commands(path):
    _assert_same_structure(path, ES_WORKSHOPS_DIR / path.name)


def test_no_spanish_guide_without_its_english_source():
    orphans = [p.name for p in ES_WORKSHOPS_DIR.glob("*.md") if not (WORKSHOPS_DIR / p.name).is_file()]
    assert not orphans, f"workshops/es/ pages with no English source in workshops/: {orphans}"


def test_lessons_readme_has_a_spanish_twin():
    _assert_same_structure(NOTEBOOKS_DIR / "README.md", NOTEBOOKS_DIR / "README.es.md")


def test_structure_helpers_see_nested_fences_and_skip_code_comments():
    text = "# T\n\n````markdown\n```python\n# not a heading\n```\n````\n\n## A\n\n```bash\nmake lab\n```\n"
    assert heading_levels(text) == [1, 2]
    assert code_blocks(text) == ["````markdown\n```python\n# not a heading\n```\n````", "```bash\nmake lab\n```"]


# ---- d. the check is genlab.check() ----------------------------------------------------------------
VALIDATE = re.compile(r"\b(?:validate|validar|valida)\b", re.IGNORECASE)


def _notebook_texts() -> list[tuple[str, str]]:
    """(where, markdown) of every lesson and exercise, as written and as rendered in Spanish."""
    out = []
    for path in translations.source_notebooks():
        nb = nbformat.read(path, as_version=4)
        out.append((_rel(path), _markdown(nb)))
        out.append((f"{_rel(path)} (es)", _markdown(localize_notebook(nb, "es"))))
    return out


def _page_texts() -> list[tuple[str, str]]:
    pages = [REPO / "README.md", *sorted(NOTEBOOKS_DIR.glob("README*.md")), *_guide_pages()]
    return [(_rel(p), p.read_text(encoding="utf-8")) for p in pages if p.is_file()]


def test_no_validate_button_anywhere():
    found = []
    for where, text in [*_notebook_texts(), *_page_texts()]:
        for n, line in enumerate(text.splitlines(), start=1):
            if VALIDATE.search(line):
                found.append(f"{where}, line {n}: {line.strip()[:100]}")
    assert not found, (
        "The check is `genlab.check()` (nbgrader's Validate button freezes the server for everyone): "
        "say that instead of Validate/Validar in:\n" + "\n".join(found)
    )


@pytest.mark.parametrize("folder", _exercises(), ids=_ids)
def test_every_exercise_names_genlab_check(folder):
    path = _exercise_notebook(folder)
    nb = nbformat.read(path, as_version=4)
    assert "genlab.check()" in _markdown(nb), (
        f"{_rel(path)}: the instructions must say how to check before submitting: `genlab.check()`"
    )
    es = localize_notebook(nb, "es")
    assert "genlab.check()" in _markdown(es), f"{_rel(path)} in Spanish: the instructions do not name `genlab.check()`"


# ---- e. the Spanish renderings are whole ---------------------------------------------------------------
@pytest.mark.parametrize("path", translations.source_notebooks(), ids=translations.domain_for)
def test_spanish_rendering_is_complete_and_has_no_english(path):
    domain = translations.domain_for(path)
    nb = nbformat.read(path, as_version=4)
    try:
        es = localize_notebook(nb, "es", strict=True, domain=domain)
    except translations.TranslationError as err:
        pytest.fail(f"{_rel(path)}: {err}")
    english = english_in_notebook(es)
    assert english == [], (
        f"{_rel(path)} in Spanish still reads English in {len(english)} place(s) "
        f"(assets/locale/es/LC_MESSAGES/{domain}.po):\n" + "\n".join(english[:15])
    )


def test_every_level_has_its_two_notebooks_in_the_translation_set():
    """(e) covers every level: each lesson and exercise is a source notebook with a catalogue."""
    sources = {translations.domain_for(p) for p in translations.source_notebooks()}
    for slug in SLUGS:
        for domain in (f"lesson-{slug}", f"exercise-{slug}"):
            assert domain in sources, f"{domain}: no source notebook"
            assert translations.catalogue_path(domain, "es").is_file(), f"{domain}: no es catalogue"
    assert len(LEVELS) == len(SLUGS) == 10
    assert all(p.is_file() for p in _lessons()) and SOURCE_DIR.is_dir()
