"""Scoring: one question's answer against the set, and the metrics over a whole run.

The checks are deliberately strict and simple:
- an answer is right when an accepted answer appears in its text after `normalise`, it has at
  most `MAX_WORDS` words (a passage dump that merely contains the fact is wrong), and it does
  not abstain; an unanswerable question is right only when the bot abstains;
- a *supporting passage* comes from a supporting document and contains a substantial part of
  that document's evidence sentence (`supports`);
- citations are right when they name a supporting document (every one, for `cross_doc`);
- the short answer is scored by SQuAD 2.0's EM and F1 (`squad.py`) on what the answer
  predicts (`prediction`), and `doc_hit_at_5` asks only whether a passage of a supporting
  document is among the first five retrieved, whatever its text.

Left out: partial credit, semantic matching of answers, judging the prose.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .schema import CATEGORIES, Question
from .squad import squad_scores

MAX_WORDS = 60
HIT_KS = (1, 3, 5)
_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")  # citation markers: [1], [1, 2]
_DOTS = re.compile(r"\.(?=\w)")  # dots inside abbreviations join: U.S. -> us
_SEPARATORS = re.compile(r"[^\w\s]|_")  # hyphens, dashes, quotes, apostrophes... -> spaces


def normalise(text: str) -> str:
    """Lower-case text with citation markers, quotes, hyphens and extra spaces removed."""
    text = unicodedata.normalize("NFKC", text)
    text = _MARKER.sub(" ", text).casefold()
    text = _SEPARATORS.sub(" ", _DOTS.sub("", text))
    return " ".join(text.split())


def word_count(text: str) -> int:
    """Words of an answer, not counting citation markers or stray punctuation."""
    return sum(1 for token in _MARKER.sub(" ", text).split() if any(c.isalnum() for c in token))


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether one of the accepted answers appears, as whole words, in the text."""
    haystack = f" {normalise(text)} "
    return any(f" {normalise(a)} " in haystack for a in answers if normalise(a))


def prediction(answer: Any) -> str:
    """What an answer predicts for EM/F1: "" if it abstains, its short answer, or its text.

    The text is taken (citation markers removed) only when there is no short answer: the
    heuristic answerer quotes whole sentences, so its F1 there is low by construction.
    """
    if answer.abstained:
        return ""
    return answer.short_answer or " ".join(_MARKER.sub(" ", answer.text).replace("…", " ").split())  # "…": a cut


def answer_verdict(question: Question, text: str, abstained: bool) -> tuple[bool, str | None]:
    """Whether the answer is right, and if not, why (one short reason)."""
    if not question.answerable:
        return (True, None) if abstained else (False, "answered a question the documents cannot answer")
    if abstained:
        return False, "abstained on an answerable question"
    words = word_count(text)
    if words > MAX_WORDS:
        return False, f"answer too long ({words} words > {MAX_WORDS})"
    if not contains_answer(text, question.answers):
        return False, "no accepted answer in the text"
    return True, None


def supports(passage_text: str, evidence: str) -> bool:
    """Whether a passage contains a substantial part of the evidence sentence.

    Substantial: a run of consecutive evidence words covering at least half the sentence (and
    at least six words, or all of a shorter sentence) - enough to survive sentence splitting
    at a chunk border, not enough to be met by a chance phrase.
    """
    needle = normalise(evidence).split()
    if not needle:
        return False
    need = min(len(needle), max(6, math.ceil(len(needle) / 2)))
    return _longest_common_run(needle, normalise(passage_text).split()) >= need


def _longest_common_run(a: list[str], b: list[str]) -> int:
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def supporting_ranks(question: Question, passages: Sequence[Any]) -> list[tuple[int, str]]:
    """(1-based rank, doc) of every retrieved passage that supports the question."""
    evidence = dict(zip(question.docs, question.evidence))
    return [(rank, p.name) for rank, p in enumerate(passages, 1)
            if p.name in evidence and supports(p.text, evidence[p.name])]


def citations_ok(question: Question, cited: Sequence[str]) -> bool:
    """Whether the cited file names include a supporting doc (all of them for cross_doc)."""
    needed, got = set(question.docs), set(cited)
    return needed <= got if question.category == "cross_doc" else bool(needed & got)


@dataclass(frozen=True)
class Outcome:
    """How one question fared: what came back and which checks it passed."""

    id: str
    category: str
    question: str
    expected: tuple[str, ...]
    docs: tuple[str, ...]
    answer: str
    short_answer: str | None
    abstained: bool
    cited: tuple[str, ...]
    retrieved: tuple[str, ...]  # file names of the retrieved passages, in rank order
    words: int
    correct: bool
    citation_correct: bool | None  # None for unanswerable questions
    first_hit: int | None  # rank of the first supporting passage; None when not retrieved
    evidence_recall: float | None  # share of supporting docs found in the top 5
    latency_ms: float
    evidence_score: float | None  # the bot's own evidence score, when it reports one
    reasons: tuple[str, ...]
    prediction: str = ""  # what EM/F1 score (see `prediction`)
    short_em: float = 0.0
    short_f1: float = 0.0
    doc_hit: bool | None = None  # a supporting document's passage in the top 5; None if unanswerable

    @property
    def failed(self) -> bool:
        """Whether any check failed (answer, citation or retrieval)."""
        return bool(self.reasons)


