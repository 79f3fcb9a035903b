"""Reporting: the results of one or more runs as JSON, a Markdown table and a PNG chart.

A *run* is one pass over the set with one group of settings. Several runs (`--compare`) show
side by side: one column per run. Left out: HTML reports, history across commits.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from .metrics import Outcome, category_scores

METRIC_ROWS = (
    ("hit_at_1", "hit@1"), ("hit_at_3", "hit@3"), ("hit_at_5", "hit@5"), ("mrr", "MRR"),
    ("evidence_recall_at_5", "evidence recall@5"), ("fact_accuracy", "fact accuracy"),
    ("citation_accuracy", "citation accuracy"), ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"), ("overall_accuracy", "overall accuracy"),
    ("short_em", "short-answer EM (SQuAD)"), ("short_f1", "short-answer F1 (SQuAD)"),
    ("doc_hit_at_5", "doc hit@5 (supporting article)"),
    ("mean_words", "words per answer (mean)"), ("max_words", "words per answer (max)"),
    ("latency_p50_ms", "latency p50 (ms)"), ("latency_p95_ms", "latency p95 (ms)"),
    ("n_failed", "failed questions"),
)
SCORE_COLUMNS = (("accuracy", "accuracy"), ("short_em", "EM"), ("short_f1", "F1"),
                 ("citation_accuracy", "citation"), ("doc_hit_at_5", "doc hit@5"),
                 ("abstained", "abstained"))
_GOT_CHARS = 240  # the Markdown list shortens long answers; results.json keeps them whole


@dataclass(frozen=True)
class Run:
    """One pass over the set with one group of settings."""

    label: str
    settings: dict[str, Any]
    config: dict[str, Any]
    outcomes: tuple[Outcome, ...]
    metrics: dict[str, Any]
    per_category: dict[str, dict[str, Any]]
    gate_failures: tuple[str, ...] | None = None  # None: the run was not gated

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the run, failures listed apart from all questions."""
        return {
            "label": self.label, "settings": self.settings, "config": self.config,
            "metrics": self.metrics, "per_category": self.per_category,
            "category_scores": category_scores(self.outcomes),
            "gate_failures": None if self.gate_failures is None else list(self.gate_failures),
            "failures": [_failure(o) for o in self.outcomes if o.failed],
            "questions": [asdict(o) for o in self.outcomes],
        }


