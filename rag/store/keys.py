"""Keys of stored vectors, and the way back from a key to a row of the index's tables.

A key names one chunk or sentence for as long as its document is indexed with the same
settings: it is a 63-bit mix of the document's content hash and the item's place in it,
so an unchanged document keeps its keys through every write and rebuild, and a store
outside the index (Milvus) can be brought in step document by document.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import doc_hashes

_MASK = np.uint64((1 << 63) - 1)


def item_keys(doc_ids: Sequence[str], positions: Sequence[int] | np.ndarray) -> np.ndarray:
    """Keys for items at `positions` (chunk ordinal, sentence start) of documents `doc_ids`."""
    if not len(doc_ids):
        return np.zeros(0, dtype=np.int64)
    return _mix(doc_hashes(doc_ids).view(np.uint64), np.asarray(positions, dtype=np.uint64))


def row_keys(doc_ids: Sequence[str], doc_rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`item_keys` for items given by the row of their document in `doc_ids`: each
    document's hash is worked out once, not once per item."""
    if not len(doc_rows):
        return np.zeros(0, dtype=np.int64)
    hashes = doc_hashes(doc_ids).view(np.uint64)
    return _mix(hashes[np.asarray(doc_rows, dtype=np.int64)], np.asarray(positions, dtype=np.uint64))


def _mix(doc: np.ndarray, position: np.ndarray) -> np.ndarray:
    """splitmix64 of the document hash plus the position: keys spread evenly, never collide
    in practice (2^63 values), and are non-negative (FAISS reads -1 as "none")."""
    with np.errstate(over="ignore"):
        z = doc + (position + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z & _MASK).view(np.int64)


class KeyMap:
    """Rows of the index's table for keys a store returned (-1 for a key the table lacks)."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        self._order = np.argsort(self.keys, kind="stable")
        self._sorted = self.keys[self._order]

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """The row of each key, -1 where it is unknown (a store may hold vectors of a write
        that did not finish, or of a newer index another process wrote)."""
        keys = np.asarray(keys, dtype=np.int64)
        if not len(self._sorted):
            return np.full(keys.shape, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, keys), len(self._sorted) - 1)
        return np.where(self._sorted[at] == keys, self._order[at], -1)
