"""Short-answer exact match and F1, scored the way the official SQuAD 2.0 script scores them.

    normalize_answer("The  U.S.A!")  -> "usa"
    squad_scores("Paris", ["the city of Paris", "Paris"]) -> (1.0, 1.0)

The script (`evaluate-v2.0.py`): lower-case, drop ASCII punctuation, drop the articles
a/an/the, collapse whitespace; F1 over the remaining tokens; the best score over the gold
answers. An unanswerable question has the one gold answer "" and an abstention predicts "",
so abstaining there scores 1 and answering scores 0; abstaining on an answerable question
scores 0.

What an answer predicts is decided in `metrics.prediction`, not here.

Left out: the script's no-answer probability threshold search (the bot decides itself).
"""
from __future__ import annotations

import re
import string
from collections import Counter
from typing import Sequence

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(text: str) -> str:
    """Lower-case, without punctuation, articles and extra whitespace (SQuAD's normalisation)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    """1.0 when both normalise to the same text, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1(prediction: str, gold: str) -> float:
    """Token F1 of the normalised texts; when either is empty, 1.0 only if both are."""
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    same = sum((Counter(predicted) & Counter(expected)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


def gold_answers(answers: Sequence[str]) -> list[str]:
    """The gold list as the script builds it: answers that normalise to something, else [""]."""
    return [a for a in answers if normalize_answer(a)] or [""]


def squad_scores(prediction: str, answers: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of a prediction: the best over the gold answers (no answers: unanswerable)."""
    golds = gold_answers(answers)
    return (max(exact_match(prediction, g) for g in golds),
            max(f1(prediction, g) for g in golds))

