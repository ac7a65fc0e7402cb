"""A small nbgrader course with a gradebook in every state, for the progress tests (report,
dashboard, certificates, the progress app). Built with nbgrader's own Gradebook API."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

A1, A2 = "01_first_images", "02_prompts"
NB1, NB2 = "first_images", "prompts"
DUE1 = dt.datetime(2026, 11, 20, 23, 59)


def _grade(gb, cell, nb, assignment, learner, *, auto=None, manual=None, needs_manual=False):
    grade = gb.find_grade(cell, nb, assignment, learner)
    grade.auto_score = auto
    grade.manual_score = manual
    grade.needs_manual_grade = needs_manual
    gb.db.commit()


def new_gradebook(db: Path):
    """nbgrader's Gradebook on a new file. Creating one shells out to `alembic`, which is only on
    PATH when the venv is activated: put the running interpreter's bin/ first."""
    from nbgrader.api import Gradebook

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        return Gradebook(f"sqlite:///{db}")


def build_course(root: Path) -> Path:
    """A course folder with a gradebook holding every case the report must tell apart."""
    root.mkdir(parents=True, exist_ok=True)
    with new_gradebook(root / "gradebook.db") as gb:
        gb.add_assignment(A1, duedate=DUE1)
        gb.add_notebook(NB1, A1)
        gb.add_grade_cell("test_seed", NB1, A1, max_score=3, cell_type="code")
        gb.add_grade_cell("test_size", NB1, A1, max_score=2, cell_type="code")
        gb.add_grade_cell("describe", NB1, A1, max_score=5, cell_type="markdown")  # graded by hand
        gb.add_assignment(A2)
        gb.add_notebook(NB2, A2)
        gb.add_grade_cell("test_prompt", NB2, A2, max_score=4, cell_type="code")

        gb.add_student("ana", first_name="Ana", last_name="Álvarez", email="ana@example.mx")
        gb.add_student("beto", first_name="Beto", last_name="Barrios")
        gb.add_student("carla", first_name="Carla", last_name="Cruz")
        gb.add_student("dani", first_name="Daniela", last_name="Díaz")
        gb.add_student("eli", first_name="Eli", last_name="Estrada")
        gb.add_student("jose", first_name="José", last_name="Núñez")

        # Ana: fully graded, 3 + 2 + 4 = 9 of 10; and 4 of 4 on A2.
        gb.add_submission(A1, "ana", timestamp="2026-11-19 23:30:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "ana", auto=3)
        _grade(gb, "test_size", NB1, A1, "ana", auto=2)
        _grade(gb, "describe", NB1, A1, "ana", manual=4)
        gb.add_submission(A2, "ana", timestamp="2026-11-25 16:00:00 UTC")
        _grade(gb, "test_prompt", NB2, A2, "ana", auto=4)

        # Beto: autograded 3 + 0, the written answer still waits for a trainer. Late (due 20 Nov).
        gb.add_submission(A1, "beto", timestamp="2026-11-22 15:00:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "beto", auto=3)
        _grade(gb, "test_size", NB1, A1, "beto", auto=0)
        _grade(gb, "describe", NB1, A1, "beto", auto=None, needs_manual=True)

        # Carla: handed in and graded: every answer 0.
        gb.add_submission(A1, "carla", timestamp="2026-11-18 18:00:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "carla", auto=0)
        _grade(gb, "test_size", NB1, A1, "carla", auto=0)
        _grade(gb, "describe", NB1, A1, "carla", manual=0)

        # Daniela: never handed anything in.
        # Eli: in the gradebook, autograde has not scored anything yet (fresh submission).
        gb.add_submission(A1, "eli", timestamp="2026-11-20 14:00:00 UTC")
        # José: graded 10 of 10 on A1.
        gb.add_submission(A1, "jose", timestamp="2026-11-19 14:00:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "jose", auto=3)
        _grade(gb, "test_size", NB1, A1, "jose", auto=2)
        _grade(gb, "describe", NB1, A1, "jose", manual=5)

    # Fran: collected into submitted/ but not autograded, so not in the gradebook at all.
    sub = root / "submitted" / "fran" / A1
    sub.mkdir(parents=True)
    (sub / "timestamp.txt").write_text("2026-11-21 11:00:00.000000 UTC")
    return root


A3, A4, A5 = "03_img2img", "04_video", "05_capstone"
NB3, NB4 = "img2img", "video"
AS_OF = dt.date(2026, 12, 10)

LEARNERS_CSV = """id,name,email,team
ana,Ana Álvarez,ana@example.mx,Diseño
beto,Beto Barrios,beto@example.mx,Motion
carla,Carla Cruz,,Diseño
dani,Daniela Díaz,dani@example.mx,Motion
eli,Eli Estrada,,Producción
gaby,Gabriela Gómez,gaby@example.mx,Diseño
hugo,Hugo Herrera,hugo@example.mx,Producción
jose,José Núñez,jose@example.mx,Motion
"""

PROGRAMME_TOML = """
[programme]
name = "Imagen y video generativos para diseño"
organisation = "Agencia Ejemplo"
signer = "Laura Méndez, lead trainer"
pass_mark = 70
language = "en"

[[levels]]
id = "foundations"
name = "Foundations"

[[levels]]
id = "practice"
name = "Practice"

[[levels]]
id = "extra"
name = "Extra"
required = false

[[workshops]]
id = "w00"
title = "Welcome (no assignment)"
level = "foundations"
date = 2026-11-03

[[workshops]]
id = "w01"
title = "First images"
assignment = "01_first_images"
level = "foundations"
duration_hours = 3
date = 2026-11-10
due = 2026-11-20

[[workshops]]
id = "w02"
title = "Prompts"
assignment = "02_prompts"
level = "foundations"
duration = "90 min"
due = 2026-11-27
pass_mark = 75

[[workshops]]
id = "w03"
title = "Image to image"
assignment = "03_img2img"
level = "practice"
duration_hours = 3
due = 2026-12-04

[[workshops]]
id = "w04"
title = "Video"
assignment = "04_video"
level = "practice"
required = false
due = 2026-12-18

[[workshops]]
id = "w05"
title = "Capstone"
assignment = "05_capstone"
level = "extra"
due = 2027-01-15
"""


def build_programme_course(root: Path, programme_dir: Path) -> tuple[Path, Path]:
    """build_course() plus two more assignments, a learners.csv with teams and a programme.toml.

    Foundations = 01 + 02 (02's pass mark 75 %), Practice = 03 (+ optional 04), Extra = 05 (not
    released, not required). Who passes what, as of AS_OF (10 Dec 2026):
      ana   01 90 %, 02 100 %, 03 100 %, 04 not started      → certificate
      jose  01 100 %, 02 75 %, 03 80 %                         → certificate
      gaby  01 70 % (exactly the mark), 02 75 %, 03 20 %       → no: 03 below the pass mark
      carla 01 0 % (graded)                                    → no; behind on 01, 02, 03
      beto  01 needs grading                                   → no
      dani  nothing; hugo only in learners.csv; eli, fran handed in 01 only
    """
    build_course(root)
    with new_gradebook(root / "gradebook.db") as gb:
        gb.add_assignment(A3, duedate=dt.datetime(2026, 12, 4, 23, 59))
        gb.add_notebook(NB3, A3)
        gb.add_grade_cell("test_strength", NB3, A3, max_score=5, cell_type="code")
        gb.add_assignment(A4)
        gb.add_notebook(NB4, A4)
        gb.add_grade_cell("test_frames", NB4, A4, max_score=6, cell_type="code")
        gb.add_student("gaby", first_name="Gabriela", last_name="Gómez", email="gaby@example.mx")

        gb.add_submission(A3, "ana", timestamp="2026-12-01 10:00:00 UTC")
        _grade(gb, "test_strength", NB3, A3, "ana", auto=5)
        gb.add_submission(A2, "jose", timestamp="2026-11-26 10:00:00 UTC")
        _grade(gb, "test_prompt", NB2, A2, "jose", auto=3)
        gb.add_submission(A3, "jose", timestamp="2026-12-03 10:00:00 UTC")
        _grade(gb, "test_strength", NB3, A3, "jose", auto=4)
        gb.add_submission(A1, "gaby", timestamp="2026-11-19 10:00:00 UTC")
        _grade(gb, "test_seed", NB1, A1, "gaby", auto=3)
        _grade(gb, "test_size", NB1, A1, "gaby", auto=0)
        _grade(gb, "describe", NB1, A1, "gaby", manual=4)
        gb.add_submission(A2, "gaby", timestamp="2026-11-27 10:00:00 UTC")
        _grade(gb, "test_prompt", NB2, A2, "gaby", auto=3)
        gb.add_submission(A3, "gaby", timestamp="2026-12-04 10:00:00 UTC")
        _grade(gb, "test_strength", NB3, A3, "gaby", auto=1)
    (root / "learners.csv").write_text(LEARNERS_CSV, encoding="utf-8")
    programme_dir.mkdir(parents=True, exist_ok=True)
    programme = programme_dir / "programme.toml"
    programme.write_text(PROGRAMME_TOML, encoding="utf-8")
    return root, programme


# ------------------------------------------------------------------------------------------------
# A big class with long names: twelve levels, forty learners (the dashboard's labels must fit).

BIG_LEVELS = [
    ("foundations", "Foundations of generative imaging for designers"),
    ("prompt_craft", "Prompt craft for brand work"),
    ("production", "Production workflows for campaign teams"),
    ("img2img", "Image to image and reference-driven variations"),
    ("inpainting", "Inpainting, outpainting and retouching at scale"),
    ("style", "Style consistency across a whole visual identity"),
    ("video", "Video generation and motion for social formats"),
    ("lora", "Training small adapters on the agency's own style"),
    ("control", "Composition control with sketches and layouts"),
    ("review", "Quality review, bias checks and responsible use"),
    ("clients", "Presenting generated work to demanding clients"),
    ("capstone", "Capstone: a complete campaign from brief to delivery"),
]
BIG_TITLES = [
    "First images", "Prompt craft for brand work", "Production workflows with shared recipes",
    "Variations from a client's reference photo", "Repairing hands, faces and product labels",
    "One look for a whole campaign", "Looping motion for stories and reels", "A small adapter for our house style",
    "From a pencil sketch to a finished layout", "Checking a batch for bias and mistakes",
    "The pitch deck and its sources", "The final campaign, brief to delivery",
]
BIG_RELEASED = 9  # assignments 1-9 are in the gradebook; 10-12 are on the programme only
BIG_AS_OF = dt.date(2027, 3, 1)
BIG_TEAMS = ["Diseño editorial", "Motion y video", "Producción digital", "Estrategia de marca", ""]
BIG_FIRST = ["Ana", "Beto", "Carla", "Daniela", "Eli", "Fernanda", "Gabriela", "Hugo", "Itzel", "José",
             "Karla", "Luis", "María José", "Nicolás", "Óscar", "Paola", "Quetzalli", "Rodrigo", "Sofía", "Tomás"]
BIG_LAST = ["Álvarez Castañeda", "Barrios", "Cruz de la Garza", "Díaz", "Estrada", "Fuentes", "Gómez", "Herrera",
            "Ibáñez", "Juárez", "Kuri", "López Hernández", "Méndez", "Núñez", "Ortega", "Peña", "Quintero",
            "Ramírez", "Sánchez", "Treviño"]


def big_assignment(j: int) -> str:
    return f"{j + 1:02d}_" + "_".join(BIG_TITLES[j].lower().replace(",", "").replace("'", "").split()[:3])


def build_big_course(root: Path, programme_dir: Path, learners: int = 40) -> tuple[Path, Path]:
    """Twelve levels with long names (one workshop each, long titles too), ``learners`` learners in
    five teams (one without a team), nine assignments released and graded in every state.
    Returns (course folder, programme.toml)."""
    root.mkdir(parents=True, exist_ok=True)
    ids = []
    with new_gradebook(root / "gradebook.db") as gb:
        for j in range(BIG_RELEASED):
            a = big_assignment(j)
            gb.add_assignment(a, duedate=dt.datetime(2026, 11, 1) + dt.timedelta(days=10 * j + 9, hours=23, minutes=59))
            gb.add_notebook(f"nb{j + 1:02d}", a)
            gb.add_grade_cell("test_a", f"nb{j + 1:02d}", a, max_score=6, cell_type="code")
            gb.add_grade_cell("written", f"nb{j + 1:02d}", a, max_score=4, cell_type="markdown")
        for i in range(learners):
            ident = f"l{i + 1:02d}"
            ids.append(ident)
            gb.add_student(ident, first_name=BIG_FIRST[i % len(BIG_FIRST)], last_name=BIG_LAST[(i * 7) % len(BIG_LAST)])
        for i, ident in enumerate(ids):
            done = BIG_RELEASED - (i % 6)  # some learners stop early
            for j in range(max(done, 0)):
                a, nb = big_assignment(j), f"nb{j + 1:02d}"
                kind = (i * 5 + j * 3) % 11
                gb.add_submission(a, ident, timestamp=f"2026-11-{1 + (j * 3 + i) % 28:02d} 12:00:00 UTC")
                if kind == 0:
                    continue  # fresh submission: not autograded yet
                auto = (i + j) % 7
                if kind == 1:
                    _grade(gb, "test_a", nb, a, ident, auto=auto)
                    _grade(gb, "written", nb, a, ident, needs_manual=True)
                    continue
                _grade(gb, "test_a", nb, a, ident, auto=auto if kind > 3 else 6)
                _grade(gb, "written", nb, a, ident, manual=kind % 5)
    lines = ["id,name,email,team"] + [f"{ident},,,{BIG_TEAMS[i % len(BIG_TEAMS)]}" for i, ident in enumerate(ids)]
    (root / "learners.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    toml = ['[programme]\nname = "Imagen y video generativos para diseño: programa completo de doce niveles"\npass_mark = 70\n']
    for lid, name in BIG_LEVELS:
        toml.append(f'[[levels]]\nid = "{lid}"\nname = "{name}"\n')
    for j, (lid, _) in enumerate(BIG_LEVELS):
        due = dt.date(2026, 11, 1) + dt.timedelta(days=10 * j + 9)
        toml.append(f'[[workshops]]\nid = "w{j + 1:02d}"\ntitle = "{BIG_TITLES[j]}"\nassignment = "{big_assignment(j)}"\n'
                    f'level = "{lid}"\ndue = {due.isoformat()}\n')
    programme_dir.mkdir(parents=True, exist_ok=True)
    programme = programme_dir / "programme.toml"
    programme.write_text("\n".join(toml), encoding="utf-8")
    return root, programme
