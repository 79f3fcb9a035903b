"""Scoring the sentences of the retrieved passages (the heuristic composer's first part).

Each sentence scores
    W_COSINE * cosine(question, sentence)            meaning
  + W_LEXICAL * idf-weighted share of question words found in the sentence (with variants)
  + type bonus / penalty: does the sentence hold the kind of fact asked for (a date for "when")
  + W_RANK / rank of its passage                      context
  + for a sentence opening with "Such remarks", "This", ...: what it gains in meaning and
    words when read with the sentence before (for ranking only, not as evidence).
Its *evidence* (meaning + words - missing answer type) is what abstention compares with
`config.abstain_threshold`. The trained reader's composer uses this ranking to choose the
sentences it reads. Left out: choosing quotes (selection.py) and writing them (writing.py).
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from ..config import Config
from ..index import IndexData
from ..lexical import close_words, compounds, tokenize
from ..questions import answer_type, name_forms, named_terms, typed_spans
from ..retrieve import Query, chunk_passage
from ..types import Passage, Sentence


W_COSINE, W_LEXICAL, W_RANK = 0.55, 0.35, 0.04
TYPE_BONUS, TYPE_PENALTY = 0.08, 0.3
REPEAT_PENALTY = 0.1
# A name or a date in a sentence is no evidence that it answers (a byline is full of names);
# a word of agreement is, for "what did they agree": it is rare. Words of speech are in most
# news sentences, so for "what did he say" only their absence counts (the penalty).
EVIDENCE_KINDS = ("agreement",)
TITLE_PENALTY = 0.15  # a headline matches many questions loosely but rarely answers one
DOC_TOKEN_CACHE = 512  # documents whose word sets are kept for the named-term check
ANAPHOR_SHARE = 0.5  # share of the words of the sentence before that count for one pointing back to it
# a 24-hour clock time with its zone ("shown at 2010 GMT"): four digits that are not a year
_CLOCK_TIME = re.compile(r"\b(?:[01]\d|2[0-3])[0-5]\d\s*(?:GMT|BST|UTC|CET|CEST)\b")
# openings that point back to the sentence before ("Such remarks were not mentioned by KCNA")
_ANAPHOR = re.compile(r"(?:Such|This|These|That|Those|The (?:remarks?|move|statement|comments?|meeting|visit|report|two))\b")


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, with its score parts."""

    sentence: Sentence
    row: int  # row of the sentence in the index's sentence table
    passage: Passage
    cosine: float
    lexical: float
    score: float  # for ranking: evidence plus bonuses for the answer type and passage rank
    evidence: float  # for abstaining: meaning and words matched, less what the sentence lacks
    words: frozenset[str]


