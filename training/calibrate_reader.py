"""Choose the trained reader's abstention threshold on the calibration articles.

    python training/calibrate_reader.py [--data ../shared/data/squad2]

The calibration articles of `eval/data/squad2_split.json` (held out of training, never the
validation articles the squad2 suite measures) are indexed whole, one document per article,
through the public API, and every question is asked with `reader="trained"` and no
threshold. The threshold is then the probability that maximises the SQuAD 2.0 F1 over all
questions (abstaining scores 1 on an unanswerable one). The sweep goes to
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

from training.squad_pairs import token_f1  # noqa: E402

OUT = REPO / "rag" / "answer" / "weights" / "calibration.json"
THRESHOLDS = np.round(np.arange(0.05, 1.0, 0.05), 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "squad2")
    args = parser.parse_args(argv)
    split = json.loads((REPO / "eval" / "data" / "squad2_split.json").read_text(encoding="utf-8"))
    dev = {a["title"]: a for a in json.loads((args.data / split["dev_file"]).read_text(encoding="utf-8"))["data"]}
    articles = [dev[t] for t in split["calibration"]]
    rows = _ask_all(articles)
    sweep = []
    for t in THRESHOLDS:
        f1 = [(r["f1"] if r["p"] >= t else 0.0) if r["golds"] else float(r["p"] < t) for r in rows]
        abstained = [r["p"] < t for r in rows]
        unanswerable = [not r["golds"] for r in rows]
        hits = sum(a and u for a, u in zip(abstained, unanswerable))
        sweep.append({"threshold": float(t), "f1": round(float(np.mean(f1)), 4),
                      "abstention_precision": round(hits / max(1, sum(abstained)), 4),
                      "abstention_recall": round(hits / max(1, sum(unanswerable)), 4)})
    best = max(sweep, key=lambda s: s["f1"])
    OUT.write_text(json.dumps({"articles": split["calibration"], "questions": len(rows),
                               "chosen": best, "sweep": sweep}, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(best))
    return 0


def _ask_all(articles: list[dict]) -> list[dict]:
    from rag import RAG

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        for a in articles:
            text = a["title"].replace("_", " ") + "\n\n" + "\n\n".join(p["context"] for p in a["paragraphs"])
            (docs / f"{a['title']}.txt").write_text(text + "\n", encoding="utf-8")
        bot = RAG.build([docs], index_dir=Path(tmp) / "index").with_settings(reader="trained", reader_threshold=0.0)
        started = time.time()
        for a in articles:
            for p in a["paragraphs"]:
                for qa in p["qas"]:
                    answer = bot.ask(qa["question"])
                    golds = [] if qa["is_impossible"] else [x["text"] for x in qa["answers"]]
                    said = answer.short_answer or (answer.citations[0].quote if answer.citations else "")
                    rows.append({"p": answer.evidence, "golds": golds,
                                 "f1": max((token_f1(said, g) for g in golds), default=0.0)})
        print(f"{len(rows)} questions in {time.time() - started:.0f} s", file=sys.stderr)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
