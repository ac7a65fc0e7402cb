"""Provenance of what leaves the agency: a C2PA content credential signed with the agency's
certificate (c2pa-python) and an invisible watermark carrying the campaign id (invisible-watermark's
DWT-DCT, the method diffusers uses for SDXL).

* `make_dev_certificates()` makes a development chain (root CA → intermediate → signing
  certificate, ES256, with the extended key usages C2PA asks for) in ``~/.config/genlab/c2pa-dev/``,
  outside the repository. It is for tests and demos: no one else trusts it. docs/provenance.md says
  how an agency gets a real certificate.
* `embed_mark(picture, campaign_id)` / `read_mark(picture)`: the invisible mark. Its 128 bits are
  the magic ``gL``, the campaign id (at most 12 ASCII characters) and a CRC-16, so a picture without
  the mark is not read as one. It needs pictures of at least 256×256 pixels. The method is the
  library's DWT-DCT-SVD (``dwtDctSvd``) on the U colour channel, step 48, not the plain ``dwtDct``
  diffusers uses for SDXL: on flat graphic pictures (genlab's tiny world, logos, flat colour
  layouts) plain DWT-DCT lost bits even without any change (3 of 10 read back at 512 px) and none
  survived JPEG 85; DWT-DCT-SVD at step 48 read 20 of 20 back after JPEG 85 (step 36: 11 of 20)
  (benchmarks/watermark.py measures both).
* `sign(source, dest, manifest, credentials)`: embeds a signed manifest (`c2pa.Builder`).
* `verify(path)`: what the manifest (`c2pa.Reader` and its validation results) and the mark show,
  as a `Verification` that `explain()` says in plain words (es/en).

genlab's own blue-channel mark (genlab.lessons.responsible) stays in lesson 08 as a teaching tool:
it shows the idea in twenty lines, but resizing and JPEG weaken it; this one is what deliveries use.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from genlab import settings
from genlab.core.i18n import UserError, current_language, t

# ---- the development certificate chain -----------------------------------------------------------
# Extended key usages the C2PA specification accepts for a signing certificate (§ 14.5.1):
# id-kp-emailProtection and id-kp-documentSigning (1.3.6.1.5.5.7.3.36).
DOCUMENT_SIGNING_OID = "1.3.6.1.5.5.7.3.36"
DEV_FILES = ("root.pem", "intermediate.pem", "signer.pem", "signer.key", "chain.pem")


def dev_certificate_dir() -> Path:
    """Where the development chain lives: ~/.config/genlab/c2pa-dev (XDG_CONFIG_HOME respected)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "genlab" / "c2pa-dev"


@dataclass(frozen=True)
class Credentials:
    """What signing needs: the certificate chain (signing certificate first, PEM), its private key
    (PEM), and the root that vouches for it when the agency's verifier should trust it."""

    chain_pem: bytes
    key_pem: bytes
    trust_anchor_pem: bytes | None = None
    development: bool = False
    where: str = ""


