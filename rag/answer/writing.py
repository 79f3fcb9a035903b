"""Writing the cited answer from the chosen sentences (the heuristic composer's last part).

Quotes share the word budget (`max_answer_words`) with their time notes; a long sentence is
cut to the run of whole clauses that carries the match; a quote that points back ("Such
remarks ...") starts at the sentence it points to when both fit; a relative time ("five
years ago") is resolved against the article's date and said after the quote. The short
answer (a date, a number) leads when the first quote holds one of the asked kind (for other
kinds the composer may add the trained reader's span: `heuristic.py`). Questions
about an article's byline or date quote that line. Left out: scoring and choosing.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from ..config import Config
from ..ingest import HEAD_LINES, find_date
from ..lexical import tokenize
from ..questions import answer_type, typed_spans
from ..timeref import describe_time_references, find_time_references
from ..types import Answer, Citation, Passage, Sentence

from .cuts import clause_windows, marked, word_count as _words
from .scoring import W_LEXICAL, Candidate, SentenceScoring, _coverage, _question_words

CLIP_TYPE_BONUS = 0.1  # a cut that keeps the asked-for fact is preferred
MIN_CLIPPED_WORDS = 8  # a further sentence is left out rather than cut shorter than this
ABSTAIN_TEXT = "The documents don't say: nothing in the indexed articles answers this question."


class AnswerWriting(SentenceScoring):
    """Turns chosen candidates into the answer text and its citations."""

    def _from_metadata(self, question: str, meta: str, passages: Sequence[Passage], config: Config) -> Answer | None:
        """Who wrote the article, or when it was published, quoting its byline or date line.
        The article is that of the best passage, if its passages are on topic at all (else None).
        When the article states no such thing, it says so (and counts as abstaining)."""
        doc = self._documents[passages[0].doc_id]
        on_topic = max(p.dense_score for p in passages if p.doc_id == doc.id)
        if on_topic < config.abstain_threshold:
            return None
        value = doc.byline if meta == "author" else doc.date
        if not value:
            found = None
        elif meta == "author":
            found = _line_of(doc.text, lambda line: value in line)
        else:  # the date line ingest found it on, among the first lines
            found = _line_of(doc.text, lambda line: find_date([line]) == value, HEAD_LINES)
        if found is None:
            what = "author" if meta == "author" else "publication date"
            return Answer(question=question, text=f'The article this is about, "{doc.title}" ({doc.name}), '
                          f"states no {what}.", abstained=True, passages=tuple(passages), evidence=0.0)
        start, quote = found
        end = start + len(quote)
        i = self.data.chunk_table().covering(doc.id, start, end)
        source = passages[0] if i is None else self._passage(i, on_topic, 1)
        citation = Citation(n=1, source=doc.name, path=doc.source, title=doc.title, quote=quote,
                            chunk_id=source.chunk_id, start=start, end=end, score=on_topic,
                            date=doc.date, passage=source.text if i is not None else quote)
        text = f"{quote} [1]" if value in quote else f"{value}: {quote} [1]"
        # the passage quoted comes first: it, not the best match of the question's topic, is the source
        rest = [replace(p, rank=n) for n, p in enumerate((p for p in passages if p.chunk_id != source.chunk_id), 2)]
        return Answer(question=question, text=text, abstained=False, citations=(citation,),
                      passages=(source, *rest), short_answer=value, evidence=on_topic)

    def _with_antecedent(self, c: Candidate, start: int, end: int, room: int, quoted: set[int]) -> int:
        """Where the quote of `c` starts: at the sentence before, when `c` is quoted whole,
        points back to it ("Such remarks ..."), and both fit in `room` words (the reader
        needs to know what "such remarks" were); else at `start`."""
        s = c.sentence
        if (start, end) != (s.start, s.end) or c.row - 1 in quoted or self._context(c.row) is None:
            return start
        before = self.data.sentences[c.row - 1]
        between = self._documents[s.doc_id].text[before.end:s.start]
        fits = _words(before.text) + _words(s.text) <= room and before.start >= c.passage.start
        return before.start if fits and "\n" not in between else start

    def _write(self, question: str, chosen: list[Candidate], passages: Sequence[Passage],
               config: Config, evidence: float, groups: list[tuple[float, frozenset[str]]],
               optional: int = 0) -> Answer:
        """The answer text quoting `chosen` within the word budget. When they do not fit whole,
        the first keeps as much as it can and each later one gets at least MIN_CLIPPED_WORDS;
        the last `optional` ones only get what is left."""
        kind = answer_type(question)
        short = _short_answer(chosen[0].sentence.text, kind, _question_words(question), set(tokenize(question)),
                              question)
        budget = config.max_answer_words - (_words(short) + 3 if short else 0)  # room for "(2012)"
        parts, citations, notes, cautions = [], [], [], []
        note_words = [_words(time_notes(c.sentence.text, c.passage.date, kind)[0]) for c in chosen]
        required = len(chosen) - optional
        whole = sum(_words(c.sentence.text) + 1 + w for c, w in zip(chosen[:required], note_words))
        written: set[int] = set()  # sentence rows already in the answer
        for i, c in enumerate(chosen):
            if c.row in written:  # quoted already, as the sentence a later-ranked one points back to
                continue
            room = budget - note_words[i] - 1
            if whole > budget:  # too long together: leave the later ones at least a few words each
                room -= sum(MIN_CLIPPED_WORDS + 1 + w for w in note_words[i + 1:required])
            if citations and room < MIN_CLIPPED_WORDS:
                continue
            start, end = self._clip(c.sentence, room, question, kind, groups)
            doc = self._documents[c.sentence.doc_id]
            start = self._with_antecedent(c, start, end, room, written)
            quote = doc.text[start:end]
            if citations and (start, end) != (c.sentence.start, c.sentence.end) and \
                    not _coverage(groups, frozenset(tokenize(quote))):
                # a later quote cut down to words that match nothing of the question says
                # nothing to it: leave the sentence out and give its words to the others
                rest = chosen[:i] + chosen[i + 1:]
                return self._write(question, rest, passages, config, evidence, groups, optional - (i >= required))
            written.add(c.row)
            if start < c.sentence.start:  # the quote took the sentence before along
                written.add(c.row - 1)
            n = len(citations) + 1
            parts.append(f"{marked(quote, start > c.sentence.start, end < c.sentence.end)} [{n}]")
            note, caution = time_notes(quote, doc.date, kind)
            if caution and caution not in cautions:
                cautions.append(caution)
            if note and note not in notes:
                notes.append(note)
                budget -= _words(note)
            budget -= _words(quote) + 1
            citations.append(Citation(n=n, source=doc.name, path=doc.source, title=doc.title,
                                      quote=quote, chunk_id=c.passage.chunk_id, start=start, end=end,
                                      score=c.score, date=doc.date, passage=c.passage.text))
        if short and citations:  # the fact as quoted: a cut may have left out the one first found
            reserved = _words(short)
            short = _short_answer(citations[0].quote, kind, _question_words(question), set(tokenize(question)),
                                  question)
            short = short if short and _words(short) <= reserved else None
        if short and citations:
            resolved = {r.phrase.lower(): r.resolved for r in find_time_references(citations[0].quote, citations[0].date)}
            if resolved.get(short.lower()):
                short = f"{resolved[short.lower()]} ({short})"
        text = " ".join(([f"{short}:"] if short else []) + parts + notes)
        return Answer(question=question, text=text, abstained=False, citations=tuple(citations),
                      passages=tuple(passages), short_answer=short, notes=tuple(notes + cautions),
                      evidence=evidence)

    def _clip(self, sentence: Sentence, max_words: int, question: str, kind: str | None,
              groups: list[tuple[float, frozenset[str]]]) -> tuple[int, int]:
        """The sentence's span, or if longer than `max_words` the run of its clauses that fits
        and is closest in meaning to the question, preferring runs that hold a fact of the
        asked `kind` (the name for a who-question)."""
        if _words(sentence.text) <= max_words or self.encode is None:
            return sentence.start, sentence.end
        windows = clause_windows(sentence.text, max_words)
        # a bare name or phrase is no quote: keep windows of a few words, if there are any
        windows = [w for w in windows if _words(sentence.text[w[0]:w[1]]) >= min(MIN_CLIPPED_WORDS, max_words)] or windows
        vectors = self.encode([question] + [sentence.text[a:b] for a, b in windows])
        spans = typed_spans(sentence.text, kind, _question_words(question), question) if kind else []
        scores = [float(v @ vectors[0]) + (CLIP_TYPE_BONUS if any(a <= x and y <= b for x, y, _ in spans) else 0.0)
                  + W_LEXICAL * _coverage(groups, frozenset(tokenize(sentence.text[a:b])))
                  for (a, b), v in zip(windows, vectors[1:])]
        a, b = windows[int(np.argmax(scores))]
        return sentence.start + a, sentence.start + b



def _line_of(text: str, wanted: Callable[[str], bool], max_lines: int | None = None) -> tuple[int, str] | None:
    """(offset, line) of the first of the text's lines (of its first `max_lines`) that is `wanted`."""
    offset = 0
    for i, line in enumerate(text.split("\n")):
        if max_lines is not None and i >= max_lines:
            break
        if wanted(line):
            return offset, line
        offset += len(line) + 1
    return None


