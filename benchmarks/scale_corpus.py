"""The scale benchmark's corpora: the BBC archive repeated up to 100,000 articles.

Copy c of an article is its text with a marker line appended ("[copy c]"), so its content
hash differs and nothing is deduplicated. Embedding 100,000 articles would take days on
2 cores, so the vectors of the cached archive index (built once by the eval, real
all-MiniLM-L6-v2 vectors) are reused: copy c gets each vector plus a little noise (fixed
seed), renormalised, so copies are near but distinct and ANN recall is measured on real
neighbourhoods. Chunks and sentences keep their spans (the marker line is not indexed);
BM25 is built from the real tokens of every copy.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np

from rag.index import IndexData
from rag.lexical import LexicalIndex, tokenize
from rag.store.sentences import SentenceTable
from rag.types import Chunk, content_hash

NOISE = 0.03  # per-coordinate noise of a copy's vectors (unit vectors in 384-d: cosine to the original ~0.85)


def replicate(base: IndexData, copies: int, seed: int = 0) -> IndexData:
    """`base` with `copies` copies of every document (the first is the original)."""
    rng = np.random.default_rng(seed)
    docs, chunks, spans, chunk_vecs, sent_vecs = [], [], [], [], []
    table = base.sentences
    assert isinstance(table, SentenceTable)
    for c in range(copies):
        renamed = {}
        for d in base.documents:
            text = d.text if c == 0 else f"{d.text}\n[copy {c}]"
            renamed[d.id] = replace(d, id=content_hash(text), text=text, source=f"copy{c:03d}/{d.name}")
        docs.extend(renamed[d.id] for d in base.documents)
        chunks.extend(Chunk(id=f"{renamed[k.doc_id].id}:{k.ordinal}", doc_id=renamed[k.doc_id].id, ordinal=k.ordinal,
                            start=k.start, end=k.end, text=k.text, n_tokens=k.n_tokens) for k in base.chunks)
        block = np.array(table.spans)
        block[:, 0] += c * len(base.documents)
        spans.append(block)
        chunk_vecs.append(_noisy(base.chunk_vectors, 0.0 if c == 0 else NOISE, rng))
        sent_vecs.append(_noisy(base.sentence_vectors, 0.0 if c == 0 else NOISE, rng))
    return IndexData(config=base.config, dimension=base.dimension, documents=tuple(docs), chunks=tuple(chunks),
                     chunk_vectors=np.vstack(chunk_vecs), sentences=SentenceTable(docs, np.vstack(spans)),
                     sentence_vectors=np.vstack(sent_vecs), lexical=_lexical([k.text for k in base.chunks], copies),
                     sources=base.sources, embedding=base.embedding)


def _noisy(vectors: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    out = np.asarray(vectors, dtype=np.float32)
    if sigma:
        out = out + rng.normal(scale=sigma, size=out.shape).astype(np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float16)


def _lexical(texts: list[str], copies: int) -> LexicalIndex:
    """BM25 over the chunks of every copy (each copy's tokens are its original's)."""
    import bm25s

    tokens = [tokenize(t) or [""] for t in texts]
    bm25 = bm25s.BM25()
    bm25.index(tokens * copies, show_progress=False)
    doc_freq: dict[str, int] = defaultdict(int)
    for words in tokens:
        for word in set(words):
            if word:
                doc_freq[word] += copies
    return LexicalIndex(bm25, dict(doc_freq), len(tokens) * copies)