def make_dev_certificates(folder: str | os.PathLike | None = None, *, organisation: str = "genlab development",
                          force: bool = False) -> Path:
    """A development chain for tests and demos: root CA → intermediate CA → signing certificate,
    all ECDSA P-256 (ES256). The signing certificate has digitalSignature and the extended key
    usages emailProtection + documentSigning, as C2PA requires. Kept if it is already there
    (``force=True`` makes a new one). Returns the folder."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    folder = Path(folder) if folder else dev_certificate_dir()
    if not force and all((folder / n).is_file() for n in DEV_FILES):
        return folder

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def usage(ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                             encipher_only=False, decipher_only=False)

    def certificate(subject, key, issuer, issuer_key, *, ca: bool, path_length, days: int):
        now = dt.datetime.now(dt.timezone.utc)
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
             .add_extension(usage(ca), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
        if not ca:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                       ObjectIdentifier(DOCUMENT_SIGNING_OID)]), critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    root = certificate(name(f"{organisation} root CA"), keys[0], name(f"{organisation} root CA"), keys[0],
                       ca=True, path_length=1, days=3650)
    inter = certificate(name(f"{organisation} intermediate CA"), keys[1], root.subject, keys[0],
                        ca=True, path_length=0, days=1825)
    signer = certificate(name(f"{organisation} content signing"), keys[2], inter.subject, keys[1],
                         ca=False, path_length=None, days=365)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "root.pem").write_bytes(pem(root))
    (folder / "intermediate.pem").write_bytes(pem(inter))
    (folder / "signer.pem").write_bytes(pem(signer))
    (folder / "chain.pem").write_bytes(pem(signer) + pem(inter))
    key_path = folder / "signer.key"
    key_path.write_bytes(keys[2].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    key_path.chmod(0o600)
    return folder


def agency_credentials(cert: str | os.PathLike | None = None, key: str | os.PathLike | None = None,
                       trust_anchor: str | os.PathLike | None = None) -> Credentials:
    """The agency's signing credentials: ``cert`` (chain PEM) and ``key``, else GENLAB_C2PA_CERT and
    GENLAB_C2PA_KEY, else the development chain (made the first time)."""
    cert = cert or settings.get("GENLAB_C2PA_CERT") or None
    key = key or settings.get("GENLAB_C2PA_KEY") or None
    trust_anchor = trust_anchor or settings.get("GENLAB_C2PA_TRUST_ANCHORS") or None
    if cert or key:
        if not (cert and key):
            raise UserError("provenance.cert_and_key")
        for p in (cert, key):
            if not Path(p).expanduser().is_file():
                raise UserError("provenance.no_cert_file", path=str(p))
        anchor = Path(trust_anchor).expanduser().read_bytes() if trust_anchor else None
        return Credentials(Path(cert).expanduser().read_bytes(), Path(key).expanduser().read_bytes(), anchor,
                           development=False, where=str(cert))
    folder = make_dev_certificates()
    return Credentials((folder / "chain.pem").read_bytes(), (folder / "signer.key").read_bytes(),
                       (folder / "root.pem").read_bytes(), development=True, where=str(folder))


def trust_anchors() -> bytes | None:
    """Roots the verifier trusts besides the C2PA trust list: GENLAB_C2PA_TRUST_ANCHORS, and the
    development root when this machine has one (its signatures then read as the agency's own)."""
    out = b""
    extra = settings.get("GENLAB_C2PA_TRUST_ANCHORS")
    if extra and Path(extra).expanduser().is_file():
        out += Path(extra).expanduser().read_bytes()
    dev_root = dev_certificate_dir() / "root.pem"
    if dev_root.is_file():
        out += dev_root.read_bytes()
    return out or None


# ---- the invisible mark (invisible-watermark, DWT-DCT) -------------------------------------------
MARK_MAGIC = b"gL"
MARK_ID_BYTES = 12
MARK_BITS = 8 * (len(MARK_MAGIC) + MARK_ID_BYTES + 2)
MARK_MIN_SIDE = 256
MARK_METHOD = "dwtDctSvd"
MARK_SCALES = [0, 48, 0]  # Y, U, V quantisation steps: the mark lives in U (blue-yellow), not in brightness
CAMPAIGN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,11}$")
# Scales tried when the mark is not found at the picture's own size: a picture resized to 50 %
# is read again at twice its size (the mark's blocks line up again).
RESCALES = (2.0, 1.5, 4 / 3)


def check_campaign_id(campaign_id: str) -> str:
    if not isinstance(campaign_id, str) or not CAMPAIGN_ID.match(campaign_id):
        raise UserError("provenance.bad_campaign_id", campaign=str(campaign_id))
    return campaign_id


def _crc16(data: bytes) -> bytes:
    return (zlib.crc32(data) & 0xFFFF).to_bytes(2, "big")


def mark_payload(campaign_id: str) -> bytes:
    """The 16 bytes the mark carries: ``gL`` + the campaign id (NUL-padded to 12) + CRC-16."""
    body = MARK_MAGIC + check_campaign_id(campaign_id).encode("ascii").ljust(MARK_ID_BYTES, b"\0")
    return body + _crc16(body)


def _bgr(picture: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(picture.convert("RGB"))[:, :, ::-1])


def mark_fits(size: tuple[int, int]) -> bool:
    return min(size) >= MARK_MIN_SIDE


def embed_mark(picture: Image.Image, campaign_id: str) -> Image.Image:
    """A copy of ``picture`` carrying ``campaign_id`` in invisible-watermark's DWT-DCT-SVD mark."""
    from imwatermark import WatermarkEncoder

    if not mark_fits(picture.size):
        raise UserError("provenance.too_small", size=f"{picture.width}×{picture.height}", side=MARK_MIN_SIDE)
    encoder = WatermarkEncoder()
    encoder.set_watermark("bytes", mark_payload(campaign_id))
    marked = encoder.encode(_bgr(picture), MARK_METHOD, scales=MARK_SCALES)
    return Image.fromarray(np.ascontiguousarray(marked[:, :, ::-1]), "RGB")


