"""CLIP's real BPE tokenizer, rebuilt from its vocabulary file.

CLIP's byte-pair-encoding merges file (``bpe_simple_vocab_16e6.txt.gz``, MIT licence, OpenAI;
redistributed inside the ``open_clip_torch`` wheel) fully determines the tokenizer: ``vocab.json``
is the 256 byte-level characters, their ``</w>`` (end of word) forms, one entry per merge and the
two special tokens, 49,408 ids in all. ``build_clip_tokenizer_files`` writes the files
``transformers.CLIPTokenizer`` reads; the result is identical every time it runs.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

N_MERGES = 49152 - 256 - 2


def bytes_to_unicode() -> dict[int, str]:
    """CLIP/GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1)
    )
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def build_clip_tokenizer_files(bpe_gz: str | Path, out_dir: str | Path) -> Path:
    """Write vocab.json, merges.txt (and the tokenizer's config) for CLIPTokenizer into out_dir."""
    from transformers import CLIPTokenizer

    lines = gzip.open(bpe_gz).read().decode("utf-8").split("\n")
    merges = lines[1 : N_MERGES + 1]
    byte_chars = list(bytes_to_unicode().values())
    vocab = byte_chars + [c + "</w>" for c in byte_chars]
    vocab += ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps({tok: i for i, tok in enumerate(vocab)}, ensure_ascii=False))
    (out / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    tok = CLIPTokenizer(str(out / "vocab.json"), str(out / "merges.txt"), model_max_length=77)
    tok.save_pretrained(out)
    return out
