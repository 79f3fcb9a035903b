"""Scoring with hand-made answers: the answer check is strict, retrieval and abstention metrics
are worked out by hand on a tiny run."""
from __future__ import annotations

import pytest

from eval.metrics import (MAX_WORDS, aggregate, answer_verdict, contains_answer, normalise,
                          per_category, percentile, score, supports, word_count)
from eval.schema import Question
from rag.types import Answer, Citation, Passage

A = "000_f128671dea74a6be.txt"
B = "004_05cac4f71c22c40d.txt"
ARRIVAL = ("The arrival of Choe Ryong-hae in Beijing on May 22 for a three day consultation marked "
           "the first high-level visit between China and North Korea since Pyongyang’s missile "
           "test of December 2012 froze such interactions.")
ENVOY = ("Song Tao, head of the Chinese Communist Party (CCP) International Liaison Department, "
         "appears not to have met with leader Kim Jong-un during his recent visit.")
FILLER = "Unrelated words about the weather and the markets fill this passage today."


def question(id: str = "q", category: str = "fact", answers=("May 22",), docs=(A,),
             evidence=(ARRIVAL,)) -> Question:
    """A question record; unanswerable ones get empty answers, docs and evidence."""
    if category == "unanswerable":
        answers, docs, evidence = (), (), ()
    return Question(id=id, question=f"question {id}?", category=category, answers=tuple(answers),
                    docs=tuple(docs), evidence=tuple(evidence))


def passage(name: str, text: str, rank: int = 1) -> Passage:
    """A retrieved passage of the seed file `name`."""
    return Passage(chunk_id=f"{name}:{rank}", doc_id=name[:3], source=f"seeds/{name}", title="t",
                   date=None, text=text, start=0, end=len(text), score=1.0 / rank, rank=rank)


def answer(text: str, *, abstained: bool = False, cited=(), passages=(), evidence: float = 0.5) -> Answer:
    """An `Answer` citing the given file names, over the given passages."""
    citations = tuple(Citation(n=i, source=name, path=f"seeds/{name}", title="t", quote="q",
                               chunk_id=f"{name}:0", start=0, end=1, score=0.5)
                      for i, name in enumerate(cited, 1))
    return Answer(question="q", text=text, abstained=abstained, citations=citations,
                  passages=tuple(passages), evidence=evidence)


# ---- normalising and the answer check ----------------------------------------------------

def test_normalise_drops_case_hyphens_quotes_markers_and_spaces() -> None:
    assert normalise("  Choe  Ryong-Hae’s “three-day”\tvisit [1][2, 3] to the U.S. ") == \
        "choe ryong hae s three day visit to the us"


@pytest.mark.parametrize("text", [
    "He arrived on MAY 22 [1].", "may-22", "It was May\u00a022.", "“May 22”", "On May 22, 2013",
])
def test_case_hyphen_space_and_quote_variants_are_accepted(text: str) -> None:
    assert contains_answer(text, ["May 22"])


@pytest.mark.parametrize("text,answers", [
    ("Choe Ryong-hae arrived.", ["choe ryong hae"]),
    ("CHOI RYONG HAE met Song.", ["Choe Ryong-hae", "Choi Ryong-hae"]),
    ("a three-day consultation", ["three day"]),
    ("the freeze for freeze approach", ["freeze-for-freeze"]),
])
def test_aliases_and_hyphen_variants_match(text: str, answers: list[str]) -> None:
    assert contains_answer(text, answers)


@pytest.mark.parametrize("text", ["On May 2.", "On May 222.", "Mayday 22", "in 2012"])
def test_an_answer_must_match_whole_words(text: str) -> None:
    assert not contains_answer(text, ["May 22", "12"])


def test_a_long_passage_dump_containing_the_fact_is_wrong() -> None:
    dump = " ".join([ARRIVAL] * 3)  # 105 words, the fact among them
    assert contains_answer(dump, ["May 22"])
    ok, reason = answer_verdict(question(), dump, abstained=False)
    assert (ok, reason) == (False, f"answer too long ({word_count(dump)} words > {MAX_WORDS})")


@pytest.mark.parametrize("words,expected", [(MAX_WORDS - 1, True), (MAX_WORDS, True),
                                            (MAX_WORDS + 1, False)])
def test_the_word_limit_is_inclusive(words: int, expected: bool) -> None:
    text = "May 22 " + " ".join(["word"] * (words - 2)) + " [1] [2]"  # markers are not words
    assert word_count(text) == words
    assert answer_verdict(question(), text, abstained=False)[0] is expected


def test_abstaining_on_an_answerable_question_is_wrong_even_if_the_text_has_the_fact() -> None:
    assert answer_verdict(question(), "Not sure; maybe May 22.", abstained=True) == \
        (False, "abstained on an answerable question")


@pytest.mark.parametrize("abstained,expected", [(True, True), (False, False)])
def test_an_unanswerable_question_is_right_only_when_abstained(abstained: bool, expected: bool) -> None:
    assert answer_verdict(question(category="unanswerable"), "Canberra.", abstained)[0] is expected


def test_an_answer_without_an_accepted_answer_is_wrong() -> None:
    assert answer_verdict(question(), "He arrived on May 23 [1].", abstained=False) == \
        (False, "no accepted answer in the text")


