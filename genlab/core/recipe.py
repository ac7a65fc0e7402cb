"""The Recipe: everything needed to make a picture again, stored inside the PNG itself.

Two text chunks are written into every PNG genlab saves:

* ``parameters`` in the AUTOMATIC1111 convention, which designers' tools (A1111, Fooocus,
  ComfyUI readers, Civitai) already read::

      a red circle on a blue background
      Negative prompt: blurry
      Steps: 20, Sampler: DPM++ 2M, CFG scale: 7.0, Seed: 42, Size: 128x128, Model: tiny

  Values that contain ``,`` ``:`` or a line break are JSON-quoted.
* ``genlab``: the full recipe as JSON (profile, model source and revision, scheduler class and
  config, library versions, device, batch), which `read_recipe` prefers when present.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from genlab.core.i18n import say

RECIPE_VERSION = 1


@dataclass
class Recipe:
    prompt: str
    seed: int
    steps: int
    guidance: float
    width: int
    height: int
    negative_prompt: str | None = None
    sampler: str | None = None
    profile: str | None = None
    model: str | None = None
    model_source: str | None = None
    model_revision: str | None = None
    task: str = "txt2img"
    strength: float | None = None
    frames: int | None = None
    fps: int | None = None
    batch_size: int = 1
    batch_index: int = 0
    scheduler: str | None = None
    scheduler_config: dict = field(default_factory=dict)
    loras: dict = field(default_factory=dict)
    control: dict = field(default_factory=dict)  # composition: condition, scale, start, end, model, image_sha256
    reference: dict = field(default_factory=dict)  # IP-Adapter: model, scale, image_sha256 of the reference picture
    device: str | None = None
    dtype: str | None = None
    versions: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    genlab_recipe_version: int = RECIPE_VERSION

    # ---- A1111 "parameters" text -------------------------------------------------------------
    def to_parameters(self) -> str:
        pairs = [
            ("Steps", self.steps),
            ("Sampler", self.sampler or self.scheduler or "unknown"),
            ("CFG scale", _float(self.guidance)),
            ("Seed", self.seed),
            ("Size", f"{self.width}x{self.height}"),
            ("Model", self.model or self.profile),
        ]
        if self.strength is not None:
            pairs.append(("Denoising strength", _float(self.strength)))
        if self.batch_size > 1:
            pairs += [("Batch size", self.batch_size), ("Batch pos", self.batch_index)]
        for name, weight in self.loras.items():
            pairs.append((f"Lora {name}", _float(weight)))
        units = [controlnet_unit_text(self.control)] if self.control else []
        if self.reference:  # A1111 runs IP-Adapters as ControlNet units too
            units.append(controlnet_unit_text({**self.reference, "module": "ip-adapter_clip"}))
        pairs += [(f"ControlNet {i}", u) for i, u in enumerate(units)]
        if self.profile:
            pairs.append(("genlab profile", self.profile))
        text = self.prompt
        if self.negative_prompt:
            text += f"\nNegative prompt: {self.negative_prompt}"
        text += "\n" + ", ".join(f"{k}: {_quote(v)}" for k, v in pairs if v is not None)
        return text

    @classmethod
    def from_parameters(cls, text: str) -> "Recipe":
        """Read an A1111-style `parameters` text (from genlab or from another tool)."""
        lines = text.strip("\n").split("\n")
        settings_line = lines[-1] if len(lines) > 1 and _looks_like_settings(lines[-1]) else ""
        body = lines[:-1] if settings_line else lines
        prompt_lines, negative_lines, in_negative = [], [], False
        for line in body:
            if line.startswith("Negative prompt:"):
                in_negative = True
                line = line[len("Negative prompt:"):].strip()
            (negative_lines if in_negative else prompt_lines).append(line)
        values = _parse_settings(settings_line)
        size = values.get("Size", "512x512").lower().split("x")
        loras = {k[5:]: float(v) for k, v in values.items() if k.startswith("Lora ")}
        units = [controlnet_unit_from_text(values[k]) for k in sorted(values) if re.fullmatch(r"ControlNet \d+", k)]
        control = next((u for u in units if not u["module"].startswith("ip-adapter")), {})
        reference = next((u for u in units if u["module"].startswith("ip-adapter")), {})
        return cls(
            prompt="\n".join(prompt_lines).strip(),
            negative_prompt="\n".join(negative_lines).strip() or None,
            steps=int(values.get("Steps", 20)),
            sampler=values.get("Sampler"),
            guidance=float(values.get("CFG scale", 7.0)),
            seed=int(values.get("Seed", 0)),
            width=int(size[0]),
            height=int(size[1]),
            model=values.get("Model"),
            profile=values.get("genlab profile"),
            strength=float(values["Denoising strength"]) if "Denoising strength" in values else None,
            batch_size=int(values.get("Batch size", 1)),
            batch_index=int(values.get("Batch pos", 0)),
            loras=loras,
            control=control,
            reference=reference,
            task="img2img" if "Denoising strength" in values else "txt2img",
        )

    # ---- JSON -----------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: dict) -> "Recipe":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    # ---- PNG --------------------------------------------------------------------------------------
    def png_info(self) -> PngInfo:
        info = PngInfo()
        info.add_text("parameters", self.to_parameters())
        info.add_text("genlab", self.to_json())
        return info


def controlnet_unit_text(control: dict) -> str:
    """A ControlNet unit as sd-webui-controlnet (A1111, Forge) writes it in ``parameters``:
    ``Module: none, Model: NAME [hash], Weight: 1.0, ..., Guidance Start: 0.0, Guidance End: 1.0``.
    genlab prepares the control picture itself, so the module is ``none`` (as in A1111 when a
    ready control map is uploaded); the hash is the first 8 hex digits of the control picture's."""
    model = control.get("model", "unknown")
    digest = (control.get("image_sha256") or "")[:8]
    fields_ = [
        ("Module", control.get("module", "none")),
        ("Model", f"{model} [{digest}]" if digest else model),
        ("Weight", _float(control.get("scale", 1.0))),
        ("Resize Mode", "Crop and Resize"),
        ("Guidance Start", _float(control.get("start", 0.0))),
        ("Guidance End", _float(control.get("end", 1.0))),
        ("Pixel Perfect", False),
        ("Control Mode", "Balanced"),
        ("genlab condition", control.get("condition", "")),
    ]
    fields_ = [(k, v) for k, v in fields_ if v != ""]
    return ", ".join(f"{k}: {v}" for k, v in fields_)


