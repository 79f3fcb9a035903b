"""SQuAD 2.0 articles as (question, sentence) pairs for the reader; its calibration scores.

A pair is one question with one sentence of its paragraph (and the sentence before, as
context). Sentences are split by the product's own splitter, so training sees what the
reader sees at query time. Left out: paragraphs of other articles as negatives.
"""
from __future__ import annotations

import collections
import os
import platform
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from eval.squad import f1 as squad_f1
from rag.answer import reader_net as rn
from rag.chunking import split_sentences


@dataclass(frozen=True)
class Pair:
    """One training or calibration example."""

    qid: str
    question: str
    sentence: str
    context: str
    label: int
    span: tuple[int, int] | None  # gold answer characters in `sentence`, for positives
    golds: tuple[str, ...]  # every gold answer text of the question (empty: unanswerable)


def load_split(data: Path, split: dict, *, seed: int,
               negatives: int | None = None) -> tuple[list[Pair], list[Pair]]:
    """(training pairs, calibration pairs) by the article split; validation articles unread."""
    dev = json.loads((data / split["dev_file"]).read_text(encoding="utf-8"))["data"]
    extra = json.loads((data / split["train_file"]).read_text(encoding="utf-8"))["data"]
    rng = random.Random(seed)
    by_title = {a["title"]: a for a in dev}
    train = [p for t in split["train"] for p in article_pairs(by_title[t], rng, negatives)]
    train += [p for a in extra for p in article_pairs(a, rng, negatives)]
    calib = [p for t in split["calibration"] for p in article_pairs(by_title[t], rng)]
    return train, calib


def article_pairs(article: dict, rng: random.Random, negatives: int | None = None) -> list[Pair]:
    """Every question of the article paired with the sentences of its paragraph: the gold
    one and the `negatives` sharing most words with the question; or, with None, all of them
    plus one sentence of another paragraph (the calibration set)."""
    title = article["title"].replace("_", " ")
    paragraphs = [(p, split_sentences(p["context"])) for p in article["paragraphs"]]
    pairs = []
    for k, (para, sentences) in enumerate(paragraphs):
        contexts = [title] + [s.text for s in sentences[:-1]]
        for qa in para["qas"]:
            golds = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", []))) if not qa["is_impossible"] else ()
            starts = [(a["answer_start"], a["answer_start"] + len(a["text"])) for a in qa.get("answers", [])]
            own = []
            for s, context in zip(sentences, contexts):
                inside = [(a - s.start, b - s.start) for a, b in starts if s.start <= a and b <= s.end]
                span = inside[0] if inside and not qa["is_impossible"] else None
                own.append(Pair(qa["id"], qa["question"], s.text, context, int(span is not None), span, golds))
            pairs += _hardest(own, qa["question"], negatives)
            others = [j for j in range(len(paragraphs)) if j != k and paragraphs[j][1]]
            if others and negatives is None:
                other = paragraphs[rng.choice(others)][1]
                i = rng.randrange(len(other))
                pairs.append(Pair(qa["id"], qa["question"], other[i].text,
                                  other[i - 1].text if i else title, 0, None, golds))
    return pairs


def _hardest(pairs: list[Pair], question: str, negatives: int | None) -> list[Pair]:
    """The positives and the `negatives` negatives sharing most words with the question."""
    if negatives is None:
        return pairs
    words = _content_words(question)
    negative = sorted((p for p in pairs if not p.label),
                      key=lambda p: -len(words & _content_words(p.sentence)))
    return [p for p in pairs if p.label] + negative[:negatives]


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 2}