class SentenceScoring:
    """The index's sentences by document, and the scores of those of retrieved passages."""

    def __init__(self, data: IndexData, encode: Callable[[Sequence[str]], np.ndarray] | None = None) -> None:
        self.data = data
        self.encode = encode  # embeds clauses when a long sentence must be cut
        self._documents = {d.id: d for d in data.documents}
        self._contexts: dict[int, tuple[np.ndarray, frozenset[str]] | None] = {}
        self._doc_tokens: OrderedDict[str, frozenset[str]] = OrderedDict()

    def unmentioned(self, question: str, doc_ids: Iterable[str]) -> list[str]:
        """The terms `question` names (`named_terms`: names, years, long numbers) that none
        of the documents mentions: their answer cannot come from these documents. A name is
        mentioned when each of its words is (one letter off counts for longer words, as
        "Yunsan" for "Yunshan"), or its words joined ("TimeWarner"); a year also when a
        document dated that year or later could speak of it as "five years ago"."""
        terms = named_terms(question)
        docs = [self._documents[d] for d in dict.fromkeys(doc_ids) if d in self._documents]
        if not terms or not docs:
            return []
        vocab = [self._tokens_of(d.id, d.text) for d in docs]
        missing = []
        for term, year in terms:
            if year is not None and any(d.date and d.date[:4].isdigit() and int(d.date[:4]) >= year - 1
                                        for d in docs):
                continue
            if not any(_mentions(words, form) for form in name_forms(term) for words in vocab):
                missing.append(term)
        return missing

    def naming_documents(self, question: str, doc_ids: Iterable[str]) -> set[str]:
        """Those of `doc_ids` that each mention every term `question` names (`unmentioned`),
        each document checked once."""
        return {d for d in set(doc_ids) if not self.unmentioned(question, [d])}

    def _tokens_of(self, doc_id: str, text: str) -> frozenset[str]:
        words = self._doc_tokens.get(doc_id)
        if words is None:
            words = frozenset(tokenize(_CLOCK_TIME.sub(" ", text)))  # "at 2010 GMT" names no year 2010
            self._doc_tokens[doc_id] = words
            if len(self._doc_tokens) > DOC_TOKEN_CACHE:
                self._doc_tokens.popitem(last=False)
        else:
            self._doc_tokens.move_to_end(doc_id)
        return words

    def rank(self, question: str, passages: Sequence[Passage], *, query: Query,
             config: Config, said: str = "",
             groups: list[tuple[float, frozenset[str]]] | None = None) -> list[Candidate]:
        """All sentences of the passages, best first. Sentences already quoted in `said` (the
        previous answer) rank lower: a follow-up asks for something new."""
        scorer = self._scorer(question, query, config, said, groups)
        self._add_contexts([row for p in passages for row in self.sentence_rows(p)])
        seen: set[int] = set()
        out = []
        for p in passages:
            for row in self.sentence_rows(p):
                if row not in seen:
                    seen.add(row)
                    out.append(scorer(row, p))
        return sorted(out, key=lambda c: -c.score)

    def _scorer(self, question: str, query: Query, config: Config, said: str,
                groups: list[tuple[float, frozenset[str]]] | None) -> Callable[[int, Passage], Candidate]:
        """A function scoring one sentence (by its row) of a passage (see module docstring)."""
        kind = answer_type(question)
        question_words = _question_words(question)
        weights = groups if groups is not None else self._query_weights(query, config)

        def score(row: int, p: Passage) -> Candidate:
            s = self.data.sentences[row]
            words = frozenset(tokenize(s.text))
            cosine = float(self.data.sentence_vectors[row] @ query.vector)
            lexical = _coverage(weights, words)
            context = self._context(row)
            in_context = 0.0
            if context is not None:  # "Such remarks were ...": ranked as read with the sentence
                # before, but its evidence stays its own (context would vouch for near misses)
                vector, before = context
                in_context = W_COSINE * max(0.0, float(vector @ query.vector) - cosine) + \
                    W_LEXICAL * ANAPHOR_SHARE * (_coverage(weights, words | before) - lexical)
            typed = 0.0 if kind is None else (
                TYPE_BONUS if typed_spans(s.text, kind, question_words, question) else -TYPE_PENALTY)
            title = TITLE_PENALTY if s.text == self._documents[s.doc_id].title else 0.0
            repeat = REPEAT_PENALTY if said and s.text[:60] in said else 0.0
            evidence = W_COSINE * cosine + W_LEXICAL * lexical + (typed if kind in EVIDENCE_KINDS else min(typed, 0.0)) - title
            total = evidence + in_context + max(typed, 0.0) + W_RANK / p.rank - repeat
            return Candidate(s, row, p, cosine, lexical, total, evidence, words)

        return score

    def _context(self, row: int) -> tuple[np.ndarray, frozenset[str]] | None:
        """For a sentence that opens by pointing back ("Such remarks", "This ..."), the vector
        of it read together with the sentence before, and that sentence's words; else None."""
        if row not in self._contexts:
            self._add_contexts([row])
        return self._contexts[row]

    def _add_contexts(self, rows: Sequence[int]) -> None:
        """Work out `_context` for the rows not seen yet (one embedding call for them all)."""
        sentences = self.data.sentences
        todo = [r for r in rows if r not in self._contexts]
        pointing = [r for r in todo if self.encode is not None and r > 0 and _ANAPHOR.match(sentences[r].text)
                    and sentences[r - 1].doc_id == sentences[r].doc_id]
        found: dict[int, tuple[np.ndarray, frozenset[str]] | None] = dict.fromkeys(todo)
        if pointing:  # assigned only once computed: a concurrent question never sees a half-done one
            vectors = self.encode([f"{sentences[r - 1].text} {sentences[r].text}" for r in pointing])
            found.update((r, (v, frozenset(tokenize(sentences[r - 1].text)))) for r, v in zip(pointing, vectors))
        self._contexts.update(found)

    def _passage(self, i: int, dense_score: float, rank: int) -> Passage:
        """Chunk `i` as a passage (one the retriever did not return, found by the composer)."""
        chunk = self.data.chunks[i]
        return chunk_passage(chunk, self._documents[chunk.doc_id], score=0.0, dense_score=dense_score, rank=rank)

    def _query_weights(self, query: Query, config: Config) -> list[tuple[float, frozenset[str]]]:
        """Weighted groups of word forms: a name's parts form one group ("Choe Ryong-hae"),
        matched by any part, so a sentence that calls him "Choe" still counts."""
        lexical = self.data.lexical
        groups: list[tuple[float, frozenset[str]]] = []
        for words in _word_groups(query.text):
            forms = set()
            weight = 0.0
            for word in words:
                variants = lexical.variants(word) if config.fuzzy_names else []
                forms.update([word, *variants])
                known = [f for f in [word, *variants] if f in lexical.vocabulary]
                weight = max(weight, lexical.idf(max(known, key=lexical.doc_freq.get) if known else word))
            groups.append((weight, frozenset(forms)))
        # An exact compound ("Park-Obama") counts as much as its parts together: met in
        # another order ("Xi-Park ... Xi-Obama") they are weaker evidence.
        single = {min(forms): w for w, forms in groups if len(forms) == 1}
        for joined, parts in compounds(query.text).items():
            together = sum(single.get(part, 0.0) for part in parts)
            groups = [(together or w, forms) if forms == {joined} else (w, forms) for w, forms in groups]
        return groups

    def sentence_rows(self, p: Passage) -> list[int]:
        """Rows (in the index's sentence table) of the sentences inside passage `p`, in order."""
        return self.data.sentences.rows_within(p.doc_id, p.start, p.end)  # a SentenceTable