# ---- supporting passages -----------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    (FILLER + " " + ARRIVAL, True),  # the whole sentence
    ("…consultation marked the first high-level visit between China and North Korea since "
     "Pyongyang's missile test of December 2012 froze such interactions.", True),  # > half
    ("The arrival of Choe Ryong-hae in Beijing on May 22 was noted.", False),  # 11 of 35 words
    (FILLER, False),
    ("", False),
])
def test_a_passage_supports_when_it_holds_a_substantial_run_of_the_evidence(text: str, expected: bool) -> None:
    assert supports(text, ARRIVAL) is expected


def test_a_short_evidence_sentence_must_be_contained_whole() -> None:
    assert supports("Mr. Andy Lim is a researcher with the Korea Chair at CSIS.", "By Andy Lim") is False
    assert supports("Opinion. By Andy Lim, staff.", "By Andy Lim") is True


# ---- one question scored, and a hand-worked run --------------------------------------------

def test_score_records_rank_citations_and_reasons() -> None:
    passages = [passage(B, ENVOY, 1), passage(A, FILLER, 2), passage(A, ARRIVAL, 3)]
    outcome = score(question(), answer("On May 22 [1].", cited=[B], passages=passages), 12.5)
    assert outcome.correct and outcome.first_hit == 3 and outcome.evidence_recall == 1.0
    assert outcome.citation_correct is False
    assert outcome.reasons == (f"cited ['{B}'], expected ['{A}']",)
    assert (outcome.retrieved, outcome.words, outcome.latency_ms) == ((B, A, A), 3, 12.5)


def test_a_cross_doc_question_needs_every_supporting_doc_cited() -> None:
    cross = question(category="cross_doc", answers=["Choe Ryong-hae"], docs=(A, B),
                     evidence=(ARRIVAL, ENVOY))
    passages = [passage(A, ARRIVAL, 1), passage(B, ENVOY, 2)]
    one = score(cross, answer("Choe Ryong-hae [1].", cited=[A], passages=passages), 1.0)
    both = score(cross, answer("Choe Ryong-hae [1][2].", cited=[A, B], passages=passages), 1.0)
    assert (one.citation_correct, both.citation_correct) == (False, True)
    assert one.evidence_recall == 1.0 and both.failed is False


def test_metrics_of_a_hand_worked_run() -> None:
    # 4 answerable: supporting passage at rank 1, rank 2, rank 4 and nowhere.
    # 3 unanswerable: two abstain, one answers. One answerable abstains too.
    good, bad = passage(A, ARRIVAL), passage(B, FILLER)
    ranked = {1: [good], 2: [bad, good], 4: [bad, bad, bad, good], 0: [bad]}
    outcomes = [
        score(question("a1"), answer("May 22 [1]", cited=[A], passages=ranked[1]), 10),
        score(question("a2"), answer("May 22 " + "x " * 70, cited=[A], passages=ranked[2]), 20),
        score(question("a3"), answer("It was May 22 [1]", cited=[B], passages=ranked[4]), 30),
        score(question("a4"), answer("I can't tell.", abstained=True, passages=ranked[0]), 40),
        score(question("u1", "unanswerable"), answer("No idea.", abstained=True), 50),
        score(question("u2", "unanswerable"), answer("No idea.", abstained=True), 60),
        score(question("u3", "unanswerable"), answer("Canberra [1]", cited=[A]), 70),
    ]
    m = aggregate(outcomes)
    assert (m["hit_at_1"], m["hit_at_3"], m["hit_at_5"]) == (0.25, 0.5, 0.75)
    assert m["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 4 + 0) / 4)
    assert m["fact_accuracy"] == 0.5  # a1, a3 (a2 too long, a4 abstained)
    assert m["citation_accuracy"] == 0.5  # a1, a2
    assert m["abstention_precision"] == pytest.approx(2 / 3)  # u1, u2 of a4, u1, u2
    assert m["abstention_recall"] == pytest.approx(2 / 3)  # u1, u2 of u1, u2, u3
    assert m["overall_accuracy"] == pytest.approx(4 / 7)
    assert (m["mean_words"], m["max_words"]) == (pytest.approx((2 + 72 + 4 + 1) / 4), 72)
    assert (m["latency_p50_ms"], m["latency_p95_ms"]) == (40.0, pytest.approx(67.0))
    assert (m["n_questions"], m["n_answerable"], m["n_unanswerable"], m["n_abstained"]) == (7, 4, 3, 3)
    assert m["n_failed"] == 4  # a2, a3 (citation), a4, u3
    assert per_category(outcomes) == {"fact": {"n": 4, "accuracy": 0.5},
                                      "unanswerable": {"n": 3, "accuracy": pytest.approx(2 / 3)}}


def test_abstention_precision_is_undefined_without_abstentions() -> None:
    outcome = score(question(), answer("May 22 [1]", cited=[A], passages=[passage(A, ARRIVAL)]), 5)
    m = aggregate([outcome])
    assert (m["abstention_precision"], m["abstention_recall"]) == (None, None)


@pytest.mark.parametrize("values,q,expected", [([], 50, None), ([7.0], 95, 7.0),
                                               ([1, 2, 3, 4], 50, 2.5), (list(range(101)), 95, 95.0)])
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected
