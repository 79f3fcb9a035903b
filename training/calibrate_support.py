"""Choose `support_threshold`, the support a generated sentence needs from the passage it cites.

    python training/calibrate_support.py [--data ../shared/data/squad2] [--per-article 150]

No language model can be had here, so the claims are made from SQuAD 2.0 questions and
answers, in the three forms a model's sentence takes:
- `quote`: the article's sentence that holds the answer (a model that copies);
- `statement`: the question with its answer ("Which team won? Denver Broncos."): the
  question's words and the fact, the rest paraphrased away;
- `short`: the answer alone ("Denver Broncos."), read with the question as the check does.
Each is cited once to the passage (chunk) that holds the answer: supported, it must be kept;
and once to the passage ranked highest for the question that does not contain the answer
(the nearest miss): unsupported, it must be caught. A fourth kind, `premise`, tests what
the check cannot know: an unanswerable question with the crowd worker's plausible answer,
cited to the passage holding it (the words are there, the question's premise is false).

The threshold maximising balanced accuracy (mean of kept and caught) over the quote,
statement and short claims of the *train* articles (`eval/data/squad2_split.json`: every
article of train-10-articles.json) is chosen; the *validation* articles (those the squad2
suite measures) only measure it. Writes `rag/answer/weights/support.json`; `Config.support_threshold`
takes the chosen value (a test holds the two together). Fixed seed; about 10 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OUT = REPO / "rag" / "answer" / "weights" / "support.json"
THRESHOLDS = np.round(np.arange(0.20, 0.81, 0.025), 3)
KINDS = ("quote", "statement", "short")
SEED = 13


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "squad2")
    parser.add_argument("--per-article", type=int, default=150, help="questions sampled per article")
    args = parser.parse_args(argv)
    split = json.loads((REPO / "eval" / "data" / "squad2_split.json").read_text(encoding="utf-8"))
    train = json.loads((args.data / split["train_file"]).read_text(encoding="utf-8"))["data"]
    dev = {a["title"]: a for a in json.loads((args.data / split["dev_file"]).read_text(encoding="utf-8"))["data"]}
    validation = [dev[t] for t in split["validation"]]
    started = time.time()
    fit_rows = claim_rows(train, args.per_article)
    val_rows = claim_rows(validation, args.per_article)
    sweep = [point(fit_rows, float(t)) for t in THRESHOLDS]
    best = max(sweep, key=lambda s: (s["balanced"], -abs(s["threshold"] - 0.5)))
    result = {
        "about": "Support needed from a cited passage; chosen on the train articles, measured on validation.",
        "command": "python training/calibrate_support.py" + (f" --per-article {args.per_article}" if args.per_article != 150 else ""),
        "seed": SEED, "train_articles": [a["title"] for a in train], "validation_articles": split["validation"],
        "claims": {"train": len(fit_rows), "validation": len(val_rows)},
        "chosen": best, "validation": point(val_rows, best["threshold"]),
        "sweep": sweep, "seconds": round(time.time() - started),
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"chosen": best, "validation": result["validation"]}, indent=2))
    return 0


def point(rows: list[dict], t: float) -> dict:
    """Share of supported claims kept and of unsupported ones caught at threshold `t`, per kind."""
    def kept(r: dict) -> bool:
        return not r["missing"] and r["score"] >= t

    out: dict = {"threshold": t}
    for kind in (*KINDS, "premise"):
        good = [kept(r) for r in rows if r["kind"] == kind and r["supported"]]
        bad = [not kept(r) for r in rows if r["kind"] == kind and not r["supported"]]
        out[kind] = {"kept": _share(good), "caught": _share(bad), "n": len(good) + len(bad)}
    main_kinds = [out[k] for k in KINDS]
    out["balanced"] = round(float(np.mean([(k["kept"] + k["caught"]) / 2 for k in main_kinds])), 4)
    return out


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def claim_rows(articles: list[dict], per_article: int) -> list[dict]:
    """Every claim of `KINDS` (and `premise`) over the articles, with its support score and
    whether a fact of it was missing from the passage cited."""
    from eval.squad_suite import write_documents
    from rag import RAG

    rng = random.Random(SEED)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        write_documents(articles, docs)  # one document per article, as the squad2 suite indexes them
        bot = RAG.build([docs], index_dir=Path(tmp) / "index")
        verifier = bot._state.composer.verifier  # training code may reach in; product code may not
        sentences = bot._state.data.sentences
        for a in articles:
            qas = [qa for p in a["paragraphs"] for qa in p["qas"]]
            for qa in rng.sample(qas, min(per_article, len(qas))):
                rows.extend(_claims(bot, verifier, sentences, qa))
        print(f"{len(rows)} claims over {len(articles)} articles", file=sys.stderr)
    return rows


def _claims(bot, verifier, sentences, qa: dict) -> list[dict]:
    """The claims of one question, each checked against the passage that holds the answer
    and (but for `premise`) against the nearest miss."""
    question = qa["question"].strip()
    answers = qa.get("plausible_answers", []) if qa["is_impossible"] else qa["answers"]
    if not answers:
        return []
    answer = answers[0]["text"].strip()
    passages = bot.retrieve(question, k=10)
    holding = [p for p in passages if answer in p.text]
    misses = [p for p in passages if answer.lower() not in p.text.lower()]
    if not holding:
        return []
    own = holding[0]
    if qa["is_impossible"]:
        return [_row(verifier, "premise", f"{question.rstrip('?')}? {answer}.", own, question, False)]
    quote = next((s.text for s in sentences if s.doc_id == own.doc_id and own.start <= s.start
                  and s.end <= own.end and answer in s.text), None)
    claims = {"statement": f"{question.rstrip('?')}? {answer}.", "short": f"{answer}."}
    if quote:
        claims["quote"] = quote
    rows = [_row(verifier, kind, text, own, question, True) for kind, text in claims.items()]
    if misses:
        rows += [_row(verifier, kind, text, misses[0], question, False) for kind, text in claims.items()]
    return rows


def _row(verifier, kind: str, claim: str, passage, question: str, supported: bool) -> dict:
    claims = verifier.check(_cited(claim), [passage], question, threshold=0.0)
    checked = claims[0] if claims else None
    return {"kind": kind, "supported": supported, "score": checked.score if checked else 0.0,
            "missing": bool(checked and "does not mention" in checked.reason)}


def _cited(claim: str) -> str:
    """The claim as one cited sentence (markers the check reads; inner full stops kept out)."""
    return claim.replace("? ", ": ").rstrip(".") + " [1]."


if __name__ == "__main__":
    raise SystemExit(main())