def _short_answer(sentence: str, kind: str | None, question_words: set[str], focus: set[str],
                  question: str) -> str | None:
    """The bare fact of the asked kind in the sentence: the one nearest the question's words
    (a span with digits is preferred for dates), if any."""
    if kind not in ("date", "year", "number", "count", "amount", "duration", "percent"):
        return None
    spans = typed_spans(sentence, kind, question_words, question)
    if not spans:
        return None
    anchors = [m.start() for m in re.finditer(r"[A-Za-z0-9]+", sentence) if set(tokenize(m.group())) & focus]

    def distance(span: tuple[int, int, str]) -> float:
        gap = min((abs((span[0] + span[1]) / 2 - a) for a in anchors), default=0.0)
        return gap + (0 if kind != "date" or any(ch.isdigit() for ch in span[2]) else 40)

    return min(spans, key=distance)[2].strip(" .,")


def unmentioned_note(terms: Sequence[str]) -> str:
    """What an abstention says when the articles found never mention what the question names."""
    return f"No article found mentions {listed_terms(terms)}."


def listed_terms(terms: Sequence[str]) -> str:
    """The terms quoted and joined for a note: '"A"', '"A" or "B"', '"A", "B" or "C"'."""
    quoted = [f'"{t}"' for t in terms]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _time_note(sentence: str, published: str | None) -> str:
    """The absolute times of the sentence's relative ones; a weekday right before an explicit
    date ("on Friday evening, May 24") is not relative and is left out."""
    dates = [m.start() for m in re.finditer(r"\b[A-Z][a-z]+\.? \d{1,2}\b", sentence)]
    refs = [r for r in find_time_references(sentence, published)
            if not (r.phrase.lower().rstrip("s").endswith("day") and any(0 <= d - r.end <= 20 for d in dates))]
    return describe_time_references(refs, published)


def time_notes(sentence: str, published: str | None, kind: str | None) -> tuple[str, str]:
    """The quote's time note as (for the answer's text, for `Answer.notes` only), one of them
    ''. It goes in the text when it dates the quote ("five years ago" = 2012) or the question
    asks when; else ("on Thursday": the article gives no publication date ...) it is a
    caution beside the answer, outside the quotes' word budget."""
    note = _time_note(sentence, published)
    return (note, "") if published or kind in ("date", "year") else ("", note)
