"""Incremental indexing: bring an index in step with a set of documents.

A document is identified by the hash of its cleaned text, so a document whose text did not
change keeps its chunks and vectors and is not embedded again; new or changed documents are
chunked and embedded; documents no longer present are dropped (when pruning). Changing an
index setting (model, encoding, chunk size) re-embeds everything.

Left out: reading files (see `ingest`) and writing to disk (see `index`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from .chunking import chunk_document, get_encoder, split_sentences
from .config import Config
from .embedding import Embedder
from .index import IndexData
from .lexical import LexicalIndex
from .progress import bar
from .store.sentences import ChunkTable, SentenceTable
from .types import Document, IndexReport, SkippedFile, SourceSet

Progress = Callable[[str], None]
EMBED_SLICE = 1024  # texts per call to the model: memory stays bounded on a huge document


def update_index(previous: IndexData | None, documents: Sequence[Document], *, config: Config,
                 embedder: Embedder, prune: bool, skipped: Sequence[SkippedFile] = (),
                 progress: Progress | None = None) -> tuple[IndexData, IndexReport]:
    """A new IndexData holding `documents` and, unless `prune`, the previous ones too.

    With `prune` (a full sync of a corpus) a known text under a new path counts as moved;
    without it (adding files) it counts as a duplicate of the indexed one.
    """
    say = progress or (lambda _msg: None)
    rebuilt = previous is None or previous.config.index_settings() != config.index_settings()
    old = {} if rebuilt or previous is None else {d.id: d for d in previous.documents}
    old_by_source = {d.source: d.id for d in old.values()}
    incoming: dict[str, Document] = {}
    duplicates: list[str] = []
    for doc in documents:
        if doc.id in incoming:
            duplicates.append(doc.name)
        else:
            incoming[doc.id] = doc
    added, updated, unchanged, replaced = [], [], [], set()
    for doc in incoming.values():
        if doc.id in old:
            moved_or_same = prune or old[doc.id].source == doc.source
            (unchanged if moved_or_same else duplicates).append(doc.name)
        elif doc.source in old_by_source:
            updated.append(doc.name)
            replaced.add(old_by_source[doc.source])
        else:
            added.append(doc.name)
    kept = {i for i in old if i not in replaced and (i in incoming or not prune)}
    removed = [old[i].name for i in old if i not in kept and i not in replaced]
    fresh = [d for i, d in incoming.items() if i not in old]
    if fresh:
        say(f"Embedding {len(fresh)} document(s) with {config.model}...")
    data = _assemble(None if rebuilt else previous, kept, fresh, config, embedder, progress)
    if prune:
        data = with_sources(data, list(incoming.values()))
    report = IndexReport(added=tuple(added), updated=tuple(updated), removed=tuple(removed),
                         unchanged=tuple(unchanged), skipped=tuple(skipped),
                         duplicates=tuple(duplicates), rebuilt=rebuilt and previous is not None)
    return data, report


def _assemble(previous: IndexData | None, kept_ids: set[str], fresh: Sequence[Document],
              config: Config, embedder: Embedder, progress: Progress | None = None) -> IndexData:
    encoder = get_encoder(config.encoding)
    docs, chunk_parts, sentence_parts = [], [], []
    chunk_vecs, sent_vecs = [], []
    if previous is not None:
        docs = [d for d in previous.documents if d.id in kept_ids]
        chunk_table, table = previous.chunk_table(), previous.sentence_table()
        chunk_mask, sent_mask = chunk_table.doc_mask(kept_ids), table.doc_mask(kept_ids)
        chunk_parts.append((chunk_table, chunk_mask))
        sentence_parts.append((table, sent_mask))
        chunk_vecs.append(previous.chunk_vectors[chunk_mask] if len(chunk_mask) else previous.chunk_vectors)
        sent_vecs.append(previous.sentence_vectors[sent_mask] if len(sent_mask) else previous.sentence_vectors)
    new_chunks = [c for d in fresh for c in chunk_document(d, encoder, max_tokens=config.chunk_tokens,
                                                          overlap=config.chunk_overlap)]
    new_sentences = [s for d in fresh for s in split_sentences(d.text, d.id)]
    dim = previous.dimension if previous is not None and not new_chunks else None
    vectors = embed_all(embedder, [c.text for c in new_chunks] + [s.text for s in new_sentences], progress)
    chunk_vecs.append(vectors[:len(new_chunks)])
    sent_vecs.append(vectors[len(new_chunks):])
    docs += list(fresh)
    chunk_parts.append((ChunkTable.of(fresh, new_chunks), None))
    sentence_parts.append((SentenceTable.of(fresh, new_sentences), None))
    chunks = ChunkTable.join(docs, chunk_parts)
    dim = dim or embedder.dimension
    return IndexData(config=config, dimension=dim, documents=tuple(docs), chunks=chunks,
                     chunk_vectors=_stack(chunk_vecs, dim), sentences=SentenceTable.join(docs, sentence_parts),
                     sentence_vectors=_stack(sent_vecs, dim),
                     lexical=LexicalIndex.build([c.text for c in chunks]),
                     sources=previous.sources if previous is not None else SourceSet(),
                     embedding=embedder_description(embedder) if fresh or previous is None else previous.embedding,
                     stores=previous.stores if previous is not None else None)


def embed_all(embedder: Embedder, texts: list[str], progress: Progress | None = None) -> np.ndarray:
    """Vectors of `texts`, embedded in slices of similar length (one bar for all of them).

    Sorting by length first keeps padding small; slicing keeps memory bounded and lets a
    bar show the rate and the time left on big corpora.
    """
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), embedder.dimension), dtype=np.float32)
    with bar(progress, len(texts), "Embedding") as tick:
        for start in range(0, len(order), EMBED_SLICE):
            rows = order[start:start + EMBED_SLICE]
            out[rows] = embedder.encode([texts[i] for i in rows])
            tick(len(rows))
    return out


def embedder_description(embedder: Embedder) -> dict[str, Any]:
    """How vectors are made (stored in the manifest): model, backend and the ONNX graph's fingerprint."""
    describe = getattr(embedder, "describe", None)
    return describe() if callable(describe) else {"model": getattr(embedder, "model_name", "?")}


def drop_documents(data: IndexData, ids: set[str], embedder: Embedder) -> IndexData:
    """The same index without the documents in `ids` (nothing is embedded)."""
    return _assemble(data, {d.id for d in data.documents} - ids, [], data.config, embedder)


def _stack(parts: list[np.ndarray], dim: int) -> np.ndarray:
    """The vectors as one float16 array: what the index stores, so answers from a freshly
    built index and from the same index loaded again are the same."""
    parts = [p for p in parts if len(p) and p.shape[1] == dim]
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float16) if parts else \
        np.zeros((0, dim), dtype=np.float16)


def with_sources(data: IndexData, documents: Sequence[Document]) -> IndexData:
    """The same index with document sources taken from `documents` where the text is equal."""
    source = {d.id: d.source for d in documents}
    docs = tuple(replace(d, source=source.get(d.id, d.source)) for d in data.documents)
    return replace(data, documents=docs)
