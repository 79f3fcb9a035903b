"""Find the passages that best match a question: dense (a vector store), lexical (BM25) or hybrid.

Dense search ranks chunks twice: by the cosine of the chunk's vector, and by the cosine of
its best-matching sentence (a long chunk's vector blurs the one sentence that answers);
both are searches of a vector store (`rag.store`), BM25 reads only the postings of the
question's words, so no step of a question grows with the whole corpus.
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
from .store.keys import KeyMap
from .types import Chunk, Document, Passage

SENTENCES_PER_CHUNK = 8  # sentences asked of the store per chunk wanted: the best crowd into few chunks


@dataclass(frozen=True)
class Query:
    """A question prepared for search: its text, lexical tokens (with variants) and vector."""

    text: str
    tokens: tuple[str, ...]
    vector: np.ndarray


class Retriever:
    """Searches one index: its vector stores, its BM25 index, its tables."""

    def __init__(self, data: IndexData, embedder: Embedder) -> None:
        self.data = data
        self.embedder = embedder
        self._stores = data.searchable()
        chunk_keys, sentence_keys = data.keys()
        self._chunk_rows, self._sentence_rows = KeyMap(chunk_keys), KeyMap(sentence_keys)
        self._documents = {d.id: d for d in data.documents}
        self._chunks = data.chunks  # a ChunkTable (rag.store.sentences)
        self._doc_chunks: dict[int, tuple[list[int], list[int], list[int]]] = {}  # filled as documents are met

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
            _, keys = self._stores.chunks.search(query.vector[None, :], pool)
            _fuse(fused, [int(i) for i in self._chunk_rows.rows(keys[0]) if i >= 0], config.dense_weight, config.rrf_k)
            if config.sentence_weight > 0:
                _fuse(fused, self._by_best_sentence(query, pool), config.sentence_weight, config.rrf_k)
        if config.retrieval in ("lexical", "hybrid"):
            order = [i for i, _ in self.data.lexical.top(query.tokens, pool)]
            _fuse(fused, order, config.lexical_weight, config.rrf_k)
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        vectors = np.asarray(self.data.chunk_vectors[[i for i, _ in best]], dtype=np.float32)
        cosines = vectors @ query.vector if best else []
        return [self._passage(i, score, float(cos), rank)
                for rank, ((i, score), cos) in enumerate(zip(best, cosines), 1)]

    def _by_best_sentence(self, query: Query, pool: int) -> list[int]:
        """Chunks ranked by the cosine of their best-matching sentence: a chunk whose one
        sentence answers the question ranks high even when the rest is about other things.

        The sentence store gives the nearest sentences, best first; a chunk first met through
        a sentence has that sentence as its best. Enough sentences are asked for to meet
        `pool` chunks (more, if the first ones crowd into few chunks)."""
        total = len(self.data.sentences)
        wanted = min(total, SENTENCES_PER_CHUNK * pool)
        best: dict[int, float] = {}
        while wanted:
            scores, keys = self._stores.sentences.search(query.vector[None, :], wanted)
            best = {}
            rows = self._sentence_rows.rows(keys[0])
            spans = np.asarray(self.data.sentences.spans[np.maximum(rows, 0)]).tolist()  # one read, not one per row
            for row, span, score in zip(rows.tolist(), spans, scores[0].tolist()):
                if row >= 0:
                    for chunk in self._chunks_of(*span):
                        best.setdefault(chunk, score)
            if len(best) >= pool or wanted >= total:
                break
            wanted = min(total, 4 * wanted)
        return [i for i, _ in sorted(best.items(), key=lambda item: (-item[1], item[0]))[:pool]]

    def _chunks_of(self, doc_row: int, start: int, end: int) -> list[int]:
        """Rows of the chunks holding a sentence (its document's row, its span) whole: one,
        or two where chunks overlap."""
        starts, ends, rows = self._document_chunks(doc_row)
        j = bisect.bisect_right(starts, start) - 1
        out = []
        while j >= 0 and ends[j] >= start:  # a document's chunks are windows in reading order: earlier ones end earlier
            if ends[j] >= end:
                out.append(rows[j])
            j -= 1
        return sorted(out)

    def _document_chunks(self, doc_row: int) -> tuple[list[int], list[int], list[int]]:
        """(starts, ends, rows) of a document's chunks in reading order, as Python lists: a
        question maps hundreds of sentences to their chunks, and bisecting a list is far
        cheaper than a numpy call per sentence. Worked out once per document met."""
        found = self._doc_chunks.get(doc_row)
        if found is None:
            table = self._chunks
            rows = table.rows_of(self.data.documents[doc_row].id)
            spans = np.asarray(table.spans[rows]) if len(rows) else np.zeros((0, table.WIDTH), dtype=np.int64)
            found = (spans[:, table.START].tolist(), spans[:, table.END].tolist(), rows.tolist())
            self._doc_chunks[doc_row] = found
        return found

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
