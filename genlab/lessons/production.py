"""Production workflow: a campaign brief (CSV) → a batch of pictures with recipes, clear file
names, a contact sheet and a manifest; any asset made again from its PNG.

    from genlab.lessons import production
    brief = production.read_brief("assets/briefs/summer-campaign.csv")
    batch = production.run_brief(brief, "outputs/07/summer", campaign="summer", profile="tiny")
    batch.sheet                      # contact sheet (JPEG), each picture labelled with its file name
    batch.manifest                   # manifest CSV: one row per file (prompt, seed, settings, sha256)
    production.reproduce(batch.files[0]).identical   # make one asset again from its PNG

A brief has one row per asset idea. Columns (header row required; extra columns are kept in
`extra` and ignored by the generator):

    id               short name of the asset ("hero", "story-1"); letters, digits, - and _
    prompt           what to draw
    seed             whole number: the starting noise, so the asset can be made again
    variations       optional, default 1: pictures from seed, seed+1, ...
    negative_prompt  optional
    steps, guidance  optional: the profile's defaults when empty

File names: `<campaign>_<id>_s<seed>.png` (lower case, no spaces), so a file says where it
belongs and how to make it again, and sorts by asset in any file browser.

Also social formats for clips and pictures: `fit_to_format(image, "story")` pads a picture onto
the format's aspect ratio (no cropping: the model's square is kept whole).
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from genlab.core.i18n import say
from genlab.core.imaging import contact_sheet

MANIFEST_COLUMNS = ("file", "campaign", "id", "prompt", "negative_prompt", "seed", "steps", "guidance", "profile", "width", "height", "sha256")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# Social formats: name → (width, height) in pixels of the finished file.
SOCIAL_FORMATS = {
    "square": (1080, 1080),     # feed post 1:1
    "portrait": (1080, 1350),   # feed post 4:5
    "story": (1080, 1920),      # stories / reels / TikTok 9:16
    "landscape": (1920, 1080),  # YouTube, web banner 16:9
}


@dataclass(frozen=True)
class BriefRow:
    id: str
    prompt: str
    seed: int
    variations: int = 1
    negative_prompt: str | None = None
    steps: int | None = None
    guidance: float | None = None
    extra: dict = field(default_factory=dict)


def _clean_id(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-")


def read_brief(path: str | Path) -> list[BriefRow]:
    """The rows of a brief CSV, checked: a clear ValueError names the row and the problem."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {"id", "prompt", "seed"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(say("production.missing_columns", file=path.name, missing=", ".join(sorted(missing))))
        rows, seen = [], set()
        for line, raw in enumerate(reader, start=2):
            raw = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
            if not any(raw.values()):
                continue
            asset_id = _clean_id(raw["id"])
            if not asset_id or not _ID.match(asset_id):
                raise ValueError(say("production.bad_id", file=path.name, line=line, id=repr(raw["id"])))
            if asset_id in seen:
                raise ValueError(say("production.id_twice", file=path.name, line=line, id=repr(asset_id)))
            seen.add(asset_id)
            if not raw["prompt"]:
                raise ValueError(say("production.empty_prompt", file=path.name, line=line))
            try:
                seed = int(raw["seed"])
                variations = int(raw.get("variations") or 1)
                steps = int(raw["steps"]) if raw.get("steps") else None
                guidance = float(raw["guidance"]) if raw.get("guidance") else None
            except ValueError as err:
                raise ValueError(say("production.not_numbers", file=path.name, line=line, error=err)) from err
            if seed < 0 or not 1 <= variations <= 16:
                raise ValueError(say("production.out_of_range", file=path.name, line=line))
            known = {"id", "prompt", "seed", "variations", "negative_prompt", "steps", "guidance"}
            rows.append(BriefRow(
                id=asset_id, prompt=raw["prompt"], seed=seed, variations=variations,
                negative_prompt=raw.get("negative_prompt") or None, steps=steps, guidance=guidance,
                extra={k: v for k, v in raw.items() if k not in known},
            ))
    if not rows:
        raise ValueError(say("production.no_rows", file=path.name))
    return rows


def asset_name(campaign: str, asset_id: str, seed: int) -> str:
    """`<campaign>_<id>_s<seed>.png`, lower case, no spaces: `summer_hero_s42.png`."""
    return f"{_clean_id(campaign) or 'campaign'}_{_clean_id(asset_id)}_s{int(seed)}.png"


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class Batch:
    files: list[Path]
    manifest: Path
    sheet: Path


def labelled_sheet(files: list[str | Path], cols: int = 4, label_height: int = 16) -> Image.Image:
    """A contact sheet of PNG files, each labelled with its file name underneath."""
    images = [Image.open(p).convert("RGB") for p in files]
    return contact_sheet(images, cols=min(cols, len(images)) or 1, gap=6, margin=6, captions=[Path(p).stem for p in files], caption_height=label_height)


