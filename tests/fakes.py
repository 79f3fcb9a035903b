"""A small deterministic embedder for fast unit tests of logic (never instead of the real one)."""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np


class HashEmbedder:
    """Bag-of-words vectors from hashed words, unit length; same text, same vector."""

    model_name = "fake-hash"

    def __init__(self, dimension: int = 32) -> None:
        self.dimension = dimension
        self.calls: list[int] = []  # how many texts each encode call got

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)
