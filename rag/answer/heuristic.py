"""The heuristic composer: a short, cited answer from retrieved passages, no model.

The extractive composer scores every sentence of the retrieved passages by
    W_COSINE * cosine(question, sentence)            meaning
  + W_LEXICAL * idf-weighted share of question words found in the sentence (with variants)
  + type bonus / penalty: does the sentence hold the kind of fact asked for (a date for "when")
  + W_RANK / rank of its passage                      context
  + for a sentence opening with "Such remarks", "This", ...: what it gains in meaning and
    words when read with the sentence before (for ranking only, not as evidence; when it is
    quoted whole and both fit, the quote starts at the sentence before)
With `config.rerank_candidates` > 0 (off by default), the trained reader then reads the best
few of them, question and sentence together, in one batch, and each gains
`config.rerank_weight` times its probability that the sentence answers (`reread`). It answers
with the best sentence, plus at most two more that are nearly as good, not
redundant with it, and add something (other question words, or another document). If there
is room, it then looks (through the lexical index, beyond the retrieved passages) for a
sentence of another article naming a rare name of the chosen ones, i.e. the other article's
account of the same person, and quotes it too if it adds question words the chosen ones lack
(or the question asks what "both reports" say). Long sentences are cut to the clauses that
carry the match (in meaning and in the question's words). When no sentence's evidence
(meaning + words - missing answer type) reaches `config.abstain_threshold` it abstains.
It also abstains, with a note, when the question names something (a name, a year, a long
number: `named_terms`) that none of the quoted articles mentions: "Who won the 2008 US
election?" is not answered from an article that never says 2008. The quotes are then taken
from the articles that do mention all of it, if one answers well enough; and when one quoted
article mentions all of it, quotes from articles that mention none of it are dropped.
Then the trained reader reads the best `config.detail_candidates` sentences of the first
quote's article, question and sentence together, in one batch; when the one it finds answers
best is not the first quote, it is quoted second (`_detail`): a news question often restates
an article's opening and asks a detail that a later sentence holds.
A relative time in a quoted sentence ("five years ago") is resolved against the article's
date and said after the quote. Where the rules find no short answer (a date, a number) and
the question asks who, where, what or which, the trained reader's span in the first quote
(else in the reader's sentence) leads the answer (`config.short_answer="reader"`; see `_lead_with_span`).

Any object with a `compose(question, passages, *, query, config, history=()) -> Answer` method
can replace it (see `Composer`), e.g. one that prompts a local LLM with the passages.
The parts live in scoring.py, selection.py and writing.py; this class joins them.
"""
from __future__ import annotations

import re

from dataclasses import replace
from typing import Sequence


from ..config import Config
from ..questions import metadata_question
from ..retrieve import Query
from ..types import Answer, Passage

from ..lexical import tokenize
from ..questions import answer_type, named_terms, typed_spans
from .reader import Reading, SentenceReader, weights_available
from .scoring import Candidate, _question_words
from .selection import QuoteSelection
from .writing import ABSTAIN_TEXT, AnswerWriting, _words, unmentioned_note

SPAN_KINDS = (None, "name", "place", "entity")  # the question kinds whose lead fact the reader's span gives
RULE_KINDS = ("date", "year", "number", "count", "amount", "duration", "percent")  # lead facts the rules find
OFFER_SHARE = 0.5  # the detail: a sentence stating the asked kind of fact, if this share as likely
MAX_SPAN_WORDS = 8  # a longer span is no short answer: the quote speaks for itself
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w&-]*(?: [A-Z][\w&-]*)*")  # a possessive ends it: "Korea's Jang"


