"""Feedback: the vote log read back, and a thumbs-down turned into an eval row (made-up records;
the round trip through `rag feedback --to-eval` and `rag eval --set` is in test_cli.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.schema import parse_questions
from ui.feedback import FeedbackLog, append_eval_rows, eval_row, read_feedback, row_id, thumbs_down

LAMP = {"question": "When was the Velmora lighthouse relit?",
        "answer": {"answer": "15 March 2024: It was relit on 15 March. [1] Crowds came. [2]",
                   "abstained": False,
                   "citations": [{"n": 1, "source": "lamp.txt", "quote": "It was relit on 15 March."},
                                 {"n": 2, "source": "lamp.txt", "quote": "Crowds came."}]}}
NOTHING = {"question": "Wer baute den Leuchtturm – und wann?",
           "answer": {"answer": "The documents don't say.", "abstained": True, "citations": []}}


def _log(tmp_path: Path, *votes: tuple[str, dict]) -> Path:
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    for vote, turn in votes:
        log.append(vote, turn)
    return log.path


def test_hand_worked_example(tmp_path):
    (record,) = thumbs_down(read_feedback(_log(tmp_path, ("up", NOTHING), ("down", LAMP))))
    row = eval_row(record)
    assert row == {
        "id": row_id(record), "question": "When was the Velmora lighthouse relit?", "category": "fact",
        "answers": [], "docs": ["lamp.txt"], "evidence": ["It was relit on 15 March."], "follows": None,
        "given": {"answer": LAMP["answer"]["answer"], "abstained": False,
                  "citations": LAMP["answer"]["citations"], "vote": "down",
                  "timestamp": record["timestamp"]}}
    assert row["id"].startswith("feedback-") and len(row["id"]) == len("feedback-") + 10


def test_an_abstention_voted_down_leaves_docs_to_fill(tmp_path):
    (record,) = read_feedback(_log(tmp_path, ("down", NOTHING)))
    row = eval_row(record)
    assert (row["question"], row["docs"], row["evidence"]) == (NOTHING["question"], [], [])
    assert row["given"]["abstained"] is True


def test_rows_are_appended_once_and_become_questions_when_filled(tmp_path):
    records = read_feedback(_log(tmp_path, ("down", LAMP), ("down", NOTHING), ("up", LAMP)))
    target = tmp_path / "sets" / "complaints.jsonl"
    assert append_eval_rows(thumbs_down(records), target) == (2, 0)
    assert append_eval_rows(thumbs_down(records), target) == (0, 2)  # run again: nothing twice
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["question"] for r in rows] == [LAMP["question"], NOTHING["question"]]
    with pytest.raises(ValueError, match="comes from feedback and needs its accepted answers"):
        parse_questions([json.dumps(rows[0])])
    rows[0]["answers"] = ["15 March 2024"]
    (question,) = parse_questions([json.dumps(rows[0])])
    assert question.answers == ("15 March 2024",) and question.docs == ("lamp.txt",)


def test_rows_go_after_a_set_without_a_final_newline(tmp_path):
    target = tmp_path / "set.jsonl"
    target.write_text('{"id": "q1"}', encoding="utf-8")
    append_eval_rows(read_feedback(_log(tmp_path, ("down", LAMP))), target)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"id": "q1"} and json.loads(lines[1])["question"] == LAMP["question"]


@pytest.mark.parametrize("text, problem", [
    ('{"vote": "down"', "line 1: not valid JSON"),
    ('\n\n{"vote": "down", "question": "Q?"}', "line 3: not a feedback record (missing timestamp"),
    ("[1, 2]", "line 1: not a feedback record"),
])
def test_a_malformed_log_names_the_file_and_line(tmp_path, text, problem):
    log = tmp_path / "feedback.jsonl"
    log.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        read_feedback(log)
    assert str(caught.value).startswith(f"{log} {problem}")


def test_an_empty_log_has_no_thumbs_down(tmp_path):
    log = tmp_path / "feedback.jsonl"
    log.write_text("\n", encoding="utf-8")
    assert thumbs_down(read_feedback(log)) == []


def test_a_malformed_target_set_is_refused(tmp_path):
    target = tmp_path / "set.jsonl"
    target.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match="set.jsonl line 1: not valid JSON"):
        append_eval_rows(read_feedback(_log(tmp_path, ("down", LAMP))), target)