def write_manifest(files: list[str | Path], path: str | Path, campaign: str = "") -> Path:
    """A CSV with one row per file: the recipe read back from the PNG, and the file's sha256."""
    from genlab.core.recipe import read_recipe

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        for file in files:
            file = Path(file)
            r = read_recipe(file)
            parts = file.stem.split("_")
            writer.writerow({
                "file": file.name, "campaign": campaign or parts[0], "id": parts[1] if len(parts) > 2 else "",
                "prompt": r.prompt, "negative_prompt": r.negative_prompt or "", "seed": r.seed, "steps": r.steps,
                "guidance": r.guidance, "profile": r.profile or "", "width": r.width, "height": r.height,
                "sha256": file_sha256(file),
            })
    return path


def read_manifest(path: str | Path) -> list[dict]:
    with Path(path).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def run_brief(brief: list[BriefRow] | str | Path, out: str | Path, *, campaign: str = "campaign", profile=None,
              steps: int | None = None, cols: int = 4) -> Batch:
    """Every row of the brief: its pictures saved as `<campaign>_<id>_s<seed>.png` (recipe inside),
    then `<campaign>_manifest.csv` and `<campaign>_sheet.jpg` (a review sheet, not an asset) in `out`.

    `steps` overrides every row's steps (quick drafts); a row's own steps win over the profile's.
    """
    from genlab.core.generation import generate

    rows = read_brief(brief) if isinstance(brief, (str, Path)) else list(brief)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for row in rows:
        made = generate(row.prompt, negative_prompt=row.negative_prompt, seed=row.seed, n=row.variations,
                        steps=steps if steps is not None else row.steps, guidance=row.guidance, profile=profile)
        for img, recipe in zip(made.images, made.recipes):
            from genlab.core.recipe import save_png

            files.append(save_png(img, recipe, out / asset_name(campaign, row.id, recipe.seed)))
    name = _clean_id(campaign) or "campaign"
    manifest = write_manifest(files, out / f"{name}_manifest.csv", campaign=name)
    sheet = out / f"{name}_sheet.jpg"  # JPEG on purpose: a review sheet, never mistaken for an asset
    labelled_sheet(files, cols=cols).save(sheet, quality=90)
    return Batch(files=files, manifest=manifest, sheet=sheet)


def reproduce(png: str | Path):
    """Make an asset again from the recipe inside its PNG; returns a lesson Comparison
    (`.identical`: every pixel matches) of the file and the new picture."""
    from genlab.core.generation import regenerate
    from genlab.lessons.lesson import difference

    again = regenerate(png)
    return difference(Image.open(png), again.image)


def check_manifest(manifest: str | Path) -> list[str]:
    """Files in a manifest that are missing or changed since (sha256 differs): empty when all is well."""
    manifest = Path(manifest)
    problems = []
    for row in read_manifest(manifest):
        file = manifest.parent / row["file"]
        if not file.is_file():
            problems.append(say("production.file_missing", file=row["file"]))
        elif file_sha256(file) != row["sha256"]:
            problems.append(say("production.file_changed", file=row["file"]))
    return problems


# ---- social formats ----------------------------------------------------------------------------
def fit_to_format(image: Image.Image, fmt: str, *, scale: float = 1.0, background=None) -> Image.Image:
    """The picture on the format's canvas (SOCIAL_FORMATS), as large as fits, centred, no cropping.

    The empty bands take the picture's typical edge colour (the median of its border pixels)
    unless `background` is given, so they blend with a plain background.
    `scale` shrinks the finished size (0.25 for quick drafts); sizes are rounded to multiples of 16
    so H.264 video encoders take them unchanged.
    """
    if fmt not in SOCIAL_FORMATS:
        raise ValueError(say("production.unknown_format", format=repr(fmt), formats=", ".join(SOCIAL_FORMATS)))
    tw, th = SOCIAL_FORMATS[fmt]
    tw, th = max(16, round(tw * scale / 16) * 16), max(16, round(th * scale / 16) * 16)
    image = image.convert("RGB")
    k = min(tw / image.width, th / image.height)
    size = (max(1, round(image.width * k)), max(1, round(image.height * k)))
    canvas = Image.new("RGB", (tw, th), background or edge_colour(image))
    canvas.paste(image.resize(size, Image.Resampling.LANCZOS), ((tw - size[0]) // 2, (th - size[1]) // 2))
    return canvas


def edge_colour(image: Image.Image) -> tuple[int, int, int]:
    """The median colour of a picture's border pixels (its background, on a plain background)."""
    import numpy as np

    a = np.asarray(image.convert("RGB"))
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    return tuple(int(v) for v in np.median(border, axis=0))


def fit_clip(frames: list[Image.Image], fmt: str, *, scale: float = 1.0) -> list[Image.Image]:
    """Every frame of a clip on the same social-format canvas (the first frame's edge colour)."""
    bg = edge_colour(frames[0])
    return [fit_to_format(f, fmt, scale=scale, background=bg) for f in frames]
