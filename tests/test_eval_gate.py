"""The CI gate: the real eval over the seeds (real model, real FAISS) must meet every threshold
in eval/thresholds.json, and the gate must trip when quality is lowered on purpose."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from eval.gate import THRESHOLDS_FILE, check_thresholds, load_thresholds
from eval.metrics import contains_answer
from eval.report import Run
from eval.runner import evaluate, run_cli
from eval.schema import load_questions
from tests.conftest import SEEDS

HEADLINE = {"hit_at_3", "mrr", "fact_accuracy", "citation_accuracy", "abstention_precision",
            "abstention_recall"}
QUESTIONS = load_questions()


# ---- the gate's logic ----------------------------------------------------------------------

@pytest.mark.parametrize("metrics,expected", [
    ({"mrr": 0.8, "hit_at_3": 0.9}, []),
    ({"mrr": 0.5, "hit_at_3": 0.9}, ["mrr = 0.500 is below its threshold 0.700"]),
    ({"mrr": 0.7, "hit_at_3": 0.9}, []),  # exactly at the threshold passes
    ({"hit_at_3": 0.1}, ["mrr is missing (threshold 0.700)", "hit_at_3 = 0.100 is below its threshold 0.800"]),
    ({"mrr": None, "hit_at_3": 0.8}, ["mrr is undefined (threshold 0.700)"]),
])
def test_check_thresholds_names_each_metric_below(metrics: dict[str, Any], expected: list[str]) -> None:
    assert check_thresholds(metrics, {"mrr": 0.7, "hit_at_3": 0.8}) == expected


@pytest.mark.parametrize("content,problem", [
    ('{"mrr": 1.5}', "mrr=1.5 must be a number between 0 and 1"),
    ('{"mrr": "high"}', "mrr='high'"),
    ('{"mrr": true}', "mrr=True"),
    ('[0.5]', "expected a JSON object"),
])
def test_load_thresholds_refuses_bad_values(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "thresholds.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace("[", r"\[")):
        load_thresholds(path)


def test_the_thresholds_file_holds_the_headline_metrics() -> None:
    thresholds = load_thresholds(THRESHOLDS_FILE)
    assert set(thresholds) == HEADLINE
    assert all(value > 0 for value in thresholds.values()), "set from a real run, never left at 0"


# ---- the real eval ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def eval_seed_run(seed_bot: Any) -> Run:
    """The question set run once over the real seed index with default settings."""
    return evaluate(seed_bot, QUESTIONS, [])[0]


def test_the_seed_eval_meets_every_threshold(eval_seed_run: Run) -> None:
    failures = check_thresholds(eval_seed_run.metrics, load_thresholds())
    assert failures == [], "eval below thresholds:\n" + "\n".join(failures)


def test_the_gate_trips_when_quality_is_lowered_on_purpose(seed_bot: Any) -> None:
    lowered = evaluate(seed_bot, QUESTIONS, ["top_k=1,abstain_threshold=0.99"])[0]
    failures = check_thresholds(lowered.metrics, load_thresholds())
    tripped = {message.split()[0] for message in failures}
    assert {"hit_at_3", "mrr", "fact_accuracy", "citation_accuracy"} <= tripped, failures


class PassageDumpBot:
    """The real bot, except that every answer is its retrieved passages pasted together."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot

    def with_settings(self, **settings: Any) -> "PassageDumpBot":
        return PassageDumpBot(self.bot.with_settings(**settings))

    def ask(self, question: str, history: Any = None) -> Any:
        real = self.bot.ask(question, history=history)
        dump = " ".join(p.text for p in real.passages)
        return dataclasses.replace(real, text=dump, abstained=False)


def test_a_passage_dump_scores_no_fact_even_though_it_contains_the_facts(seed_bot: Any) -> None:
    facts = [q for q in QUESTIONS if q.category == "fact"]
    run = evaluate(PassageDumpBot(seed_bot), facts, [])[0]
    holding = [o for o in run.outcomes if contains_answer(o.answer, o.expected)]
    assert len(holding) >= len(facts) // 2  # the dumps do hold most facts...
    assert run.metrics["fact_accuracy"] == 0.0  # ...but none is an answer
    assert all("too long" in o.reasons[0] for o in holding)


@pytest.mark.parametrize("as_json", [True, False])
def test_run_cli_over_the_real_library(seed_index_dir: Path, tmp_path: Path, as_json: bool,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small.jsonl"
    lines = Path(THRESHOLDS_FILE.with_name("questions.jsonl")).read_text(encoding="utf-8").splitlines()
    small.write_text("\n".join(lines[:3] + [lines[-5]]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code = run_cli(set_path=small, out_dir=out, compare=["dense", "hybrid,top_k=3"],
                   as_json=as_json, index_dir=seed_index_dir, sources=[SEEDS])
    stdout = capsys.readouterr().out
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["results.json", "results.md", "results.png"]
    if as_json:
        result = json.loads(stdout)  # exactly one JSON object
        assert [r["label"] for r in result["runs"]] == ["dense", "hybrid,top_k=3"]
        assert result["n_questions"] == 4 and result["runs"][1]["config"]["top_k"] == 3
    else:
        assert stdout.startswith("| metric | dense | hybrid,top_k=3 |")
        assert "| fact accuracy |" in stdout and "results.md" in stdout