@dataclass(frozen=True)
class MarkReading:
    found: bool
    campaign: str | None = None
    scale: float = 1.0  # the scale the picture was read at (2.0: it had been halved)


def _decode(bgr: np.ndarray) -> str | None:
    from imwatermark import WatermarkDecoder

    if min(bgr.shape[:2]) < MARK_MIN_SIDE:
        return None
    payload = WatermarkDecoder("bytes", MARK_BITS).decode(bgr, MARK_METHOD, scales=MARK_SCALES)
    body, crc = payload[:-2], payload[-2:]
    if not body.startswith(MARK_MAGIC) or _crc16(body) != crc:
        return None
    text = body[len(MARK_MAGIC):].rstrip(b"\0")
    try:
        campaign = text.decode("ascii")
    except UnicodeDecodeError:
        return None
    return campaign if CAMPAIGN_ID.match(campaign) else None


def read_mark(picture: Image.Image, *, rescale: bool = True) -> MarkReading:
    """The campaign id in ``picture``'s mark, read at its size and, when not found there (and
    ``rescale``), at the sizes it would have had before a resize to 50 %, 67 % or 75 %."""
    rgb = picture.convert("RGB")
    campaign = _decode(_bgr(rgb))
    if campaign:
        return MarkReading(True, campaign, 1.0)
    if rescale:
        for s in RESCALES:
            size = (round(rgb.width * s), round(rgb.height * s))
            campaign = _decode(_bgr(rgb.resize(size, Image.Resampling.BICUBIC)))
            if campaign:
                return MarkReading(True, campaign, s)
    return MarkReading(False)


# ---- C2PA -------------------------------------------------------------------------------------------
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
DELIVERY_LABEL = "org.genlab.delivery"
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mp4": "video/mp4"}


def genlab_version() -> str:
    try:
        from importlib.metadata import version

        return version("genlab")
    except Exception:  # noqa: BLE001 - running from a checkout that is not installed
        return "0.1.0"


def manifest_definition(*, title: str, campaign: str, client: str, approval: dict, models: list[dict]) -> dict:
    """The manifest genlab signs: generator genlab, action c2pa.created with the IPTC digital source
    type trainedAlgorithmicMedia, and genlab's delivery assertion (campaign, client, the committee's
    approval reference, each model with its licence). Prompts and settings stay out."""
    return {
        "claim_generator_info": [{"name": "genlab", "version": genlab_version()}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": [{
                "action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                "softwareAgent": {"name": "genlab", "version": genlab_version()}}]}},
            {"label": DELIVERY_LABEL, "data": {"campaign": campaign, "client": client, "approval": approval,
                                               "models": models}},
        ],
    }


def sign(source: str | os.PathLike, dest: str | os.PathLike, manifest: dict, credentials: Credentials) -> Path:
    """Write ``dest``: ``source`` with ``manifest`` embedded and signed (ES256)."""
    import c2pa

    source, dest = Path(source), Path(dest)
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", credentials.chain_pem, credentials.key_pem, None))
    builder = c2pa.Builder(manifest)
    try:
        with open(source, "rb") as s, open(dest, "w+b") as d:
            builder.sign(signer, MIME[source.suffix.lower()], s, d)
    finally:
        for thing in (builder, signer):
            close = getattr(thing, "close", None)
            if close:
                close()
    return dest


@dataclass
class Verification:
    file: str
    manifest: bool = False
    state: str | None = None  # c2pa's validation state: Invalid, Valid or Trusted
    failures: list[str] = field(default_factory=list)  # validation codes, e.g. assertion.dataHash.mismatch
    generator: str | None = None
    source_type: str | None = None
    signer: str | None = None
    campaign: str | None = None
    client: str | None = None
    approval: dict = field(default_factory=dict)
    models: list = field(default_factory=list)
    mark: MarkReading | None = None
    mark_checked: bool = False
    error: str | None = None

    @property
    def changed(self) -> bool:
        """The file changed after signing: c2pa reports a hash mismatch."""
        return any(c.endswith(".mismatch") for c in self.failures)

    @property
    def untrusted(self) -> bool:
        return "signingCredential.untrusted" in self.failures

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "mark"}
        out["mark"] = None if self.mark is None else self.mark.__dict__
        out["changed"] = self.changed
        return out


