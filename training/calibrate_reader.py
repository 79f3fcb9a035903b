"""Choose the trained reader's abstention threshold on the calibration articles.

    python training/calibrate_reader.py [--data ../shared/data/squad2]

The calibration articles of `eval/data/squad2_split.json` (held out of training, never the
validation articles the squad2 suite measures) are indexed whole, one document per article,
and every question goes through retrieval and the reader as `ask` would send it. A
logistic regression over each read sentence's features (the reader's logit, the heuristic
evidence and score; label: the sentence holds a gold answer) is fitted on them, and the
threshold is the combined probability that maximises the SQuAD 2.0 F1 over all questions
(abstaining scores 1 on an unanswerable one). The sweep goes to
`rag/answer/weights/calibration.json`; `Config.reader_threshold` takes the chosen value
(a test holds the two together). Left out: per-domain thresholds.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.squad import f1 as squad_f1  # noqa: E402

OUT = REPO / "rag" / "answer" / "weights" / "calibration.json"
THRESHOLDS = np.round(np.arange(0.05, 1.0, 0.05), 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "squad2")
    args = parser.parse_args(argv)
    split = json.loads((REPO / "eval" / "data" / "squad2_split.json").read_text(encoding="utf-8"))
    dev = {a["title"]: a for a in json.loads((args.data / split["dev_file"]).read_text(encoding="utf-8"))["data"]}
    articles = [dev[t] for t in split["calibration"]]
    questions = _read_all(articles)
    x = np.array([f for q in questions for f in q["features"]])
    y = np.array([l for q in questions for l in q["labels"]], dtype=float)
    weights, bias = fit_logistic(x, y)
    rows = []
    for q in questions:
        probs = 1 / (1 + np.exp(-(np.array(q["features"]) @ weights + bias))) if q["features"] else np.zeros(1)
        i = int(np.argmax(probs))
        said = q["spans"][i] if q["spans"] else ""
        rows.append({"p": float(probs.max()), "golds": q["golds"],
                     "f1": max((squad_f1(said, g) for g in q["golds"]), default=0.0)})
    sweep = [_point(rows, float(t)) for t in THRESHOLDS]
    best = max(sweep, key=lambda s: s["f1"])
    OUT.write_text(json.dumps({"articles": split["calibration"], "questions": len(rows),
                               "combination": {"features": ["reader logit", "heuristic evidence",
                                                            "heuristic score - best"],
                                               "weights": [round(float(w), 4) for w in weights],
                                               "bias": round(float(bias), 4)},
                               "chosen": best, "sweep": sweep}, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(best))
    return 0


def _point(rows: list[dict], t: float) -> dict:
    """SQuAD 2.0 F1 and abstention precision/recall when abstaining below `t`."""
    f1 = [(r["f1"] if r["p"] >= t else 0.0) if r["golds"] else float(r["p"] < t) for r in rows]
    abstained = [r["p"] < t for r in rows]
    unanswerable = [not r["golds"] for r in rows]
    hits = sum(a and u for a, u in zip(abstained, unanswerable))
    return {"threshold": t, "f1": round(float(np.mean(f1)), 4),
            "abstention_precision": round(hits / max(1, sum(abstained)), 4),
            "abstention_recall": round(hits / max(1, sum(unanswerable)), 4)}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method)."""
    a = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(a.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-a @ w))
        grad = a.T @ (p - y) + l2 * np.r_[w[:-1], 0]
        hess = (a * (p * (1 - p))[:, None]).T @ a + l2 * np.eye(a.shape[1])
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def _read_all(articles: list[dict]) -> list[dict]:
    """Per question: the features, labels (holds a gold answer) and reader spans of its candidates."""
    from eval.squad_suite import write_documents
    from rag import RAG

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        write_documents(articles, docs)  # one document per article, as the squad2 suite indexes them
        bot = RAG.build([docs], index_dir=Path(tmp) / "index").with_settings(reader="trained")
        started = time.time()
        for a in articles:
            for p in a["paragraphs"]:
                for qa in p["qas"]:
                    golds = [] if qa["is_impossible"] else [x["text"] for x in qa["answers"]]
                    rows = candidate_readings(bot, qa["question"])
                    out.append({"golds": golds, "features": [f for _, _, f in rows],
                                "labels": [int(any(g in s for g in golds)) for s, _, _ in rows],
                                "spans": [span for _, span, _ in rows]})
        print(f"{len(out)} questions in {time.time() - started:.0f} s", file=sys.stderr)
    return out


def candidate_readings(bot, question: str) -> list[tuple[str, str, list[float]]]:
    """(sentence, reader span, features) of each sentence the reader reads for `question`.
    Training code: it reaches into the bot's retriever and composer, as no product code may."""
    state = bot._state
    config = state.data.config
    query = state.retriever.prepare(question, fuzzy=config.fuzzy_names)
    passages = state.retriever.search(query, k=config.top_k, config=config)
    reader = getattr(state.composer, "extractive", state.composer)  # the LLM answerer wraps it
    return [(c.sentence.text, r.answer, x) for c, r, x, _ in reader.read(question, passages, query, config)]


if __name__ == "__main__":
    raise SystemExit(main())
