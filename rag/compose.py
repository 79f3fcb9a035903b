"""Write a short, cited answer from retrieved passages, without a language model.

The extractive composer scores every sentence of the retrieved passages by
    W_COSINE * cosine(question, sentence)            meaning
  + W_LEXICAL * idf-weighted share of question words found in the sentence (with variants)
  + type bonus / penalty: does the sentence hold the kind of fact asked for (a date for "when")
  + W_RANK / rank of its passage                      context
  + for a sentence opening with "Such remarks", "This", ...: what it gains in meaning and
    words when read with the sentence before (for ranking only, not as evidence; when it is
    quoted whole and both fit, the quote starts at the sentence before)
and answers with the best sentence, plus at most two more that are nearly as good, not
redundant with it, and add something (other question words, or another document). If there
is room, it then looks (through the lexical index, beyond the retrieved passages) for a
sentence of another article naming a rare name of the chosen ones, i.e. the other article's
account of the same person, and quotes it too if it adds question words the chosen ones lack
(or the question asks what "both reports" say). Long sentences are cut to the clauses that
carry the match (in meaning and in the question's words). When no sentence's evidence
(meaning + words - missing answer type) reaches `config.abstain_threshold` it abstains.
A relative time in a quoted sentence ("five years ago") is resolved against the article's
date and said after the quote.

Any object with a `compose(question, passages, *, query, config, history=()) -> Answer` method
can replace it (see `Composer`), e.g. one that prompts a local LLM with the passages.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from typing import Callable, Protocol, Sequence

import numpy as np

from .config import Config
from .index import IndexData
from .lexical import compounds, tokenize
from .ingest import HEAD_LINES, find_date
from .questions import answer_type, metadata_question, typed_spans
from .retrieve import Query, chunk_passage
from .timeref import describe_time_references, find_time_references
from .types import Answer, Citation, Passage, Sentence

W_COSINE, W_LEXICAL, W_RANK = 0.55, 0.35, 0.04
TYPE_BONUS, TYPE_PENALTY = 0.08, 0.3
REPEAT_PENALTY = 0.1
# A name or a date in a sentence is no evidence that it answers (a byline is full of names);
# a word of agreement is, for "what did they agree": it is rare. Words of speech are in most
# news sentences, so for "what did he say" only their absence counts (the penalty).
EVIDENCE_KINDS = ("agreement",)
TITLE_PENALTY = 0.15  # a headline matches many questions loosely but rarely answers one
EXTRA_MARGIN = 0.06  # a further sentence must score within this of the best
CROSS_MARGIN = 0.15  # ... or within this, if from another document and naming the same answer
REDUNDANT_COSINE = 0.85
CLIP_TYPE_BONUS = 0.1  # a cut that keeps the asked-for fact is preferred
MIN_CLIPPED_WORDS = 8  # a further sentence is left out rather than cut shorter than this
COMPLEMENT_GAIN = 0.15  # a sentence of another document that adds this share of the question's words
CORROBORATE_DF = 0.15  # a name in at most this share of chunks is rare enough to link two articles
CORROBORATE_CHUNKS = 10  # chunks searched for the names of the chosen quotes
CORROBORATE_SLACK = 0.05  # ... and may be this much less on topic than an answer must be
# "according to both reports": the question wants every article that speaks to it cited
_EVERY_SOURCE = re.compile(r"\b(?:both|each|all|every)\s+(?:of\s+)?(?:the\s+)?(?:articles?|reports?|stories|sources|"
                           r"documents?|texts?|pieces?|accounts?)\b", re.IGNORECASE)
ANAPHOR_SHARE = 0.5  # share of the words of the sentence before that count for one pointing back to it
# openings that point back to the sentence before ("Such remarks were not mentioned by KCNA")
_ANAPHOR = re.compile(r"(?:Such|This|These|That|Those|The (?:remarks?|move|statement|comments?|meeting|visit|report|two))\b")
ABSTAIN_TEXT = "The documents don't say: nothing in the indexed articles answers this question."


class Composer(Protocol):
    """Turns a question and its retrieved passages into an Answer."""

    def compose(self, question: str, passages: Sequence[Passage], *, query: Query,
                config: Config, history: Sequence[tuple[str, str]] = ()) -> Answer:
        ...  # pragma: no cover - protocol


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


class ExtractiveComposer:
    """Answers by quoting the best-matching sentences of the passages (see module docstring)."""

    def __init__(self, data: IndexData, encode: Callable[[Sequence[str]], np.ndarray] | None = None) -> None:
        self.data = data
        self.encode = encode  # embeds clauses when a long sentence must be cut
        self._rows: dict[str, list[int]] = {}
        for row, s in enumerate(data.sentences):
            self._rows.setdefault(s.doc_id, []).append(row)
        self._starts = {d: [data.sentences[r].start for r in rows] for d, rows in self._rows.items()}
        self._documents = {d.id: d for d in data.documents}
        self._contexts: dict[int, tuple[np.ndarray, frozenset[str]] | None] = {}

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
        candidates = self.rank(question, passages, query=query, config=config, said=said, groups=groups)
        best = max((c.evidence for c in candidates), default=0.0)
        if not candidates or best < config.abstain_threshold:
            return Answer(question=question, text=ABSTAIN_TEXT, abstained=True,
                          passages=tuple(passages), evidence=best)
        chosen = self._select(candidates, config, question, groups)
        extra = self._corroboration(question, chosen, query, config, groups, len(passages))
        found = {c.passage.chunk_id: c.passage for c in extra if all(c.passage.chunk_id != p.chunk_id for p in passages)}
        more = [replace(p, rank=n) for n, p in enumerate(found.values(), len(passages) + 1)]
        return self._write(question, chosen + extra, [*passages, *more], config, best, groups, optional=len(extra))

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
        i = next((i for i, c in enumerate(self.data.chunks) if c.doc_id == doc.id and c.start <= start and end <= c.end),
                 None)
        source = passages[0] if i is None else self._passage(i, on_topic, 1)
        citation = Citation(n=1, source=doc.name, path=doc.source, title=doc.title, quote=quote,
                            chunk_id=source.chunk_id, start=start, end=end, score=on_topic,
                            date=doc.date, passage=source.text if i is not None else quote)
        text = f"{quote} [1]" if value in quote else f"{value}: {quote} [1]"
        # the passage quoted comes first: it, not the best match of the question's topic, is the source
        rest = [replace(p, rank=n) for n, p in enumerate((p for p in passages if p.chunk_id != source.chunk_id), 2)]
        return Answer(question=question, text=text, abstained=False, citations=(citation,),
                      passages=(source, *rest), short_answer=value, evidence=on_topic)

    def rank(self, question: str, passages: Sequence[Passage], *, query: Query,
             config: Config, said: str = "",
             groups: list[tuple[float, frozenset[str]]] | None = None) -> list[Candidate]:
        """All sentences of the passages, best first. Sentences already quoted in `said` (the
        previous answer) rank lower: a follow-up asks for something new."""
        scorer = self._scorer(question, query, config, said, groups)
        self._add_contexts([row for p in passages for row in self._sentence_rows(p)])
        seen: set[int] = set()
        out = []
        for p in passages:
            for row in self._sentence_rows(p):
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

    def _redundant(self, c: Candidate, chosen: Sequence[Candidate]) -> bool:
        """Whether `c` says nearly what one of `chosen` says (sentence vectors this close)."""
        vectors = self.data.sentence_vectors
        return max(float(vectors[c.row] @ vectors[x.row]) for x in chosen) >= REDUNDANT_COSINE

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
        scores = lexical.scores(sorted({t for name in names for forms in name for t in forms}))
        top = [int(i) for i in np.argsort(-scores, kind="stable")[:CORROBORATE_CHUNKS]
               if scores[i] > 0 and self.data.chunks[int(i)].doc_id not in quoted]
        passages = [self._passage(i, float(self.data.chunk_vectors[i] @ query.vector), n_passages + 1) for i in top]
        self._add_contexts([row for p in passages for row in self._sentence_rows(p)])
        scorer = self._scorer(question, query, config, "", groups)
        scored = (scorer(row, p) for p in passages for row in self._sentence_rows(p))
        out = [c for c in scored if any(all(forms & c.words for forms in name) for name in names)]
        return sorted(out, key=lambda c: -c.score)

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

    def _sentence_rows(self, p: Passage) -> list[int]:
        rows, starts = self._rows.get(p.doc_id, []), self._starts.get(p.doc_id, [])
        i = bisect.bisect_left(starts, p.start)
        out = []
        while i < len(rows) and self.data.sentences[rows[i]].end <= p.end:
            out.append(rows[i])
            i += 1
        return out

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
        parts, citations, notes = [], [], []
        note_words = [_words(_time_note(c.sentence.text, c.passage.date)) for c in chosen]
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
            parts.append(f"{quote} [{n}]")
            note = _time_note(quote, doc.date)
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
                      passages=tuple(passages), short_answer=short, notes=tuple(notes),
                      evidence=evidence)

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

    def _clip(self, sentence: Sentence, max_words: int, question: str, kind: str | None,
              groups: list[tuple[float, frozenset[str]]]) -> tuple[int, int]:
        """The sentence's span, or if longer than `max_words` the run of its clauses that fits
        and is closest in meaning to the question, preferring runs that hold a fact of the
        asked `kind` (the name for a who-question)."""
        if _words(sentence.text) <= max_words or self.encode is None:
            return sentence.start, sentence.end
        windows = _clause_windows(sentence.text, max_words)
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


def _short_answer(sentence: str, kind: str | None, question_words: set[str], focus: set[str],
                  question: str) -> str | None:
    """The bare fact of the asked kind in the sentence: the one nearest the question's words
    (a span with digits is preferred for dates), if any."""
    if kind not in ("date", "year", "number", "count", "amount", "duration"):
        return None
    spans = typed_spans(sentence, kind, question_words, question)
    if not spans:
        return None
    anchors = [m.start() for m in re.finditer(r"[A-Za-z0-9]+", sentence) if set(tokenize(m.group())) & focus]

    def distance(span: tuple[int, int, str]) -> float:
        gap = min((abs((span[0] + span[1]) / 2 - a) for a in anchors), default=0.0)
        return gap + (0 if kind != "date" or any(ch.isdigit() for ch in span[2]) else 40)

    return min(spans, key=distance)[2].strip(" .,")


def _clause_windows(text: str, max_words: int) -> list[tuple[int, int]]:
    """Longest runs of whole clauses that fit in `max_words` (single words if none fits)."""
    bounds = [0] + [m.end() for m in re.finditer(r"[,;:]\s+|\s+[-–—]\s+", text)] + [len(text)]
    clauses = list(zip(bounds, bounds[1:]))
    windows = []
    for i in range(len(clauses)):
        j = i
        while j + 1 < len(clauses) and _words(text[clauses[i][0]:clauses[j + 1][1]]) <= max_words:
            j += 1
        a, b = clauses[i][0], clauses[j][1]
        if _words(text[a:b]) > max_words:  # one clause alone is too long: cut at a word
            b = a + len(" ".join(text[a:b].split(" ")[:max_words]))
        windows.append((a, a + len(text[a:b].rstrip(" ,;:-–—"))))
    return windows


def _time_note(sentence: str, published: str | None) -> str:
    """The absolute times of the sentence's relative ones; a weekday right before an explicit
    date ("on Friday evening, May 24") is not relative and is left out."""
    dates = [m.start() for m in re.finditer(r"\b[A-Z][a-z]+\.? \d{1,2}\b", sentence)]
    refs = [r for r in find_time_references(sentence, published)
            if not (r.phrase.lower().rstrip("s").endswith("day") and any(0 <= d - r.end <= 20 for d in dates))]
    return describe_time_references(refs, published)


def _words(text: str | None) -> int:
    return len(text.split()) if text else 0
