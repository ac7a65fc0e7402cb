"""Delivery and verification (issue 16): C2PA credentials signed with the development chain and read
back by c2pa-python's own Reader, the invisible campaign mark, the approval gate, recipes kept in the
archive and out of the delivered files."""

import io
import json
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genlab.core import delivery, provenance
from genlab.core.recipe import Recipe, save_png

c2pa = pytest.importorskip("c2pa")

CAMPAIGN = "CMX-2025-014"


@pytest.fixture(autouse=True)
def _dev_certificates(tmp_path_factory, monkeypatch):
    """The development chain in a temporary ~/.config (made once for the module's tests)."""
    base = tmp_path_factory.getbasetemp() / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base))
    for name in ("GENLAB_C2PA_CERT", "GENLAB_C2PA_KEY", "GENLAB_C2PA_TRUST_ANCHORS", "GENLAB_ARCHIVE"):
        monkeypatch.delenv(name, raising=False)
    provenance.make_dev_certificates()


def picture(seed: int = 0, size: int = 128) -> Image.Image:
    """A tiny-world picture (what the tiny model draws), enlarged 4× as the issue asks."""
    from genlab.core.finishing import upscale
    from genlab.tiny import world

    return upscale(world.render(world.sample_scene(random.Random(seed)), size), 4)


def recipe(seed: int = 0) -> Recipe:
    return Recipe(prompt="a secret client prompt", negative_prompt="internal note", seed=seed, steps=20,
                  guidance=7.0, width=512, height=512, profile="tiny", model="tiny")


def make_campaign(folder: Path, *, approved: bool = True, mp4: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    save_png(picture(1), recipe(1), folder / "hero.png")
    picture(2).save(folder / "hero-print.jpg", quality=95)
    assets = '[[assets]]\nfile = "hero.png"\n[[assets]]\nfile = "hero-print.jpg"\nrecipe = "hero.png"\n'
    if mp4:
        from genlab.core.video import export_mp4

        r = recipe(3)
        r.frames, r.fps = 3, 4
        export_mp4([picture(s, 64) for s in (3, 4, 5)], 4, folder / "clip.mp4", r)
        assets += '[[assets]]\nfile = "clip.mp4"\n'
    (folder / "campaign.toml").write_text(
        f'[campaign]\nid = "{CAMPAIGN}"\nclient = "Café La Luna"\narchive = "archivo"\n\n{assets}', encoding="utf-8")
    (folder / "committee.toml").write_text(ROSTER, encoding="utf-8")
    if approved:
        approve(folder)
    return folder


ROSTER = """[committee]
name = "Comité de ética de IA"
[quorum]
approvals = 2
roles = ["chair", "legal"]
[[members]]
id = "lmendez"
name = "Laura Méndez"
role = "chair"
[[members]]
id = "druiz"
name = "Diego Ruiz"
role = "legal"
[[members]]
id = "pvega"
name = "Paola Vega"
role = "creative_director"
"""


def approve(folder: Path, members=("lmendez", "druiz")) -> None:
    """The committee's approval, recorded as `genlab committee decide` records it."""
    from genlab.lessons.review import decide

    for member in members:
        decide(folder, "approve", member, "Revisado: sin personas reales ni marcas de terceros.")


def approval_reference(folder: Path) -> str:
    from genlab.core import committee

    last = committee.read_log(folder / "decisions.jsonl").records[-1]
    return "sha256:" + last["hash"]


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def png_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    data = path.read_bytes()
    out, pos = [], 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]))
        pos += 12 + n
    return out


def change_one_pixel(src: Path, dest: Path) -> None:
    """Flip one bit of one pixel inside the PNG's image data, keeping every other chunk (the manifest too)."""
    chunks = png_chunks(src)
    raw = bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")))
    raw[1 + 3 * 10] ^= 0x01  # row 0 (after its filter byte), pixel 10, red
    out, done = bytearray(src.read_bytes()[:8]), False
    for kind, body in chunks:
        if kind == b"IDAT":
            if done:
                continue
            body, done = zlib.compress(bytes(raw)), True
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    dest.write_bytes(bytes(out))


def test_dev_chain_has_the_usages_c2pa_asks_for():
    from cryptography import x509

    folder = provenance.dev_certificate_dir()
    signer = x509.load_pem_x509_certificate((folder / "signer.pem").read_bytes())
    inter = x509.load_pem_x509_certificate((folder / "intermediate.pem").read_bytes())
    root = x509.load_pem_x509_certificate((folder / "root.pem").read_bytes())
    ekus = {e.dotted_string for e in signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value}
    assert provenance.DOCUMENT_SIGNING_OID in ekus and "1.3.6.1.5.5.7.3.4" in ekus
    assert not signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert signer.issuer == inter.subject and inter.issuer == root.subject and root.issuer == root.subject
    assert (folder / "signer.key").stat().st_mode & 0o077 == 0


