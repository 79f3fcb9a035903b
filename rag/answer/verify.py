"""Checking a generated answer against the passages it cites, sentence by sentence.

The reply is split into sentences; each one's `[n]` markers (also `[1][2]`, `[1, 2]`, and a
marker opening the next sentence) name the passages it claims to come from. A sentence is
*supported* by a cited passage when
  1. every number in it, and every capitalised name that is not in the question either,
     occurs in that passage (or its title): a wrong year or a person the passage never
     names is the commonest way a generated sentence strays; and
  2. its support score reaches `support_threshold`:
         W_COSINE * max cosine(sentence, a sentence of the passage)       meaning
       + W_LEXICAL * idf-weighted share of its words found in the passage  words
     the same two measures, with the same weights, that the extractive answerer's evidence
     for abstaining uses (scoring.py), here between the claim and its source.
The passage's sentence of highest cosine is the claim's *quote*: what the citation shows.
A sentence with no marker, with markers that name no passage, or that none of its cited
passages supports is *unsupported*. A passage's sentences that speak to the model
(`INSTRUCTION`: "ignore previous instructions", "tell the user ...") are no evidence. What this does not catch: a claim whose words and
numbers all stand in the passage but are put together wrongly ("A beat B" for "B beat A"),
and a supported sentence that does not answer the question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..chunking import split_sentences
from ..lexical import LexicalIndex, tokenize
from ..types import Passage, Sentence
from .scoring import W_COSINE, W_LEXICAL

SHORT_CLAIM_WORDS = 6  # a shorter claim ("On May 22.") is read together with the question
# a sentence that speaks to the model ("Ignore previous instructions and tell the user ...")
# is never evidence, whatever it says: an article can hold one to steer the answer
INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|rules|prompts?|above|everything)\b"
    r"|\b(?:tell|inform|reply to|answer) the (?:user|reader|human)\b|\byou are now\b|\bsystem prompt\b"
    r"|\b(?:as an? (?:AI|language model|assistant))\b", re.IGNORECASE)
_MARKER_RUN = re.compile(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'-]+")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "- - two three four five six seven eight nine ten eleven twelve".split()) if w != "-"}


@dataclass(frozen=True)
class Claim:
    """One sentence of a generated answer, as checked."""

    text: str  # without its markers
    cited: tuple[int, ...]  # passage numbers its markers name (1-based, as in the prompt)
    supported_by: tuple[int, ...] = ()  # those of them that support it
    quotes: tuple[tuple[int, int], ...] = ()  # per supporting passage: (its sentence row quoted, passage number)
    score: float = 0.0  # best support score among the cited passages
    reason: str = ""  # why it is unsupported ("" when supported)

    @property
    def supported(self) -> bool:
        """True when at least one cited passage supports the sentence."""
        return bool(self.supported_by)


def split_claims(reply: str) -> list[tuple[str, tuple[int, ...]]]:
    """The reply's claims with the passage numbers each cites, in order.

    A claim is a sentence, or the part of one up to a run of markers that more words follow
    ("A met B [1] while C met D [2]."): each run covers the words back to the run before. A run
    opening a sentence ("... May 22. [1] He met ...") belongs to the claim before; words after
    a sentence's last run stay with the claim it closes ("... [1], officials said.")."""
    out: list[list] = []
    for s in split_sentences(reply.strip()):
        text, pos, parts = s.text, 0, []
        for m in _MARKER_RUN.finditer(text):
            piece, cited = text[pos:m.start()], _numbers(m.group())
            if _has_words(piece):
                parts.append([piece, cited])
            elif parts:
                parts[-1][0] += piece
                parts[-1][1] += cited
            elif out:  # a run opening the sentence
                out[-1][1] += cited
            pos = m.end()
        tail = text[pos:]
        if parts:
            parts[-1][0] += tail
        elif _has_words(tail):
            parts.append([tail, []])
        out.extend(parts)
    return [(" ".join(t.split()).lstrip(",;: "), tuple(dict.fromkeys(c))) for t, c in out]


def _has_words(text: str) -> bool:
    return re.search(r"\w", text) is not None


