"""The runner and its reports, driven by a scripted stand-in for `RAG` (no model needed).
The same runner over the real library is tested in test_eval_gate.py."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.report import write_outputs
from eval.runner import ask_all, evaluate, parse_spec, parse_value, run_cli
from eval.schema import parse_questions
from rag import Config
from tests.test_eval_metrics import A, ARRIVAL, answer, passage

SET_LINES = [
    json.dumps({"id": "q1", "question": "Who arrived on May 22?", "category": "fact",
                "answers": ["Choe Ryong-hae"], "docs": [A], "evidence": ARRIVAL}),
    json.dumps({"id": "q2", "question": "When did he arrive?", "category": "follow_up",
                "answers": ["May 22"], "docs": [A], "evidence": ARRIVAL, "follows": "q1"}),
    json.dumps({"id": "u1", "question": "What is the capital of Australia?",
                "category": "unanswerable", "answers": [], "docs": [], "evidence": ""}),
]
QUESTIONS = parse_questions(SET_LINES)
REPLIES = {
    "Who arrived on May 22?": answer("Choe Ryong-hae [1].", cited=[A], passages=[passage(A, ARRIVAL)]),
    "When did he arrive?": answer("On May 22 [1].", cited=[A], passages=[passage(A, ARRIVAL)]),
}


class ScriptedBot:
    """Answers from a script, records every call and the settings it was asked with."""

    def __init__(self, replies: dict[str, Any] = REPLIES, settings: dict[str, Any] | None = None,
                 calls: list | None = None) -> None:
        self.replies = replies
        self.settings = settings or {}
        self.config = Config().with_overrides(**self.settings)
        self.calls = [] if calls is None else calls

    def with_settings(self, **settings: Any) -> "ScriptedBot":
        return ScriptedBot(self.replies, {**self.settings, **settings}, self.calls)

    def ask(self, question: str, history: Any = None) -> Any:
        self.calls.append((question, history, self.settings))
        return self.replies.get(question) or answer("The documents don't say.", abstained=True)


@pytest.mark.parametrize("spec,settings", [
    ("dense", {"retrieval": "dense"}),
    ("hybrid,abstain_threshold=0.3", {"retrieval": "hybrid", "abstain_threshold": 0.3}),
    ("default", {}),
    ("lexical, fuzzy_names=False , top_k=3", {"retrieval": "lexical", "fuzzy_names": False, "top_k": 3}),
    ("top_k=1,abstain_threshold=0.99", {"top_k": 1, "abstain_threshold": 0.99}),
    ("default,retrieval=dense", {"retrieval": "dense"}),
])
def test_parse_spec(spec: str, settings: dict[str, Any]) -> None:
    assert parse_spec(spec) == settings


@pytest.mark.parametrize("spec,problem", [
    ("", "empty setting"), ("bm25", "unknown preset 'bm25'"), ("dense,top_k", "expected key=value"),
    ("dense,,top_k=1", "empty setting"), ("dense,=3", "expected key=value"),
])
def test_a_bad_spec_is_refused(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_spec(spec)


@pytest.mark.parametrize("text,value", [("3", 3), ("-1", -1), ("0.25", 0.25), ("1e-3", 0.001),
                                        ("true", True), ("False", False), ("dense", "dense"),
                                        ("", "")])
def test_parse_value(text: str, value: Any) -> None:
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_ask_all_warms_up_and_replays_the_first_turn_for_a_follow_up() -> None:
    bot = ScriptedBot()
    outcomes = ask_all(bot, QUESTIONS)
    assert [c[0] for c in bot.calls] == ["Who arrived on May 22?", *(q.question for q in QUESTIONS)]
    assert bot.calls[2][1] == [("Who arrived on May 22?", "Choe Ryong-hae [1].")]
    assert bot.calls[1][1] is None and bot.calls[3][1] is None
    assert [o.correct for o in outcomes] == [True, True, True]
    assert all(o.latency_ms >= 0 for o in outcomes)


def test_evaluate_runs_once_per_spec_and_gates_only_the_default_settings() -> None:
    bot = ScriptedBot()
    runs = evaluate(bot, QUESTIONS, ["dense", "default", "hybrid,top_k=2"],
                    thresholds={"fact_accuracy": 0.5, "abstention_precision": 1.0})
    assert [r.label for r in runs] == ["dense", "default", "hybrid,top_k=2"]
    assert [r.settings for r in runs] == [{"retrieval": "dense"}, {}, {"retrieval": "hybrid", "top_k": 2}]
    assert runs[2].config["top_k"] == 2 and runs[0].config["retrieval"] == "dense"
    assert {c[2].get("retrieval") for c in bot.calls} == {"dense", None, "hybrid"}
    assert [r.gate_failures for r in runs] == [None, (), None]
    assert runs[0].metrics["fact_accuracy"] == 1.0 and runs[0].per_category["follow_up"]["n"] == 1


def test_write_outputs_writes_json_markdown_and_png(tmp_path: Path) -> None:
    failing = dict(REPLIES, **{"When did he arrive?": answer("On May 23 [1].", cited=[A])})
    runs = evaluate(ScriptedBot(), QUESTIONS, ["dense", "lexical,top_k=3"])
    runs_bad = evaluate(ScriptedBot(failing), QUESTIONS, [])
    paths = write_outputs(tmp_path / "out", Path("set.jsonl"), [*runs, *runs_bad])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["results.json", "results.md", "results.png"]
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [r["label"] for r in data["runs"]] == ["dense", "lexical,top_k=3", "default"]
    assert data["runs"][2]["failures"][0]["id"] == "q2"
    assert data["runs"][2]["failures"][0]["got"] == "On May 23 [1]."
    markdown = paths["md"].read_text(encoding="utf-8")
    assert "| metric | dense | lexical,top_k=3 | default |" in markdown
    assert "| fact accuracy | 1.000 | 1.000 | 0.500 |" in markdown
    assert "| q2 | When did he arrive? | May 22 | On May 23 [1]. |" in markdown


@pytest.mark.parametrize("as_json", [False, True])
def test_run_cli_refuses_a_malformed_set_with_its_line(tmp_path: Path, as_json: bool,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(SET_LINES[0] + "\n{oops\n", encoding="utf-8")
    code = run_cli(set_path=bad, out_dir=tmp_path / "out", compare=[], as_json=as_json,
                   index_dir=tmp_path / "index", sources=[tmp_path])
    out, err = capsys.readouterr()
    assert code == 2
    message = json.loads(out)["error"] if as_json else err
    assert "line 2: not valid JSON" in message
    assert not (tmp_path / "out").exists() and not (tmp_path / "index").exists()


def test_run_cli_refuses_a_bad_spec_before_loading_anything(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(set_path=None, out_dir=tmp_path / "out", compare=["dense", "bm25"],
                   as_json=False, index_dir=tmp_path / "index", sources=[tmp_path])
    assert code == 2
    assert "unknown preset 'bm25'" in capsys.readouterr().err
    assert not (tmp_path / "index").exists()


def test_the_seeds_suite_scores_a_separate_index_of_exactly_its_sources(tmp_path: Path) -> None:
    from eval.runner import _bot
    from tests.conftest import SEEDS

    bot = _bot(None, [SEEDS], tmp_path / "cache", None)
    assert len(bot.documents()) == 2 and bot.index_dir.is_relative_to(tmp_path / "cache")
    assert _bot(None, [SEEDS], tmp_path / "cache", None).index_dir == bot.index_dir  # cached
