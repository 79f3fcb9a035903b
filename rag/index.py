"""The index files: documents, chunks, sentences, their vectors, the vector stores, BM25, checksums.

Files of one index generation (format 4; where generations live: `rag.storage`):
    manifest.json     format version, model name and dimension, index settings, the sources
                      (corpus of record), each document's content hash, source and chunk
                      count, which vector store holds the vectors and where (`stores`),
                      and the sha256 and size of every other file
    config.json       the full settings the index was built with
    documents.jsonl   cleaned documents with metadata
    chunks.table.npy  each chunk's document row, ordinal, character span and token count
                      (`rag.store.sentences.ChunkTable`; its text is sliced from the document)
    chunks.npy        the chunk vectors, float16;  sentences.npy  the sentence vectors, float16
    sentences.spans.npy  each sentence's document row and character span (`rag.store.sentences`)
    chunks.faiss, sentences.faiss, *.docs.npy   the faiss store's files (`rag.store.faiss`);
                      a Milvus store keeps its collections outside (`rag.store.milvus`)
    lexical/          the BM25 index over the chunks
    sources.json      a copy of the manifest's sources, read if the manifest is damaged
Vectors are unit length, so inner product is cosine similarity. The float16 arrays are
memory-mapped on load: the answerer reads the vectors of the few retrieved passages from
them, searches go to the store. Every file is checked against its sha256 before it is
parsed, so a truncated or altered file is reported as corruption, never used or crashed on.
Format 4 (chunk records in `chunks.jsonl`), format 3 (float32 vectors in `chunks.faiss`/
`sentences.npy`, `sentences.jsonl`) and the legacy layout are read as they are and written
as format 5 on the next write.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import orjson

from .config import Config
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexOutdatedError
from .integrity import REBUILD_HINT, checksums, manifest_checksum, verify_files
from .lexical import LexicalIndex
from .storage import POINTER, generations, live_folder, write_generation
from .store.collections import Collection, Stores, memory_stores, open_stores, write_stores
from .store.keys import row_keys
from .store.sentences import ChunkTable, SentenceTable
from .types import Chunk, Document, Sentence, SourceSet

FORMAT_VERSION = 5  # 5: chunk table; 4: float16 vectors, vector stores, sentence table; 3: generations, checksums
PREVIOUS_VERSIONS = (4, 3)  # read as they are; written as format 5 on the next write
LEGACY_VERSION = 2  # read in place without checksums; rewritten in the new layout on the next write
_FILES = {5: ("manifest.json", "config.json", "documents.jsonl", "chunks.table.npy", "chunks.npy",
              "sentences.npy", "sentences.spans.npy"),
          4: ("manifest.json", "config.json", "documents.jsonl", "chunks.jsonl", "chunks.npy",
              "sentences.npy", "sentences.spans.npy"),
          3: ("manifest.json", "config.json", "documents.jsonl", "chunks.jsonl", "chunks.faiss",
              "sentences.jsonl", "sentences.npy")}


@dataclass(frozen=True)
class IndexData:
    """Everything an index holds. Row i of `chunk_vectors` belongs to `chunks[i]`; `stores`
    search the vectors (None: not written yet, searched in memory)."""

    config: Config
    dimension: int
    documents: tuple[Document, ...]
    chunks: Sequence[Chunk]  # a ChunkTable (a sequence of Chunk is made into one)
    chunk_vectors: np.ndarray
    sentences: Sequence[Sentence]  # a SentenceTable (a sequence of Sentence is made into one)
    sentence_vectors: np.ndarray
    lexical: LexicalIndex
    sources: SourceSet = field(default_factory=SourceSet)
    embedding: dict[str, Any] = field(default_factory=dict, compare=False)  # how the vectors were made
    stores: Stores | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.sentences, SentenceTable):
            object.__setattr__(self, "sentences", SentenceTable.of(self.documents, self.sentences))
        if not isinstance(self.chunks, ChunkTable):
            object.__setattr__(self, "chunks", ChunkTable.of(self.documents, self.chunks))

    def collections(self) -> tuple[Collection, Collection]:
        """The chunk and sentence vectors with their keys and documents, for the stores."""
        chunk_keys, sentence_keys = self.keys()
        return (Collection("chunks", chunk_keys, self.chunk_table().doc_ids(), self.chunk_vectors),
                Collection("sentences", sentence_keys, self.sentence_table().doc_ids(), self.sentence_vectors))

    def keys(self) -> tuple[np.ndarray, np.ndarray]:
        """The store keys of the chunks and of the sentences, row by row (`rag.store.keys`)."""
        chunks, sentences = self.chunk_table(), self.sentence_table()
        ids = [d.id for d in self.documents]
        return (row_keys(ids, np.asarray(chunks.spans[:, 0]), chunks.ordinals()),
                row_keys(ids, sentences.spans[:, 0], sentences.spans[:, 1]))

    def chunk_table(self) -> ChunkTable:
        assert isinstance(self.chunks, ChunkTable)
        return self.chunks

    def sentence_table(self) -> SentenceTable:
        assert isinstance(self.sentences, SentenceTable)
        return self.sentences

    def searchable(self) -> Stores:
        """The stores to search: those written, or exact ones in memory."""
        return self.stores or memory_stores(self.collections(), frozenset(d.id for d in self.documents),
                                            config=self.config, dimension=self.dimension)


def save_index(data: IndexData, folder: Path) -> IndexData:
    """Write the index as a new generation of `folder` and make it live (see `rag.storage`);
    returns it with the stores it was written to.

    Hold `rag.storage.writer_lock(folder)` around the read-modify-write that leads here.
    """
    written: list[Stores] = []
    write_generation(Path(folder), lambda tmp: written.append(_write_files(data, tmp)))
    return replace(data, stores=written[0])


def _write_files(data: IndexData, tmp: Path) -> Stores:
    _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in data.documents))
    # a chunk's text is its document's text[start:end]: not stored twice (an archive's chunks are GBs)
    data.chunk_table().save(tmp / "chunks.table.npy")
    data.sentence_table().save(tmp / "sentences.spans.npy")
    np.save(tmp / "chunks.npy", np.asarray(data.chunk_vectors, dtype=np.float16))
    np.save(tmp / "sentences.npy", np.asarray(data.sentence_vectors, dtype=np.float16))
    stores = write_stores(data.collections(), frozenset(d.id for d in data.documents), data.stores,
                          config=data.config, dimension=data.dimension, folder=tmp, index_dir=tmp.parent)
    data.lexical.save(tmp / "lexical")
    data.config.save(tmp / "config.json")
    manifest = _manifest(data, tmp.parent)
    manifest["stores"] = stores.entries
    # A second copy of the corpus of record, so a damaged manifest does not lose the user's folders.
    (tmp / "sources.json").write_text(json.dumps(manifest["sources"], indent=2) + "\n", encoding="utf-8")
    manifest["files"] = checksums(tmp)
    manifest["checksum"] = manifest_checksum(manifest)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return stores


def _manifest(data: IndexData, folder: Path) -> dict[str, Any]:
    counts = data.chunk_table().counts()
    return {
        "format_version": FORMAT_VERSION,
        "model": data.config.model,
        "dimension": data.dimension,
        "settings": data.config.index_settings(),
        "documents": {d.id: {"source": d.source, "content_hash": d.id, "title": d.title,
                             "chunks": counts.get(d.id, 0)} for d in data.documents},
        "counts": {"documents": len(data.documents), "chunks": len(data.chunks),
                   "sentences": len(data.sentences)},
        "sources": {**data.sources.to_dict(), "uploads": _relative(data.sources.uploads, folder)},
        "embedding": data.embedding,
    }


def _relative(path: str | None, folder: Path) -> str | None:
    """An upload folder inside the index folder is stored relative to it, so the index can
    be copied or moved with its uploads."""
    if path is None:
        return None
    try:
        return Path(path).relative_to(Path(folder).absolute()).as_posix()
    except ValueError:
        return path


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the live index in `folder` (raises if missing or unreadable)."""
    live = live_folder(Path(folder))
    if live is None and generations(Path(folder)):
        raise IndexCorruptError(f"index is corrupt: {folder}/{POINTER} does not name a generation of "
                                f"the index. {REBUILD_HINT}")
    if live is None:
        raise IndexNotFoundError(f"no index at {folder}. Build it with `rag index FOLDER`.")
    path = live / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"index is corrupt: the manifest {path} is unreadable ({exc}). "
                                f"{REBUILD_HINT}") from exc
    version = manifest.get("format_version") if isinstance(manifest, dict) else "?"
    if isinstance(version, int) and version not in (FORMAT_VERSION, *PREVIOUS_VERSIONS, LEGACY_VERSION):
        raise IndexOutdatedError(f"the index at {folder} was built by another version of rag "
                                 f"(format_version {version}, this one reads {FORMAT_VERSION}). {REBUILD_HINT}")
    if version not in (FORMAT_VERSION, *PREVIOUS_VERSIONS, LEGACY_VERSION):
        raise IndexCorruptError(f"index is corrupt: the index at {folder} has an unknown format "
                                f"(format_version {version}, expected {FORMAT_VERSION}). {REBUILD_HINT}")
    return manifest


