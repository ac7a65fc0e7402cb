"""Facts lesson 8 (notebooks/08_responsible_use.ipynb) states, pinned to the data and code they
come from: the shapes world's documented defaults, the teaching watermark's strength and threshold
and what JPEG does to it, and licences read from assets/models.toml (never typed in the lesson)."""

from __future__ import annotations

import json

import numpy as np

import pytest
from PIL import Image

import genlab
from genlab import settings
from genlab.lessons import responsible
from genlab.tiny import world

LESSON = settings.NOTEBOOKS_DIR / "08_responsible_use.ipynb"
EXERCISE = settings.COURSE_DIR / "source" / "08_responsible_use" / "08_responsible_use.ipynb"


def _cells(path):
    return {c["id"]: "".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]}


def _text(path) -> str:
    return "\n".join(_cells(path).values())


def test_the_world_defaults_the_lesson_quotes_are_the_worlds():
    text = _cells(LESSON)["c12"]
    for attribute, value in (("size", "large"), ("position", "centre"), ("style", "flat")):
        share = world.DEFAULTS[attribute][value]
        assert f"**{value}** ({share:.0%})" in text
    assert len(world.COLOURS) == 8 and "each 1 in 8" in text
    for attribute in ("size", "position", "style"):
        assert responsible.world_distribution(attribute) == dict(world.DEFAULTS[attribute])


def test_the_teaching_watermark_changes_blue_by_the_strength_the_lesson_states(tmp_path):
    assert responsible.STRENGTH == 3 and "only 3 of 255 levels" in _cells(LESSON)["c21"]
    assert responsible.THRESHOLD == 6 and "threshold (6)" in _cells(LESSON)["c23"]
    picture = world.render(responsible.world_scenes("a large red heart on a white background", 1, seed=3)[0])
    marked = responsible.embed_watermark(picture, "agency-2027")
    before = np.asarray(picture.convert("RGB"), dtype=int)
    after = np.asarray(marked, dtype=int)
    assert np.abs(after[..., 2] - before[..., 2]).max() == responsible.STRENGTH
    assert picture.convert("RGB").getchannel("R").tobytes() == marked.getchannel("R").tobytes()
    assert picture.convert("RGB").getchannel("G").tobytes() == marked.getchannel("G").tobytes()


def test_png_keeps_the_mark_and_jpeg_loses_it_and_the_recipe(tmp_path):
    """Lesson cells 22-25: found in the saved PNG, far above the threshold; a JPEG has neither."""
    gen = genlab.generate("a large red heart on a white background", seed=3, steps=4, profile="tiny")
    png = responsible.save_marked(gen, tmp_path / "heart-marked.png", key="agency-2027")
    info = responsible.check_provenance(png, "agency-2027")
    assert info["recipe"] and info["watermark"] and info["watermark_score"] > 3 * responsible.THRESHOLD
    assert not responsible.detect_watermark(png, "someone-else").present
    assert not responsible.detect_watermark(gen.image, "agency-2027").present
    jpeg = tmp_path / "heart-marked.jpg"
    Image.open(png).convert("RGB").save(jpeg, quality=90)
    info = responsible.check_provenance(jpeg, "agency-2027")
    assert info["recipe"] is False and info["watermark"] is False


def test_licences_are_read_from_models_toml_not_typed():
    turbo = genlab.get_profile("sd-turbo")
    assert turbo.licence.startswith("Stability AI Community License")
    assert responsible.licence_facts("sd-turbo").commercial != "yes"  # Challenge 4: "not yes"
    lesson = _text(LESSON)
    assert "Non-Commercial Research" not in lesson and "non-commercial" not in lesson.lower()
    assert 'genlab.get_profile("sd-turbo")' in lesson and "turbo.licence" in lesson
    exercise = _text(EXERCISE)
    assert '"animatediff", "sd15"' not in exercise  # no typed list of profiles in the hidden checks
    assert "genlab.all_profiles()" in exercise and "non-commercial" not in exercise.lower()


def test_content_credentials_are_described_as_strippable_signed_metadata():
    text = _cells(LESSON)["c25"]
    assert "signed metadata" in text and "strip" in text and "survive more" not in text
    assert "teaching tool" in _cells(LESSON)["c19"]


@pytest.mark.parametrize("path", [LESSON, EXERCISE], ids=["lesson", "exercise"])
def test_no_old_spanish_summaries_in_the_english_source(path):
    text = _text(path)
    assert "*En español:*" not in text and "*Puntos clave:*" not in text and "Validate" not in text


def test_the_c2pa_practice_size_and_the_three_verdicts(tmp_path, monkeypatch):
    """Lesson 8's C2PA practice and exercise task 4: the mark's minimum side the lesson quotes is the
    one genlab enforces; one changed pixel keeps the manifest and verify reports a hash mismatch; a
    re-saved file has no manifest but the mark still names the campaign."""
    from genlab.core import provenance

    monkeypatch.delenv("GENLAB_C2PA_TRUST_ANCHORS", raising=False)
    cells = _cells(LESSON)
    assert provenance.MARK_MIN_SIDE == 256 and "at least 256 pixels per side" in cells["c25a"]
    assert "genlab.upscale(small.image, 4)" in cells["c25b"] and 128 * 4 >= provenance.MARK_MIN_SIDE
    files = responsible.provenance_samples(tmp_path / "returned", "FACT-08", seed=3)
    verdicts = {}
    for path in files:
        v = provenance.verify(path)
        kind = "missing" if not v.manifest else "changed" if v.changed else v.state
        verdicts[kind] = v
        assert v.mark is not None and v.mark.found and v.mark.campaign == "FACT-08"
    assert set(verdicts) == {"missing", "changed", "Trusted"}
    assert verdicts["changed"].failures == ["assertion.dataHash.mismatch"]
    # the edited file differs from a signed one in exactly one pixel
    signed = next(p for p in files if provenance.verify(p).state == "Trusted")
    edited = responsible.change_one_pixel(signed, tmp_path / "edited.png", xy=(7, 9))
    a, b = (np.asarray(Image.open(p).convert("RGB"), dtype=int) for p in (signed, edited))
    assert int((a != b).any(axis=2).sum()) == 1 and provenance.verify(edited).changed
