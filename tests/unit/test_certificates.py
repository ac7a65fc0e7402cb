"""Certificates: only for learners who passed every required level; everyone else is told what is missing."""

from __future__ import annotations

import csv
import datetime as dt
import re

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

from course_builders import PROGRAMME_TOML, build_course, build_programme_course  # noqa: E402

from genlab.course.progress import certificates as cert  # noqa: E402
from genlab.course.progress import gradebook as gbm  # noqa: E402
from genlab.course.progress.programme import Programme, load_programme  # noqa: E402

DAY = dt.date(2026, 12, 15)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("certs")
    return build_programme_course(base / "exercises", base / "workshops")


@pytest.fixture(scope="module")
def issued(setup, tmp_path_factory):
    course, programme = setup
    out = tmp_path_factory.mktemp("out")
    return cert.write_certificates(gbm.load_progress(course), load_programme(programme), out, day=DAY)


def test_only_learners_who_passed_every_required_level_get_one(issued):
    assert sorted(c.learner_id for c in issued.issued) == ["ana", "jose"]
    files = sorted(p.name for p in issued.out_dir.iterdir())
    assert files == ["certificate-ana.pdf", "certificate-ana.png", "certificate-jose.pdf", "certificate-jose.png", "certificates.csv"]
    ana = next(c for c in issued.issued if c.learner_id == "ana")
    assert (ana.name, ana.levels) == ("Ana Álvarez", ["Foundations", "Practice"])  # Extra is not required
    assert re.fullmatch(r"GL-2026-[0-9A-F]{6}", ana.number)
    pdf = ana.pdf.read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    png = Image.open(ana.png)
    assert png.size[1] == 1240 and abs(png.size[0] / png.size[1] - 297 / 210) < 0.002  # A4 landscape, 150 dpi
    pixels = np.asarray(png.convert("RGB")).astype(int)
    navy = np.array([0x1E, 0x29, 0x3B])
    assert np.abs(pixels[42, 877] - navy).max() <= 3  # the frame, 0.28 in from the top edge
    other = np.asarray(Image.open(next(c for c in issued.issued if c.learner_id == "jose").png).convert("RGB")).astype(int)
    assert (pixels != other).any(axis=2).sum() > 1000  # a different name on it


def test_everyone_else_is_told_what_is_missing(issued):
    missing = {m.learner_id: m for m in issued.missing}
    assert set(missing) == {"beto", "carla", "dani", "eli", "fran", "gaby", "hugo"}
    assert missing["gaby"].passed_levels == ["foundations"]
    assert missing["gaby"].describe() == "Practice: Image to image 20% (needs 70%)"
    assert missing["beto"].describe() == (
        "Foundations: First images waiting for a trainer, Prompts not started; Practice: Image to image not started"
    )
    assert "First images 0% (needs 70%)" in missing["carla"].describe()
    assert "First images handed in, not graded yet" in missing["eli"].describe()
    with issued.summary_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["learner_id"]: r for r in csv.DictReader(fh)}
    assert {k for k, r in rows.items() if r["certificate"] == "yes"} == {"ana", "jose"}
    assert rows["gaby"]["levels_passed"] == "Foundations" and "20% (needs 70%)" in rows["gaby"]["missing"]
    assert len(rows) == 9


def test_main_prints_who_and_what(setup, tmp_path, capsys):
    course, programme = setup
    out = tmp_path / "certs"
    rc = cert.main(["--course", str(course), "--programme", str(programme), "--out", str(out), "--date", "2026-12-15", "--lang", "es"])
    printed = capsys.readouterr().out
    assert rc == 0
    assert "Certificates (2)" in printed and "Ana Álvarez" in printed and "certificate-jose.pdf" in printed
    assert "Not yet (7):" in printed
    assert "Gabriela Gómez (gaby): Practice: Image to image 20% (needs 70%)" in printed
    assert (out / "certificate-ana.pdf").is_file() and not (out / "certificate-gaby.pdf").exists()

    rc = cert.main(["--course", str(course), "--programme", str(programme), "--out", str(tmp_path / "one"), "--learner", "gaby"])
    assert rc == 0 and "No certificates" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["certificates.csv"]

    assert cert.main(["--course", str(course), "--learner", "nobody", "--out", str(tmp_path / "x")]) == 2
    assert "no learner nobody" in capsys.readouterr().err


def test_a_required_assignment_not_released_yet_means_no_certificates(setup, tmp_path):
    course, _ = setup
    programme = tmp_path / "programme.toml"
    programme.write_text(PROGRAMME_TOML.replace('name = "Extra"\nrequired = false', 'name = "Extra"'), encoding="utf-8")
    result = cert.write_certificates(gbm.load_progress(course), load_programme(programme), tmp_path / "out", day=DAY)
    assert result.issued == []
    ana = next(m for m in result.missing if m.learner_id == "ana")
    assert ana.describe() == "Extra: Capstone not released yet" and ana.passed_levels == ["foundations", "practice"]


def test_without_a_programme_the_whole_course_is_one_level(tmp_path):
    course = build_course(tmp_path / "exercises")  # ana passed 01 (90 %) and 02 (100 %); nobody else did both
    result = cert.write_certificates(gbm.load_progress(course), Programme(), tmp_path / "out", day=DAY)
    assert [c.learner_id for c in result.issued] == ["ana"]
    assert result.issued[0].levels == ["Course"]
    jose = next(m for m in result.missing if m.learner_id == "jose")
    assert jose.describe() == "Course: 02_prompts not started"


def test_texts_and_dates_in_both_languages():
    assert cert.format_date(DAY, "es") == "15 de diciembre de 2026"
    assert cert.format_date(DAY, "en") == "15 December 2026"
    assert cert.certificate_number("ana", "P", DAY) == cert.certificate_number("ana", "P", DAY)
    assert cert.certificate_number("ana", "P", DAY) != cert.certificate_number("jose", "P", DAY)
    assert cert.safe_name("../ana b") == "ana_b"
    assert set(cert.TEXT["es"]) == set(cert.TEXT["en"])


def test_genlab_course_certificates_goes_through_the_cli(setup, tmp_path, capsys):
    from genlab.cli import main as genlab_main

    course, programme = setup
    out = tmp_path / "via-cli"
    rc = genlab_main(["course", "certificates", "--course", str(course), "--programme", str(programme),
                      "--out", str(out), "--date", "2026-12-15"])
    assert rc == 0
    assert (out / "certificate-ana.pdf").is_file() and not (out / "certificate-gaby.pdf").exists()
    assert "Certificates (2)" in capsys.readouterr().out