def controlnet_unit_from_text(text: str) -> dict:
    """Read back a ``ControlNet 0`` unit (genlab's, A1111's or Forge's) into the recipe's control fields."""
    values = {}
    for part in re.split(r",\s*(?=[A-Za-z][A-Za-z ]*:)", text):
        key, _, value = part.partition(":")
        values[key.strip()] = value.strip()
    model, digest = values.get("Model", ""), ""
    if m := re.match(r"^(.*?)\s*\[([0-9a-fA-F]+)\]$", model):
        model, digest = m.group(1), m.group(2)
    out = {"model": model, "scale": float(values.get("Weight", 1.0)), "start": float(values.get("Guidance Start", 0.0)),
           "end": float(values.get("Guidance End", 1.0)), "module": values.get("Module", "none")}
    if digest:
        out["image_sha256_prefix"] = digest
    if values.get("genlab condition"):
        out["condition"] = values["genlab condition"]
    return out


def _float(x: float | None):
    return None if x is None else round(float(x), 4)


def _quote(value) -> str:
    s = str(value)
    return json.dumps(s, ensure_ascii=False) if any(c in s for c in ",:\n\"") else s


_PAIR = re.compile(r'\s*([\w \-/()+.]+?):\s*("(?:\\.|[^"\\])*"|[^,]*)(?:,|$)')


def _parse_settings(line: str) -> dict[str, str]:
    out = {}
    for key, raw in _PAIR.findall(line):
        raw = raw.strip()
        out[key.strip()] = json.loads(raw) if raw.startswith('"') else raw
    return out


def _looks_like_settings(line: str) -> bool:
    return bool(re.match(r"^\s*Steps:\s*\d+", line)) or ("Seed:" in line and "Sampler:" in line)


def save_png(image: Image.Image, recipe: Recipe, path: str | Path) -> Path:
    """Save `image` as a PNG with its recipe inside (both chunks)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(say("recipe.not_png", name=path.name))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", pnginfo=recipe.png_info())
    return path


def read_recipe(source: str | Path | Image.Image) -> Recipe:
    """The recipe inside a genlab (or AUTOMATIC1111) PNG.

    Prefers the full `genlab` JSON chunk; falls back to the A1111 `parameters` text.
    Raises ValueError, saying why, when the file has no recipe (e.g. a JPEG, or a PNG that was
    re-saved by a tool that drops text chunks).
    """
    image = source if isinstance(source, Image.Image) else Image.open(source)
    text = getattr(image, "text", None) or image.info or {}
    name = getattr(image, "filename", "") or "this image"
    if "genlab" in text:
        try:
            return Recipe.from_dict(json.loads(text["genlab"]))
        except (json.JSONDecodeError, TypeError) as err:
            if "parameters" not in text:
                raise ValueError(say("recipe.damaged", name=name, error=err)) from err
    if "parameters" in text:
        return Recipe.from_parameters(text["parameters"])
    fmt = image.format or "unknown"
    raise ValueError(say("recipe.none", name=name, format=fmt))
