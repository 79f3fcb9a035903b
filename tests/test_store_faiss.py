"""The faiss store (exact and IVF), store keys, the sentence table, BM25 top-k: hand-worked
examples and real FAISS, plus the seeds searched through IVF."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag import RAG, Config
from rag.index import read_manifest
from rag.lexical import LexicalIndex, tokenize
from rag.store.faiss import AnnSettings, FaissStore
from rag.store.keys import KeyMap, item_keys
from rag.store.sentences import SentenceTable
from rag.types import Document, content_hash

from .conftest import SEEDS

DOCS = [f"{i:016x}" for i in range(1, 41)]


def _vectors(n: int, seed: int = 0, dim: int = 32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim))
    x = centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _filled(config: Config, n: int) -> tuple[FaissStore, np.ndarray, list[str]]:
    vectors = _vectors(n)
    docs = [DOCS[i % len(DOCS)] for i in range(n)]
    store = FaissStore.create(config, "chunks", vectors.shape[1], size_hint=n)
    store.add(item_keys(docs, range(n)), docs, vectors)
    return store, vectors, docs


@pytest.mark.parametrize("threshold, kind", [(10_000, "exact"), (500, "ivf")])
def test_add_search_delete_persist_reopen(threshold: int, kind: str, tmp_path: Path) -> None:
    config = Config(ann_threshold=threshold, ann_nprobe=64)
    store, vectors, docs = _filled(config, 4000)
    assert store.settings.kind == kind and store.count() == 4000
    keys = item_keys(docs, range(4000))
    scores, found = store.search(vectors[7], 3)
    assert found[0, 0] == keys[7] and scores[0, 0] == pytest.approx(1.0, abs=1e-3)
    store.delete_documents({DOCS[7]})  # rows 7, 47, 87, ...
    assert store.count() == 4000 - 100
    assert keys[7] not in store.search(vectors[7], 10)[1][0]
    entry = store.persist(tmp_path)
    reopened = FaissStore.open(entry, folder=tmp_path, config=config)
    assert reopened.count() == 3900 and reopened.search(vectors[8], 1)[1][0, 0] == keys[8]
    reopened.delete_documents({DOCS[8]})  # an IVF file is memory-mapped: deleting copies it first
    assert reopened.count() == 3800 and FaissStore.open(entry, folder=tmp_path, config=config).count() == 3900


def test_ivf_recall_at_10_against_exact() -> None:
    exact, vectors, _ = _filled(Config(), 6000)
    ivf, _, _ = _filled(Config(ann_threshold=1000, ann_nprobe=8), 6000)
    queries = vectors[::30] + 0.05 * _vectors(200, seed=1)  # near the data, not on it
    truth, got = exact.search(queries, 10)[1], ivf.search(queries, 10)[1]
    recall = np.mean([len(set(t) & set(g)) / 10 for t, g in zip(truth, got)])
    assert ivf.settings == AnnSettings("ivf", 150, 8)  # 2 * sqrt(6000) = 154 cells, at most 40 vectors a cell
    assert recall >= 0.9, recall


def test_exact_search_with_float16_codes_ranks_as_float32_cosines_do() -> None:
    store, vectors, _ = _filled(Config(), 3000)
    queries = vectors[::50] + 0.05 * _vectors(60, seed=2)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    keys = item_keys([DOCS[i % len(DOCS)] for i in range(3000)], range(3000))
    scores, found = store.search(queries, 10)
    overlap = np.mean([len(set(keys[t].tolist()) & set(f.tolist())) / 10 for t, f in zip(truth, found)])
    assert overlap >= 0.99, overlap
    best = (queries @ vectors.T).max(axis=1)
    assert np.abs(scores[:, 0] - best).max() < 2e-3


def test_an_exact_store_of_float32_vectors_written_before_still_opens(tmp_path: Path) -> None:
    import faiss

    vectors = _vectors(200)
    docs = [DOCS[i % len(DOCS)] for i in range(200)]
    old = FaissStore("chunks", faiss.IndexIDMap2(faiss.IndexFlatIP(32)), AnnSettings("exact"),
                     np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    old.add(item_keys(docs, range(200)), docs, vectors)
    reopened = FaissStore.open(old.persist(tmp_path), folder=tmp_path, config=Config())
    assert reopened.search(vectors[5], 1)[1][0, 0] == item_keys(docs, range(200))[5]
    copy = reopened.fork(Config(), 200)
    copy.delete_documents({docs[5]})
    assert copy.count() == 195


def test_fork_copies_and_refuses_another_kind() -> None:
    store, vectors, docs = _filled(Config(), 100)
    copy = store.fork(Config(), 100)
    assert copy is not None
    copy.delete_documents({docs[0]})
    assert copy.count() < store.count() == 100  # the store being searched is not changed
    assert store.fork(Config(ann_threshold=50), 100) is None and store.fork(Config(vector_store="milvus"), 100) is None


def test_an_empty_store_finds_nothing() -> None:
    store = FaissStore.create(Config(), "sentences", 8)
    scores, keys = store.search(np.ones(8, dtype=np.float32), 2)
    assert keys.tolist() == [[-1, -1]] and np.isneginf(scores).all()


def test_keys_are_stable_distinct_and_found_back() -> None:
    keys = item_keys(DOCS, [0] * len(DOCS))
    assert keys.tolist() == item_keys(DOCS, [0] * len(DOCS)).tolist() and len(set(keys.tolist())) == len(DOCS)
    assert (keys >= 0).all() and item_keys(DOCS[:1], [1])[0] != keys[0]
    assert KeyMap(keys[::-1]).rows(np.array([keys[0], 12345, keys[-1]])).tolist() == [len(DOCS) - 1, -1, 0]


def _doc(text: str) -> Document:
    return Document(id=content_hash(text), source="a.txt", title="t", text=text)


def test_sentence_table_reads_sentences_inside_a_span() -> None:
    a, b = _doc("One. Two. Three."), _doc("Four. Five.")
    table = SentenceTable(
        [a, b], np.array([[0, 0, 4], [0, 5, 9], [0, 10, 16], [1, 0, 5], [1, 6, 11]], dtype=np.int64))
    assert [s.text for s in table] == ["One.", "Two.", "Three.", "Four.", "Five."]
    assert table.rows_within(a.id, 5, 16) == [1, 2] and table.rows_within(a.id, 0, 8) == [0]
    assert table.rows_within(b.id, 0, 11) == [3, 4] and table.rows_within("nope", 0, 99) == []
    kept = SentenceTable.join([b], [(table, table.doc_mask({b.id}))])
    assert [s.text for s in kept] == ["Four.", "Five."] and kept.spans[:, 0].tolist() == [0, 0]
    shuffled = SentenceTable([a, b], table.spans[[3, 0, 4, 2, 1]])
    assert shuffled.rows_within(a.id, 0, 16) == [1, 4, 3]  # not grouped: sorted, reading order


@pytest.mark.parametrize("query", ["cat", "dog cat", "bird mat", "cat cat", "unknown", ""])
def test_bm25_top_k_ranks_as_scores_do(query: str) -> None:
    lexical = LexicalIndex.build(["the cat sat on the mat", "dogs and cats", "a bird", "cat cat dog", ""] * 30)
    tokens = tokenize(query)
    scores = lexical.scores(tokens)
    expected = [(int(i), float(scores[i])) for i in np.argsort(-scores, kind="stable")[:25] if scores[i] > 0]
    top = lexical.top(tokens, 25)
    assert [i for i, _ in top] == [i for i, _ in expected]
    assert [s for _, s in top] == pytest.approx([s for _, s in expected], rel=1e-6)


def test_the_seeds_through_ivf_find_what_exact_search_finds(seed_bot: Any, tmp_path: Path) -> None:
    # every cell searched: IVF must give the exact answer; a few cells: it is approximate
    config = Config(ann_threshold=8, ann_nlist=4, ann_nprobe=4)
    bot = RAG.build([SEEDS], index_dir=tmp_path / "ix", config=config)
    assert {e["search"] for e in read_manifest(tmp_path / "ix")["stores"].values()} == {"ivf"}
    question = "When did Choe Ryong-hae arrive in Beijing?"
    for mode in ("dense", "hybrid"):
        assert [p.chunk_id for p in RAG.load(tmp_path / "ix").retrieve(question, retrieval=mode)] == \
            [p.chunk_id for p in seed_bot.retrieve(question, retrieval=mode)]
    assert "May 22" in bot.ask(question).text


def test_a_large_file_is_checked_by_a_sample_on_load_and_in_full_on_request(tmp_path: Path, monkeypatch) -> None:
    from rag import integrity
    from rag.errors import IndexCorruptError

    monkeypatch.setattr(integrity, "FULL_CHECK_BYTES", 1000)
    big = tmp_path / "sentences.npy"
    big.write_bytes(bytes(range(256)) * 40_000)  # 10 MB: 256 blocks of 64 KB sampled, about all of it
    manifest: dict[str, Any] = {"files": integrity.checksums(tmp_path)}
    manifest["checksum"] = integrity.manifest_checksum(manifest)
    integrity.verify_files(tmp_path, manifest)
    data = bytearray(big.read_bytes())
    data[0] ^= 1  # the first block is always in the sample
    big.write_bytes(bytes(data))
    for full in (False, True):
        with pytest.raises(IndexCorruptError, match="sentences.npy does not match its checksum"):
            integrity.verify_files(tmp_path, manifest, full=full)
    big.write_bytes(bytes(data[:-1]))
    with pytest.raises(IndexCorruptError, match="sentences.npy has the wrong size"):
        integrity.verify_files(tmp_path, manifest)