def stored_sources(manifest: dict[str, Any], folder: Path) -> SourceSet:
    """The corpus of record in the manifest of the index at `folder` (empty for an index
    of an earlier version); a relative upload folder is taken inside `folder`."""
    try:
        sources = SourceSet.from_dict(manifest.get("sources", {}))
    except ValueError as exc:
        raise IndexCorruptError(f"index is corrupt: {exc}. {REBUILD_HINT}") from exc
    if sources.uploads and not Path(sources.uploads).is_absolute():
        sources = replace(sources, uploads=str(Path(folder).absolute() / sources.uploads))
    return sources


def check_compatible(manifest: dict[str, Any], config: Config, folder: Path) -> None:
    """Refuse an index whose model or chunking settings differ from `config`'s."""
    stored = manifest.get("settings", {})
    wanted = config.index_settings()
    diffs = [f"{k}: index has {stored.get(k)!r}, settings ask for {wanted[k]!r}"
             for k in wanted if stored.get(k) != wanted[k]]
    if diffs:
        raise IndexMismatchError(
            f"the index at {folder} was built with other settings ({'; '.join(diffs)}). "
            f"Rebuild it with these settings: `rag index --index-dir {folder}` "
            "(every document is re-embedded), or use the settings it was built with.")


def load_index(folder: Path, config: Config | None = None) -> IndexData:
    """Read an index; with `config`, refuse it unless built with the same index settings."""
    top = Path(folder)
    manifest = read_manifest(top)
    folder = live_folder(top) or top
    version = manifest.get("format_version")
    if version in (FORMAT_VERSION, *PREVIOUS_VERSIONS):
        verify_files(folder, manifest)
    missing = [f for f in _FILES[version if version in _FILES else 3] if not (folder / f).exists()]
    if missing or not (folder / "lexical").is_dir():
        raise IndexCorruptError(f"index is corrupt: {folder} is incomplete (missing: "
                                f"{', '.join(missing) or 'lexical/'}). {REBUILD_HINT}")
    try:
        saved = Config.load(folder / "config.json")
        config = config or saved
        check_compatible(manifest, config, folder)
        documents = tuple(Document(**row) for row in _read_jsonl(folder / "documents.jsonl"))
        chunks = ChunkTable.load(documents, folder / "chunks.table.npy") if version == FORMAT_VERSION else \
            _read_chunks_jsonl(folder / "chunks.jsonl", documents)
        read = _read_vectors if version in (FORMAT_VERSION, 4) else _read_vectors_v3
        sentences, chunk_vectors, sentence_vectors = read(folder, documents)
        lexical = LexicalIndex.load(folder / "lexical")
        stores = open_stores(manifest.get("stores") or {}, frozenset(d.id for d in documents), folder=folder,
                             index_dir=top, config=config) if version in (FORMAT_VERSION, 4) else None
    except IndexMismatchError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"index is corrupt: {folder} is damaged ({type(exc).__name__}: {exc}). "
                                f"{REBUILD_HINT}") from exc
    data = IndexData(config=config, dimension=int(manifest["dimension"]), documents=documents,
                     chunks=chunks, chunk_vectors=chunk_vectors, sentences=sentences,
                     sentence_vectors=sentence_vectors, lexical=lexical, sources=stored_sources(manifest, top),
                     embedding=dict(manifest.get("embedding") or {}), stores=stores)
    _check_consistent(data, manifest, folder)
    return data


