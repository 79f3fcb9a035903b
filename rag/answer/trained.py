"""The composer that answers with the trained reader (config `reader="trained"`).

For a question and its retrieved passages:
1. every sentence of the passages is ranked cheaply by the heuristic scores (meaning, words,
   answer type), and the best `config.reader_candidates` go to the reader, each with the
   sentence before it as context, in one batched call;
2. a logistic combination of the reader's logit and the heuristic scores, fitted on the
   calibration articles (held out of training and of the squad2 suite), gives each the
   probability that it answers; they rank by it, and below `config.reader_threshold` the
   bot abstains (threshold chosen on the same articles: README, "The trained reader");
3. the answer quotes the best sentence whole, plus up to `max_answer_sentences - 1` more
   that the reader rates nearly as high and that add another document or new words, and
   leads with the reader's short answer (the span it found inside the first quote).

A broad question ("What do the articles say about X?", "Tell me about X", "Summarize the
report on X") gets an overview instead: up to three whole sentences naming X, from as many
articles as have one. Questions about an article's author or date, and `reader="heuristic"`,
go to the heuristic composer. Left out: reading whole passages at once, answers spanning two sentences.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .heuristic import ExtractiveComposer
from .scoring import Candidate
from .writing import ABSTAIN_TEXT, _words, time_notes, unmentioned_note
from ..config import Config
from ..index import IndexData
from ..lexical import tokenize
from ..questions import answer_type, broad_topic, metadata_question
from ..retrieve import Query
from ..types import Answer, Citation, Passage
from .reader import WEIGHTS_DIR, Reading, SentenceReader

CALIBRATION_FILE = WEIGHTS_DIR / "calibration.json"
MAX_SHORT_WORDS = 12  # a longer span is no short answer: the quote speaks for itself
EXTRA_SHARE = 0.8  # a further quote needs this share of the best sentence's probability


def features(c: Candidate, r: Reading, top_score: float) -> list[float]:
    """What the combination weighs for one sentence: the reader's logit, the heuristic
    evidence, and how far the sentence's heuristic score is below the best one's."""
    p = min(max(r.probability, 1e-6), 1 - 1e-6)
    return [math.log(p / (1 - p)), c.evidence, c.score - top_score]


@dataclass(frozen=True)
class Combination:
    """Logistic combination of `features`, fitted on the calibration articles
    (training/calibrate_reader.py); without a fit, the reader's probability alone."""

    weights: tuple[float, ...] = (1.0, 0.0, 0.0)
    bias: float = 0.0

    @classmethod
    @functools.cache
    def shipped(cls, path: Path = CALIBRATION_FILE) -> "Combination":
        """The fitted combination shipped beside the weights, or the reader alone (read once)."""
        if not path.is_file():
            return cls()
        fit = json.loads(path.read_text(encoding="utf-8")).get("combination")
        return cls(tuple(fit["weights"]), float(fit["bias"])) if fit else cls()

    def probability(self, x: Sequence[float]) -> float:
        """The combined probability that the sentence answers."""
        z = self.bias + sum(w * v for w, v in zip(self.weights, x))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


