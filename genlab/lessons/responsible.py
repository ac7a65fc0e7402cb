"""Responsible use (lesson 8): licence facts, a measurable bias probe, and provenance checks.

Three small tools, all offline and dependency-free beyond numpy/PIL:

* **Licences** (:func:`licences`, :func:`licence_facts`): the ``licence`` field of every profile in
  ``assets/models.toml``, matched against a short table of the licences genlab's profiles use
  (``KNOWN_LICENCES``): may a paid client project use it, and what does it forbid. Unknown
  licences answer ``commercial = "check"``: read it, ask whoever signs contracts. These are
  teaching summaries, not legal advice; the licence text is what counts.
* **Bias probe** (:func:`bias_probe`, :func:`world_probe`, :func:`shares`, :func:`compare`): give
  the model an *under-specified* prompt ("a circle") over many seeds, read every picture with the
  pixel evaluator (:mod:`genlab.tiny.evaluator`), and count what it picked for what the prompt did
  not say (colour, background, size, position, style). Compare with the shapes world's documented
  defaults (:data:`genlab.tiny.world.DEFAULTS`; colours have no default, so "fair" is uniform).
  Big models have the same habit with people, places and jobs; the tiny model makes it countable.
* **Provenance** (:func:`embed_watermark`, :func:`detect_watermark`, :func:`save_marked`,
  :func:`check_provenance`): the recipe inside the PNG (visible to anyone with the file) plus an
  *invisible watermark*: a keyed spread-spectrum mark in the blue channel.

The watermark, in full
----------------------
From the key (any text) a generator draws a pattern ``P`` of +1/-1, one value per pixel. Marking
adds ``strength * P`` (default 3 of 255 levels) to the blue channel: invisible to the eye (the
change is below what 8-bit displays show on most colours). Detection removes the picture's own
content with a 3x3 high-pass filter (pixel minus the mean of its neighbourhood), correlates what is
left with ``P`` and turns the correlation into a z-score: about N(0, 1) for a picture without this
key's mark, about 100 for a marked 128x128 picture. ``present`` means z >= ``THRESHOLD`` (6: a
false alarm about once in a billion unmarked pictures). It survives lossless saving (PNG), copying
and cropping-free edits of a few pixels; it weakens with resizing, blurring and JPEG, and someone
who knows the method and the key can remove it. It proves "this file came through our pipeline
with our key", never "this picture is not AI". Real systems (C2PA content credentials, SynthID,
``invisible-watermark``'s DWT-DCT) follow the same idea with more robustness.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from PIL import Image

from genlab.core.i18n import current_language, say, t
from genlab.tiny import world

# ---- licences ------------------------------------------------------------------------------------
# Matched (case-insensitively) against the start of a profile's licence text, longest key first.
KNOWN_LICENCES: dict[str, dict[str, str]] = {
    "apache-2.0": {
        "commercial": "yes",
        "summary": "Permissive: use, change and sell; keep the licence and notices with the model.",
        "restrictions": "Keep the copyright and licence notice; no use of the authors' trademarks.",
    },
    "creativeml openrail-m": {
        "commercial": "yes",
        "summary": "Commercial use allowed, with use-based restrictions (Attachment A) that pass on to everyone you share the model or outputs' use with.",
        "restrictions": "No illegal use, no harming minors, no defamation or harassment, no generating false information to harm others, no personal data misuse, no discrimination, no medical advice or law-enforcement predictions (Attachment A).",
    },
    "creativeml open rail++-m": {
        "commercial": "yes",
        "summary": "Like OpenRAIL-M: commercial use allowed, with the same kind of use-based restrictions.",
        "restrictions": "Use-based restrictions as in OpenRAIL-M (Attachment A).",
    },
    "stability ai non-commercial research community license": {
        "commercial": "no",
        "summary": "Research and personal use only; commercial use needs a paid Stability AI membership.",
        "restrictions": "No commercial use (client work, ads, products) without a Stability AI licence.",
    },
    "stability ai community license": {
        "commercial": "check",
        "summary": "Free for research, non-commercial use and organisations below a yearly revenue limit set by Stability AI; above it, an enterprise licence. The terms have changed before: read the current ones.",
        "restrictions": "Check the current revenue limit and Stability AI's acceptable use policy before client work.",
    },
    "ltx-video open weights license": {
        "commercial": "check",
        "summary": "Open weights with conditions that depend on who you are (e.g. company revenue) and how you use it.",
        "restrictions": "Read the use restrictions and the commercial terms before client work.",
    },
}
COMMERCIAL_VALUES = ("yes", "no", "check")
# The texts above in the reader's language: responsible.licence_<id>_summary / _restrictions in
# assets/i18n/<lang>.toml (the English there is the text above, word for word; a test compares them).
LICENCE_TEXT_IDS = {
    "apache-2.0": "apache",
    "creativeml openrail-m": "openrail",
    "creativeml open rail++-m": "openrail_plus",
    "stability ai non-commercial research community license": "stability_community",
    "stability ai community license": "stability_community_2024",
    "ltx-video open weights license": "ltx",
}


@dataclass(frozen=True)
class LicenceFacts:
    profile: str
    licence: str  # the text in assets/models.toml, in the reader's language (Profile.licence_in())
    commercial: str  # "yes", "no" or "check" (several licences joined by " + ": the strictest wins)
    summary: str
    restrictions: str
    parts: tuple[str, ...] = ()  # the licences it combines ("X + Y")

    @property
    def verdict(self) -> str:
        """``commercial`` as a person reads it, in their language ("yes" / "sí", "check" / "revisar")."""
        return say(f"responsible.commercial_{self.commercial}")


def _facts_for(text: str, lang: str | None = None) -> list[dict[str, str]]:
    lang = lang or current_language()
    found = []
    for part in [p.strip() for p in text.split(" + ")]:
        low = part.lower()
        key = next((k for k in sorted(KNOWN_LICENCES, key=len, reverse=True) if low.startswith(k)), None)
        if key:
            ident = LICENCE_TEXT_IDS[key]
            found.append({"commercial": KNOWN_LICENCES[key]["commercial"],
                          "summary": t(f"responsible.licence_{ident}_summary", lang),
                          "restrictions": t(f"responsible.licence_{ident}_restrictions", lang)})
        else:
            found.append({"commercial": "check", "summary": t("responsible.licence_unknown", lang, licence=part),
                          "restrictions": t("responsible.licence_unknown_restrictions", lang)})
    return found


def licence_facts(profile: str, lang: str | None = None) -> LicenceFacts:
    """What the licence of one profile allows (from its ``licence`` field in assets/models.toml), in
    ``lang`` (default: the reader's language)."""
    from genlab.core.profiles import get_profile

    lang = lang or current_language()
    prof = get_profile(profile)
    text = getattr(prof, "licence", None) or ""
    parts = _facts_for(text, lang) if text else [{"commercial": "check", "summary": t("responsible.no_licence", lang),
                                                  "restrictions": t("responsible.no_licence_restrictions", lang)}]
    values = [p["commercial"] for p in parts]
    commercial = "no" if "no" in values else "check" if "check" in values else "yes"
    return LicenceFacts(
        profile=prof.name,
        licence=prof.licence_in(lang) if text else text,
        commercial=commercial,
        summary=" ".join(p["summary"] for p in parts),
        restrictions=" ".join(p["restrictions"] for p in parts),
        parts=tuple(p.strip() for p in text.split(" + ")),
    )


def licences() -> dict[str, LicenceFacts]:
    """:func:`licence_facts` for every profile in assets/models.toml, in file order."""
    from genlab.core.profiles import all_profiles

    return {name: licence_facts(name) for name in all_profiles()}


def licence_table() -> str:
    """A plain-text table: profile, may a paid client project use it, licence."""
    rows = [(f.profile, say(f"responsible.commercial_{f.commercial}"), f.licence) for f in licences().values()]
    head = (say("responsible.table_profile"), say("responsible.table_client_work"), say("responsible.table_licence"))
    w = max(len(r[0]) for r in [*rows, head])
    c = max(len(r[1]) for r in [*rows, head])
    lines = [f"{head[0]:<{w}}  {head[1]:<{c}}  {head[2]}", f"{'-' * w}  {'-' * c}  {'-' * len(head[2])}"]
    lines += [f"{p:<{w}}  {k:<{c}}  {lic}" for p, k, lic in rows]
    return "\n".join(lines)


# ---- bias probe ----------------------------------------------------------------------------------
PROBE_ATTRIBUTES = ("colour", "background", "size", "position", "style")


def world_distribution(attribute: str, prompt: str = "a circle") -> dict[str, float]:
    """What the shapes world's training data shows for an attribute the prompt does not state.

    size, position, style: ``world.DEFAULTS``; colour: uniform over the 8 colours (captions always
    name a colour, so there is no default); background: uniform over the colours other than the
    object's (about 1/8 each when the object colour is itself uniform).
    """
    if attribute in world.DEFAULTS:
        return dict(world.DEFAULTS[attribute])
    if attribute in ("colour", "background"):
        return {c: 1 / len(world.COLOURS) for c in world.COLOURS}
    if attribute == "shape":
        return {s: 1 / len(world.SHAPES) for s in world.SHAPES}
    raise ValueError(say("responsible.unknown_attribute", attribute=repr(attribute), attributes=", ".join(PROBE_ATTRIBUTES)))


def shares(values: Iterable[Any], *, skip_none: bool = True) -> dict[Any, float]:
    """Fraction of each value, most common first. ``None`` (the evaluator could not tell) is left
    out of both the count and the total unless ``skip_none`` is False."""
    vals = [v for v in values if not (skip_none and v is None)]
    if not vals:
        return {}
    counts = Counter(vals)
    return {k: n / len(vals) for k, n in counts.most_common()}


@dataclass
class Probe:
    """Readings of many pictures of one prompt (one dict per picture, keys as parse_prompt)."""

    prompt: str
    readings: list[dict]
    seeds: list[int] = field(default_factory=list)
    source: str = "model"  # "model" or "world"
    images: list = field(default_factory=list, repr=False)

    def values(self, attribute: str) -> list:
        return [r.get(attribute) for r in self.readings]

    def counts(self, attribute: str) -> dict:
        return dict(Counter(self.values(attribute)).most_common())

    def shares(self, attribute: str) -> dict:
        return shares(self.values(attribute))

    def unread(self, attribute: str) -> int:
        return sum(v is None for v in self.values(attribute))


def _unstated(prompt: str) -> list[str]:
    parsed = world.parse_prompt(prompt)
    return [a for a in PROBE_ATTRIBUTES if parsed.get(a) is None]


def bias_probe(prompt: str = "a circle", seeds: Sequence[int] | int = 16, *, profile: str | None = None,
               steps: int | None = None, keep_images: bool = True) -> Probe:
    """Generate ``prompt`` once per seed (one batch: seeds s, s+1, ...) and read each picture.

    ``seeds``: a number n (seeds 0..n-1) or consecutive seeds. Reading uses the tiny-world pixel
    evaluator, so the counts mean something for the tiny profile (and roughly for real models
    asked shapes-world prompts).
    """
    from genlab.core.generation import generate
    from genlab.tiny.evaluator import read_images

    seeds = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seeds or seeds != list(range(seeds[0], seeds[0] + len(seeds))):
        raise ValueError(say("responsible.seeds"))
    gen = generate(prompt, seed=seeds[0], n=len(seeds), steps=steps, profile=profile)
    return Probe(prompt, read_images(gen.images), seeds, "model", list(gen.images) if keep_images else [])


def world_scenes(prompt: str = "a circle", n: int = 64, seed: int = 0) -> list[world.Scene]:
    """Scenes the way the training data pictures ``prompt``: stated words kept, unstated size,
    position and style drawn from ``world.DEFAULTS``, an unstated colour uniformly, background
    uniform among the other colours. Ground truth for exercises and for the world side of a probe."""
    parsed = world.parse_prompt(prompt)
    rng = random.Random(seed)
    scenes = []
    for _ in range(n):
        shape = parsed.get("shape") or rng.choice(world.SHAPES)
        colour = parsed.get("colour") or rng.choice(list(world.COLOURS))
        bg = parsed.get("background")
        if bg is None or bg == colour:
            bg = rng.choice([c for c in world.COLOURS if c != colour])
        attrs = {a: parsed.get(a) or world._weighted(rng, world.DEFAULTS[a]) for a in world.OPTIONAL_ATTRIBUTES}
        dx, dy, sc = world._jitter(rng)
        scenes.append(world.Scene((world.Shape(shape, colour, attrs["size"], attrs["position"], attrs["style"], dx, dy, sc),), bg))
    return scenes


def world_probe(prompt: str = "a circle", n: int = 64, seed: int = 0, *, read: bool = True) -> Probe:
    """The same probe on ground-truth renders of :func:`world_scenes` (no model; fast).

    With ``read`` the evaluator reads the renders (as it reads the model's pictures); without,
    the readings are the scenes' own attributes."""
    scenes = world_scenes(prompt, n, seed)
    images = [world.render(s) for s in scenes]
    if read:
        from genlab.tiny.evaluator import read_images

        readings = read_images(images)
    else:
        readings = [
            {"shape": s.objects[0].shape, "colour": s.objects[0].colour, "background": s.background,
             "size": s.objects[0].size, "position": s.objects[0].position, "style": s.objects[0].style}
            for s in scenes
        ]
    return Probe(prompt, readings, list(range(seed, seed + n)), "world", images)


@dataclass(frozen=True)
class Row:
    attribute: str
    top: Any  # the model's most common value
    model_share: float  # how often the model picks it
    world_share: float  # how often the world shows it for this prompt
    unread: int  # pictures the evaluator could not read for this attribute

    @property
    def skew(self) -> float:
        """model_share - world_share: positive = the model over-uses its favourite."""
        return self.model_share - self.world_share


def compare(probe: Probe, attributes: Sequence[str] | None = None) -> list[Row]:
    """For each unstated attribute: the model's favourite, its share, and the world's share of it."""
    attributes = list(attributes or _unstated(probe.prompt))
    rows = []
    for a in attributes:
        sh = probe.shares(a)
        top = next(iter(sh), None)
        rows.append(Row(a, top, sh.get(top, 0.0), world_distribution(a, probe.prompt).get(top, 0.0), probe.unread(a)))
    return rows


def compare_table(probe: Probe, attributes: Sequence[str] | None = None) -> str:
    """:func:`compare` as plain text, one line per attribute."""
    source = say(f"responsible.source_{probe.source}") if probe.source in ("model", "world") else probe.source
    head = [say(f"responsible.column_{name}") for name in ("attribute", "favourite", "picked", "world", "skew", "unread")]
    a = max(11, len(head[0]))
    f = max(12, len(head[1]))
    n = [max(6, len(h)) for h in head[2:5]]
    lines = [say("responsible.probe_heading", prompt=probe.prompt, count=len(probe.readings), source=source),
             f"{head[0]:<{a}} {head[1]:<{f}} {head[2]:>{n[0]}} {head[3]:>{n[1]}} {head[4]:>{n[2]}}  {head[5]}"]
    for r in compare(probe, attributes):
        lines.append(f"{r.attribute:<{a}} {str(r.top):<{f}} {r.model_share:>{n[0]}.0%} {r.world_share:>{n[1]}.0%} "
                     f"{r.skew:>+{n[2]}.0%}  {r.unread}")
    return "\n".join(lines)


def probe_chart(probe: Probe, attributes: Sequence[str] | None = None):
    """A matplotlib Figure: for each attribute, bars of the model's shares next to the world's."""
    from matplotlib.figure import Figure

    attributes = list(attributes or _unstated(probe.prompt))
    fig = Figure(figsize=(3.3 * len(attributes), 3.4), layout="constrained")
    for k, a in enumerate(attributes):
        ax = fig.add_subplot(1, len(attributes), k + 1)
        wd = world_distribution(a, probe.prompt)
        sh = probe.shares(a)
        keys = list(dict.fromkeys([*sh, *sorted(wd, key=wd.get, reverse=True)]))[:9]
        x = np.arange(len(keys))
        ax.bar(x - 0.2, [sh.get(key, 0) for key in keys], 0.4, label=say("responsible.chart_model" if probe.source == "model" else "responsible.chart_world_sample"), color="#d95f02")
        ax.bar(x + 0.2, [wd.get(key, 0) for key in keys], 0.4, label=say("responsible.chart_world"), color="#7570b3")
        ax.set_xticks(x, [str(key) for key in keys], rotation=60, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(a, fontsize=11)
        if k == 0:
            ax.set_ylabel(say("responsible.chart_share"))
            ax.legend(fontsize=8)
    title = "responsible.chart_title_model" if probe.source == "model" else "responsible.chart_title_world"
    fig.suptitle(say(title, prompt=probe.prompt, count=len(probe.readings)), fontsize=11)
    return fig


# ---- provenance: invisible watermark ------------------------------------------------------------
STRENGTH = 3.0
THRESHOLD = 6.0
CHANNEL = 2  # blue


def _pattern(key: str, shape: tuple[int, int]) -> np.ndarray:
    if not isinstance(key, str) or not key:
        raise ValueError(say("responsible.empty_key"))
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    return rng.integers(0, 2, size=shape, dtype=np.int8).astype(np.float64) * 2 - 1


def _as_rgb(image) -> np.ndarray:
    if isinstance(image, (str, Path)):
        with Image.open(image) as im:
            return np.asarray(im.convert("RGB"), dtype=np.float64)
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.float64)
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise ValueError(say("responsible.not_rgb"))
    return arr[..., :3]


def embed_watermark(image, key: str, strength: float = STRENGTH) -> Image.Image:
    """A copy of ``image`` with the invisible mark of ``key`` in its blue channel."""
    arr = _as_rgb(image)
    p = _pattern(key, arr.shape[:2])
    out = arr.copy()
    out[..., CHANNEL] = np.clip(np.rint(arr[..., CHANNEL] + strength * p), 0, 255)
    return Image.fromarray(out.astype(np.uint8), "RGB")


def _highpass(x: np.ndarray) -> np.ndarray:
    pad = np.pad(x, 1, mode="edge")
    h, w = x.shape
    box = sum(pad[i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9.0
    return x - box


@dataclass(frozen=True)
class WatermarkReading:
    score: float  # z-score: ~0 without the mark, large (~100 at 128 px) with it
    present: bool  # score >= THRESHOLD

    def __str__(self) -> str:
        return say("responsible.watermark_found" if self.present else "responsible.watermark_not_found",
                   score=f"{self.score:.1f}", threshold=f"{THRESHOLD:g}")


def watermark_score(image, key: str) -> float:
    """The detection z-score of ``key``'s mark in ``image`` (a picture, array or file path)."""
    arr = _as_rgb(image)
    hp = _highpass(arr[..., CHANNEL])
    p = _highpass(_pattern(key, arr.shape[:2]))  # the filtered pattern is what survives the filter
    hp = hp - hp.mean()
    den = float(np.sqrt((hp * hp).sum() * (p * p).sum()))
    if den == 0:
        return 0.0
    corr = float((hp * p).sum()) / den
    return corr * math.sqrt(hp.size)


def detect_watermark(image, key: str) -> WatermarkReading:
    score = watermark_score(image, key)
    return WatermarkReading(score, score >= THRESHOLD)


def save_marked(image, path: str | Path, key: str, recipe=None) -> Path:
    """Watermark ``image`` (or ``generation.image`` with its recipe) and save a PNG with the recipe."""
    from genlab.core.recipe import save_png

    if recipe is None and hasattr(image, "recipes"):
        image, recipe = image.images[0], image.recipes[0]
    marked = embed_watermark(image, key)
    path = Path(path)
    if recipe is not None:
        return save_png(marked, recipe, path)
    if path.suffix.lower() != ".png":
        raise ValueError(say("responsible.save_png"))
    path.parent.mkdir(parents=True, exist_ok=True)
    marked.save(path, format="PNG")
    return path


def check_provenance(path: str | Path, key: str | None = None) -> dict:
    """What a file can prove about where it came from: its format, whether it carries a recipe
    (and the prompt, seed, profile in it), and, given the key, whether it carries the mark."""
    from genlab.core.recipe import read_recipe

    path = Path(path)
    out: dict[str, Any] = {"file": path.name, "format": None, "recipe": False, "prompt": None, "seed": None,
                           "profile": None, "watermark": None, "watermark_score": None}
    with Image.open(path) as im:
        out["format"] = im.format
        try:
            r = read_recipe(im)
            out.update(recipe=True, prompt=r.prompt, seed=r.seed, profile=r.profile)
        except ValueError:
            pass
        if key is not None:
            reading = detect_watermark(im, key)
            out.update(watermark=reading.present, watermark_score=round(reading.score, 1))
    return out


def psnr(a, b) -> float:
    """Peak signal-to-noise ratio in dB between two pictures (higher = more alike; > 40 dB is
    invisible to the eye; identical = inf)."""
    x, y = _as_rgb(a), _as_rgb(b)
    mse = float(((x - y) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


__all__ = [
    "KNOWN_LICENCES", "LicenceFacts", "licence_facts", "licences", "licence_table",
    "PROBE_ATTRIBUTES", "world_distribution", "shares", "Probe", "bias_probe", "world_scenes", "world_probe",
    "Row", "compare", "compare_table", "probe_chart",
    "STRENGTH", "THRESHOLD", "embed_watermark", "watermark_score", "detect_watermark", "WatermarkReading",
    "save_marked", "check_provenance", "psnr",
]


def show_chart(probe: Probe, attributes: Sequence[str] | None = None):
    """Show :func:`probe_chart` in a notebook (returns the Figure elsewhere)."""
    from genlab.lessons import lesson

    fig = probe_chart(probe, attributes)
    if lesson._in_notebook():
        lesson._display_figure(fig)
        return None
    return fig


__all__ += ["show_chart"]


# ---- lesson 8's C2PA practice: an edit after signing, and a re-save that strips metadata --------
def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    import struct

    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    out, pos = [], 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]))
        pos += 12 + n
    return out


def change_one_pixel(src: str | Path, dest: str | Path, xy: tuple[int, int] = (0, 0)) -> Path:
    """Write ``dest``: the PNG ``src`` with ONE pixel changed (its red value moved by 1 of 255 levels),
    every other chunk kept byte for byte, a C2PA manifest included. This is what an edit after
    signing looks like to a verifier: the manifest is still there, but the pixels it was signed
    over are not (``verify`` reports a hash mismatch). Only 8-bit RGB/RGBA PNGs without interlacing
    (what genlab writes) are handled."""
    import struct
    import zlib

    src, dest = Path(src), Path(dest)
    chunks = _png_chunks(src.read_bytes())
    header = chunks[0][1]
    bit_depth, colour_type, interlace = header[8], header[9], header[12]
    if bit_depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError("only 8-bit RGB or RGBA PNGs without interlacing")
    with Image.open(src) as im:
        pixels = np.array(im.convert("RGBA" if colour_type == 6 else "RGB"), dtype=np.uint8)
    x, y = xy
    pixels[y, x, 0] = pixels[y, x, 0] + 1 if pixels[y, x, 0] < 255 else 254
    rows = b"".join(b"\x00" + row.tobytes() for row in pixels)  # filter 0 on every row: exact bytes
    out, done = bytearray(src.read_bytes()[:8]), False
    for kind, body in chunks:
        if kind == b"IDAT":
            if done:
                continue
            body, done = zlib.compress(rows, 9), True
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(bytes(out))
    return dest


__all__ += ["change_one_pixel"]


def provenance_samples(folder: str | Path, campaign: str, *, seed: int | None = None) -> list[Path]:
    """Exercise 8's three files, ``file_1.png`` … ``file_3.png`` in ``folder``, in an order ``seed``
    picks (a fresh random order when None): one delivered file (``campaign``'s mark, a signed C2PA
    manifest), one changed by one pixel after signing, one saved again without its metadata (the
    mark stays). The signing chain is a development one made in ``folder/c2pa-dev``, which this
    process then trusts. Each file shows a different shapes-world picture, upscaled to 512 px."""
    import tempfile

    from genlab import settings
    from genlab.core import provenance

    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    certs = provenance.make_dev_certificates(folder / "c2pa-dev")
    settings.put("GENLAB_C2PA_TRUST_ANCHORS", str(certs / "root.pem"))
    credentials = provenance.Credentials((certs / "chain.pem").read_bytes(), (certs / "signer.key").read_bytes(),
                                         (certs / "root.pem").read_bytes(), development=True, where=str(certs))
    kinds = ["valid", "changed", "stripped"]
    rng.shuffle(kinds)
    prompts = ["a large yellow circle on a blue background", "a small red star on a white background",
               "a large green heart on a purple background", "a dotted orange square on a black background"]
    out = []
    with tempfile.TemporaryDirectory(prefix="genlab-08-") as tmp:
        for i, kind in enumerate(kinds, start=1):
            scene = world_scenes(rng.choice(prompts), 1, seed=rng.randrange(10**6))[0]
            picture = world.render(scene).convert("RGB")
            picture = picture.resize((picture.width * 4, picture.height * 4), Image.Resampling.LANCZOS)
            clean = Path(tmp) / f"clean_{i}.png"
            provenance.embed_mark(picture, campaign).save(clean, format="PNG")
            manifest = provenance.manifest_definition(title=f"file_{i}.png", campaign=campaign, client="Exercise 08",
                                                      approval={}, models=[])
            dest = folder / f"file_{i}.png"
            signed = provenance.sign(clean, Path(tmp) / f"signed_{i}.png", manifest, credentials)
            if kind == "valid":
                dest.write_bytes(signed.read_bytes())
            elif kind == "changed":
                change_one_pixel(signed, dest, xy=(rng.randrange(picture.width), rng.randrange(picture.height)))
            else:
                with Image.open(signed) as im:
                    im.convert("RGB").save(dest, format="PNG")  # pixels only: the manifest is gone
            out.append(dest)
    return out


__all__ += ["provenance_samples"]
