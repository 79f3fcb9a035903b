"""The index files: documents, chunks, sentences, their vectors (FAISS), BM25, checksums.

Files of one index generation (where generations live: `rag.storage`):
    manifest.json     format version, model name and dimension, index settings, the sources
                      (corpus of record), each document's content hash, source and chunk
                      count, and the sha256 and size of every other file
    config.json       the full settings the index was built with
    documents.jsonl   cleaned documents with metadata
    chunks.jsonl      chunk records (document id, character span, token count)
    chunks.faiss      exact inner-product FAISS index of the chunk vectors
    sentences.jsonl   sentence spans;  sentences.npy  their vectors
    lexical/          the BM25 index over the chunks
    sources.json      a copy of the manifest's sources, read if the manifest is damaged
Vectors are unit length, so inner product is cosine similarity and an exact `IndexFlatIP`
gives exact cosine search. Every file is checked against its sha256 before it is parsed, so
a truncated or altered file is reported as corruption, never used or crashed on.

Left out: approximate (IVF/HNSW) indexes, memory-mapping.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexOutdatedError
from .integrity import REBUILD_HINT, checksums, manifest_checksum, verify_files
from .lexical import LexicalIndex
from .storage import POINTER, generations, live_folder, write_generation
from .types import Chunk, Document, Sentence, SourceSet

FORMAT_VERSION = 3  # 3: generations, checksums, sources; 2: Snowball stems in the lexical index
LEGACY_VERSION = 2  # read in place without checksums; rewritten in the new layout on the next write
_FILES = ("manifest.json", "config.json", "documents.jsonl", "chunks.jsonl", "chunks.faiss",
          "sentences.jsonl", "sentences.npy")


@dataclass(frozen=True)
class IndexData:
    """Everything an index holds, in memory. Row i of `chunk_vectors` belongs to `chunks[i]`."""

    config: Config
    dimension: int
    documents: tuple[Document, ...]
    chunks: tuple[Chunk, ...]
    chunk_vectors: np.ndarray
    sentences: tuple[Sentence, ...]
    sentence_vectors: np.ndarray
    lexical: LexicalIndex
    sources: SourceSet = field(default_factory=SourceSet)
    embedding: dict[str, Any] = field(default_factory=dict, compare=False)  # how the vectors were made

    def faiss_index(self) -> Any:
        """An exact inner-product FAISS index over the chunk vectors."""
        import faiss

        index = faiss.IndexFlatIP(self.dimension)
        if len(self.chunks):
            index.add(self.chunk_vectors)
        return index


def save_index(data: IndexData, folder: Path) -> Path:
    """Write the index as a new generation of `folder` and make it live (see `rag.storage`).

    Hold `rag.storage.writer_lock(folder)` around the read-modify-write that leads here.
    """
    return write_generation(Path(folder), lambda tmp: _write_files(data, tmp))


def _write_files(data: IndexData, tmp: Path) -> None:
    import faiss

    _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in data.documents))
    _write_jsonl(tmp / "chunks.jsonl", (asdict(c) for c in data.chunks))
    _write_jsonl(tmp / "sentences.jsonl", ({"doc_id": s.doc_id, "start": s.start, "end": s.end}
                                           for s in data.sentences))
    np.save(tmp / "sentences.npy", data.sentence_vectors)
    faiss.write_index(data.faiss_index(), str(tmp / "chunks.faiss"))
    data.lexical.save(tmp / "lexical")
    data.config.save(tmp / "config.json")
    manifest = _manifest(data, tmp.parent)
    # A second copy of the corpus of record, so a damaged manifest does not lose the user's folders.
    (tmp / "sources.json").write_text(json.dumps(manifest["sources"], indent=2) + "\n", encoding="utf-8")
    manifest["files"] = checksums(tmp)
    manifest["checksum"] = manifest_checksum(manifest)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _manifest(data: IndexData, folder: Path) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for c in data.chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
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
    if isinstance(version, int) and version not in (FORMAT_VERSION, LEGACY_VERSION):
        raise IndexOutdatedError(f"the index at {folder} was built by another version of rag "
                                 f"(format_version {version}, this one reads {FORMAT_VERSION}). {REBUILD_HINT}")
    if version not in (FORMAT_VERSION, LEGACY_VERSION):
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
    import faiss

    top = Path(folder)
    manifest = read_manifest(top)
    folder = live_folder(top) or top
    if manifest.get("format_version") == FORMAT_VERSION:
        verify_files(folder, manifest)
    missing = [f for f in _FILES if not (folder / f).exists()]
    if missing or not (folder / "lexical").is_dir():
        raise IndexCorruptError(f"index is corrupt: {folder} is incomplete (missing: "
                                f"{', '.join(missing) or 'lexical/'}). {REBUILD_HINT}")
    try:
        saved = Config.load(folder / "config.json")
        config = config or saved
        check_compatible(manifest, config, folder)
        documents = tuple(Document(**row) for row in _read_jsonl(folder / "documents.jsonl"))
        texts = {d.id: d.text for d in documents}
        chunks = tuple(Chunk(**row) for row in _read_jsonl(folder / "chunks.jsonl"))
        sentences = tuple(Sentence(text=texts[r["doc_id"]][r["start"]:r["end"]], **r)
                          for r in _read_jsonl(folder / "sentences.jsonl"))
        index = faiss.read_index(str(folder / "chunks.faiss"))
        chunk_vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else \
            np.zeros((0, index.d), dtype=np.float32)
        sentence_vectors = np.load(folder / "sentences.npy", allow_pickle=False)
        lexical = LexicalIndex.load(folder / "lexical")
    except IndexMismatchError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"index is corrupt: {folder} is damaged ({type(exc).__name__}: {exc}). "
                                f"{REBUILD_HINT}") from exc
    data = IndexData(config=config, dimension=int(manifest["dimension"]), documents=documents,
                     chunks=chunks, chunk_vectors=np.ascontiguousarray(chunk_vectors, dtype=np.float32),
                     sentences=sentences, sentence_vectors=sentence_vectors, lexical=lexical,
                     sources=stored_sources(manifest, top), embedding=dict(manifest.get("embedding") or {}))
    _check_consistent(data, manifest, folder)
    return data


def _check_consistent(data: IndexData, manifest: dict[str, Any], folder: Path) -> None:
    problems = []
    if data.chunk_vectors.shape != (len(data.chunks), data.dimension):
        problems.append(f"{data.chunk_vectors.shape[0]} chunk vectors for {len(data.chunks)} chunks")
    if data.sentence_vectors.shape != (len(data.sentences), data.dimension):
        problems.append(f"{data.sentence_vectors.shape[0]} sentence vectors for {len(data.sentences)} sentences")
    norms = np.linalg.norm(data.chunk_vectors, axis=1) if len(data.chunks) else np.ones(1)
    if not np.all(np.abs(norms - 1.0) < 1e-3):  # vectors are stored unit length
        problems.append(f"chunk vectors are not unit length (norms up to {float(norms.max()):.3g})")
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
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
