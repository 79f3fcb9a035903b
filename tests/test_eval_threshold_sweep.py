"""The threshold sweep over a no-threshold run, on a hand-worked set of four questions."""
from __future__ import annotations

import pytest

from eval.threshold_sweep import sweep

QUESTIONS = [
    {"category": "fact", "evidence_score": 0.9, "correct": True, "short_f1": 1.0},
    {"category": "fact", "evidence_score": 0.4, "correct": True, "short_f1": 0.5},
    {"category": "unanswerable", "evidence_score": 0.6, "correct": False, "short_f1": 0.0},
    {"category": "unanswerable", "evidence_score": 0.2, "correct": False, "short_f1": 0.0},
]


def test_sweep_turns_weak_answers_into_abstentions() -> None:
    low, mid, high = sweep(QUESTIONS, [0.1, 0.5, 0.95])
    # 0.1: nothing abstains
    assert low["fact_accuracy"] == 1.0 and low["abstention_recall"] == 0.0
    assert low["short_f1"] == pytest.approx((1.0 + 0.5) / 4)
    # 0.5: the 0.4 fact and the 0.2 unanswerable abstain
    assert mid["fact_accuracy"] == 0.5
    assert mid["abstention_precision"] == 0.5 and mid["abstention_recall"] == 0.5
    assert mid["short_f1"] == pytest.approx((1.0 + 0 + 0 + 1) / 4)
    # 0.95: everything abstains
    assert high["fact_accuracy"] == 0.0 and high["abstention_recall"] == 1.0
    assert high["short_f1"] == pytest.approx(0.5)
