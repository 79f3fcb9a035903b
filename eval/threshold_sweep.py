"""What an abstention threshold would give, read from one run made with no threshold.

    rag eval --suite squad2 --out /tmp/t0 --compare "reader=trained,reader_threshold=0.0"
    python -m eval.threshold_sweep /tmp/t0/squad2/results.json

Every question of that run was answered, with its evidence score; a threshold t turns the
answers with evidence below t into abstentions. Printed per t: fact accuracy, abstention
precision and recall, short-answer F1 (SQuAD 2.0 style). For measuring only: the shipped
threshold is chosen on the calibration articles (training/calibrate_reader.py), never here.
Left out: citation accuracy and latency (unchanged by the threshold).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


def sweep(questions: Sequence[dict[str, Any]], thresholds: Sequence[float] = THRESHOLDS) -> list[dict[str, float]]:
    """One row per threshold over the questions of a no-threshold run."""
    rows = []
    answerable = [q for q in questions if q["category"] != "unanswerable"]
    unanswerable = [q for q in questions if q["category"] == "unanswerable"]
    for t in thresholds:
        kept = [q for q in answerable if (q["evidence_score"] or 0.0) >= t]
        held = [q for q in questions if (q["evidence_score"] or 0.0) < t]
        right_abstentions = sum(1 for q in unanswerable if (q["evidence_score"] or 0.0) < t)
        f1 = [q["short_f1"] if q in kept else 0.0 for q in answerable] + \
             [1.0 if (q["evidence_score"] or 0.0) < t else 0.0 for q in unanswerable]
        rows.append({"threshold": t,
                     "fact_accuracy": sum(q["correct"] for q in kept) / max(1, len(answerable)),
                     "abstention_precision": right_abstentions / len(held) if held else float("nan"),
                     "abstention_recall": right_abstentions / max(1, len(unanswerable)),
                     "short_f1": sum(f1) / max(1, len(questions))})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the sweep of a results.json as a Markdown table."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m eval.threshold_sweep RESULTS.json", file=sys.stderr)
        return 2
    run = json.loads(Path(args[0]).read_text(encoding="utf-8"))["runs"][0]
    print("| threshold | fact accuracy | abstention precision | abstention recall | short-answer F1 |")
    print("| --- | --- | --- | --- | --- |")
    for r in sweep(run["questions"]):
        print(f"| {r['threshold']:.2f} | {r['fact_accuracy']:.3f} | {r['abstention_precision']:.3f} | "
              f"{r['abstention_recall']:.3f} | {r['short_f1']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