def _question_words(question: str) -> set[str]:
    """The question's words, lower-cased, stopwords kept (typed facts must not be made of them)."""
    return set(re.findall(r"[A-Za-z0-9]+", question.lower()))


def _word_groups(text: str) -> list[list[str]]:
    """Question tokens, grouped where they form one capitalised name."""
    groups, seen = [], set()
    for m in re.finditer(r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)+|[\w'-]+", text):
        words = [w for w in tokenize(m.group()) if w not in seen]
        seen.update(words)
        if m.group()[0].isupper() and " " in m.group() and len(words) > 1:
            groups.append(words)
        else:
            groups.extend([w] for w in words)
    return groups


def _coverage(groups: list[tuple[float, frozenset[str]]], words: frozenset[str]) -> float:
    """Idf-weighted share of the question's word groups that the sentence contains."""
    total = sum(w for w, _ in groups)
    if total <= 0:
        return 0.0
    return sum(w for w, forms in groups if forms & words) / total


def _mentions(words: frozenset[str], term: str) -> bool:
    """A document with these word tokens mentions `term`: each of its words, or them joined,
    or for a name of several words its last one ("Mr Obama" for "Barack Obama"), if that
    has four letters or more."""
    parts = tokenize(term.replace("-", " "))
    last = parts[-1] if len(term.split()) > 1 and len(parts) > 1 else ""
    if len(last) >= 4 and not last.isdigit() and _has(last, words):
        return True
    return not parts or "".join(parts) in words or all(_has(p, words) for p in parts)


def _has(word: str, words: frozenset[str]) -> bool:
    """`word` is among `words`, or begins one of them ("500" in "500m", "york" in "yorker"),
    or (6 letters or more) is one edit from one or shares its first five letters ("britain",
    "british")."""
    if word in words:
        return True
    if word.isdigit():
        return any(w.startswith(word) and not w[len(word):len(word) + 1].isdigit() for w in words)
    if len(word) >= 4 and any(w.startswith(word) for w in words):
        return True
    return len(word) >= 6 and (any(w.startswith(word[:5]) for w in words) or bool(close_words(word, list(words), 1)))
