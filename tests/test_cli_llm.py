"""`rag ask --llm [--stream]` and `rag chat --llm` against the test chat server, and their errors."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from rag.cli import main
from tests.llm_server import ChatServer, Reply

ARRIVAL = "When did Choe Ryong-hae arrive in Beijing?"
CLAIM = "Choe Ryong-hae arrived in Beijing on May 22 for a three-day consultation"


def reply_citing_may_22(request: dict) -> Reply:
    user = request["messages"][-1]["content"]
    n = next(i for i, block in enumerate(user.split("<passage ")[1:], 1) if "May 22" in block)
    return Reply(f"{CLAIM} [{n}]. It snowed in Rome [{n}].", pieces=5)


def test_ask_llm_stream_prints_the_reply_then_the_checked_answer(seed_index_dir: Path) -> None:
    with ChatServer(reply_citing_may_22) as server:
        result = CliRunner().invoke(main, ["ask", ARRIVAL, "--index-dir", str(seed_index_dir), "--llm",
                                           "--llm-url", server.url, "--llm-model", server.model, "--stream"])
    assert result.exit_code == 0, result.output
    streamed, checked = result.stdout.split("Checked against the passages:")
    assert "It snowed in Rome" in streamed and "It snowed in Rome" not in checked.splitlines()[1]
    assert f"{CLAIM}. [1]" in checked and "note: Left out a generated sentence" in checked


def test_ask_llm_reads_the_endpoint_from_the_environment(seed_index_dir: Path, monkeypatch) -> None:
    with ChatServer(reply_citing_may_22) as server:
        monkeypatch.setenv("RAG_LLM_BASE_URL", server.url)
        monkeypatch.setenv("RAG_LLM_MODEL", server.model)
        result = CliRunner().invoke(main, ["ask", ARRIVAL, "--index-dir", str(seed_index_dir), "--llm", "--json"])
    assert result.exit_code == 0 and '"answer": "' + CLAIM in result.stdout


def test_chat_llm_streams_and_keeps_going_after_a_server_error(seed_index_dir: Path) -> None:
    replies = iter([Reply("down for a moment", status=503), Reply(f"{CLAIM} [1].")])
    with ChatServer(lambda r: next(replies)) as server:
        result = CliRunner().invoke(main, ["chat", "--index-dir", str(seed_index_dir), "--llm", "--llm-url",
                                           server.url, "--llm-model", server.model],
                                    input=f"{ARRIVAL}\n{ARRIVAL}\n\n")
    assert result.exit_code == 0, result.output
    assert "Error: the LLM server at" in result.output and "(HTTP 503): down for a moment" in result.output
    assert "Checked against the passages:" in result.output


def test_llm_errors_are_one_line(seed_index_dir: Path, monkeypatch) -> None:
    monkeypatch.delenv("RAG_LLM_BASE_URL", raising=False)
    missing = CliRunner().invoke(main, ["ask", ARRIVAL, "--index-dir", str(seed_index_dir), "--llm"])
    assert missing.exit_code == 2 and "--llm needs a server and a model: --llm-url URL" in missing.output
    down = CliRunner().invoke(main, ["ask", ARRIVAL, "--index-dir", str(seed_index_dir), "--llm",
                                     "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m"])
    assert down.exit_code == 1 and "Traceback" not in down.output
    assert down.output.strip() == ("Error: the LLM server at http://127.0.0.1:9/v1 is not reachable: "
                                   "is it running, and is the URL right (most end in /v1)?")
