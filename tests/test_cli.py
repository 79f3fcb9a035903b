"""The `rag` command as a user runs it: JSON contract, exit codes, messages, no tracebacks."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli import with_index_dir
from rag.storage import live_folder

from .conftest import CSIS, REPO, SEEDS

RAG_BIN = Path(sys.executable).parent / "rag"


def run(*args: str, cwd: Path = REPO, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([str(RAG_BIN), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout, check=False)


def test_help_lists_the_commands() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in ("index", "ask", "chat", "eval", "serve", "docs", "feedback"):
        assert command in out.stdout


def test_ask_json_contract(seed_index_dir: Path) -> None:
    out = run("ask", "--json", "When did Choe Ryong-hae arrive in Beijing?", "--index-dir", str(seed_index_dir))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # exactly one JSON object
    assert {"answer", "abstained", "citations"} <= set(data)
    assert isinstance(data["answer"], str) and data["abstained"] is False
    assert "May 22" in data["answer"] and len(data["answer"].split()) <= 60
    for c in data["citations"]:
        assert isinstance(c["n"], int) and isinstance(c["source"], str) and isinstance(c["title"], str)
        assert isinstance(c["quote"], str) and isinstance(c["score"], float)
    assert data["citations"][0]["source"] == CSIS


def test_ask_json_abstains_off_topic(seed_index_dir: Path) -> None:
    out = run("ask", "--json", "What is the capital of Australia?", "--index-dir", str(seed_index_dir))
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["abstained"] is True and data["citations"] == []


def test_ask_with_the_trained_reader_off_topic_abstains(seed_index_dir: Path) -> None:
    out = run("ask", "--json", "--reader", "trained", "What is the capital of Australia?",
              "--index-dir", str(seed_index_dir))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["abstained"] is True


def test_ask_with_an_unknown_reader_exits_2(seed_index_dir: Path) -> None:
    out = run("ask", "--reader", "llm", "Who?", "--index-dir", str(seed_index_dir))
    assert out.returncode == 2 and "Traceback" not in out.stderr and "llm" in out.stderr


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_exits_2_without_traceback(question: str, seed_index_dir: Path) -> None:
    out = run("ask", question, "--index-dir", str(seed_index_dir))
    assert out.returncode == 2 and "empty" in out.stderr and "Traceback" not in out.stderr


def test_corrupt_index_message(tmp_path: Path, seed_index_dir: Path) -> None:
    ix = tmp_path / "ix"
    shutil.copytree(seed_index_dir, ix)
    (live_folder(ix) / "chunks.faiss").write_bytes(b"garbage")
    out = run("ask", "Who is Song Tao?", "--index-dir", str(ix))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "index is corrupt" in out.stderr and f"`rag index --index-dir {ix} --rebuild`" in out.stderr


def test_missing_index_is_built_on_first_use_then_indexed_incrementally(tmp_path: Path) -> None:
    work = tmp_path / "w"
    shutil.copytree(SEEDS, work / "seeds")
    out = run("ask", "--json", "Who is Song Tao?", cwd=work)
    assert out.returncode == 0, out.stderr
    assert "building" in out.stderr and (work / "index" / "CURRENT").exists()
    assert json.loads(out.stdout)["citations"]
    (work / "seeds" / "junk.txt").write_bytes(b"\x00\xff binary")
    again = run("index", "--json", cwd=work)
    report = json.loads(again.stdout)
    assert again.returncode == 0 and len(report["unchanged"]) == 2 and not report["added"]
    assert "junk.txt" in again.stderr and report["skipped"][0]["reason"].startswith("binary")


def test_index_of_nothing_is_a_clear_error(tmp_path: Path) -> None:
    out = run("index", str(tmp_path / "missing"), "--index-dir", str(tmp_path / "ix"))
    assert out.returncode == 1 and "missing not found" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("command", [["docs"], ["sources"], ["remove", "x.txt"]])
def test_a_missing_index_names_the_folder_and_the_command_for_it(tmp_path: Path, command: list[str]) -> None:
    nothere = tmp_path / "nothere"
    out = run(*command, "--index-dir", str(nothere), cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip() == (f"Error: no index at {nothere}. Build it with "
                                  f"`rag index --index-dir {nothere} FOLDER`.")


def test_ask_without_index_or_seeds_names_the_folder_and_the_command(tmp_path: Path) -> None:
    out = run("ask", "Who?", "--index-dir", "../nothere", cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "no index at ../nothere, and no seeds/ folder here" in out.stderr
    assert "`rag index --index-dir ../nothere FOLDER`" in out.stderr


def test_a_missing_question_set_names_the_file_and_how_to_make_one(tmp_path: Path) -> None:
    out = run("eval", "--set", "../none.jsonl", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "no question set at ../none.jsonl" in out.stderr
    assert "`rag feedback --to-eval ../none.jsonl`" in out.stderr


def test_an_empty_source_folder_names_it_and_the_command(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = run("index", "empty", "--index-dir", "my index", cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"nothing to index in {tmp_path / 'empty'}" in out.stderr
    assert "`rag index --index-dir 'my index' FOLDER`" in out.stderr


@pytest.mark.parametrize("message, index_dir, expected", [
    ("Run `rag index --rebuild` now.", Path("ix"), "Run `rag index --index-dir ix --rebuild` now."),
    ("Run `rag index --rebuild` now.", Path("index"), "Run `rag index --rebuild` now."),  # the default
    ("Run `rag index --rebuild` now.", None, "Run `rag index --rebuild` now."),
    ("Rebuild: `rag index --index-dir ix` (all)", Path("ix"), "Rebuild: `rag index --index-dir ix` (all)"),
    ("see `rag docs`; `rag remove a.txt`", Path("my ix"),
     "see `rag docs --index-dir 'my ix'`; `rag remove --index-dir 'my ix' a.txt`"),
    ("built by another version of rag (format_version 9)", Path("ix"),
     "built by another version of rag (format_version 9)"),
    ("use the default model (rag index --model m)", Path("ïx"),
     "use the default model (rag index --index-dir 'ïx' --model m)"),
    ("", Path("ix"), ""),
])
def test_suggested_commands_get_the_users_index_dir(message: str, index_dir: Path | None, expected: str) -> None:
    assert with_index_dir(message, index_dir) == expected


def test_feedback_round_trip_thumbs_down_to_eval_row_to_rag_eval(seed_bot, seed_index_dir: Path,
                                                                 tmp_path: Path) -> None:
    from ui.feedback import FeedbackLog

    log = FeedbackLog(tmp_path / "feedback.jsonl")  # what the chat's thumbs write (make_like)
    down, up = "How long was Choe Ryong-hae's consultation in Beijing?", "Who is Song Tao?"
    for vote, question in (("down", down), ("up", up)):
        log.append(vote, {"question": question, "answer": seed_bot.ask(question).to_dict()})
    listed = run("feedback", "--feedback-log", str(log.path), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert down in listed.stdout and up not in listed.stdout and CSIS in listed.stdout

    rows = tmp_path / "complaints.jsonl"
    made = run("feedback", "--feedback-log", str(log.path), "--to-eval", str(rows), cwd=tmp_path)
    assert made.returncode == 0 and made.stdout.startswith(f"1 new eval row(s) in {rows}.")
    assert f"`rag eval --set {rows}`" in made.stdout
    again = run("feedback", "--feedback-log", str(log.path), "--to-eval", str(rows), cwd=tmp_path)
    assert again.stdout.startswith(f"0 new eval row(s) in {rows} (1 already there).")
    (row,) = [json.loads(line) for line in rows.read_text(encoding="utf-8").splitlines()]
    assert (row["question"], row["answers"], row["docs"]) == (down, [], [CSIS])
    assert row["given"]["answer"] == seed_bot.ask(down).text

    index = shutil.copytree(seed_index_dir, tmp_path / "ix")
    eval_args = ("eval", "--set", str(rows), "--index-dir", str(index), "--out", str(tmp_path / "out"), "--json")
    unfilled = run(*eval_args)
    assert unfilled.returncode == 2 and "needs its accepted answers" in json.loads(unfilled.stdout)["error"]
    row["answers"] = ["three day", "three-day"]  # what a person fills in
    rows.write_text(json.dumps(row) + "\n", encoding="utf-8")
    scored = run(*eval_args)
    assert scored.returncode == 0, scored.stderr
    (question,) = json.loads(scored.stdout)["runs"][0]["questions"]
    assert (question["id"], question["question"], question["correct"]) == (row["id"], down, True)


def test_feedback_without_a_log_says_where_votes_go(tmp_path: Path) -> None:
    out = run("feedback", "--feedback-log", "votes.jsonl", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "no feedback log at votes.jsonl" in out.stderr and "`rag serve --feedback-log votes.jsonl`" in out.stderr
