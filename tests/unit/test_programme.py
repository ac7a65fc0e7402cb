"""The graded programme (workshops/programme.toml) and what belongs to each level (fast).

* programme.toml loads through genlab.course.programme.load_programme: levels 0-9 in order,
  one workshop per level named by its slug, sensible durations, dates and pass marks;
* every lesson notebooks/NN_slug.ipynb and every exercise exercises/source/NN_slug/ that exists
  has the lesson grammar (title, "**Teaching:** N min · **Exercises:** N min", Questions,
  Objectives, Key points; exercises also an instructor note), and belongs to the programme;
* the minutes each lesson states equal programme.toml's teaching_minutes / exercise_minutes;
* every trainer guide workshops/NN_slug.md that exists has the required sections;
* completeness: a level whose lesson exists also has its exercise and its guide.

Levels are being written one by one, so the checks run over what is on disk (new files are picked
up automatically); only the completeness rule ties the three parts of a level together.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import nbformat
import pytest

from genlab import settings
from genlab.course.progress.programme import Programme, load_programme

PROGRAMME_FILE = settings.WORKSHOPS_DIR / "programme.toml"
NOTEBOOKS_DIR = settings.NOTEBOOKS_DIR
SOURCE_DIR = settings.COURSE_DIR / "source"
WORKSHOPS_DIR = settings.WORKSHOPS_DIR

LEVELS = {  # level id → (slug, name): the names every part of the course uses
    "0": ("00_welcome", "Welcome"),
    "1": ("01_first_images", "First images"),
    "2": ("02_prompt_craft", "Prompt craft for brand work"),
    "3": ("03_under_the_hood", "Under the hood"),
    "4": ("04_editing", "Editing"),
    "5": ("05_brand_lora", "Brand style with LoRA"),
    "6": ("06_video", "Video"),
    "7": ("07_production", "Production workflow"),
    "8": ("08_responsible_use", "Responsible use"),
    "9": ("09_capstone", "Capstone"),
}
SLUGS = [slug for slug, _ in LEVELS.values()]
NUMBERED = re.compile(r"^\d\d_")

MINUTES = re.compile(r"\*\*Teaching:\*\*\s*(\d+)\s*min\b.{0,12}?\*\*Exercises:\*\*\s*(\d+)\s*min\b")
QUESTIONS = re.compile(r"^(\*\*Questions\*\*|#{2,4}\s*Questions\b)", re.M)
OBJECTIVES = re.compile(r"^(\*\*Objectives\*\*|#{2,4}\s*Objectives\b)", re.M)
KEY_POINTS = re.compile(r"^#{2,3}\s*Key points\b", re.M | re.I)
INSTRUCTOR_NOTE = re.compile(r"\*\*Instructor note", re.I)

# Trainer guides: each required part is a `##` heading containing one of these words.
GUIDE_SECTIONS = {
    "timing plan": r"timing",
    "objectives": r"objective",
    "setup checks": r"set[- ]?up",
    "live-demo cues": r"demo",
    "common errors": r"error|mistake",
    "rubric": r"rubric",
    "when a learner is stuck": r"stuck",
}


def _programme_toml() -> dict:
    return tomllib.loads(PROGRAMME_FILE.read_text(encoding="utf-8"))


def _workshops() -> dict[str, dict]:
    """slug → its [[workshops]] table (raw TOML, with the keys the loader ignores)."""
    return {w["assignment"]: w for w in _programme_toml()["workshops"]}


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _lessons() -> list[Path]:
    return sorted(p for p in NOTEBOOKS_DIR.glob("*.ipynb") if NUMBERED.match(p.name))


def _exercises() -> list[Path]:
    return sorted(p for p in SOURCE_DIR.glob("*") if p.is_dir() and NUMBERED.match(p.name))


def _guides() -> list[Path]:
    return sorted(p for p in WORKSHOPS_DIR.glob("*.md") if NUMBERED.match(p.name))


def _ids(p: Path) -> str:
    return p.stem if p.suffix else p.name


def _check_grammar(text: str, first_cell: str, where: str, *, exercise: bool) -> tuple[int, int]:
    """Assert the lesson grammar; return the (teaching, exercise) minutes it states."""
    assert re.match(r"#\s*\d+\s*[.·:-]?\s*\S", first_cell), f"{where}: the first cell is the title, '# N. Title'"
    m = MINUTES.search(text)
    assert m, f"{where}: missing the line '**Teaching:** N min · **Exercises:** N min'"
    assert QUESTIONS.search(text), f"{where}: missing **Questions**"
    assert OBJECTIVES.search(text), f"{where}: missing **Objectives**"
    assert KEY_POINTS.search(text), f"{where}: missing '## Key points'"
    if exercise:
        assert INSTRUCTOR_NOTE.search(text), f"{where}: missing a '> **Instructor note**' for trainers"
    return int(m.group(1)), int(m.group(2))


# ---- programme.toml ---------------------------------------------------------------------------
def test_programme_loads_with_ten_levels_in_order():
    prog = load_programme()
    assert isinstance(prog, Programme) and prog.path == PROGRAMME_FILE
    assert [lv.id for lv in prog.levels] == list(LEVELS)
    assert [lv.name for lv in prog.levels] == [name for _, name in LEVELS.values()]
    assert all(lv.required for lv in prog.levels), "every level counts for the certificate"
    assert prog.assignment_order() == SLUGS
    assert [it.level for it in prog.graded_items()] == list(LEVELS)
    assert prog.requirements() == {lid: [slug] for lid, (slug, _) in LEVELS.items()}
    assert prog.organisation and prog.signer and prog.place and prog.language in ("es", "en")


def test_pass_marks_are_percentages():
    prog = load_programme()
    assert prog.pass_mark == 70
    for it in prog.items:
        assert 50 <= it.pass_mark <= 100, it
    assert prog.pass_mark_for("00_welcome") == 50  # orientation
    assert prog.pass_mark_for("08_responsible_use") == 80
    assert prog.pass_mark_for("01_first_images") == 70


def test_schedule_is_weekly_and_due_dates_follow_sessions():
    prog = load_programme()
    items = prog.graded_items()
    assert items[0].date == dt.date(2027, 1, 11)
    for before, after in zip(items, items[1:]):
        assert after.date - before.date == dt.timedelta(days=7), (before.id, after.id)
    for it in items:
        assert it.date.weekday() == 0, f"{it.id}: sessions are on Mondays"
        assert it.date < it.due <= it.date + dt.timedelta(days=14), it.id


def test_minutes_fit_in_each_session():
    prog = load_programme()
    raw = _workshops()
    assert sorted(raw) == sorted(SLUGS)
    for it in prog.items:
        w = raw[it.assignment]
        teaching, exercises = w["teaching_minutes"], w["exercise_minutes"]
        assert type(teaching) is int and type(exercises) is int and teaching > 0 and exercises > 0
        assert it.hours is not None and teaching + exercises <= it.hours * 60, (
            f"{it.id}: {teaching} + {exercises} min do not fit in a {it.hours * 60:g}-minute session"
        )
    assert raw["01_first_images"]["teaching_minutes"] == 25 and raw["01_first_images"]["exercise_minutes"] == 20


# ---- what exists on disk belongs to the programme and follows the grammar ----------------------
def test_every_numbered_file_belongs_to_a_level():
    for path in [*_lessons(), *_exercises(), *_guides()]:
        assert _ids(path) in SLUGS, f"{path}: not a level of workshops/programme.toml (slugs: {SLUGS})"


@pytest.mark.parametrize("path", _lessons(), ids=_ids)
def test_lesson_grammar_and_minutes_match_the_programme(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    teaching, exercises = _check_grammar(_markdown(nb), first.source, path.name, exercise=False)
    w = _workshops()[path.stem]
    assert (teaching, exercises) == (w["teaching_minutes"], w["exercise_minutes"]), (
        f"{path.name} says {teaching} + {exercises} min; workshops/programme.toml says "
        f"{w['teaching_minutes']} + {w['exercise_minutes']} min: make them agree"
    )


@pytest.mark.parametrize("folder", _exercises(), ids=_ids)
def test_exercise_grammar(folder):
    notebooks = sorted(folder.glob("*.ipynb"))
    assert notebooks, f"{folder}: no notebook"
    nbs = [nbformat.read(p, as_version=4) for p in notebooks]
    first = nbs[0].cells[0]
    assert first.cell_type == "markdown"
    text = "\n".join(_markdown(nb) for nb in nbs)
    _check_grammar(text, first.source, folder.name, exercise=True)
    graded = [c for nb in nbs for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded, f"{folder.name}: no graded cells"


def _sections(text: str) -> dict[str, str]:
    """`##` heading → its text (up to the next `##` heading)."""
    parts = re.split(r"^##\s+(.+?)\s*$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@pytest.mark.parametrize("path", _guides(), ids=_ids)
def test_guide_has_the_required_sections(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# "), f"{path.name}: starts with a '# ' title"
    sections = _sections(text)
    for part, pattern in GUIDE_SECTIONS.items():
        found = [h for h in sections if re.search(pattern, h, re.I)]
        assert found, f"{path.name}: no '## ' heading for the {part} (headings: {list(sections)})"
        assert sections[found[0]].strip(), f"{path.name}: the '{found[0]}' section is empty"
    timing = next(body for h, body in sections.items() if re.search("timing", h, re.I))
    rows = [line for line in timing.splitlines() if line.strip().startswith("|")]
    assert len(rows) >= 4, f"{path.name}: the timing plan is a table of segments and minutes"
    assert re.search(r"\bmin", timing), f"{path.name}: the timing plan gives minutes"


# ---- completeness -----------------------------------------------------------------------------
@pytest.mark.parametrize("path", _lessons(), ids=_ids)
def test_a_level_with_a_lesson_has_its_exercise_and_guide(path):
    slug = path.stem
    exercise = SOURCE_DIR / slug
    guide = WORKSHOPS_DIR / f"{slug}.md"
    missing = [str(p.relative_to(settings.REPO_ROOT)) for p in (exercise, guide) if not p.exists()]
    assert not missing, f"level {slug} has a lesson but is missing: {missing}"
    assert list(exercise.glob("*.ipynb")), f"{exercise}: no notebook"


def test_the_first_levels_are_complete():
    for slug in ("00_welcome", "01_first_images"):
        assert (NOTEBOOKS_DIR / f"{slug}.ipynb").is_file(), slug
        assert (SOURCE_DIR / slug).is_dir(), slug
        assert (WORKSHOPS_DIR / f"{slug}.md").is_file(), slug
    for page in ("README.md", "preflight.md"):
        assert (WORKSHOPS_DIR / page).is_file(), page


def test_readme_table_states_the_programme_minutes():
    text = (WORKSHOPS_DIR / "README.md").read_text(encoding="utf-8")
    raw = _workshops()
    for slug in SLUGS:
        w = raw[slug]
        row = next((line for line in text.splitlines() if line.startswith("|") and f"`{slug}`" in line), None)
        assert row, f"workshops/README.md: no table row for `{slug}`"
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert str(w["teaching_minutes"]) in cells and str(w["exercise_minutes"]) in cells, row
