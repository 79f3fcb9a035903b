"""The trained reader as an ONNX graph, run with onnxruntime: reading without torch.

The network (`reader_net`: the packaged base model with the shipped upper layers and heads)
is exported once, with torch, into one graph from the word pieces to (answer logit, start
logits, end logits). It is cached in `model_cache_dir()/reader-<fingerprint>/reader.onnx`,
the fingerprint a hash of the base model's files, the shipped weights and this exporter's
version, so new weights export again (`python -m rag.answer.reader_onnx` does it at install).
At run time only `onnxruntime` and the `tokenizers` tokenizer are loaded; the input is built
exactly as `reader_net.encode` builds it and the span decoded as `reader_net.best_span`
does, so readings agree with the torch network's (a test checks).
"""
from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..onnx_model import OPSET, fingerprint, model_cache_dir
from .reader import MAX_CONTEXT_TOKENS, MAX_QUESTION_TOKENS, MAX_SENTENCE_TOKENS, MAX_SPAN_TOKENS, WEIGHTS_FILE

EXPORT_VERSION = 1  # bump when the exported graph changes
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_LOCK = threading.Lock()


def reader_fingerprint(base_dir: Path, weights: Path) -> str:
    """A short hash of the base model folder, the weights file (size, modification time) and
    the exporter."""
    stat = weights.stat()
    key = f"reader-{EXPORT_VERSION}-opset-{OPSET}\0{fingerprint(base_dir)}\0{weights.resolve()}\0" \
          f"{stat.st_size}\0{stat.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def exported_reader(base_dir: Path, weights_dir: Path) -> Path:
    """The cached reader graph, exported first (with torch) if it is not there yet."""
    target = model_cache_dir() / f"reader-{reader_fingerprint(base_dir, weights_dir / WEIGHTS_FILE)}" / "reader.onnx"
    with _LOCK:
        if not target.is_file():
            export(weights_dir, target)
    return target


def export(weights_dir: Path, target: Path) -> None:
    """Export the trained network in `weights_dir` to `target`."""
    import torch

    from . import reader
    from . import reader_net as rn

    net, tokenizer = reader._build(Path(weights_dir))
    example = rn.encode(tokenizer, [("Who relit the lamp?", "The keeper relit the lamp.", "It was dark.")])
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on constant shapes: not for users
        torch.onnx.export(net, (example.input_ids, example.attention_mask, example.token_type_ids), str(partial),
                          input_names=list(_INPUTS), output_names=["answer", "start", "end"],
                          dynamic_axes={**axes, "answer": {0: "batch"}, "start": {0: "batch", 1: "tokens"},
                                        "end": {0: "batch", 1: "tokens"}},
                          opset_version=OPSET, dynamo=False)
    os.replace(partial, target)  # whole or not at all, also with two processes exporting


class OnnxReaderNet:
    """Encodes (question, sentence, context) rows with `tokenizers` and runs the graph."""

    def __init__(self, base_dir: Path, graph: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(Path(base_dir) / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.cls, self.sep = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        self.pad = self.tokenizer.token_to_id("[PAD]") or 0
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # no busy-waiting between calls: the spinning threads would take the cores from the
        # embedding model's session, which runs next (on 2 cores that doubled its time)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def run(self, rows: Sequence[tuple[str, str, str]]) -> list[tuple[float, int, int]]:
        """Per row: (probability that the sentence answers, span start and end in characters
        of the sentence)."""
        pieces = [self.tokenizer.encode_batch([r[k] for r in rows], add_special_tokens=False) for k in range(3)]
        ids, types, firsts, offsets = [], [], [], []
        for q, s, c in zip(*pieces):
            head = [self.cls, *q.ids[:MAX_QUESTION_TOKENS], self.sep]
            context = c.ids[-MAX_CONTEXT_TOKENS:] if c.ids else []
            row = head + s.ids[:MAX_SENTENCE_TOKENS] + [self.sep] + context + ([self.sep] if context else [])
            ids.append(row)
            types.append([0] * len(head) + [1] * (len(row) - len(head)))
            firsts.append(len(head))
            offsets.append(list(s.offsets[:MAX_SENTENCE_TOKENS]))
        width = max(len(r) for r in ids)
        feed = {"input_ids": np.full((len(ids), width), self.pad, dtype=np.int64),
                "attention_mask": np.zeros((len(ids), width), dtype=np.int64),
                "token_type_ids": np.zeros((len(ids), width), dtype=np.int64)}
        for i, (row, typ) in enumerate(zip(ids, types)):
            feed["input_ids"][i, :len(row)] = row
            feed["token_type_ids"][i, :len(typ)] = typ
            feed["attention_mask"][i, :len(row)] = 1
        answer, start, end = self.session.run(None, feed)
        out = []
        for j, off in enumerate(offsets):
            probability = float(1.0 / (1.0 + np.exp(-float(answer[j]))))
            if not off:
                out.append((probability, 0, 0))
                continue
            a, b = best_span(start[j, firsts[j]:firsts[j] + len(off)], end[j, firsts[j]:firsts[j] + len(off)])
            out.append((probability, off[a][0], off[b][1]))
        return out


def best_span(start: np.ndarray, end: np.ndarray) -> tuple[int, int]:
    """(first piece, last piece) of the best span of at most MAX_SPAN_TOKENS pieces."""
    n = len(start)
    scores = start[:, None] + end[None, :]
    allowed = np.triu(np.ones((n, n), dtype=bool)) & np.tril(np.ones((n, n), dtype=bool), MAX_SPAN_TOKENS - 1)
    scores = np.where(allowed, scores, -np.inf)
    i, j = divmod(int(np.argmax(scores)), n)
    return i, j


def load(base_dir: Path, weights_dir: Path, threads: int | None = None) -> Any:
    """The onnxruntime reader of the weights in `weights_dir` (exported on first use)."""
    return OnnxReaderNet(base_dir, exported_reader(base_dir, weights_dir), threads=threads)


def main() -> None:
    """Export the shipped reader into the cache (run at install, so no question waits for torch)."""
    from ..embedding import resolve_model
    from .reader import BASE_MODEL, WEIGHTS_DIR, weights_available

    if not weights_available(WEIGHTS_DIR):
        print(f"no trained reader weights in {WEIGHTS_DIR}: nothing to export")
        return
    print(f"ONNX graph of the trained reader: {exported_reader(Path(resolve_model(BASE_MODEL)), WEIGHTS_DIR)}")


if __name__ == "__main__":
    main()
