"""The embedded vector store: FAISS files inside the index generation.

Up to `Config.ann_threshold` vectors a collection is searched exhaustively, every vector
scored (`IndexScalarQuantizer` with float16 codes under an id map: half the memory read per
question of float32 `IndexFlatIP`, which indexes written before still hold; the index keeps
its vectors as float16 anyway, `indexing._stack`, so the codes lose nothing); above it, by an inverted-file index (`IndexIVFScalarQuantizer`, float16 codes,
inner product): `nlist` cells found by k-means on a sample, `nprobe` of them scanned per
question. The IVF file is memory-mapped on load, so loading is instant and only the cells
questions visit are read into memory. `{name}.faiss` holds the index, `{name}.docs.npy` the
(key, document) pair of every vector, so documents can be deleted.

Left out: HNSW (no deletion in FAISS), product quantization (float16 keeps recall), GPUs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Sequence

import numpy as np

from ..config import Config
from .base import doc_hashes

# One question is searched on one thread: for a single query FAISS's OpenMP start-up costs
# more than it saves (over the 42k sentence vectors of the BBC archive: 6.4 ms on one thread,
# 8.7 ms on two). Batches, adds and k-means use every core.
SINGLE_QUERY_THREADS = 1
TRAIN_PER_CELL = 40  # k-means sample: this many vectors per IVF cell (FAISS warns below 39)
KMEANS_ITERATIONS = 10


@dataclass(frozen=True)
class AnnSettings:
    """How a collection is searched: exactly, or by IVF with these parameters."""

    kind: str  # "exact" or "ivf"
    nlist: int = 0
    nprobe: int = 0

    @classmethod
    def choose(cls, config: Config, size: int) -> "AnnSettings":
        """Exact up to `config.ann_threshold` vectors, IVF above (nlist about 2 * sqrt(size):
        fewer, larger cells than the usual 4 * sqrt keep k-means short on 2 cores)."""
        if size <= config.ann_threshold:
            return cls("exact")
        nlist = config.ann_nlist or int(2 * math.sqrt(size))
        nlist = max(1, min(nlist, size // TRAIN_PER_CELL))  # k-means needs enough vectors per cell
        return cls("ivf", nlist, min(config.ann_nprobe, nlist))


class FaissStore:
    """A collection of vectors in a FAISS index, keyed by int64, with their documents."""

    kind = "faiss"

    def __init__(self, name: str, index: Any, settings: AnnSettings, keys: np.ndarray, docs: np.ndarray,
                 *, mapped: str = "") -> None:
        self.name, self.settings = name, settings
        self._index, self._keys, self._docs = index, keys, docs
        self._mapped = mapped  # the file a memory-mapped index reads from ("": in memory)

    @classmethod
    def create(cls, config: Config, name: str, dimension: int, *, size_hint: int = 0) -> "FaissStore":
        """An empty store; IVF when `size_hint` vectors are more than `config.ann_threshold`
        (it is trained on the first vectors added)."""
        import faiss

        settings = AnnSettings.choose(config, size_hint)
        if settings.kind == "ivf":
            index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dimension), dimension, settings.nlist,
                                                  faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
            index.nprobe = settings.nprobe
        else:  # float16 codes: half the bytes read per question, the vectors as the index keeps them
            index = faiss.IndexIDMap2(faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16,
                                                                 faiss.METRIC_INNER_PRODUCT))
        empty = np.zeros(0, dtype=np.int64)
        return cls(name, index, settings, empty, empty)

    @classmethod
    def open(cls, entry: dict[str, Any], *, folder: Path, config: Config) -> "FaissStore":
        """Reopen what `persist` wrote into `folder`; an IVF index is memory-mapped and
        searched with `config.ann_nprobe` cells."""
        import faiss

        settings = AnnSettings(entry["search"], int(entry.get("nlist", 0)), int(entry.get("nprobe", 0)))
        path = str(Path(folder) / entry["file"])
        mapped = path if settings.kind == "ivf" else ""
        index = faiss.read_index(path, faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY) if mapped else \
            faiss.read_index(path)
        if mapped:
            settings = AnnSettings("ivf", settings.nlist, min(config.ann_nprobe, settings.nlist))
            index.nprobe = settings.nprobe
        pairs = np.load(Path(folder) / entry["docs"], mmap_mode="r")
        return cls(entry["name"], index, settings, pairs[:, 0], pairs[:, 1], mapped=mapped)

    def add(self, keys: np.ndarray, doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Store the vectors under `keys` (replacing any stored under the same keys)."""
        keys = np.asarray(keys, dtype=np.int64)
        if not len(keys):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        _threads(0)
        self._writable()
        self._remove(np.isin(self._keys, keys))
        if self.settings.kind == "ivf" and not self._index.is_trained:
            self._train(vectors)
        self._index.add_with_ids(vectors, keys)
        self._keys = np.concatenate([self._keys, keys])
        self._docs = np.concatenate([self._docs, doc_hashes(doc_ids)])

    def delete_documents(self, doc_ids: Collection[str]) -> None:
        """Remove the vectors of these documents."""
        if len(self._keys) and doc_ids:
            self._writable()
            self._remove(np.isin(self._docs, doc_hashes(list(doc_ids))))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(cosines, keys) of the `k` nearest stored vectors per query row."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if not self.count():
            return np.full((len(queries), k), -np.inf, dtype=np.float32), np.full((len(queries), k), -1, np.int64)
        _threads(SINGLE_QUERY_THREADS if len(queries) == 1 else 0)
        scores, keys = self._index.search(queries, k)
        return np.where(keys >= 0, scores, -np.inf).astype(np.float32), keys

    def count(self) -> int:
        """How many vectors are stored."""
        return int(self._index.ntotal)

    def persist(self, folder: Path) -> dict[str, Any]:
        """Write `{name}.faiss` and `{name}.docs.npy` into `folder`; the manifest entry."""
        import faiss

        folder = Path(folder)
        faiss.write_index(self._index, str(folder / f"{self.name}.faiss"))
        np.save(folder / f"{self.name}.docs.npy", np.stack([self._keys, self._docs], axis=1)
                if len(self._keys) else np.zeros((0, 2), dtype=np.int64))
        return {"kind": self.kind, "name": self.name, "file": f"{self.name}.faiss", "docs": f"{self.name}.docs.npy",
                "search": self.settings.kind, "nlist": self.settings.nlist, "nprobe": self.settings.nprobe,
                "count": self.count()}

    def fork(self, config: Config, size: int) -> "FaissStore | None":
        """A copy to change for the next generation, if it would be searched the same way
        (exact stays exact; IVF keeps its cells while their number stays within 2x of the best)."""
        import faiss

        wanted = AnnSettings.choose(config, size)
        if config.vector_store != "faiss" or wanted.kind != self.settings.kind or \
                (wanted.kind == "ivf" and not 0.5 <= wanted.nlist / self.settings.nlist <= 2.0):
            return None
        index = faiss.read_index(self._mapped) if self._mapped else faiss.clone_index(self._index)
        if wanted.kind == "ivf":
            index.nprobe = self.settings.nprobe
        return FaissStore(self.name, index, self.settings, np.array(self._keys), np.array(self._docs))

    def _train(self, vectors: np.ndarray) -> None:
        """k-means for the IVF cells on an evenly spaced sample of the first vectors added."""
        sample = TRAIN_PER_CELL * self.settings.nlist
        step = max(1, len(vectors) // sample)
        self._index.cp.niter = KMEANS_ITERATIONS
        self._index.train(np.ascontiguousarray(vectors[::step][:sample]))

    def _remove(self, mask: np.ndarray) -> None:
        if mask.any():
            self._index.remove_ids(np.ascontiguousarray(self._keys[mask]))
            self._keys, self._docs = self._keys[~mask], self._docs[~mask]

    def _writable(self) -> None:
        """A memory-mapped index is read-only (FAISS would crash writing it): copy it into memory first."""
        import faiss

        if self._mapped:
            self._index = faiss.read_index(self._mapped)
            self._index.nprobe = self.settings.nprobe
            self._keys, self._docs, self._mapped = np.array(self._keys), np.array(self._docs), ""


def _threads(count: int) -> None:
    """Let FAISS use `count` threads (0: every core) for the calls that follow. Each call sets
    what it needs, so a concurrent add and search only ever cost each other speed."""
    import os

    import faiss

    faiss.omp_set_num_threads(count or len(os.sched_getaffinity(0)))