def score(question: Question, answer: Any, latency_ms: float) -> Outcome:
    """Check one `Answer` (anything with its public attributes) against its question."""
    correct, reason = answer_verdict(question, answer.text, answer.abstained)
    reasons = [reason] if reason else []
    cited = tuple(dict.fromkeys(c.source for c in answer.citations))
    passages = tuple(answer.passages)
    ranks = supporting_ranks(question, passages) if question.answerable else []
    cite_ok = first_hit = recall = None
    if question.answerable:
        cite_ok = citations_ok(question, cited)
        if not cite_ok:
            reasons.append(f"cited {list(cited)}, expected {list(question.docs)}")
        first_hit = ranks[0][0] if ranks else None
        found = {doc for rank, doc in ranks if rank <= max(HIT_KS)}
        recall = len(found) / len(set(question.docs))
        if first_hit is None or first_hit > max(HIT_KS):
            reasons.append(f"no supporting passage in the top {max(HIT_KS)}")
    evidence = getattr(answer, "evidence", None)
    predicted = prediction(answer)
    em, f1 = squad_scores(predicted, question.answers if question.answerable else ())
    top_docs = {p.name for p in passages[:max(HIT_KS)]}
    return Outcome(
        id=question.id, category=question.category, question=question.question,
        expected=question.answers, docs=question.docs, answer=answer.text,
        short_answer=answer.short_answer, abstained=answer.abstained, cited=cited,
        retrieved=tuple(p.name for p in passages), words=word_count(answer.text),
        correct=correct, citation_correct=cite_ok, first_hit=first_hit, evidence_recall=recall,
        latency_ms=latency_ms, evidence_score=None if evidence is None else float(evidence),
        reasons=tuple(reasons), prediction=predicted, short_em=em, short_f1=f1,
        doc_hit=bool(top_docs & set(question.docs)) if question.answerable else None)


def aggregate(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The headline metrics of a run (rates in 0..1; None where undefined)."""
    answerable = [o for o in outcomes if o.category != "unanswerable"]
    unanswerable = [o for o in outcomes if o.category == "unanswerable"]
    abstained = [o for o in outcomes if o.abstained]
    answered = [o for o in outcomes if not o.abstained]
    hits = [o.first_hit for o in answerable]
    metrics: dict[str, Any] = {f"hit_at_{k}": _mean([h is not None and h <= k for h in hits])
                               for k in HIT_KS}
    correct_abstentions = sum(1 for o in unanswerable if o.abstained)
    metrics.update(
        mrr=_mean([1.0 / h if h else 0.0 for h in hits]),
        evidence_recall_at_5=_mean([o.evidence_recall or 0.0 for o in answerable]),
        fact_accuracy=_mean([o.correct for o in answerable]),
        citation_accuracy=_mean([bool(o.citation_correct) for o in answerable]),
        abstention_precision=correct_abstentions / len(abstained) if abstained else None,
        abstention_recall=correct_abstentions / len(unanswerable) if unanswerable else None,
        overall_accuracy=_mean([o.correct for o in outcomes]),
        short_em=_mean([o.short_em for o in outcomes]),
        short_f1=_mean([o.short_f1 for o in outcomes]),
        doc_hit_at_5=_mean([bool(o.doc_hit) for o in answerable]),
        mean_words=_mean([o.words for o in answered]),
        max_words=max((o.words for o in answered), default=None),
        latency_p50_ms=percentile([o.latency_ms for o in outcomes], 50),
        latency_p95_ms=percentile([o.latency_ms for o in outcomes], 95),
        n_questions=len(outcomes), n_answerable=len(answerable),
        n_unanswerable=len(unanswerable), n_abstained=len(abstained),
        n_failed=sum(1 for o in outcomes if o.failed),
    )
    return metrics


def per_category(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Accuracy and count per category, in the set's category order."""
    table: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        rows = [o for o in outcomes if o.category == category]
        if rows:
            table[category] = {"n": len(rows), "accuracy": _mean([o.correct for o in rows])}
    return table


def category_scores(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Per category: count, accuracy, short-answer EM/F1, citation accuracy, doc hit@5, abstained."""
    table: dict[str, dict[str, Any]] = {}
    for category, counts in per_category(outcomes).items():
        rows = [o for o in outcomes if o.category == category]
        answerable = category != "unanswerable"
        table[category] = {
            **counts, "short_em": _mean([o.short_em for o in rows]),
            "short_f1": _mean([o.short_f1 for o in rows]),
            "citation_accuracy": _mean([bool(o.citation_correct) for o in rows]) if answerable else None,
            "doc_hit_at_5": _mean([bool(o.doc_hit) for o in rows]) if answerable else None,
            "abstained": _mean([o.abstained for o in rows])}
    return table


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation), or None for no values."""
    return float(np.percentile(values, q)) if len(values) else None


def _mean(values: Sequence[float | bool]) -> float | None:
    return sum(float(v) for v in values) / len(values) if values else None
