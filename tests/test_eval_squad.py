"""The short-answer scorer: hand-worked SQuAD 2.0 EM/F1, what an answer predicts, and the
EM/F1 and doc hit@5 metrics over a run."""
from __future__ import annotations

from dataclasses import replace

import pytest

from eval.metrics import aggregate, category_scores, prediction, score
from eval.squad import exact_match, f1, gold_answers, normalize_answer, squad_scores
from tests.test_eval_metrics import A, ARRIVAL, B, FILLER, answer, passage, question


@pytest.mark.parametrize("text,normal", [
    ("The Norman  Conquest!", "norman conquest"),  # case, article, punctuation, spaces
    ("an apple, the pear and a plum", "apple pear and plum"),
    ("A U.S.-based firm", "usbased firm"),  # punctuation goes without a space
    ("Theatre of Anderson", "theatre of anderson"),  # articles only as whole words
    ("  tab\tand\nnewline ", "tab and newline"),
    ("THE", ""),
    ("", ""),
    ("Café “Zürich”", "café “zürich”"),  # only ASCII punctuation is dropped, as in the script
])
def test_normalize_answer_as_the_squad_script(text: str, normal: str) -> None:
    assert normalize_answer(text) == normal


@pytest.mark.parametrize("predicted,gold,expected", [
    ("the Normans", "Normans", 1.0), ("Normans.", "normans", 1.0), ("Norman", "Normans", 0.0),
    ("", "", 1.0), ("Paris", "", 0.0), ("", "Paris", 0.0),
])
def test_exact_match(predicted: str, gold: str, expected: float) -> None:
    assert exact_match(predicted, gold) == expected


@pytest.mark.parametrize("predicted,gold,expected", [
    # 4 tokens predicted (william conqueror of normandy), 2 gold, 2 shared: P 1/2, R 1.
    ("William the Conqueror of Normandy", "William the Conqueror", 2 * 0.5 * 1 / 1.5),
    # repeats count once per gold occurrence: 1 shared of 2 predicted
    ("the Paris, Paris", "Paris", 2 * 0.5 * 1 / 1.5),
    ("in 1066 AD", "1066", 2 * (1 / 3) * 1 / (1 / 3 + 1)),
    ("Rollo", "William", 0.0),
    ("", "", 1.0), ("the", "", 1.0), ("Paris", "", 0.0), ("", "Paris", 0.0),
])
def test_f1_hand_worked(predicted: str, gold: str, expected: float) -> None:
    assert f1(predicted, gold) == pytest.approx(expected)


def test_the_best_gold_answer_counts() -> None:
    em, score_f1 = squad_scores("in 1066", ["1066", "in 1066 AD"])
    # vs "1066": P 1/2 R 1 -> 2/3; vs "in 1066 ad": P 1 R 2/3 -> 0.8
    assert (em, score_f1) == (0.0, pytest.approx(0.8))
    assert squad_scores("In 1066.", ["1066", "in 1066"]) == (1.0, 1.0)


@pytest.mark.parametrize("predicted,answers,expected", [
    ("", [], (1.0, 1.0)),  # unanswerable, abstained
    ("Paris", [], (0.0, 0.0)),  # unanswerable, answered
    ("", ["Paris"], (0.0, 0.0)),  # answerable, abstained
    ("paris", ["Paris"], (1.0, 1.0)),
])
def test_unanswerable_rows_score_an_abstention_as_right(predicted: str, answers: list[str],
                                                        expected: tuple[float, float]) -> None:
    assert squad_scores(predicted, answers) == expected


def test_gold_answers_that_normalise_to_nothing_are_dropped() -> None:
    assert gold_answers(["the", "Paris", "!"]) == ["Paris"]
    assert gold_answers(["!!", "a"]) == [""]
    assert gold_answers([]) == [""]


def test_prediction_is_empty_on_abstention_else_the_short_answer_else_the_unmarked_text() -> None:
    text = "Paris is the capital [1]. It is big [2, 3]."
    assert prediction(answer(text, abstained=True)) == ""
    assert prediction(replace(answer(text), short_answer="Paris")) == "Paris"
    assert prediction(replace(answer(text), short_answer="")) == "Paris is the capital . It is big ."
    assert prediction(answer(text)) == "Paris is the capital . It is big ."


def test_score_records_em_f1_and_the_supporting_article_in_the_top_5() -> None:
    # The supporting file's passage lacks the evidence sentence: no supporting passage, but
    # the article is retrieved (doc hit); at rank 6 it is not.
    near = [passage(A, FILLER)]
    far = [passage(B, FILLER, rank) for rank in range(1, 6)] + [passage(A, ARRIVAL, 6)]
    short = replace(answer("He came on May 22 [1].", cited=[A], passages=near), short_answer="May 22")
    hit = score(question(), short, 5.0)
    assert (hit.first_hit, hit.doc_hit, hit.prediction, hit.short_em, hit.short_f1) == \
        (None, True, "May 22", 1.0, 1.0)
    missed = score(question(), answer("He came on May 22 [1].", cited=[A], passages=far), 5.0)
    assert (missed.first_hit, missed.doc_hit) == (6, False)
    # "he came on may 22" against "may 22": P 2/5, R 1
    assert (missed.short_em, missed.short_f1) == (0.0, pytest.approx(2 * 0.4 / 1.4))


def test_em_f1_and_doc_hit_of_a_hand_worked_run() -> None:
    supported = [passage(A, ARRIVAL)]
    outcomes = [
        score(question("a1"), replace(answer("May 22 [1]", passages=supported), short_answer="May 22"), 1),
        score(question("a2"), answer("On May 22 [1]", passages=[passage(B, FILLER)]), 1),  # F1 0.8
        score(question("a3"), answer("No idea.", abstained=True, passages=supported), 1),
        score(question("u1", "unanswerable"), answer("No idea.", abstained=True), 1),
        score(question("u2", "unanswerable"), answer("Canberra [1]", cited=[A]), 1),
    ]
    m = aggregate(outcomes)
    assert m["short_em"] == pytest.approx(2 / 5)  # a1, u1
    assert m["short_f1"] == pytest.approx((1 + 0.8 + 0 + 1 + 0) / 5)
    assert m["doc_hit_at_5"] == pytest.approx(2 / 3)  # a1, a3 (a2 retrieved only B)
    table = category_scores(outcomes)
    assert table["fact"]["short_f1"] == pytest.approx(1.8 / 3)
    assert table["fact"]["abstained"] == pytest.approx(1 / 3)
    assert table["unanswerable"] == {"n": 2, "accuracy": 0.5, "short_em": 0.5, "short_f1": 0.5,
                                     "citation_accuracy": None, "doc_hit_at_5": None,
                                     "abstained": 0.5}
