"""Find the passages that best match a question: dense (FAISS), lexical (BM25) or hybrid.

Dense search ranks chunks twice: by the cosine of the chunk's vector, and by the cosine of
its best-matching sentence (a long chunk's vector blurs the one sentence that answers).
Hybrid fuses these rankings with BM25's by weighted reciprocal-rank fusion,
    score(chunk) = sum over rankings r of  w_r / (rrf_k + rank_r(chunk)),
so no side's raw score scale matters. A chunk missing from one ranking gets nothing
from it. Every passage also carries its cosine similarity to the question (`dense_score`),
which later stages use as an absolute measure of relevance.

Left out: re-ranking with a cross-encoder, metadata filters.
"""
from __future__ import annotations

import bisect

from dataclasses import dataclass

import numpy as np

from .config import Config
from .embedding import Embedder
from .index import IndexData
from .lexical import tokenize
from .types import Chunk, Document, Passage


@dataclass(frozen=True)
class Query:
    """A question prepared for search: its text, lexical tokens (with variants) and vector."""

    text: str
    tokens: tuple[str, ...]
    vector: np.ndarray


class Retriever:
    """Searches one in-memory index."""

    def __init__(self, data: IndexData, embedder: Embedder) -> None:
        self.data = data
        self.embedder = embedder
        self._faiss = data.faiss_index()
        self._documents = {d.id: d for d in data.documents}
        self._sentence_chunks = _sentence_chunks(data)

    def prepare(self, text: str, *, fuzzy: bool) -> Query:
        """Tokenize and embed the query text."""
        tokens = tokenize(text)
        if fuzzy:
            tokens = self.data.lexical.expand(tokens)
        return Query(text=text, tokens=tuple(tokens), vector=self.embedder.encode([text])[0])

    def search(self, query: Query, *, k: int, config: Config) -> list[Passage]:
        """The top `k` passages for the query under the retrieval mode in `config`."""
        n = len(self.data.chunks)
        if n == 0:
            return []
        pool = min(n, max(4 * k, 50))
        fused: dict[int, float] = {}
        if config.retrieval in ("dense", "hybrid"):
            _, ids = self._faiss.search(query.vector[None, :], pool)
            _fuse(fused, [int(i) for i in ids[0] if i >= 0], config.dense_weight, config.rrf_k)
            if config.sentence_weight > 0:
                _fuse(fused, self._by_best_sentence(query, pool), config.sentence_weight, config.rrf_k)
        if config.retrieval in ("lexical", "hybrid"):
            scores = self.data.lexical.scores(query.tokens)
            order = [int(i) for i in np.argsort(-scores, kind="stable")[:pool] if scores[i] > 0]
            _fuse(fused, order, config.lexical_weight, config.rrf_k)
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        cosines = self.data.chunk_vectors[[i for i, _ in best]] @ query.vector if best else []
        return [self._passage(i, score, float(cos), rank)
                for rank, ((i, score), cos) in enumerate(zip(best, cosines), 1)]

    def _by_best_sentence(self, query: Query, pool: int) -> list[int]:
        """Chunks ranked by the cosine of their best-matching sentence: a chunk whose one
        sentence answers the question ranks high even when the rest is about other things."""
        if not len(self.data.sentences):
            return []
        sims = self.data.sentence_vectors @ query.vector
        best = np.full(len(self.data.chunks), -np.inf, dtype=np.float32)
        np.maximum.at(best, self._sentence_chunks[1], sims[self._sentence_chunks[0]])
        order = np.argsort(-best, kind="stable")[:pool]
        return [int(i) for i in order if np.isfinite(best[i])]

    def _passage(self, i: int, score: float, cosine: float, rank: int) -> Passage:
        chunk = self.data.chunks[i]
        return chunk_passage(chunk, self._documents[chunk.doc_id], score=score, dense_score=cosine, rank=rank)


def chunk_passage(chunk: Chunk, doc: Document, *, score: float, dense_score: float, rank: int) -> Passage:
    """A chunk as a passage: its text and span with its document's metadata and the scores."""
    return Passage(chunk_id=chunk.id, doc_id=doc.id, source=doc.source, title=doc.title,
                   date=doc.date, text=chunk.text, start=chunk.start, end=chunk.end,
                   score=score, dense_score=dense_score, rank=rank)


def _fuse(fused: dict[int, float], ranking: list[int], weight: float, rrf_k: int) -> None:
    for rank, i in enumerate(ranking, 1):
        fused[i] = fused.get(i, 0.0) + weight / (rrf_k + rank)


def _sentence_chunks(data: IndexData) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (sentence row, chunk row) for every sentence inside a chunk, as two arrays.

    A document's chunks are windows in reading order (starts and ends both rising), so the
    chunks holding a sentence are found by bisection, not by trying all of them: linear in
    the sentences, also for one huge document.
    """
    by_doc: dict[str, list[int]] = {}
    for i, c in enumerate(data.chunks):
        by_doc.setdefault(c.doc_id, []).append(i)
    starts = {doc: [data.chunks[i].start for i in rows] for doc, rows in by_doc.items()}
    for doc, rows in by_doc.items():
        if starts[doc] != sorted(starts[doc]):
            rows.sort(key=lambda i: data.chunks[i].start)
            starts[doc] = [data.chunks[i].start for i in rows]
    pairs_rows, pairs_chunks = [], []
    for row, s in enumerate(data.sentences):
        rows = by_doc.get(s.doc_id, ())
        j = bisect.bisect_right(starts[s.doc_id], s.start) - 1 if rows else -1
        while j >= 0 and data.chunks[rows[j]].end >= s.start:  # earlier chunks end earlier
            if data.chunks[rows[j]].end >= s.end:
                pairs_rows.append(row)
                pairs_chunks.append(rows[j])
            j -= 1
    order = np.lexsort((pairs_chunks, pairs_rows)) if pairs_rows else np.zeros(0, dtype=np.int64)
    return (np.asarray(pairs_rows, dtype=np.int64)[order], np.asarray(pairs_chunks, dtype=np.int64)[order])
