"""`genlab deliver CAMPAIGN`: the files a client receives.

A campaign is a TOML file (or a folder holding ``campaign.toml``)::

    [campaign]
    id = "CMX-2025-014"          # at most 12 letters, digits, '.', '_' or '-': the invisible mark carries it
    client = "Café La Luna"
    title = "Temporada de lluvias"        # optional
    committee = "committee.toml"          # the ethics committee's roster (default: committee.toml)
    decisions = "decisions.jsonl"         # the committee's append-only record (default: decisions.jsonl)
    archive = "/srv/agencia/archivo"      # optional: else GENLAB_ARCHIVE, else <campaign folder>/archive
    out = "entrega"                       # optional: else <campaign folder>/delivery

    [[assets]]
    file = "hero.png"                     # PNG, JPEG or MP4 made by genlab, relative to the campaign file
    [[assets]]
    file = "hero-print.jpg"
    recipe = "hero.png"                   # a JPEG has no recipe inside: name the PNG it was made from

Without ``[[assets]]`` every PNG, JPEG and MP4 beside the campaign file is delivered.

The approval is the committee's (genlab.core.committee): the record of decisions must be intact and
its latest round must approve these very files (quorum, required roles, no open reject or request
for changes, the approved SHA-256 of every asset). The approval reference in the manifest is
``sha256:<hash of the record that completed the approval>``. The campaign file may also hold what
the committee reads in its review packet (training data and consent, the checklist answers:
genlab.lessons.review).

Delivering a campaign: every check runs first (approval, files, recipes, sizes, certificate); when
one fails nothing is written and the message lists what is missing. Then, for each asset: the
original (with its recipe) is copied to ``<archive>/<campaign id>/<UTC time>/``, the pixels are
written again without any recipe (no ``parameters``/``genlab`` PNG chunks, no EXIF/comments in
JPEG, ``-map_metadata -1`` for MP4), the campaign's invisible mark is embedded (every frame of an
MP4), and a C2PA manifest signed with the agency's certificate is embedded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from genlab import settings
from genlab.core import committee, provenance
from genlab.core.i18n import UserError, say, t

SUFFIXES = (".png", ".jpg", ".jpeg", ".mp4")
CAMPAIGN_FILE = "campaign.toml"


class NotDeliverable(UserError):
    """The campaign cannot be delivered yet; ``problems`` are the reasons as (key, values), so that
    ``message(lang)`` says each in the reader's language (``str()`` is the English)."""

    def __init__(self, campaign: str, problems: list[tuple[str, dict]]):
        self.problems = problems
        self.campaign = campaign
        super().__init__("delivery.refused", campaign=campaign, problems=self._list("en"))

    def _list(self, lang: str) -> str:
        return "\n".join(f"  - {t(key, lang, **values)}" for key, values in self.problems)

    def message(self, lang: str) -> str:
        return t("delivery.refused", lang, campaign=self.campaign, problems=self._list(lang))


def _problem(key: str, **values) -> tuple[str, dict]:
    return key, values


@dataclass
class Asset:
    file: Path
    recipe_from: Path | None = None


@dataclass
class Campaign:
    id: str
    client: str
    folder: Path
    source: Path
    title: str = ""
    committee_file: Path | None = None
    decisions_file: Path | None = None
    archive: Path | None = None
    out: Path | None = None
    assets: list[Asset] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # the whole TOML (the review packet reads the rest)

    def asset_files(self) -> list[Path]:
        """The files a decision is made on: each asset and the PNG its recipe comes from."""
        files = []
        for a in self.assets:
            for f in (a.file, a.recipe_from):
                if f is not None and f not in files:
                    files.append(f)
        return files


