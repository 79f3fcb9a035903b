"""The on-disk index: documents, chunks, sentences, their vectors (FAISS) and BM25.

Layout of an index folder:
    manifest.json     format version, model name and dimension, index settings,
                      each document's content hash, source and chunk count
    config.json       the full settings the index was built with
    documents.jsonl   cleaned documents with metadata
    chunks.jsonl      chunk records (document id, character span, token count)
    chunks.faiss      exact inner-product FAISS index of the chunk vectors
    sentences.jsonl   sentence spans;  sentences.npy  their vectors
    lexical/          the BM25 index over the chunks
Vectors are unit length, so inner product is cosine similarity and an exact `IndexFlatIP`
gives exact cosine search. A save writes into a fresh folder and swaps it in, so a crash
never leaves a half-written index.

Left out: approximate (IVF/HNSW) indexes, memory-mapping, concurrent writers.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexOutdatedError
from .lexical import LexicalIndex
from .types import Chunk, Document, Sentence

FORMAT_VERSION = 2  # 2: Snowball stems in the lexical index
_FILES = ("manifest.json", "config.json", "documents.jsonl", "chunks.jsonl", "chunks.faiss",
          "sentences.jsonl", "sentences.npy")
REBUILD_HINT = "Rebuild it with `rag index` (or delete the folder and run again)."


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

    def faiss_index(self) -> Any:
        """An exact inner-product FAISS index over the chunk vectors."""
        import faiss

        index = faiss.IndexFlatIP(self.dimension)
        if len(self.chunks):
            index.add(self.chunk_vectors)
        return index


def save_index(data: IndexData, folder: Path) -> None:
    """Write the index into `folder`, replacing what was there only once all is written."""
    import faiss

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in data.documents))
    _write_jsonl(tmp / "chunks.jsonl", (asdict(c) for c in data.chunks))
    _write_jsonl(tmp / "sentences.jsonl", ({"doc_id": s.doc_id, "start": s.start, "end": s.end}
                                           for s in data.sentences))
    np.save(tmp / "sentences.npy", data.sentence_vectors)
    faiss.write_index(data.faiss_index(), str(tmp / "chunks.faiss"))
    data.lexical.save(tmp / "lexical")
    data.config.save(tmp / "config.json")
    (tmp / "manifest.json").write_text(json.dumps(_manifest(data), indent=2) + "\n", encoding="utf-8")
    _swap_in(tmp, folder)


def _swap_in(tmp: Path, folder: Path) -> None:
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    keep = [p for p in folder.iterdir() if p.name.startswith("README")] if folder.exists() else []
    for p in keep:
        shutil.copy2(p, tmp / p.name)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


def _manifest(data: IndexData) -> dict[str, Any]:
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
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the index in `folder` (raises if missing or unreadable)."""
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise IndexNotFoundError(f"no index at {folder} (no manifest.json). Build it with `rag index`.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"the index manifest {path} is unreadable ({exc}). {REBUILD_HINT}") from exc
    version = manifest.get("format_version") if isinstance(manifest, dict) else "?"
    if isinstance(version, int) and version != FORMAT_VERSION:
        raise IndexOutdatedError(f"the index at {folder} was built by another version of rag "
                                 f"(format_version {version}, this one reads {FORMAT_VERSION}). {REBUILD_HINT}")
    if version != FORMAT_VERSION:
        raise IndexCorruptError(f"the index at {folder} has an unknown format "
                                f"(format_version {version}, expected {FORMAT_VERSION}). {REBUILD_HINT}")
    return manifest


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

    folder = Path(folder)
    manifest = read_manifest(folder)
    missing = [f for f in _FILES if not (folder / f).exists()]
    if missing or not (folder / "lexical").is_dir():
        raise IndexCorruptError(f"the index at {folder} is incomplete (missing: "
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
        raise IndexCorruptError(f"the index at {folder} is damaged ({type(exc).__name__}: {exc}). "
                                f"{REBUILD_HINT}") from exc
    data = IndexData(config=config, dimension=int(manifest["dimension"]), documents=documents,
                     chunks=chunks, chunk_vectors=np.ascontiguousarray(chunk_vectors, dtype=np.float32),
                     sentences=sentences, sentence_vectors=sentence_vectors, lexical=lexical)
    _check_consistent(data, manifest, folder)
    return data


def _check_consistent(data: IndexData, manifest: dict[str, Any], folder: Path) -> None:
    problems = []
    if data.chunk_vectors.shape != (len(data.chunks), data.dimension):
        problems.append(f"{data.chunk_vectors.shape[0]} chunk vectors for {len(data.chunks)} chunks")
    if data.sentence_vectors.shape != (len(data.sentences), data.dimension):
        problems.append(f"{data.sentence_vectors.shape[0]} sentence vectors for {len(data.sentences)} sentences")
    if set(manifest.get("documents", {})) != {d.id for d in data.documents}:
        problems.append("the manifest and documents.jsonl list different documents")
    if problems:
        raise IndexCorruptError(f"the index at {folder} is inconsistent ({'; '.join(problems)}). {REBUILD_HINT}")


def _write_jsonl(path: Path, rows: Any) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