class ReaderComposer(ExtractiveComposer):
    """Answers from the sentences the trained reader rates highest (see module docstring)."""

    def __init__(self, data: IndexData, encode: Callable[[Sequence[str]], np.ndarray] | None = None,
                 reader: SentenceReader | None = None) -> None:
        super().__init__(data, encode)
        self.reader = reader or SentenceReader()
        self.combination = Combination.shipped()

    def compose(self, question: str, passages: Sequence[Passage], *, query: Query,
                config: Config, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """The answer to `question` from `passages`, or an abstention."""
        topic = broad_topic(question)
        if topic and passages:
            return self._overview(question, topic, passages, query, config)
        if config.reader == "heuristic" or (metadata_question(question) and passages):
            return super().compose(question, passages, query=query, config=config, history=history)
        said = " ".join(answer for _, answer in history[-1:])
        ranked = [(c, replace(r, probability=p)) for c, r, _, p in self.read(question, passages, query, config, said)]
        best = ranked[0][1].probability if ranked else 0.0
        if best < config.reader_threshold:
            return Answer(question=question, text=ABSTAIN_TEXT, abstained=True,
                          passages=tuple(passages), evidence=best)
        chosen = self._choose(ranked, config)
        missing = self.unmentioned(question, (c.sentence.doc_id for c, _ in chosen))
        if missing:  # as the heuristic composer: only articles that name what the question names
            named = self.naming_documents(question, (c.sentence.doc_id for c, _ in ranked))
            ranked = [(c, r) for c, r in ranked if c.sentence.doc_id in named]
            if not ranked or ranked[0][1].probability < config.reader_threshold:
                return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, passages=tuple(passages),
                              evidence=best, notes=(unmentioned_note(missing),))
            chosen = self._choose(ranked, config)
        short = chosen[0][1].answer.strip(" ,.;:")
        short = short if short and len(short.split()) <= MAX_SHORT_WORDS else None
        return self._quote(question, [(c, r.probability) for c, r in chosen], short, passages, config, best)

    def _overview(self, question: str, topic: str, passages: Sequence[Passage], query: Query,
                  config: Config) -> Answer:
        """Up to `max_answer_sentences` whole sentences naming the topic, from as many
        documents as offer one, best first; abstains when no sentence names it."""
        wanted = set(tokenize(topic))
        need = len(wanted) if len(wanted) <= 4 else -(-2 * len(wanted) // 3)  # a name whole
        ranked = [c for c in self.rank(question, passages, query=query, config=config)
                  if len(wanted & c.words) >= need and not self._heading(c)]
        firsts = {}
        for c in ranked:
            firsts.setdefault(c.sentence.doc_id, c)
        chosen: list[Candidate] = []
        room = config.max_answer_words
        for c in [*firsts.values(), *ranked]:
            words = len(c.sentence.text.split())
            if len(chosen) >= config.max_answer_sentences or (chosen and words > room):
                continue
            if c in chosen or (chosen and self._redundant(c, chosen)):
                continue
            chosen.append(c)
            room -= words + 1
        if not chosen:
            return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, passages=tuple(passages))
        chosen.sort(key=lambda c: (c.passage.rank, c.row))
        return self._quote(question, [(c, c.cosine) for c in chosen], None, passages, config,
                           max(c.evidence for c in chosen))

    def read(self, question: str, passages: Sequence[Passage], query: Query, config: Config,
             said: str = "") -> list[tuple[Candidate, Reading, list[float], float]]:
        """The best `reader_candidates` sentences by the heuristic ranking, each with the
        reader's reading, the features the combination weighs, and the combined probability
        that it answers; best first."""
        candidates = self.rank(question, passages, query=query, config=config, said=said)
        candidates = candidates[: config.reader_candidates]
        readings = self.reader.read(query.text, [(c.sentence.text, self._before(c)) for c in candidates])
        top = candidates[0].score if candidates else 0.0
        out = []
        for c, r in zip(candidates, readings):
            x = features(c, r, top)
            out.append((c, r, x, self.combination.probability(x)))
        return sorted(out, key=lambda row: -row[3])

    def _heading(self, c: Candidate) -> bool:
        """Whether the sentence is its document's title or byline (no statement about a topic)."""
        doc = self._documents[c.sentence.doc_id]
        return c.sentence.text == doc.title or bool(doc.byline and doc.byline in c.sentence.text)

    def _choose(self, ranked: list[tuple[Candidate, Reading]], config: Config) -> list[tuple[Candidate, Reading]]:
        """The best sentence, and others rated nearly as high that add a document or words."""
        best_c, best_r = ranked[0]
        chosen = [ranked[0]]
        words = 0
        for c, r in ranked[1:]:
            if len(chosen) >= config.max_answer_sentences:
                break
            if r.probability < max(config.reader_threshold, EXTRA_SHARE * best_r.probability):
                break
            if self._redundant(c, [x for x, _ in chosen]):
                continue
            words += len(c.sentence.text.split())
            if words + len(best_c.sentence.text.split()) > config.max_answer_words:
                break
            chosen.append((c, r))
        return chosen

    def _quote(self, question: str, chosen: list[tuple[Candidate, float]], short: str | None,
               passages: Sequence[Passage], config: Config, best: float) -> Answer:
        """The cited answer: the short answer first, then each sentence whole with its marker
        (the first one cut to whole clauses if it alone is over the word budget)."""
        parts, citations, notes, cautions = [], [], [], []  # cautions: in Answer.notes only
        kind = answer_type(question)
        for n, (c, score) in enumerate(chosen, 1):
            doc = self._documents[c.sentence.doc_id]
            start, end = c.sentence.start, c.sentence.end
            if n == 1:
                room = config.max_answer_words - (_words(short) + 1 if short else 0) - \
                    _words(time_notes(c.sentence.text, doc.date, kind)[0])
                start, end = self._clip(c.sentence, room, question, None, [])
            quote = doc.text[start:end]
            parts.append(f"{quote} [{n}]")
            note, caution = time_notes(quote, doc.date, kind)
            if note and note not in notes:
                notes.append(note)
            if caution and caution not in cautions:
                cautions.append(caution)
            citations.append(Citation(n=n, source=doc.name, path=doc.source, title=doc.title, quote=quote,
                                      chunk_id=c.passage.chunk_id, start=start, end=end,
                                      score=score, date=doc.date, passage=c.passage.text))
        if short and short not in citations[0].quote:
            short = None  # the clip left the span out
        text = " ".join(([f"{short}:"] if short else []) + parts + notes)
        said = _words(short) + sum(_words(c.quote) for c in citations) + sum(_words(x) for x in notes)
        if len(chosen) > 1 and said > config.max_answer_words:  # notes took the room
            return self._quote(question, chosen[:-1], short, passages, config, best)
        return Answer(question=question, text=text, abstained=False, citations=tuple(citations),
                      passages=tuple(passages), short_answer=short, notes=tuple(notes + cautions), evidence=best)

