"""The question-set schema: malformed rows are refused with their line number; the real set
is well formed and every row's evidence and answer really stand in the seed articles."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.metrics import normalise
from eval.schema import DEFAULT_SET, load_questions, parse_questions

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
DOC = "000_f128671dea74a6be.txt"
DOC2 = "004_05cac4f71c22c40d.txt"


def row(**changes: object) -> str:
    """A valid answerable row as a JSON line, with fields changed (None deletes one)."""
    data: dict[str, object] = {"id": "q1", "question": "When did Choe arrive?", "category": "fact",
                               "answers": ["May 22"], "docs": [DOC], "evidence": "on May 22"}
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None})


UNANSWERABLE = row(id="u1", category="unanswerable", answers=[], docs=[], evidence="")

MALFORMED = {
    "bad json": ([row(), '{"id": "q2", "question": '], 2, "not valid JSON"),
    "not an object": ([row(), "[1, 2]"], 2, "expected a JSON object"),
    "missing field": ([row(answers=None)], 1, "missing field(s): answers"),
    "extra field": ([row(), row(id="q2", hint="x")], 2, "unknown field(s): hint"),
    "id not a string": ([row(id=7)], 1, "'id' must be a non-empty string"),
    "empty question": ([row(question="  ")], 1, "'question' must be a non-empty string"),
    "answers not a list": ([row(answers="May 22")], 1, "'answers' must be a list"),
    "answers with a number": ([row(answers=["May 22", 22])], 1, "'answers' must be a list"),
    "docs not a list": ([row(docs=DOC)], 1, "'docs' must be a list"),
    "evidence a number": ([row(evidence=3)], 1, "'evidence' must be a string or a list"),
    "evidence count": ([row(category="cross_doc", docs=[DOC, DOC2], evidence=["a"])], 1,
                       "evidence has 1 sentences but docs has 2"),
    "unknown category": ([row(category="trivia")], 1, "unknown category 'trivia'"),
    "duplicate id": ([row(), UNANSWERABLE, row()], 3, "duplicate id 'q1' (first on line 1)"),
    "follows unknown": ([row(), row(id="q2", category="follow_up", follows="zz")], 2,
                        "follows 'zz', which is not an id on an earlier line"),
    "follows later": ([row(id="q2", category="follow_up", follows="q3"), row(id="q3")], 1,
                      "follows 'q3', which is not an id on an earlier line"),
    "follows itself": ([row(category="follow_up", follows="q1")], 1, "follows 'q1'"),
    "follows not a string": ([row(follows=3)], 1, "'follows' must be an id string or null"),
    "answerable without answers": ([UNANSWERABLE, row(answers=[])], 2, "needs non-empty answers"),
    "answerable without docs": ([row(docs=[], evidence="")], 1, "needs non-empty docs"),
    "answerable without evidence": ([row(evidence="")], 1, "needs non-empty evidence"),
    "unanswerable with answers": ([row(category="unanswerable", docs=[], evidence="")], 1,
                                  "must have empty answers, docs and evidence"),
    "cross_doc with one doc": ([row(category="cross_doc")], 1, "at least two different docs"),
    "follow_up without follows": ([row(category="follow_up")], 1, "needs 'follows'"),
    "after a blank line": ([row(), "", "   ", row(category="quiz")], 4, "unknown category"),
    "given not an object": ([row(given="it said May 23")], 1, "'given' must be an object"),
    "from feedback, not filled in": ([row(id="feedback-1", answers=[], given={"answer": "x"})], 1,
                                     "'feedback-1' comes from feedback and needs its accepted answers"),
}


def test_a_row_from_feedback_once_filled_in_is_a_question() -> None:
    filled = row(id="feedback-1", given={"answer": "May 23 [1]", "citations": []})
    unanswerable = row(id="feedback-2", category="unanswerable", answers=[], docs=[], evidence="",
                       given={"answer": "x"})
    first, second = parse_questions([filled, unanswerable])
    assert (first.id, first.answers, second.answerable) == ("feedback-1", ("May 22",), False)


def test_load_questions_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(row(category="quiz") + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_questions(path)
    assert str(caught.value).startswith(f"{path}: line 1: unknown category")


@pytest.mark.parametrize("lines,line,problem", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_row_is_refused_naming_its_line(lines: list[str], line: int, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_questions(lines)
    assert str(caught.value).startswith(f"line {line}: ")
    assert problem in str(caught.value)


def test_an_empty_set_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_questions(["", "  "])


def test_a_valid_set_parses_into_questions(tmp_path: Path) -> None:
    lines = [row(), row(id="q2", category="follow_up", question="And then?", follows="q1"),
             row(id="c1", category="cross_doc", docs=[DOC, DOC2], evidence=["one", "two"]),
             UNANSWERABLE]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first, second, cross, unanswerable = load_questions(path)
    assert (first.id, first.answers, first.evidence, first.follows) == ("q1", ("May 22",), ("on May 22",), None)
    assert (second.follows, second.line) == ("q1", 2)
    assert cross.evidence == ("one", "two")
    assert (unanswerable.answerable, unanswerable.docs, unanswerable.evidence) == (False, (), ())


# ---- the real set -------------------------------------------------------------------------

QUESTIONS = load_questions(DEFAULT_SET)
SEED_TEXT = {p.name: normalise(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}


def test_the_set_covers_every_kind_of_question() -> None:
    counts = Counter(q.category for q in QUESTIONS)
    assert len(QUESTIONS) >= 60
    assert counts["unanswerable"] >= 12
    assert counts["cross_doc"] >= 5 and counts["paraphrase"] >= 10
    assert counts["follow_up"] >= 6
    assert all(q.follows is not None for q in QUESTIONS if q.category == "follow_up")


@pytest.mark.parametrize("question", [q for q in QUESTIONS if q.answerable], ids=lambda q: q.id)
def test_each_evidence_sentence_is_in_its_document_and_holds_an_answer(question) -> None:
    for doc, sentence in zip(question.docs, question.evidence):
        assert doc in SEED_TEXT, f"{question.id}: unknown document {doc}"
        assert normalise(sentence) in SEED_TEXT[doc], f"{question.id}: evidence not in {doc}"
    evidence = " ".join(f" {normalise(s)} " for s in question.evidence)
    assert any(f" {normalise(a)} " in evidence for a in question.answers), question.id