def load_campaign(path: str | os.PathLike) -> Campaign:
    """The campaign in a TOML file, or in ``campaign.toml`` inside a folder."""
    path = Path(path)
    source = path / CAMPAIGN_FILE if path.is_dir() else path
    if not source.is_file():
        raise UserError("delivery.no_campaign", path=str(source))
    try:
        with open(source, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise UserError("delivery.bad_toml", path=str(source), error=str(err)) from err
    head = data.get("campaign") or {}
    folder = source.parent

    def where(value, default):
        return (folder / Path(os.path.expanduser(str(value)))) if value else default

    assets = [Asset(where(a.get("file"), None), where(a.get("recipe"), None)) for a in data.get("assets", [])]
    if not data.get("assets"):
        assets = [Asset(p) for p in sorted(folder.iterdir()) if p.suffix.lower() in SUFFIXES and p.is_file()]
    archive = settings.get("GENLAB_ARCHIVE")
    return Campaign(
        id=str(head.get("id", "")).strip(),
        client=str(head.get("client", "")).strip(),
        title=str(head.get("title", "")).strip(),
        folder=folder,
        source=source,
        committee_file=where(head.get("committee"), folder / committee.ROSTER_FILE),
        decisions_file=where(head.get("decisions"), folder / committee.LOG_FILE),
        archive=where(head.get("archive"), Path(os.path.expanduser(archive)) if archive else folder / "archive"),
        out=where(head.get("out"), folder / "delivery"),
        assets=assets,
        data=data,
    )


def committee_status(campaign: Campaign) -> committee.Status:
    """The committee's verdict on this campaign's current files (raises UserError without a roster)."""
    roster = committee.load_roster(campaign.committee_file)
    log = committee.read_log(campaign.decisions_file)
    return committee.status(log, roster, campaign.id, committee.asset_hashes(campaign.asset_files()))


def read_approval(campaign: Campaign) -> tuple[dict, list]:
    """The approval that goes into the manifest, and what is missing (as (key, values); empty when
    the committee approved these files)."""
    try:
        st = committee_status(campaign)
    except UserError as err:
        return {}, [_problem(err.key, **err.values)]
    if st.approved:
        return st.approval(), []
    return {}, [_problem(key, **values) for key, values in st.problems]


def recipe_of(asset: Asset):
    """The recipe the asset was made with: inside a PNG or MP4, or in the file ``recipe`` names."""
    from genlab.core.recipe import read_recipe
    from genlab.core.video import read_clip_recipe

    source = asset.recipe_from or asset.file
    if source.suffix.lower() == ".mp4":
        return read_clip_recipe(source)
    return read_recipe(source)


def _models(recipes) -> list[dict]:
    """Each model the assets were made with, once, with its licence (from assets/models.toml)."""
    from genlab.core.profiles import get_profile

    seen, out = set(), []
    for r in recipes:
        name = r.profile or r.model or "?"
        if name in seen:
            continue
        seen.add(name)
        entry = {"profile": name, "model": r.model or r.model_source or "", "licence": ""}
        try:
            prof = get_profile(r.profile) if r.profile else None
        except Exception:  # noqa: BLE001 - an unknown profile: the licence stays to be checked
            prof = None
        if prof is not None:
            entry["licence"] = prof.licence
            if prof.source and not entry["model"]:
                entry["model"] = prof.source.describe()
        for lora in (r.loras or {}):
            entry.setdefault("loras", []).append(lora)
        if r.control:
            entry["controlnet"] = r.control.get("model", "")
        out.append(entry)
    return out


def _size(path: Path) -> tuple[int, int]:
    if path.suffix.lower() == ".mp4":
        import imageio.v2 as imageio

        reader = imageio.get_reader(str(path), format="FFMPEG")
        try:
            return tuple(reader.get_meta_data()["size"])
        finally:
            reader.close()
    with Image.open(path) as im:
        return im.size


def check(campaign: Campaign, credentials=None) -> tuple[dict, list, list[str]]:
    """Every check before anything is written: (approval, recipes, problems)."""
    problems: list[str] = []
    if not campaign.id:
        problems.append(_problem("delivery.no_id", path=campaign.source.name))
    elif not provenance.CAMPAIGN_ID.match(campaign.id):
        problems.append(_problem("provenance.bad_campaign_id", campaign=campaign.id))
    if not campaign.client:
        problems.append(_problem("delivery.no_client", path=campaign.source.name))
    approval, missing = read_approval(campaign)
    problems += missing
    if not campaign.assets:
        problems.append(_problem("delivery.no_assets", folder=str(campaign.folder)))
    recipes = []
    for asset in campaign.assets:
        if asset.file is None or not asset.file.is_file():
            problems.append(_problem("delivery.missing_file", file=str(asset.file)))
            continue
        if asset.file.suffix.lower() not in SUFFIXES:
            problems.append(_problem("delivery.bad_suffix", file=asset.file.name, allowed=", ".join(SUFFIXES)))
            continue
        try:
            recipes.append(recipe_of(asset))
        except (ValueError, OSError):
            problems.append(_problem("delivery.no_recipe", file=asset.file.name))
        try:
            size = _size(asset.file)
            if not provenance.mark_fits(size):
                problems.append(_problem("delivery.too_small", file=asset.file.name, size=f"{size[0]}×{size[1]}",
                                    side=provenance.MARK_MIN_SIDE))
        except Exception as err:  # noqa: BLE001 - an unreadable file is one more thing to fix
            problems.append(_problem("delivery.unreadable", file=asset.file.name, error=str(err)))
    names = [a.file.name for a in campaign.assets if a.file is not None]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(_problem("delivery.same_name", file=name))
    return approval, recipes, problems


# ---- writing the delivered files -----------------------------------------------------------------
def _clean_picture(src: Path, dest: Path, campaign_id: str) -> None:
    """The pixels again, marked, with no text chunks / EXIF / comments (the ICC profile stays)."""
    with Image.open(src) as im:
        icc = im.info.get("icc_profile")
        marked = provenance.embed_mark(im.convert("RGB"), campaign_id)
    options = {"icc_profile": icc} if icc else {}
    if dest.suffix.lower() == ".png":
        marked.save(dest, format="PNG", **options)
    else:
        marked.save(dest, format="JPEG", quality=95, subsampling=0, **options)


def _clean_clip(src: Path, dest: Path, campaign_id: str) -> int:
    """Every frame marked, written again as H.264 with no metadata (the recipe tags go). Returns frames."""
    import imageio.v2 as imageio
    import numpy as np

    reader = imageio.get_reader(str(src), format="FFMPEG")
    fps = reader.get_meta_data().get("fps", 8)
    writer = imageio.get_writer(str(dest), fps=fps, codec="libx264", quality=9, pixelformat="yuv420p",
                                macro_block_size=16, ffmpeg_log_level="error",
                                output_params=["-map_metadata", "-1", "-movflags", "+faststart"])
    n = 0
    try:
        for frame in reader:
            writer.append_data(np.asarray(provenance.embed_mark(Image.fromarray(frame), campaign_id)))
            n += 1
    finally:
        reader.close()
        writer.close()
    return n


@dataclass
class Delivery:
    campaign: str
    files: list[Path]
    archive: Path
    development_certificate: bool


def deliver(campaign_path: str | os.PathLike, *, out: str | os.PathLike | None = None, cert=None, key=None,
            log=print) -> Delivery:
    """Deliver a campaign (see the module's text). Raises NotDeliverable, writing nothing, when a
    check fails."""
    campaign = load_campaign(campaign_path)
    approval, recipes, problems = check(campaign)
    credentials = None
    try:
        credentials = provenance.agency_credentials(cert, key)
    except UserError as err:
        problems.append(_problem(err.key, **err.values))
    if problems:
        raise NotDeliverable(campaign.id or campaign.source.name, problems)
    out_dir = Path(out) if out else campaign.out
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    archive = campaign.archive / campaign.id / stamp
    models = _models(recipes)
    archive.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {"campaign": campaign.id, "client": campaign.client, "approval": approval, "delivered_at": stamp,
              "signed_with": "development" if credentials.development else credentials.where, "files": []}
    delivered = []
    with tempfile.TemporaryDirectory(prefix="genlab-deliver-") as tmp:
        for asset, recipe in zip(campaign.assets, recipes):
            src = asset.file
            shutil.copy2(src, archive / src.name)
            if asset.recipe_from and asset.recipe_from != src:
                shutil.copy2(asset.recipe_from, archive / asset.recipe_from.name)
            clean = Path(tmp) / src.name
            if src.suffix.lower() == ".mp4":
                frames = _clean_clip(src, clean, campaign.id)
                log(say("delivery.clip_marked", file=src.name, frames=frames))
            else:
                _clean_picture(src, clean, campaign.id)
            manifest = provenance.manifest_definition(
                title=src.name, campaign=campaign.id, client=campaign.client,
                approval=approval, models=_models([recipe]))
            dest = provenance.sign(clean, out_dir / src.name, manifest, credentials)
            delivered.append(dest)
            record["files"].append({"file": src.name, "sha256": hashlib.sha256(dest.read_bytes()).hexdigest(),
                                    "recipe_from": (asset.recipe_from or src).name})
            log(say("delivery.delivered", file=dest))
    record["models"] = models
    if campaign.decisions_file and campaign.decisions_file.is_file():  # the record as it stood: its head is the reference
        shutil.copy2(campaign.decisions_file, archive / committee.LOG_FILE)
    (archive / "delivery.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if credentials.development:
        log(say("delivery.development_certificate", folder=credentials.where))
    log(say("delivery.archived", folder=archive))
    return Delivery(campaign.id, delivered, archive, credentials.development)