def results_dict(set_path: Path, runs: Sequence[Run],
                 about: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything `results.json` holds (`about`: facts of the suite, e.g. index timings)."""
    return {"set": str(set_path), **({"about": about} if about else {}),
            "n_questions": len(runs[0].outcomes) if runs else 0,
            "runs": [run.to_dict() for run in runs]}


def metrics_table(runs: Sequence[Run]) -> str:
    """The headline metrics as a Markdown table, one column per run."""
    lines = [_row(["metric", *(r.label for r in runs)]), _row(["---"] * (len(runs) + 1))]
    for key, name in METRIC_ROWS:
        lines.append(_row([name, *(format_value(key, r.metrics.get(key)) for r in runs)]))
    return "\n".join(lines)


def category_table(runs: Sequence[Run]) -> str:
    """Accuracy per question category as a Markdown table, one column per run."""
    categories = list(runs[0].per_category) if runs else []
    lines = [_row(["category", "n", *(r.label for r in runs)]), _row(["---"] * (len(runs) + 2))]
    for category in categories:
        n = runs[0].per_category[category]["n"]
        cells = [format_value("accuracy", r.per_category.get(category, {}).get("accuracy"))
                 for r in runs]
        lines.append(_row([category, str(n), *cells]))
    return "\n".join(lines)


def scores_table(run: Run) -> str:
    """One run's scores per category: accuracy, short-answer EM/F1, citation, doc hit@5."""
    lines = [_row(["category", "n", *(name for _, name in SCORE_COLUMNS)]),
             _row(["---"] * (len(SCORE_COLUMNS) + 2))]
    for category, scores in category_scores(run.outcomes).items():
        lines.append(_row([category, str(scores["n"]),
                           *(format_value(key, scores.get(key)) for key, _ in SCORE_COLUMNS)]))
    return "\n".join(lines)


def failures_table(run: Run) -> str:
    """Every failed question of a run: expected against what came back, and why."""
    failed = [o for o in run.outcomes if o.failed]
    if not failed:
        return "No failed questions."
    lines = [_row(["id", "question", "expected", "got", "cited", "why"]), _row(["---"] * 6)]
    for o in failed:
        got = "(abstained) " + o.answer if o.abstained else o.answer
        got = got if len(got) <= _GOT_CHARS else got[:_GOT_CHARS] + "…"
        expected = " / ".join(o.expected) or "(abstain)"
        lines.append(_row([o.id, o.question, expected, got, ", ".join(o.cited) or "-",
                           "; ".join(o.reasons)]))
    return "\n".join(lines)


def markdown_report(set_path: Path, runs: Sequence[Run], about: dict[str, Any] | None = None) -> str:
    """The whole `results.md`: metrics, per-category scores, gate and failures per run."""
    first = runs[0].metrics
    parts = [
        "# Evaluation results", "",
        f"Set: `{set_path}` ({first['n_questions']} questions: {first['n_answerable']} "
        f"answerable, {first['n_unanswerable']} unanswerable)", "",
        *(f"- {key}: {value}" for key, value in (about or {}).items()), "",
        metrics_table(runs), "", "## Accuracy per category", "", category_table(runs), "",
    ]
    for run in runs:
        parts += [f"## Scores per category: {run.label}", "", scores_table(run), ""]
    for run in runs:
        if run.gate_failures is not None:
            verdict = "; ".join(run.gate_failures) or "every headline metric meets its threshold"
            parts += [f"Gate ({run.label}): {verdict}", ""]
    for run in runs:
        parts += [f"## Failed questions: {run.label}", "", failures_table(run), ""]
    return "\n".join(parts)


def write_outputs(out_dir: Path, set_path: Path, runs: Sequence[Run],
                  about: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write results.json, results.md and results.png into `out_dir`; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "md": out_dir / "results.md",
             "png": out_dir / "results.png"}
    paths["json"].write_text(json.dumps(results_dict(set_path, runs, about), indent=2,
                                        ensure_ascii=False) + "\n", encoding="utf-8")
    paths["md"].write_text(markdown_report(set_path, runs, about), encoding="utf-8")
    write_chart(paths["png"], runs, title=str((about or {}).get("suite", "")))
    return paths


def write_chart(path: Path, runs: Sequence[Run], title: str = "") -> None:
    """Per-category bars (accuracy by run, or one run's scores) beside the latency histogram."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg: no display needed
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 5), layout="constrained")
    FigureCanvasAgg(fig)
    bars, hist = fig.subplots(1, 2)
    categories = list(runs[0].per_category) if runs else []
    series = _bar_series(runs, categories)
    width = 0.8 / max(len(series), 1)
    latencies = [o.latency_ms for run in runs for o in run.outcomes]
    edges = np.histogram_bin_edges(latencies or [0.0], bins=25)  # shared, so runs compare
    for i, (label, heights) in enumerate(series):
        bars.bar([j + i * width for j in range(len(categories))], heights, width, label=label,
                 color=f"C{i}")
    for i, run in enumerate(runs):
        hist.hist([o.latency_ms for o in run.outcomes], bins=edges, histtype="step", linewidth=1.5,
                  color=f"C{i}" if len(runs) > 1 else "C7")
    bars.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(categories))], categories)
    bars.set_ylim(0, 1.0)
    bars.set_ylabel("share of questions" if len(runs) == 1 else "accuracy")
    bars.set_title("Scores per category" if len(runs) == 1 else "Accuracy per category")
    if title:
        fig.suptitle(title)
    hist.set_xlabel("latency per question (ms)")
    hist.set_ylabel("questions")
    hist.set_title("Latency (warm)")
    fig.legend(loc="outside lower center", ncols=min(len(series), 3), fontsize="small")
    fig.savefig(path, dpi=100)


def _bar_series(runs: Sequence[Run], categories: Sequence[str]) -> list[tuple[str, list[float]]]:
    """Bars per category: accuracy of each run, or for one run accuracy, F1 and doc hit@5."""
    if len(runs) != 1:
        return [(r.label, [r.per_category.get(c, {}).get("accuracy") or 0.0 for c in categories])
                for r in runs]
    scores = category_scores(runs[0].outcomes)
    return [(name, [scores[c].get(key) or 0.0 for c in categories])
            for key, name in (("accuracy", "accuracy"), ("short_f1", "short-answer F1"),
                              ("doc_hit_at_5", "doc hit@5"))]


def format_value(key: str, value: Any) -> str:
    """A metric as shown in tables: rates with 3 decimals, ms and words with 1."""
    if value is None:
        return "n/a"
    if key.startswith(("n_", "max_words")):
        return str(int(value))
    if key.endswith("_ms") or key == "mean_words":
        return f"{value:.1f}"
    return f"{value:.3f}"


def _failure(o: Outcome) -> dict[str, Any]:
    return {"id": o.id, "category": o.category, "question": o.question,
            "expected": list(o.expected), "docs": list(o.docs), "got": o.answer,
            "short_answer": o.short_answer, "abstained": o.abstained, "cited": list(o.cited),
            "retrieved": list(o.retrieved), "first_hit": o.first_hit, "reasons": list(o.reasons)}


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