def _frames_for_mark(path: Path, limit: int = 5) -> list[Image.Image]:
    if path.suffix.lower() != ".mp4":
        with Image.open(path) as im:
            return [im.convert("RGB")]
    import imageio.v2 as imageio

    out = []
    reader = imageio.get_reader(str(path), format="FFMPEG")
    try:
        for i, frame in enumerate(reader):
            if i >= limit:
                break
            out.append(Image.fromarray(frame))
    finally:
        reader.close()
    return out


def verify(path: str | os.PathLike, *, check_mark: bool = True) -> Verification:
    """Read ``path``'s C2PA manifest (c2pa.Reader, validated, trusting the agency's roots) and its mark."""
    import c2pa

    path = Path(path)
    if not path.is_file():
        raise UserError("provenance.no_file", path=str(path))
    out = Verification(file=path.name)
    anchors = trust_anchors()
    context = c2pa.Context.from_dict({"trust": {"user_anchors": anchors.decode()}}) if anchors else None
    reader = None
    try:
        reader = c2pa.Reader.try_create(str(path), context=context) if context else c2pa.Reader.try_create(str(path))
    except c2pa.C2paError as err:
        out.manifest = True
        out.state = "Invalid"
        out.error = str(err)
    if reader is not None:
        try:
            out.manifest = True
            out.state = reader.get_validation_state()
            results = reader.get_validation_results() or {}
            active = results.get("activeManifest") or {}
            out.failures = [f.get("code", "") for f in active.get("failure", [])]
            manifest = reader.get_active_manifest() or {}
            info = (manifest.get("claim_generator_info") or [{}])[0]
            out.generator = info.get("name")
            out.signer = (manifest.get("signature_info") or {}).get("common_name")
            for assertion in manifest.get("assertions", []):
                label, data = assertion.get("label", ""), assertion.get("data") or {}
                if label.startswith("c2pa.actions"):
                    for action in data.get("actions", []):
                        out.source_type = out.source_type or action.get("digitalSourceType")
                elif label == DELIVERY_LABEL:
                    out.campaign, out.client = data.get("campaign"), data.get("client")
                    out.approval, out.models = data.get("approval") or {}, data.get("models") or []
        finally:
            close = getattr(reader, "close", None)
            if close:
                close()
    if check_mark:
        out.mark_checked = True
        readings = [read_mark(frame) for frame in _frames_for_mark(path) if mark_fits(frame.size)]
        out.mark = next((r for r in readings if r.found), readings[0] if readings else None)
    return out


def explain(v: Verification, lang: str | None = None) -> str:
    """What ``v`` shows, in plain words, in ``lang`` (default: the reader's language)."""
    lang = lang or current_language()
    say = lambda key, **values: t(f"provenance.{key}", lang, **values)  # noqa: E731
    lines = [say("verify_heading", file=v.file)]
    if not v.manifest:
        lines.append(say("manifest_missing"))
    elif v.error:
        lines.append(say("manifest_unreadable", error=v.error))
    else:
        if v.changed:
            lines.append(say("manifest_changed"))
        elif v.state in ("Valid", "Trusted") and not [c for c in v.failures if c != "signingCredential.untrusted"]:
            lines.append(say("manifest_valid_trusted" if v.state == "Trusted" else "manifest_valid_untrusted",
                             signer=v.signer or "?"))
        else:
            lines.append(say("manifest_invalid", codes=", ".join(v.failures) or v.state or "?"))
        if v.generator:
            lines.append(say("made_by", generator=v.generator))
        if v.source_type == TRAINED_ALGORITHMIC_MEDIA:
            lines.append(say("ai_made"))
        if v.campaign:
            lines.append(say("campaign", campaign=v.campaign, client=v.client or "?"))
        if v.approval:
            lines.append(say("approval", reference=v.approval.get("reference", "?"),
                             date=v.approval.get("date", "?")))
        for m in v.models:
            lines.append(say("model", profile=m.get("profile", "?"), model=m.get("model") or "?",
                             licence=m.get("licence") or "?"))
    if v.mark_checked:
        if v.mark is None:
            lines.append(say("mark_too_small", side=MARK_MIN_SIDE))
        elif v.mark.found:
            lines.append(say("mark_found", campaign=v.mark.campaign))
            if v.mark.scale != 1.0:
                lines.append(say("mark_resized", percent=round(100 / v.mark.scale)))
            if not v.manifest:
                lines.append(say("mark_without_metadata", campaign=v.mark.campaign))
            elif v.campaign and v.campaign != v.mark.campaign:
                lines.append(say("mark_other_campaign", mark=v.mark.campaign, campaign=v.campaign))
        else:
            lines.append(say("mark_not_found"))
    return "\n".join(lines)