def test_unapproved_campaign_is_refused_and_nothing_is_written(tmp_path):
    folder = make_campaign(tmp_path / "c", approved=False)
    before = files_under(tmp_path)
    with pytest.raises(delivery.NotDeliverable) as err:
        delivery.deliver(folder, log=lambda *a: None)
    assert files_under(tmp_path) == before
    assert "approvals" in str(err.value) and "nothing was written" in str(err.value)
    assert "Laura Méndez (chair)" in str(err.value)  # who still has to decide
    assert "aprobaciones" in err.value.message("es")


def test_rejected_campaign_is_refused(tmp_path):
    from genlab.lessons.review import decide

    folder = make_campaign(tmp_path / "c")
    decide(folder, "reject", "pvega", "Se parece demasiado a la campaña de otra marca.")
    with pytest.raises(delivery.NotDeliverable) as err:
        delivery.deliver(folder, log=lambda *a: None)
    text = str(err.value)
    assert "Paola Vega rejected it" in text and "otra marca" in text
    assert not (folder / "delivery").exists() and not (folder / "archivo").exists()


def test_small_pictures_are_refused_before_anything_is_written(tmp_path):
    folder = make_campaign(tmp_path / "c")
    save_png(Image.new("RGB", (128, 128), "white"), recipe(), folder / "hero.png")
    with pytest.raises(delivery.NotDeliverable) as err:
        delivery.deliver(folder, log=lambda *a: None)
    assert "128×128" in str(err.value)
    assert not (folder / "delivery").exists()


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    import os

    base = tmp_path_factory.getbasetemp() / "xdg-config"
    old = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(base)
    try:
        provenance.make_dev_certificates()
        folder = make_campaign(tmp_path_factory.mktemp("campaign"), mp4=True)
        result = delivery.deliver(folder, log=lambda *a: None)
    finally:
        if old is None:
            os.environ.pop("XDG_CONFIG_HOME", None)
        else:
            os.environ["XDG_CONFIG_HOME"] = old
    return folder, result


def test_delivered_files_carry_no_recipe_and_a_manifest(delivered):
    folder, result = delivered
    names = sorted(p.name for p in result.files)
    assert names == ["clip.mp4", "hero-print.jpg", "hero.png"]
    for path in result.files:
        data = path.read_bytes()
        assert b"secret client prompt" not in data and b"internal note" not in data
        assert b"Negative prompt" not in data and b"genlab_recipe_version" not in data
        assert c2pa.Reader(str(path)).get_active_manifest() is not None
    png = folder / "delivery" / "hero.png"
    kinds = {kind for kind, _ in png_chunks(png)}
    assert b"caBX" in kinds and not kinds & {b"tEXt", b"iTXt", b"zTXt"}
    assert not ({"parameters", "genlab"} & set(Image.open(png).info))
    from genlab.core.video import mp4_metadata

    tags = mp4_metadata(folder / "delivery" / "clip.mp4")
    assert "description" not in tags and "comment" not in tags
    # the originals, recipes and all, are in the agency's archive
    archived = {p.name for p in result.archive.iterdir()}
    assert {"hero.png", "hero-print.jpg", "clip.mp4", "delivery.json"} <= archived
    assert "secret client prompt" in Image.open(result.archive / "hero.png").info["parameters"]
    record = json.loads((result.archive / "delivery.json").read_text(encoding="utf-8"))
    assert record["approval"]["reference"] == approval_reference(folder) and len(record["files"]) == 3
    assert record["approval"]["by"] == ["Laura Méndez (chair)", "Diego Ruiz (legal)"]
    assert (result.archive / "decisions.jsonl").read_bytes() == (folder / "decisions.jsonl").read_bytes()


def test_c2pa_reader_validates_the_manifest_with_the_expected_assertions(delivered):
    folder, result = delivered
    ctx = c2pa.Context.from_dict({"trust": {"user_anchors": (provenance.dev_certificate_dir() / "root.pem").read_text()}})
    for path in result.files:
        reader = c2pa.Reader(str(path), context=ctx)
        assert reader.get_validation_state() == "Trusted", reader.get_validation_results()
        manifest = reader.get_active_manifest()
        assert manifest["claim_generator_info"][0]["name"] == "genlab"
        labels = {a["label"]: a["data"] for a in manifest["assertions"]}
        action = labels["c2pa.actions.v2"]["actions"][0]
        assert action["action"] == "c2pa.created"
        assert action["digitalSourceType"] == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
        ours = labels[provenance.DELIVERY_LABEL]
        assert ours["campaign"] == CAMPAIGN and ours["client"] == "Café La Luna"
        assert ours["approval"]["reference"] == approval_reference(folder)
        assert ours["models"][0]["profile"] == "tiny" and ours["models"][0]["licence"].startswith("Apache-2.0")
        assert "secret" not in json.dumps(manifest)


def test_verify_says_valid_and_finds_the_mark(delivered):
    folder, result = delivered
    for path in result.files:
        v = provenance.verify(path)
        assert v.manifest and not v.changed and v.state == "Trusted", v
        assert v.mark.found and v.mark.campaign == CAMPAIGN, path.name
        text = provenance.explain(v, "en")
        assert "valid" in text and "has not changed" in text and CAMPAIGN in text
        assert "válida" in provenance.explain(v, "es")