@torch.no_grad()
def predict(net: rn.ReaderNet, tokenizer, pairs: Sequence[Pair], batch: int = 64) -> tuple[np.ndarray, list[str]]:
    """Answer probability and best span text of every pair."""
    net.eval()
    probs, spans = [], []
    for i in range(0, len(pairs), batch):
        rows = pairs[i:i + batch]
        enc = rn.encode(tokenizer, [(p.question, p.sentence, p.context) for p in rows])
        answer, start, end = net(enc.input_ids, enc.attention_mask, enc.token_type_ids)
        probs.extend(torch.sigmoid(answer).tolist())
        for j, p in enumerate(rows):
            n = len(enc.offsets[j])
            first = enc.first[j]
            a, b, _ = rn.best_span(start[j, first:first + n], end[j, first:first + n], n)
            spans.append(p.sentence[enc.offsets[j][a][0]:enc.offsets[j][b][1]] if n else "")
    return np.array(probs), spans


def evaluate(net: rn.ReaderNet, tokenizer, pairs: Sequence[Pair]) -> dict[str, float]:
    """Per question (its paragraph's sentences): AUC of the best probability (answerable vs
    not), top-1 sentence accuracy, and the SQuAD 2.0 F1 at the best abstention threshold."""
    probs, spans = predict(net, tokenizer, pairs)
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for i, p in enumerate(pairs):
        groups[p.qid].append(i)
    best, answerable, top1, f1s = [], [], [], []
    for rows in groups.values():
        i = max(rows, key=lambda r: probs[r])
        golds = pairs[i].golds
        best.append(probs[i])
        answerable.append(bool(golds))
        if golds:
            top1.append(pairs[i].label == 1)
        f1s.append(max(squad_f1(spans[i], g) for g in golds) if golds else 0.0)
    best, answerable, f1s = np.array(best), np.array(answerable), np.array(f1s)
    sweep = {t: float(np.where(best >= t, f1s, (~answerable).astype(float)).mean())
             for t in np.round(np.arange(0.05, 1.0, 0.05), 2)}
    threshold = max(sweep, key=sweep.get)
    return {"questions": len(groups), "auc": round(auc(best, answerable), 4),
            "top1_sentence": round(float(np.mean(top1)), 4), "best_f1": round(sweep[threshold], 4),
            "best_threshold": float(threshold), "f1_answered_all": round(float(f1s.mean()), 4)}


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (probability a positive outranks a negative; ties count half)."""
    pos, neg = scores[positive], scores[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def write_card(path: Path, meta: dict, *, n_train: int, seed: int, settings: dict, split: dict,
               elapsed_s: float) -> None:
    """The model card, written by the training run itself."""
    rows = "\n".join(f"| {h['epoch']} | {h['elapsed_s']} | {h['auc']} | {h['top1_sentence']} | "
                     f"{h['best_f1']} | {h['best_threshold']} | {h.get('f1_answered_all', '')} |"
                     for h in meta["history"])
    path.write_text(f"""# Sentence reader (trained here)

Base: {meta['base_model']}; embeddings and layers 0-{meta['frozen_layers'] - 1} frozen, upper
layers + answer head ([CLS], sigmoid) + span head trained; shipped as float16.

- Command: `make train-reader` (= `python training/train_reader.py`), seed {seed}, CPU threads {settings['threads']}.
- Settings: {json.dumps(settings)}
- Training data: {n_train} (question, sentence) pairs from SQuAD 2.0 articles
  {', '.join(split['train'])} (dev set) and every article of {split['train_file']}.
- Calibration (best epoch chosen here): {', '.join(split['calibration'])}.
- Never read by training: the validation articles {', '.join(split['validation'])}
  (the `squad2` eval suite).
- Machine: {platform.machine()} CPU, {os.cpu_count()} cores, no GPU (torch {torch.__version__}).
- Training time: {elapsed_s:.0f} s (wall clock, all epochs; calibration after each epoch included).
- Chosen epoch: {meta['epoch']} (best calibration `{settings.get('select_by', 'best_f1')}`).

Calibration, per question over the sentences of its paragraph:

| epoch | time (s) | AUC answerable | top-1 sentence | SQuAD 2.0 F1 at best threshold | threshold | span F1, answering all |
|---|---|---|---|---|---|---|
{rows}
""", encoding="utf-8")
