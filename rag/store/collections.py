"""The index's two vector collections (chunks, sentences) in their store, kept in step with
the index on every write.

A write brings the stores of the generation it started from up to date document by
document (documents are immutable: a changed file is a new document): vectors of documents
that left are deleted, those of new documents added, and nothing else is touched, so an
external store (Milvus) is not refilled on every upload. A change of store or of search
kind fills a new one from the index's own float16 vectors.

Left out: moving vectors between two Milvus servers (an index is re-filled instead).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..config import Config
from .base import COLLECTIONS, VectorStore, create_store, open_store

ADD_SLICE = 200_000  # vectors per call to a store: memory stays bounded; IVF cells are learnt from the first


@dataclass(frozen=True)
class Collection:
    """One collection as the index holds it: keys, document ids and vectors, row by row."""

    name: str
    keys: np.ndarray
    doc_ids: Sequence[str]
    vectors: np.ndarray


@dataclass(frozen=True)
class Stores:
    """The stores holding an index's chunk and sentence vectors, and the documents they hold."""

    chunks: VectorStore
    sentences: VectorStore
    documents: frozenset[str]
    entries: dict[str, Any]  # the manifest's "stores"

    def get(self, name: str) -> VectorStore:
        """The store of collection `name` ("chunks" or "sentences")."""
        return self.chunks if name == "chunks" else self.sentences


def write_stores(collections: Sequence[Collection], documents: frozenset[str], held: Stores | None, *,
                 config: Config, dimension: int, folder: Path, index_dir: Path) -> Stores:
    """Stores holding `collections`, made from `held` (the ones of the generation the index
    came from) where they can serve, persisted into the generation `folder`."""
    opened: dict[str, VectorStore] = {}
    entries: dict[str, Any] = {}
    for c in collections:
        store = held.get(c.name).fork(config, len(c.keys)) if held is not None else None
        if store is None:
            store = create_store(config, c.name, dimension, index_dir=index_dir, size_hint=len(c.keys))
            todo = np.arange(len(c.keys))
        else:
            store.delete_documents(held.documents - documents)
            todo = np.flatnonzero([d not in held.documents for d in c.doc_ids])
        for start in range(0, len(todo), ADD_SLICE):
            rows = todo[start:start + ADD_SLICE] if len(todo) > ADD_SLICE else todo
            store.add(c.keys[rows], [c.doc_ids[i] for i in rows], np.asarray(c.vectors[rows], dtype=np.float32))
        opened[c.name] = store
        entries[c.name] = store.persist(folder)
    return Stores(opened["chunks"], opened["sentences"], documents, entries)


def open_stores(entries: dict[str, Any], documents: frozenset[str], *, folder: Path, index_dir: Path,
                config: Config) -> Stores:
    """The stores a manifest's "stores" entry describes."""
    missing = [name for name in COLLECTIONS if not isinstance(entries.get(name), dict)]
    if missing:
        raise ValueError(f"the manifest names no store for {', '.join(missing)}")
    opened = {name: open_store(entries[name], folder=folder, index_dir=index_dir, config=config)
              for name in COLLECTIONS}
    return Stores(opened["chunks"], opened["sentences"], documents, entries)


def store_matches(entries: dict[str, Any] | None, config: Config) -> bool:
    """Whether stores described by a manifest's "stores" are where `config` asks for them
    (an index of format 3, without the entry, holds its vectors in faiss files)."""
    if not entries:
        return config.vector_store == "faiss"
    entry = entries.get("chunks") or {}
    if config.vector_store == "milvus":
        from .milvus import describe

        return entry.get("kind") == "milvus" and all(entry.get(k) == v for k, v in describe(config).items())
    return entry.get("kind") == config.vector_store


def memory_stores(collections: Sequence[Collection], documents: frozenset[str], *, config: Config,
                  dimension: int) -> Stores:
    """Exact in-memory FAISS stores of `collections` (an index not yet written, or one of an
    earlier format, which holds its vectors in its own files)."""
    from dataclasses import replace

    exact = replace(config, vector_store="faiss", ann_threshold=max(config.ann_threshold, 1 << 62))
    opened = {}
    for c in collections:
        store = create_store(exact, c.name, dimension, index_dir=Path("."))
        store.add(c.keys, c.doc_ids, np.asarray(c.vectors, dtype=np.float32))
        opened[c.name] = store
    return Stores(opened["chunks"], opened["sentences"], documents, {})
