"""The vector-store seam: one small interface, two stores, chosen by `Config.vector_store`.

A store holds the vectors of one collection (the chunks, or the sentences) under int64
keys that stay the same while their document stays in the index, each with the id of its
document, and finds the nearest keys to a query vector. Vectors are unit length, so inner
product is cosine similarity; every store ranks by it.

    faiss   files inside the index generation (`rag.store.faiss`): exact below
            `Config.ann_threshold` vectors, an IVF index above it, memory-mapped on load
    milvus  a Milvus collection (`rag.store.milvus`): milvus-lite in a local file, or a
            Milvus server or cluster by `Config.milvus_uri`

Left out: metadata filters, hybrid search inside the store (BM25 stays in `rag.lexical`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Collection, Protocol, Sequence

import numpy as np

from ..config import Config

COLLECTIONS = ("chunks", "sentences")


class VectorStore(Protocol):
    """What the index asks of a place that keeps and searches vectors."""

    kind: str

    def add(self, keys: np.ndarray, doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Store `vectors` (rows) under `keys`, each of document `doc_ids[i]`; a key stored
        already is replaced."""

    def delete_documents(self, doc_ids: Collection[str]) -> None:
        """Remove every vector of these documents."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(cosines, keys) of the `k` nearest vectors for each query row, best first;
        key -1 (cosine -inf) where fewer than `k` exist."""

    def count(self) -> int:
        """How many vectors the store holds."""

    def persist(self, folder: Path) -> dict[str, Any]:
        """Make what was added durable (faiss: files written into `folder`); returns the
        manifest entry that `open_store` reopens it from."""

    def fork(self, config: Config, size: int) -> "VectorStore | None":
        """A store the next index generation (`size` vectors) can be written into, holding
        what this one holds without changing it for its readers (faiss: a copy; milvus: the
        same collection); None if `config` asks for another store or another kind of search."""


def create_store(config: Config, name: str, dimension: int, *, index_dir: Path,
                 size_hint: int = 0) -> VectorStore:
    """A new, empty store for collection `name` of the kind `config.vector_store` asks for.

    `size_hint` (vectors about to be added) lets faiss choose exact or approximate search.
    """
    if config.vector_store == "milvus":
        from .milvus import MilvusStore

        return MilvusStore.create(config, name, dimension, index_dir=index_dir, size_hint=size_hint)
    from .faiss import FaissStore

    return FaissStore.create(config, name, dimension, size_hint=size_hint)


def open_store(entry: dict[str, Any], *, folder: Path, index_dir: Path, config: Config) -> VectorStore:
    """The store a manifest entry (written by `persist`) describes; `folder` is the
    generation's folder, `index_dir` the index folder."""
    kind = entry.get("kind")
    if kind == "milvus":
        from .milvus import MilvusStore

        return MilvusStore.open(entry, config=config, index_dir=index_dir)
    if kind == "faiss":
        from .faiss import FaissStore

        return FaissStore.open(entry, folder=folder, config=config)
    raise ValueError(f"unknown vector store {kind!r} in the manifest (this version knows faiss and milvus)")


def doc_hashes(doc_ids: Sequence[str]) -> np.ndarray:
    """Document ids as int64, for compact storage: a content hash (16 hex digits) is read as
    the number it is, any other id is hashed."""
    return np.array([_as_number(d) for d in doc_ids], dtype=np.uint64).view(np.int64)


def _as_number(doc_id: str) -> int:
    if len(doc_id) == 16:
        try:
            return int(doc_id, 16)
        except ValueError:
            pass
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "big")