class ExtractiveComposer(QuoteSelection, AnswerWriting):
    """Answers by quoting the best-matching sentences of the passages (see module docstring)."""

    def compose(self, question: str, passages: Sequence[Passage], *, query: Query,
                config: Config, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """The answer to `question` from `passages` (abstains on weak evidence)."""
        meta = metadata_question(question)
        if meta and passages:
            answer = self._from_metadata(question, meta, passages, config)
            if answer is not None:
                return answer
        said = " ".join(answer for _, answer in history[-1:])
        groups = self._query_weights(query, config)
        candidates = self.reread(self.rank(question, passages, query=query, config=config, said=said, groups=groups),
                                 query, config)
        best = max((c.evidence for c in candidates), default=0.0)
        if not candidates or best < config.abstain_threshold:
            return Answer(question=question, text=ABSTAIN_TEXT, abstained=True,
                          passages=tuple(passages), evidence=best)
        chosen = self._select(candidates, config, question, groups)
        extra = self._corroboration(question, chosen, query, config, groups, len(passages))
        missing = self.unmentioned(question, (c.sentence.doc_id for c in chosen + extra))
        pool = candidates  # those the quotes are chosen from
        if missing:
            # the question names what the chosen articles never mention: they are about something
            # else. Quote the articles that mention all of it, if one answers well enough.
            named = self.naming_documents(question, (c.sentence.doc_id for c in candidates))
            naming = [c for c in candidates if c.sentence.doc_id in named]
            best = max((c.evidence for c in naming), default=0.0)
            if not naming or best < config.abstain_threshold:
                # the note only when no article found mentions it all: else one does, but answers too weakly
                return Answer(question=question, text=ABSTAIN_TEXT, abstained=True, passages=tuple(passages),
                              evidence=best, notes=() if naming else (unmentioned_note(missing),))
            chosen, pool = self._select(naming, config, question, groups), naming
            extra = self._corroboration(question, chosen, query, config, groups, len(passages))
            named |= self.naming_documents(question, (c.sentence.doc_id for c in extra))
            extra = [c for c in extra if c.sentence.doc_id in named]
        chosen, extra = self._about_the_named(question, chosen), self._about_the_named(question, extra)
        # the reader reads what retrieval searched with: for a follow-up ("he", "that meeting"), the
        # question and the names of the turn before, which the question alone does not give
        detail, read = self._detail(query.text, chosen, pool, config)
        if detail is not None:  # quoted second: the first quote says what the question is about
            chosen = [chosen[0], detail, *[c for c in chosen[1:] if c.row != detail.row]][:config.max_answer_sentences]
        found = {c.passage.chunk_id: c.passage for c in extra if all(c.passage.chunk_id != p.chunk_id for p in passages)}
        more = [replace(p, rank=n) for n, p in enumerate(found.values(), len(passages) + 1)]
        answer = self._write(question, chosen + extra, [*passages, *more], config, best, groups, optional=len(extra))
        if config.short_answer != "reader":
            return answer
        # what the reader read for `detail` is reused for the lead, when it read this very question
        return self._lead_with_span(question, answer, config, detail, read if query.text == question else {})

    def _about_the_named(self, question: str, chosen: list[Candidate]) -> list[Candidate]:
        """`chosen` without the quotes from articles that mention none of what the question
        names, when another chosen article mentions it all: they are about something else."""
        terms = named_terms(question)
        docs = {c.sentence.doc_id for c in chosen}
        if not terms or len(docs) < 2:
            return chosen
        missing = {d: len(self.unmentioned(question, [d])) for d in docs}  # terms each article lacks
        if 0 not in missing.values():  # no article names it all: the names are spread over them
            return chosen
        return [c for c in chosen if missing[c.sentence.doc_id] < len(terms)]

    def _detail(self, question: str, chosen: list[Candidate], candidates: list[Candidate],
                config: Config) -> tuple[Candidate | None, dict[str, Reading]]:
        """The sentence of the first quote's article that the trained reader finds answers
        best, when that is not the first quote, else None; and the reader's readings by sentence. A news question restates an
        article's opening ("Who did Brando send to collect his Oscar when he turned it down?"):
        that sentence matches the question best but seldom holds what is asked, which a later
        sentence of the same article does ("He sent along a woman called Sacheen Littlefeather
        ..."). The reader reads `detail_candidates` of the article's best-ranked sentences,
        question and sentence together, in one batch. Without shipped reader weights, None."""
        k = config.detail_candidates
        if k < 2 or not chosen or not weights_available():
            return None, {}
        top = chosen[0]
        title = self._documents[top.sentence.doc_id].title  # a headline sums up; it holds no detail
        same = [c for c in candidates if c.sentence.doc_id == top.sentence.doc_id and c.sentence.text != title][:k]
        if len(same) < 2:
            return None, {}
        readings = self.span_reader.read(question, [(c.sentence.text, "") for c in same])
        # a sentence that states a fact of the asked kind beats one that only restates the question,
        # when the reader finds it at least OFFER_SHARE as likely to answer
        p = [r.probability for r in readings]
        best = max(range(len(same)), key=p.__getitem__)
        offering = [i for i in range(len(same)) if self._offers(question, same[i].sentence.text, readings[i])]
        if offering and best not in offering:
            stating = max(offering, key=p.__getitem__)
            best = stating if p[stating] >= OFFER_SHARE * p[best] else best
        best = same[best]
        return (None if best.row == top.row else best), {c.sentence.text: r for c, r in zip(same, readings)}

    def _offers(self, question: str, sentence: str, reading: Reading) -> bool:
        """Whether `sentence` holds a fact of the kind `question` asks that is not made of the
        question's own words: the reader's span, for a name, place or other thing ("Who is the
        Korn guitarist who quit?": "Brian 'Head' Welch told a radio station ..." does, "The
        guitarist with US rock band Korn has quit ..." does not); a date, number or amount of
        the asked kind, for those. What was said or agreed: any sentence."""
        kind = answer_type(question)
        if kind in SPAN_KINDS:
            return self.span_answer(question, sentence, reading) is not None
        if kind in RULE_KINDS:
            return bool(typed_spans(sentence, kind, _question_words(question), question))
        return True

    def reread(self, candidates: list[Candidate], query: Query, config: Config) -> list[Candidate]:
        """The ranking with its best `rerank_candidates` sentences read by the trained reader,
        question and sentence together, in one batch: each gains `rerank_weight` times the
        reader's probability that it answers, and they are ranked again. Their evidence, and so
        abstention, is left as it was. Without shipped reader weights, the ranking as it is."""
        k = min(config.rerank_candidates, len(candidates))
        if k < 2 or config.rerank_weight <= 0 or not weights_available():
            return candidates
        top = candidates[:k]
        readings = self.span_reader.read(query.text, [(c.sentence.text, self._before(c)) for c in top])
        boosted = [replace(c, score=c.score + config.rerank_weight * r.probability) for c, r in zip(top, readings)]
        return sorted(boosted, key=lambda c: -c.score) + candidates[k:]

    def _before(self, c: Candidate) -> str:
        """The sentence before `c` in its document ("" for the first): the reader's context."""
        row = c.row - 1
        sentences = self.data.sentences
        return sentences[row].text if row >= 0 and sentences[row].doc_id == c.sentence.doc_id else ""

    def _lead_with_span(self, question: str, answer: Answer, config: Config,
                        detail: Candidate | None = None, read: dict[str, Reading] | None = None) -> Answer:
        """The answer led by the trained reader's span in its first quote ("Song Tao: ..."), else
        in the quote of `detail` (the sentence the reader chose, see `_detail`) if there is one,
        where the rules found no short answer: when the span is a few words, is not made of
        the question's words, is a name or place for "who"/"where" questions, and fits in the
        word budget. Dates, numbers and amounts are left to the rules; what was agreed or
        said gets no lead. A quote in `read` (whole sentences the reader read already, for this
        question) is not read again. Without shipped reader weights, the answer as it is."""
        if answer.short_answer or not answer.citations:
            return answer
        quotes = [answer.citations[0].quote]
        if detail is not None:  # where the first quote has no such span: the sentence the reader chose
            s = detail.sentence
            quotes += [c.quote for c in answer.citations if c.path == self._documents[s.doc_id].source
                       and s.start <= c.start and c.end <= s.end][:1]
        read = read or {}
        span = next((a for a in (self.span_answer(question, q, read.get(q)) for q in quotes) if a is not None), None)
        if span is None or _words(answer.text) + _words(span) + 1 > config.max_answer_words:
            return answer
        return replace(answer, text=f"{span}: {answer.text}", short_answer=span)

    def span_answer(self, question: str, sentence: str, reading: Reading | None = None) -> str | None:
        """The trained reader's span in `sentence` when it can be a short answer to `question`
        (see `_lead_with_span`), else None; `reading`: the reader's, if it read them already."""
        kind = answer_type(question)
        if kind not in SPAN_KINDS or not weights_available():
            return None
        reading = reading or self.span_reader.read(question, [(sentence, "")])[0]
        span = reading.answer.strip(" ,.;:\"'")
        if not span or _words(span) > MAX_SPAN_WORDS:
            return None
        if not set(tokenize(span)) - set(tokenize(question)):
            return None  # the question's own words: no answer
        typed = typed_spans(sentence, kind, _question_words(question), question, opening=True) if kind else []
        if kind and not any(a < reading.end and reading.start < b for a, b, _ in typed):
            return None  # not the kind of fact asked for
        # a span ending inside a run of capitalised words is a name cut short ("Advance" of "Advance
        # Warning"): it ends where the run ends (its start stays: "Mayor" before "Ana Ruiz" is a title)
        for m in _CAPITALISED_RUN.finditer(sentence):
            if m.start() <= reading.start < reading.end < m.end():
                whole = sentence[reading.start:m.end()].strip(" ,.;:\"'")
                if _words(whole) <= MAX_SPAN_WORDS and set(tokenize(whole)) - set(tokenize(question)):
                    return whole
        return span

    @property
    def span_reader(self) -> SentenceReader:
        """The trained reader that finds spans (loaded on first use)."""
        if getattr(self, "reader", None) is None:
            self.reader = SentenceReader()
        return self.reader
