"""Choosing which scored sentences to quote (the heuristic composer's second part).

The best sentence, plus at most two more that are nearly as good, not redundant with it,
and add something (other question words, or another document); then, if there is room, a
sentence of another article naming a rare name of the chosen ones (found through the
lexical index), i.e. the other article's account of the same person. Left out: scoring
(scoring.py) and writing (writing.py).
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from ..config import Config
from ..lexical import tokenize
from ..questions import typed_spans
from ..retrieve import Query

from .scoring import Candidate, SentenceScoring, _coverage, _question_words

EXTRA_MARGIN = 0.06  # a further sentence must score within this of the best
CROSS_MARGIN = 0.15  # ... or within this, if from another document and naming the same answer
REDUNDANT_COSINE = 0.85
COMPLEMENT_GAIN = 0.15  # a sentence of another document that adds this share of the question's words
CORROBORATE_DF = 0.15  # a name in at most this share of chunks is rare enough to link two articles
CORROBORATE_CHUNKS = 10  # chunks searched for the names of the chosen quotes
CORROBORATE_SLACK = 0.05  # ... and may be this much less on topic than an answer must be
# "according to both reports": the question wants every article that speaks to it cited
_EVERY_SOURCE = re.compile(r"\b(?:both|each|all|every)\s+(?:of\s+)?(?:the\s+)?(?:articles?|reports?|stories|sources|"
                           r"documents?|texts?|pieces?|accounts?)\b", re.IGNORECASE)


class QuoteSelection(SentenceScoring):
    """Picks the quotes among ranked candidates."""

    def _corroboration(self, question: str, chosen: list[Candidate], query: Query, config: Config,
                       groups: list[tuple[float, frozenset[str]]], n_passages: int) -> list[Candidate]:
        """At most one sentence per further document that names the same rare name as the
        chosen quotes and is on topic: the other article's account of the same person or body."""
        out: list[Candidate] = []
        if len(chosen) >= config.max_answer_sentences:
            return out
        every_source = bool(_EVERY_SOURCE.search(question))
        for c in self._corroborating(question, chosen, query, config, groups, n_passages):
            if len(chosen) + len(out) >= config.max_answer_sentences:
                break
            if c.evidence < config.abstain_threshold - CORROBORATE_SLACK:
                continue
            # it must add some of the question's words, unless the question asks for every source
            have = frozenset().union(*(x.words for x in [*chosen, *out]))
            if not every_source and _coverage(groups, have | c.words) <= _coverage(groups, have):
                continue
            if any(c.sentence.doc_id == x.sentence.doc_id for x in out):
                continue
            if self._redundant(c, [*chosen, *out]):
                continue
            out.append(c)
        return out

    def _redundant(self, c: Candidate, chosen: Sequence[Candidate]) -> bool:
        """Whether `c` says nearly what one of `chosen` says (sentence vectors this close)."""
        vectors = self.data.sentence_vectors
        mine = np.asarray(vectors[c.row], dtype=np.float32)  # float16 rows: multiply in float32
        return max(float(mine @ np.asarray(vectors[x.row], dtype=np.float32)) for x in chosen) >= REDUNDANT_COSINE

    def _corroborating(self, question: str, chosen: list[Candidate], query: Query, config: Config,
                       groups: list[tuple[float, frozenset[str]]], n_passages: int) -> list[Candidate]:
        """Sentences of documents not yet quoted that name a rare name of the chosen quotes
        (not one of the question's), best first: the same person or body in another article.
        Found through the lexical index, so not only among the retrieved passages."""
        lexical = self.data.lexical
        question_words = _question_words(question)
        rare = max(3, int(CORROBORATE_DF * lexical.n_docs))
        names = []
        for c in chosen:
            for _, _, name in typed_spans(c.sentence.text, "name", question_words):
                tokens = [t for t in dict.fromkeys(tokenize(name)) if "-" not in t]
                if len(tokens) >= 2 and min(lexical.doc_freq.get(t, 0) for t in tokens) <= rare:
                    names.append([frozenset([t, *lexical.variants(t)]) for t in tokens])
        if not names:
            return []
        quoted = {c.sentence.doc_id for c in chosen}
        found = lexical.top(sorted({t for name in names for forms in name for t in forms}), CORROBORATE_CHUNKS)
        top = [i for i, _ in found if self.data.chunks[i].doc_id not in quoted]
        passages = [self._passage(i, float(self.data.chunk_vectors[i] @ query.vector), n_passages + 1) for i in top]
        self._add_contexts([row for p in passages for row in self.sentence_rows(p)])
        scorer = self._scorer(question, query, config, "", groups)
        scored = (scorer(row, p) for p in passages for row in self.sentence_rows(p))
        out = [c for c in scored if any(all(forms & c.words for forms in name) for name in names)]
        return sorted(out, key=lambda c: -c.score)

    def _select(self, candidates: list[Candidate], config: Config, question: str,
                groups: list[tuple[float, frozenset[str]]]) -> list[Candidate]:
        """The best candidate, plus others that are not redundant with it and either score
        nearly as well and add something, or add a good share of the question's words that
        the chosen ones lack (a question about two events, two articles), or come from another
        document and name the same answer (corroboration)."""
        best = candidates[0]
        chosen = [best]
        have = best.words  # the words of the chosen sentences
        question_words = _question_words(question)
        answer_names = {n[2].lower() for n in typed_spans(best.sentence.text, "name", question_words)}
        for c in candidates[1:]:
            if len(chosen) >= config.max_answer_sentences:
                break
            if c.evidence < config.abstain_threshold:
                continue
            if self._redundant(c, chosen):
                continue
            new_doc = all(c.sentence.doc_id != x.sentence.doc_id for x in chosen)
            if c.score >= best.score - EXTRA_MARGIN:
                if not (new_doc or c.words - have):
                    continue
            elif not (new_doc and c.score >= best.score - CROSS_MARGIN and (
                    _coverage(groups, c.words | have) - _coverage(groups, have) >= COMPLEMENT_GAIN
                    or answer_names & {n[2].lower() for n in typed_spans(c.sentence.text, "name", question_words)})):
                continue
            chosen.append(c)
            have |= c.words
        return chosen

