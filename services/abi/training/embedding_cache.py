"""Encode texts once and keep the vectors on disk, so re-training takes seconds.

The cache key is a hash of the model name and the texts, so a changed data
file or model never reuses stale vectors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from services.common.encoder import MODEL_NAME, SentenceEncoder

CACHE_DIR = Path("build/abi-training-cache")
BATCH = 64

_encoder: SentenceEncoder | None = None


def encoder() -> SentenceEncoder:
    global _encoder
    if _encoder is None:
        _encoder = SentenceEncoder()
    return _encoder


def encode(texts: list[str], cache_dir: Path = CACHE_DIR) -> np.ndarray:
    """Unit vectors (n x 384) for `texts`, from the cache when possible."""
    digest = hashlib.sha256(MODEL_NAME.encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    path = cache_dir / f"{digest.hexdigest()[:24]}.npy"
    if path.exists():
        return np.load(path)
    model = encoder()
    # Sort by length so each batch pads little; restore the order afterwards.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), BATCH):
        chunk = order[start : start + BATCH]
        out[chunk] = model.encode([texts[i] for i in chunk]).vectors
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out