def test_one_changed_pixel_is_reported(delivered, tmp_path):
    folder, _ = delivered
    changed = tmp_path / "hero.png"
    change_one_pixel(folder / "delivery" / "hero.png", changed)
    v = provenance.verify(changed)
    assert v.manifest and v.changed
    assert any(code.endswith(".mismatch") for code in v.failures)
    assert "changed after it was signed" in provenance.explain(v, "en")
    assert "cambió después de firmarse" in provenance.explain(v, "es")


def test_stripped_metadata_still_shows_the_mark(delivered, tmp_path):
    folder, _ = delivered
    stripped = tmp_path / "reposted.jpg"
    Image.open(folder / "delivery" / "hero.png").convert("RGB").save(stripped, quality=85)
    v = provenance.verify(stripped)
    assert not v.manifest
    assert v.mark.found and v.mark.campaign == CAMPAIGN
    text = provenance.explain(v, "en")
    assert "missing" in text and "though the metadata was stripped" in text


def test_unmarked_unsigned_picture(tmp_path):
    path = tmp_path / "plain.png"
    picture(9).save(path)
    v = provenance.verify(path)
    assert not v.manifest and not v.mark.found
    assert "not found" in provenance.explain(v, "en")


def test_mark_survives_jpeg_85_on_an_upscaled_picture():
    marked = provenance.embed_mark(picture(11), CAMPAIGN)
    buf = io.BytesIO()
    marked.save(buf, format="JPEG", quality=85)
    assert provenance.read_mark(Image.open(io.BytesIO(buf.getvalue()))).campaign == CAMPAIGN
    half = marked.resize((marked.width // 2, marked.height // 2), Image.Resampling.LANCZOS)
    reading = provenance.read_mark(half)
    assert reading.found and reading.scale == 2.0
    # the mark costs some fidelity: flat areas shift a few levels in blue/yellow (docs/provenance.md)
    mse = np.mean((np.asarray(marked, float) - np.asarray(picture(11), float)) ** 2)
    assert 10 * np.log10(255 ** 2 / mse) > 33


def test_campaign_ids_the_mark_can_carry():
    assert len(provenance.mark_payload("A")) * 8 == provenance.MARK_BITS
    for bad in ("", "has space", "much-too-long-id", "ñandú"):
        with pytest.raises(ValueError):
            provenance.mark_payload(bad)


def test_cli_deliver_refuses_and_verify_speaks_spanish(tmp_path, monkeypatch, capsys, delivered):
    from genlab.cli import main

    folder = make_campaign(tmp_path / "c", approved=False)
    monkeypatch.setenv("GENLAB_LANG", "es")
    assert main(["deliver", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "no se escribió nada" in err and "aprobaciones" in err
    good, result = delivered
    assert main(["verify", str(result.files[0])]) == 0
    assert "Credencial de contenido: válida" in capsys.readouterr().out


def test_changes_requested_then_resubmitted_and_approved_delivers(tmp_path):
    from genlab.lessons.review import decide

    folder = make_campaign(tmp_path / "c", approved=False)
    approve(folder, ("lmendez",))
    decide(folder, "changes_requested", "druiz", "El empaque del fondo es de otra marca: quítalo.")
    before = files_under(tmp_path)
    with pytest.raises(delivery.NotDeliverable) as err:
        delivery.deliver(folder, log=lambda *a: None)
    assert "Diego Ruiz asked for changes" in str(err.value) and "resubmit" in str(err.value)
    assert "Diego Ruiz pidió cambios" in err.value.message("es")
    assert files_under(tmp_path) == before
    # the team changes the picture: the earlier approval was for other files
    save_png(picture(7), recipe(7), folder / "hero.png")
    decide(folder, "resubmit", "pvega", "Quitamos el empaque de la otra marca.")
    decide(folder, "approve", "druiz", "Corregido.")
    with pytest.raises(delivery.NotDeliverable) as err:  # one approval in the new round; the chair has not decided
        delivery.deliver(folder, log=lambda *a: None)
    assert "1 of the 2 approvals" in str(err.value) and "role chair" in str(err.value)
    decide(folder, "approve", "lmendez", "Aprobada.")
    result = delivery.deliver(folder, log=lambda *a: None)
    assert sorted(p.name for p in result.files) == ["hero-print.jpg", "hero.png"]
    assert provenance.verify(result.files[0]).approval["reference"] == approval_reference(folder)


def test_files_changed_after_approval_or_an_edited_record_are_refused(tmp_path):
    folder = make_campaign(tmp_path / "c")
    picture(8).save(folder / "hero-print.jpg", quality=95)
    with pytest.raises(delivery.NotDeliverable) as err:
        delivery.deliver(folder, log=lambda *a: None)
    assert "hero-print.jpg changed since" in str(err.value)
    folder = make_campaign(tmp_path / "d")
    log = folder / "decisions.jsonl"
    log.write_text(log.read_text(encoding="utf-8").replace("Revisado", "Revisada"), encoding="utf-8")
    with pytest.raises(delivery.NotDeliverable) as err:
        delivery.deliver(folder, log=lambda *a: None)
    assert "record of decisions is broken" in str(err.value)
    assert not (folder / "delivery").exists() and not (folder / "archivo").exists()
