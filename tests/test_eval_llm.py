"""`rag eval --answerer llm` over the seeds suite, against the test chat server replaying, for
each question, the extractive answer written as a model would (each `[n]` naming the prompt's
passage that holds the quote, the abstention phrase where the extractive answer abstains):
every metric must equal the extractive run's, so the generated path loses nothing it is given.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from rag.answer.prompt import ABSTAIN_PHRASE
from rag.cli import main
from tests.llm_server import ChatServer, Reply, user_message

_PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)


def replay(bot):
    """A server reply function answering as the extractive composer does, over the prompt's passages."""
    def respond(request: dict) -> Reply:
        prompt = user_message(request)
        question = re.search(r"<question>(.*)</question>", prompt).group(1)
        turns = [m["content"] for m in request["messages"][1:-1]]
        answer = bot.ask(question, history=list(zip(turns[::2], turns[1::2])))
        if answer.abstained:
            return Reply(ABSTAIN_PHRASE)
        passages = {int(n): text for n, text in _PASSAGE.findall(prompt)}
        text = answer.text
        for note in answer.notes:  # the answerer's own notes ("ten years ago" = 2007), not the article's words
            text = text.replace(note, "")
        where = {c.n: next((n for n, text in passages.items() if c.quote in text), 0) for c in answer.citations}
        return Reply(re.sub(r"\[(\d+)\]", lambda m: f"[{where[int(m.group(1))]}]", text))
    return respond


def run_eval(*args: str) -> dict:
    result = CliRunner().invoke(main, ["eval", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])["runs"][0]


def test_llm_eval_replaying_supported_answers_equals_extractive(seed_bot, seed_index_dir: Path, tmp_path: Path) -> None:
    common = ["--index-dir", str(seed_index_dir)]
    extractive = run_eval(*common, "--out", str(tmp_path / "extractive"))
    with ChatServer(replay(seed_bot)) as server:
        generated = run_eval(*common, "--out", str(tmp_path / "llm"), "--answerer", "llm",
                             "--llm-url", server.url, "--llm-model", server.model)
        assert len(server.requests) >= 80
    assert generated["config"]["answerer"] == "llm"
    def scores(run: dict) -> dict:
        # what is scored; time and answer length are measured, not scored (markers move a little);
        # the short answer is compared below
        return {k: v for k, v in run["metrics"].items()
                if not k.startswith("latency") and k not in ("mean_words", "short_em", "short_f1")}

    assert scores(generated) == scores(extractive) and len(scores(extractive)) >= 12
    # the reader's span is read in the whole sentence a checked answer cites first, in the
    # extractive answer in its first quote (which may be cut to fit): a question or two may differ
    for metric in ("short_em", "short_f1"):
        assert abs(generated["metrics"][metric] - extractive["metrics"][metric]) <= 0.03, metric
    assert generated["gate_failures"] == [] and generated["per_category"] == extractive["per_category"]


def test_llm_eval_with_the_server_down_is_one_error(seed_index_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "--index-dir", str(seed_index_dir), "--out", str(tmp_path),
                                       "--answerer", "llm", "--llm-url", "http://127.0.0.1:9/v1",
                                       "--llm-model", "m"])
    assert result.exit_code == 1 and "is not reachable" in result.output and "Traceback" not in result.output