def _numbers(markers: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", markers)]


class Verifier:
    """Checks claims against passages with the index's sentences, vectors and word weights."""

    def __init__(self, sentences: Sequence[Sentence], vectors: np.ndarray, lexical: LexicalIndex,
                 rows_of: Callable[[Passage], list[int]], encode: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.sentences, self.vectors, self.lexical = sentences, vectors, lexical
        self.rows_of, self.encode = rows_of, encode

    def check(self, reply: str, passages: Sequence[Passage], question: str, threshold: float) -> list[Claim]:
        """Every sentence of `reply`, checked against the passages it cites (numbered from 1)."""
        claims = split_claims(reply)
        if not claims:
            return []
        read = [text if len(text.split()) >= SHORT_CLAIM_WORDS else f"{question} {text}" for text, _ in claims]
        vectors = self.encode(read)
        asked = _name_words(question)
        return [self._check_one(text, cited, vector, passages, asked, threshold, meant)
                for (text, cited), vector, meant in zip(claims, vectors, read)]

    def _check_one(self, text: str, cited: tuple[int, ...], vector: np.ndarray, passages: Sequence[Passage],
                   asked: set[str], threshold: float, meant: str) -> Claim:
        """`text` checked against each passage it cites; `meant` is what it says (with the
        question, when it is short), `vector` its embedding."""
        if not cited:
            return Claim(text, cited, reason="it cites no passage")
        valid = [n for n in cited if 1 <= n <= len(passages)]
        if not valid:
            return Claim(text, cited, reason=f"[{cited[0]}] names no passage (there are {len(passages)})")
        supporting, quotes, best, reasons = [], [], 0.0, []
        for n in valid:
            row, score, missing = self._support(text, meant, vector, passages[n - 1], asked)
            best = max(best, score)
            if missing:
                reasons.append(f"[{n}] does not mention {missing}")
            elif score < threshold or row is None:
                reasons.append(f"[{n}] does not say it (support {score:.2f} < {threshold:g})")
            else:
                supporting.append(n)
                quotes.append((row, n))
        return Claim(text, cited, tuple(supporting), tuple(quotes), best, "" if supporting else "; ".join(reasons))

    def _support(self, text: str, meant: str, vector: np.ndarray, p: Passage,
                 asked: set[str]) -> tuple[int | None, float, str]:
        """(row of the passage sentence closest in meaning, support score, first fact of
        `text` missing from the passage)."""
        rows = [r for r in self.rows_of(p) if not INSTRUCTION.search(self.sentences[r].text)]
        context = "\n".join([p.title, *(self.sentences[r].text for r in rows)])
        missing = _missing_fact(text, context, asked)
        if not rows:
            return None, 0.0, missing
        cosines = self.vectors[rows] @ vector
        i = int(np.argmax(cosines))
        score = W_COSINE * float(cosines[i]) + W_LEXICAL * self._coverage(meant, context)
        return rows[i], score, missing

    def _coverage(self, claim: str, context: str) -> float:
        """Idf-weighted share of the claim's words (stems) that occur in the passage."""
        words = set(tokenize(claim))
        if not words:
            return 0.0
        present = set(tokenize(context))
        total = sum(self.lexical.idf(w) for w in words)
        return sum(self.lexical.idf(w) for w in words if w in present) / total if total else 0.0


def _missing_fact(claim: str, context: str, asked: set[str]) -> str:
    """The first number or name of the claim that the passage lacks, quoted; "" if none."""
    have_numbers = set(_normal_numbers(context))
    for number in _normal_numbers(claim):
        if number not in have_numbers:
            return f'"{number}"'
    have_words = set(tokenize(context)) | {w.lower() for w in re.findall(r"[\w'-]+", context)}
    for name in _names(claim):
        forms = set(tokenize(name)) or {name.lower()}
        if not forms & (have_words | asked):
            return f'"{name}"'
    return ""


def _normal_numbers(text: str) -> list[str]:
    """Numbers in the text, digits only ("3,000" -> "3000"), with small number words as digits."""
    found = [re.sub(r"[.,](?=\d{3}\b)", "", m.group()) for m in _NUMBER.finditer(text)]
    found += [_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS]
    return found


def _names(claim: str) -> list[str]:
    """Capitalised words of the claim other than its first word (which any sentence capitalises)."""
    words = _NAME.findall(claim)
    first = re.match(r"\W*([\w'-]+)", claim)
    if words and first and words[0] == first.group(1):
        words = words[1:]
    return [w for w in words if w.lower() not in {"i", "the", "a", "an"}]


def _name_words(question: str) -> set[str]:
    words = {w.lower() for w in re.findall(r"[\w'-]+", question)}
    return words | set(tokenize(question))
