"""genlab.lessons.production: brief parsing (and its errors), file names, the manifest (round trip
and tamper detection), the labelled review sheet, social formats. One tiny brief runs the model at 2 steps."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from genlab.lessons import production
from genlab.settings import ASSETS_DIR


def brief(tmp_path, text: str):
    path = tmp_path / "brief.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_brief_reads_with_defaults_and_extra_columns():
    rows = production.read_brief(ASSETS_DIR / "briefs" / "summer-campaign.csv")
    hero = rows[0]
    assert (hero.id, hero.seed, hero.variations, hero.steps, hero.guidance, hero.negative_prompt) == ("hero", 42, 2, None, None, None)
    assert hero.extra == {"channel": "instagram feed", "notes": "main visual: bold and simple"}
    assert next(r for r in rows if r.id == "badge").guidance == 6.0
    assert next(r for r in rows if r.id == "story").negative_prompt == "outlined"


@pytest.mark.parametrize("text, message", [
    ("id,prompt\nhero,a star\n", r"needs the columns id, prompt, seed \(missing: seed\)"),
    ("id,prompt,seed\n!!,a star,1\n", "line 2: the id '!!' is empty"),
    ("id,prompt,seed\nHero,a star,1\nhero,a circle,2\n", "line 3: the id 'hero' is used twice"),
    ("id,prompt,seed\nhero,,1\n", "line 2: the prompt is empty"),
    ("id,prompt,seed\nhero,a star,forty\n", "line 2: seed, variations and steps are whole numbers"),
    ("id,prompt,seed,variations\nhero,a star,1,17\n", "variations 1-16"),
    ("id,prompt,seed\nhero,a star,-1\n", "the seed must be 0 or more"),
    ("id,prompt,seed\n,,\n", "the brief has no rows"),
])
def test_brief_mistakes_name_the_line_and_the_problem(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        production.read_brief(brief(tmp_path, text))


def test_ids_are_cleaned_and_names_say_campaign_id_and_seed(tmp_path):
    [row] = production.read_brief(brief(tmp_path, "\ufeffid,prompt,seed\nStory 1,a red heart,7\n"))  # Excel's BOM too
    assert row.id == "story-1"
    assert production.asset_name("Summer Sale", row.id, 7) == "summer-sale_story-1_s7.png"
    assert production.asset_name("", "hero", 3) == "campaign_hero_s3.png"


def test_run_brief_manifest_round_trip_and_tamper_detection(tmp_path):
    path = brief(tmp_path, "id,prompt,seed,variations,steps\nhero,a large yellow star on a blue background,42,2,\nbadge,a red circle on a white background,5,1,3\n")
    batch = production.run_brief(path, tmp_path / "out", campaign="Summer", profile="tiny", steps=2)
    assert [f.name for f in batch.files] == ["summer_hero_s42.png", "summer_hero_s43.png", "summer_badge_s5.png"]
    rows = production.read_manifest(batch.manifest)
    assert [r["file"] for r in rows] == [f.name for f in batch.files]
    assert list(rows[0]) == list(production.MANIFEST_COLUMNS)
    assert {r["campaign"] for r in rows} == {"summer"} and [r["id"] for r in rows] == ["hero", "hero", "badge"]
    assert rows[2]["seed"] == "5" and rows[2]["steps"] == "2", "steps given to run_brief win over the row's"
    assert rows[0]["sha256"] == production.file_sha256(batch.files[0])
    assert production.check_manifest(batch.manifest) == []

    sheet = Image.open(batch.sheet)
    assert sheet.format == "JPEG" and sheet.size == (3 * 128 + 4 * 6, 128 + 16 + 2 * 6)

    Image.new("RGB", (128, 128), "black").save(batch.files[0])  # someone edits an asset...
    batch.files[2].unlink()  # ...and deletes another
    assert production.check_manifest(batch.manifest) == [
        "summer_hero_s42.png: changed since the manifest was written",
        "summer_badge_s5.png: missing",
    ]
    assert production.reproduce(batch.files[1]).identical, "an untouched asset is made again exactly from its PNG"


def test_write_manifest_of_files_made_elsewhere(tmp_path):
    import genlab

    made = genlab.generate("a green square on a white background", seed=9, steps=2, profile="tiny")
    [png] = made.save(tmp_path / "spring_tile_s9.png")
    manifest = production.write_manifest([png], tmp_path / "m.csv")
    with open(manifest, newline="", encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert (row["campaign"], row["id"], row["prompt"], row["profile"], row["width"]) == ("spring", "tile", made.recipe.prompt, "tiny", "128")


def test_labelled_sheet_puts_names_under_pictures(tmp_path):
    files = []
    for i, colour in enumerate(("red", "blue", "green")):
        path = tmp_path / f"c_{colour}_s{i}.png"
        Image.new("RGB", (40, 30), colour).save(path)
        files.append(path)
    sheet = production.labelled_sheet(files, cols=2)
    assert sheet.size == (2 * 40 + 3 * 6, 2 * (30 + 16) + 3 * 6)
    a = np.asarray(sheet)
    assert tuple(a[6, 6]) == (255, 0, 0) and tuple(a[6, 52]) == (0, 0, 255)
    label_band = a[6 + 30 : 6 + 30 + 16, 6 : 6 + 40]
    assert (label_band < 128).any(), "the file name is written under the picture"
    assert production.labelled_sheet(files, cols=10).size[0] == 3 * 40 + 4 * 6, "no empty columns"
    with pytest.raises(ValueError, match="No pictures"):
        production.labelled_sheet([])


@pytest.mark.parametrize("fmt, size", [("square", (1088, 1088)), ("portrait", (1088, 1344)), ("story", (1088, 1920)), ("landscape", (1920, 1088))])
def test_fit_to_format_pads_to_the_format_without_cropping(fmt, size):
    picture = red_square()
    out = production.fit_to_format(picture, fmt)
    assert out.size == size, "multiples of 16 for H.264"
    a = np.asarray(out)
    assert tuple(a[0, 0]) == production.edge_colour(picture), "the bands take the picture's edge colour"
    small = production.fit_to_format(picture, fmt, scale=0.25, background="black")
    assert small.size == tuple(max(16, round(s * 0.25 / 16) * 16) for s in production.SOCIAL_FORMATS[fmt])
    with pytest.raises(ValueError, match="Unknown format 'poster'"):
        production.fit_to_format(picture, "poster")


def test_fit_to_format_keeps_the_whole_picture_centred():
    picture = red_square()
    out = np.asarray(production.fit_to_format(picture, "story", scale=0.25))  # 272 x 480: the square is 272 wide
    assert out.shape[:2] == (480, 272)
    top = (480 - 272) // 2
    red = np.all(out == (255, 0, 0), axis=-1)
    rows = np.where(red.any(axis=1))[0]
    assert top <= rows.min() and rows.max() < top + 272, "the shape stays inside the centred square"


def test_fit_clip_uses_one_background_for_every_frame():
    frames = [red_square(), Image.new("RGB", (64, 64), "black")]
    out = production.fit_clip(frames, "landscape", scale=0.1)
    assert [f.size for f in out] == [(192, 112)] * 2
    assert tuple(np.asarray(out[1])[0, 0]) == production.edge_colour(frames[0])


def red_square() -> Image.Image:
    """A red square on white, 64 px: a plain background the edge colour should find."""
    img = Image.new("RGB", (64, 64), "white")
    img.paste(Image.new("RGB", (20, 20), (255, 0, 0)), (22, 22))
    return img
