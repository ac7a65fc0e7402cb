"""The tiny world's pixel evaluator: read a shapes-world picture back from its pixels, to measure
how well a model follows prompts.

The evaluator answers, for an image, the same questions :func:`genlab.tiny.world.parse_prompt`
answers for a prompt (shape, colour, background, size, position, style, and for two-object
scenes the second object and the relation), and for a clip also the motion. So
``adherence(prompt, image)`` is just "parse the prompt, read the image, compare what the prompt
states". Lessons, ``lora.reads_as_brand``, the responsible-use helpers and the tests read
pictures with it.

Modules, reading first (nothing that reads imports the training half)::

    pixels      from pixels to objects: background, components, colour, box (rules, steps 1-4)
    network     the shape/style CNN, its colour-free crops, loading its weights (step 5)
    reading     read_image(s), read_clip(s) (motion: step 6), adherence, adherence_of
    training    train_evaluator: crops from world renders, damaged copies (degrade)
    validation  validate_evaluator, vae_roundtrip: the evaluator's own accuracy

Design (measured, not guessed: see ``validate_evaluator`` and the evaluator's README)
------------------------------------------------------------------------------------
Most attributes are *geometry and colour*, which simple, explainable pixel rules read exactly;
only *shape* and *style* need learning, and they are learned from a colour-free input so the
tiny network cannot pick up colour/shape correlations (held-out combinations read as well as
seen ones).

1. **Background**: every pixel of a 4-px ring just inside the frame (the outermost 2 px are
   ignored: VAE decoders often draw a faint frame there) votes for its nearest palette colour;
   the winner (if it holds at least half the border) names the background, and the median of its
   border pixels is the *actual* background RGB used below (generated images drift in colour).
2. **Objects**: pixels farther than ``FG_THRESHOLD`` (or 4x the ring's median distance, on a
   noisy background) from that actual background RGB are foreground; the foreground, dilated by
   3 px (so stripes or dots a generator breaks apart stay one object), is split into 8-connected
   components (``scipy.ndimage.label``). Components smaller than ``MIN_AREA`` px or 15% of the
   largest are noise. The largest is the first object; a second one (if any) is the second object.
3. **Colour**: the object's purest pixels (its 40% farthest from the background: blur, stripes
   and dots mix the others with the background) each vote for the palette colour whose *shade
   segments* are nearest (the colour mixed up to 45% with white, black or mid-grey: the world's
   "gradient" style shades it so, and a blurred gradient averages to the grey mix); the
   background's colour cannot win. Majority wins. (Plain nearest colour of the median misread
   1-5% of degraded pictures; this reads 99%+.)
4. **Position / size / relation**: from the component's bounding box: its centre against the 3x3
   grid (``POSITION_MARGIN`` = 0.1 of the frame either side of the middle), its larger side
   against ``SIZE_THRESHOLD`` (0.4 of the frame, between small <= 0.30 and large >= 0.48), and the
   two centres' larger offset for the relation.
5. **Shape and style**: a ~100 k-parameter CNN on a 32x32 crop around the component, whose three
   channels are colour-free: how far each pixel is from the background (normalised by the
   object's own distance), its brightness relative to the object's median brightness (for
   gradients), and the component mask. It is trained (``train_evaluator``) on crops made by this
   very pipeline from world renders, half of them degraded (blur, down/up-sampling, noise, colour
   drift, box jitter) so it transfers to imperfect generated images. Below ``MIN_CONFIDENCE`` it
   answers None.
6. **Motion** (clips): the first object's box centre and size per frame; least-squares slopes
   over the clip give the travel in x, y and size; the largest of the three (if above
   ``MIN_MOTION`` of the frame) names the motion.

Anything the evaluator cannot read (a blank or noisy image, no object, low confidence) is None;
it never raises on pixel content. Reading is batched (``read_images``/``read_clips``) and runs
torch on one thread meanwhile (~10 ms a picture, measured on 2 cores busy with other work).

The evaluator's folder is :func:`genlab.settings.tiny_evaluator_dir` (``$GENLAB_TINY_EVALUATOR``,
else the shipped ``assets/models/tiny-shapes-evaluator``), read when it is used:
``EVALUATOR_DIR`` here is that folder at the moment it is asked for.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from genlab import settings
from genlab.tiny.evaluator.network import MIN_CONFIDENCE, Evaluator, load_evaluator
from genlab.tiny.evaluator.pixels import (
    FG_THRESHOLD,
    MIN_AREA,
    POSITION_MARGIN,
    SIZE,
    SIZE_THRESHOLD,
)
from genlab.tiny.evaluator.reading import (
    ATTRIBUTES,
    MIN_MOTION,
    adherence,
    adherence_of,
    read_clip,
    read_clips,
    read_image,
    read_images,
)

# The training half, imported only when one of its names is asked for.
_TRAINING_NAMES = {
    "degrade": "genlab.tiny.evaluator.training",
    "train_evaluator": "genlab.tiny.evaluator.training",
    "make_training_set": "genlab.tiny.evaluator.training",
    "validate_evaluator": "genlab.tiny.evaluator.validation",
    "vae_roundtrip": "genlab.tiny.evaluator.validation",
}


def __getattr__(name: str):
    if name == "EVALUATOR_DIR":  # read now: $GENLAB_TINY_EVALUATOR may change at run time
        return settings.tiny_evaluator_dir()
    if name in _TRAINING_NAMES:
        return getattr(importlib.import_module(_TRAINING_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def evaluator_dir() -> Path:
    """The evaluator's folder (``EVALUATOR_DIR``), as a function."""
    return settings.tiny_evaluator_dir()


__all__ = [
    "EVALUATOR_DIR",
    "Evaluator",
    "load_evaluator",
    "evaluator_dir",
    "read_image",
    "read_images",
    "read_clip",
    "read_clips",
    "adherence",
    "adherence_of",
    "degrade",
    "train_evaluator",
    "validate_evaluator",
    "vae_roundtrip",
    "ATTRIBUTES",
    "SIZE",
    "MIN_CONFIDENCE",
    "MIN_MOTION",
    "FG_THRESHOLD",
    "MIN_AREA",
    "POSITION_MARGIN",
    "SIZE_THRESHOLD",
]