def _read_chunks_jsonl(path: Path, documents: tuple[Document, ...]) -> ChunkTable:
    """Formats 2 to 4: one JSON record a chunk."""
    texts = {d.id: d.text for d in documents}
    return ChunkTable.of(documents, [Chunk(**row) if "text" in row else
                                     Chunk(text=texts[row["doc_id"]][row["start"]:row["end"]], **row)
                                     for row in _read_jsonl(path)])


def _read_vectors(folder: Path, documents: tuple[Document, ...]) -> tuple[SentenceTable, np.ndarray, np.ndarray]:
    """Formats 4 and 5: the sentence table and the float16 vectors, memory-mapped."""
    return (SentenceTable.load(documents, folder / "sentences.spans.npy"),
            np.load(folder / "chunks.npy", mmap_mode="r", allow_pickle=False),
            np.load(folder / "sentences.npy", mmap_mode="r", allow_pickle=False))


def _read_vectors_v3(folder: Path, documents: tuple[Document, ...]) -> tuple[SentenceTable, np.ndarray, np.ndarray]:
    """Format 3 and the legacy layout: float32 vectors in chunks.faiss and sentences.npy."""
    import faiss

    texts = {d.id: d.text for d in documents}
    sentences = [Sentence(text=texts[r["doc_id"]][r["start"]:r["end"]], **r)
                 for r in _read_jsonl(folder / "sentences.jsonl")]
    index = faiss.read_index(str(folder / "chunks.faiss"))
    chunk_vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else \
        np.zeros((0, index.d), dtype=np.float32)
    return (SentenceTable.of(documents, sentences), np.ascontiguousarray(chunk_vectors, dtype=np.float32),
            np.load(folder / "sentences.npy", allow_pickle=False))


