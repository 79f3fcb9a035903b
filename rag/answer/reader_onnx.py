"""The trained reader as an ONNX graph, run with onnxruntime: reading without torch.

The network (`reader_net`: the packaged base model with the shipped upper layers and heads)
is exported once, with torch, into one graph from the word pieces to (answer logit, start
logits, end logits). It is cached in `model_cache_dir()/reader-<fingerprint>/reader.onnx`,
the fingerprint a hash of the base model's files, the shipped weights and this exporter's
version, so new weights export again (`python -m rag.answer.reader_onnx` does it at install).
At run time only `onnxruntime` and the `tokenizers` tokenizer are loaded; the input is laid
out and the span decoded by the same functions as for torch (`reader.layout`,
`reader.best_span`), so readings agree with the torch network's (a test checks).
"""
from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..onnx_model import OPSET, cpu_session, fingerprint, model_cache_dir
from .reader import MAX_SENTENCE_TOKENS, WEIGHTS_FILE, best_span, layout

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
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(Path(base_dir) / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.cls, self.sep = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        self.pad = self.tokenizer.token_to_id("[PAD]") or 0
        # no busy-waiting between calls: the spinning threads would take the cores from the
        # embedding model's session, which runs next (on 2 cores that doubled its time)
        self.session = cpu_session(graph, threads, spinning=False)

    def run(self, rows: Sequence[tuple[str, str, str]]) -> list[tuple[float, int, int]]:
        """Per row: (probability that the sentence answers, span start and end in characters
        of the sentence)."""
        questions, sentences, contexts = (self.tokenizer.encode_batch([r[k] for r in rows], add_special_tokens=False)
                                          for k in range(3))
        offsets = [list(s.offsets[:MAX_SENTENCE_TOKENS]) for s in sentences]
        ids, mask, types, firsts = layout([(q.ids, s.ids, c.ids) for q, s, c in zip(questions, sentences, contexts)],
                                          self.cls, self.sep, self.pad)
        answer, start, end = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                     "token_type_ids": types})
        out = []
        for j, off in enumerate(offsets):
            probability = float(1.0 / (1.0 + np.exp(-float(answer[j]))))
            if not off:
                out.append((probability, 0, 0))
                continue
            a, b, _ = best_span(start[j, firsts[j]:firsts[j] + len(off)], end[j, firsts[j]:firsts[j] + len(off)])
            out.append((probability, off[a][0], off[b][1]))
        return out


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