def _check_consistent(data: IndexData, manifest: dict[str, Any], folder: Path) -> None:
    problems = []
    if data.chunk_vectors.shape != (len(data.chunks), data.dimension):
        problems.append(f"{data.chunk_vectors.shape[0]} chunk vectors for {len(data.chunks)} chunks")
    if data.sentence_vectors.shape != (len(data.sentences), data.dimension):
        problems.append(f"{data.sentence_vectors.shape[0]} sentence vectors for {len(data.sentences)} sentences")
    # vectors are stored unit length (float16 rounds to about 1e-3); a sample of rows is read,
    # not all of a memory-mapped array
    sample = np.asarray(data.chunk_vectors[::max(1, len(data.chunks) // 2048)], dtype=np.float32)
    norms = np.linalg.norm(sample, axis=1) if len(data.chunks) else np.ones(1)
    if not np.all(np.abs(norms - 1.0) < 3e-3):
        problems.append(f"chunk vectors are not unit length (norms up to {float(norms.max()):.3g})")
    for name, n in (("chunks", len(data.chunks)), ("sentences", len(data.sentences))):
        held = data.stores.get(name).count() if data.stores is not None else n
        if held < n:  # more is possible in an external store: vectors of a write that did not finish
            problems.append(f"the {data.stores.get(name).kind} store holds {held} {name} vectors of {n}")
    if set(manifest.get("documents", {})) != {d.id for d in data.documents}:
        problems.append("the manifest and documents.jsonl list different documents")
    if problems:
        raise IndexCorruptError(f"index is corrupt: {folder} is inconsistent ({'; '.join(problems)}). "
                                f"{REBUILD_HINT}")


def _write_jsonl(path: Path, rows: Any) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return [orjson.loads(line) for line in f if line.strip()]
