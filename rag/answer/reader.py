"""The trained sentence reader: how likely a sentence answers a question, and the answer in it.

    reader = SentenceReader()
    readings = reader.read("Who founded Solidere?", [("Solidere was founded by Rafik Hariri.", "")])
    readings[0].probability, readings[0].answer   # 0.97, "Rafik Hariri"

The network (`reader_net`) is the packaged all-MiniLM-L6-v2 with its upper layers and two
heads trained here (`make train-reader`; see `weights/MODEL_CARD.md`). It loads on first
use (`warm_up`), not in the constructor; every (question, sentence) pair of one call goes
through it in one batch. Each sentence is scored on its own, so probabilities compare across
documents. It runs with onnxruntime (`reader_onnx`: the graph exported once, no torch at
question time) when that is installed, else with torch. Left out: GPU placement, quantisation.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..embedding import resolve_model
from ..errors import ModelLoadError

# the input the network reads: [CLS] question [SEP] sentence [SEP] context [SEP], each cut to this
MAX_QUESTION_TOKENS = 48
MAX_SENTENCE_TOKENS = 96
MAX_CONTEXT_TOKENS = 24
MAX_SPAN_TOKENS = 30  # the longest answer span, in word pieces
READER_BACKENDS = ("auto", "onnx", "torch")


def layout(rows: Sequence[tuple[Sequence[int], Sequence[int], Sequence[int]]], cls: int, sep: int,
           pad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """The network's input for (question, sentence, context) word-piece rows, each cut to its
    limit: [CLS] question [SEP] sentence [SEP] context [SEP] (no context: no last [SEP]), as
    padded int64 (input_ids, attention_mask, token_type_ids), and where each row's sentence
    starts. Training (torch) and both backends build it here."""
    ids, types, firsts = [], [], []
    for q, s, c in rows:
        head = [cls, *q[:MAX_QUESTION_TOKENS], sep]
        context = list(c[-MAX_CONTEXT_TOKENS:]) if c else []
        row = head + list(s[:MAX_SENTENCE_TOKENS]) + [sep] + context + ([sep] if context else [])
        ids.append(row)
        types.append([0] * len(head) + [1] * (len(row) - len(head)))
        firsts.append(len(head))
    width = max(len(r) for r in ids)
    input_ids = np.full((len(ids), width), pad, dtype=np.int64)
    attention_mask = np.zeros((len(ids), width), dtype=np.int64)
    token_type_ids = np.zeros((len(ids), width), dtype=np.int64)
    for i, (row, typ) in enumerate(zip(ids, types)):
        input_ids[i, :len(row)] = row
        token_type_ids[i, :len(typ)] = typ
        attention_mask[i, :len(row)] = 1
    return input_ids, attention_mask, token_type_ids, firsts


def best_span(start: np.ndarray, end: np.ndarray) -> tuple[int, int, float]:
    """(first piece, last piece, score) of the best span of at most MAX_SPAN_TOKENS pieces,
    from the start and end logits of a sentence's pieces."""
    n = len(start)
    scores = np.asarray(start, dtype=np.float32)[:, None] + np.asarray(end, dtype=np.float32)[None, :]
    allowed = np.triu(np.ones((n, n), dtype=bool)) & np.tril(np.ones((n, n), dtype=bool), MAX_SPAN_TOKENS - 1)
    scores = np.where(allowed, scores, -np.inf)
    i, j = divmod(int(np.argmax(scores)), n)
    return i, j, float(scores[i, j])
WEIGHTS_DIR = Path(__file__).with_name("weights")
WEIGHTS_FILE = "reader.safetensors"
BASE_MODEL = "all-MiniLM-L6-v2"
_LOADED: dict[str, Any] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Reading:
    """The reader's verdict on one sentence."""

    probability: float  # that the sentence answers the question
    answer: str  # the best span inside the sentence ("" when the sentence is empty)
    start: int  # the span's characters in the sentence
    end: int


def weights_available(weights_dir: Path = WEIGHTS_DIR) -> bool:
    """Whether trained weights are shipped in `weights_dir`."""
    return (Path(weights_dir) / WEIGHTS_FILE).is_file()


def shipped_metadata(weights_dir: Path = WEIGHTS_DIR) -> dict[str, Any]:
    """What the training run recorded beside the weights (reader.json), or {}."""
    path = Path(weights_dir) / "reader.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


class SentenceReader:
    """Reads (question, sentence) pairs with the trained network, batched."""

    def __init__(self, *, weights_dir: Path = WEIGHTS_DIR, batch_size: int = 32, backend: str = "auto") -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if backend not in READER_BACKENDS:
            raise ValueError(f"reader backend must be one of {', '.join(READER_BACKENDS)}, got {backend!r}")
        self.weights_dir = Path(weights_dir)
        self.batch_size = batch_size
        self.backend = "onnx" if backend == "auto" and _onnxruntime_installed() else \
            ("torch" if backend == "auto" else backend)
        self._parts: tuple[Any, Any] | None = None
        self._onnx: Any = None

    def warm_up(self) -> None:
        """Load the network (shared by readers of the same weights); for onnx, export it first
        if the cache has no graph of these weights."""
        if self.backend == "onnx" and self._onnx is None:
            self._onnx = _load_onnx(self.weights_dir)
        elif self.backend == "torch" and self._parts is None:
            self._parts = _load(self.weights_dir)

    def read(self, question: str, sentences: Sequence[tuple[str, str]]) -> list[Reading]:
        """One reading per (sentence, the sentence before it) pair, in order."""
        if not sentences:
            return []
        if self.backend == "onnx":
            self.warm_up()
            out = []
            for i in range(0, len(sentences), self.batch_size):
                rows = [(question, s, c) for s, c in sentences[i:i + self.batch_size]]
                out += [Reading(p, s[a:b], a, b) for (p, a, b), (_, s, _) in zip(self._onnx.run(rows), rows)]
            return out
        import torch

        from . import reader_net as rn

        self.warm_up()
        net, tokenizer = self._parts
        out: list[Reading] = []
        with torch.inference_mode():
            for i in range(0, len(sentences), self.batch_size):
                rows = [(question, s, c) for s, c in sentences[i:i + self.batch_size]]
                enc = rn.encode(tokenizer, rows)
                answer, start, end = net(enc.input_ids, enc.attention_mask, enc.token_type_ids)
                probs = torch.sigmoid(answer).tolist()
                for j, (_, sentence, _) in enumerate(rows):
                    out.append(_reading(rn, enc, j, start, end, probs[j], sentence))
        return out


def _reading(rn: Any, enc: Any, j: int, start: Any, end: Any, probability: float, sentence: str) -> Reading:
    n, first = len(enc.offsets[j]), enc.first[j]
    if not n:
        return Reading(probability, "", 0, 0)
    a, b, _ = rn.best_span(start[j, first:first + n], end[j, first:first + n], n)
    s, e = enc.offsets[j][a][0], enc.offsets[j][b][1]
    return Reading(probability, sentence[s:e], s, e)


def _onnxruntime_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def _load_onnx(weights_dir: Path) -> Any:
    key = f"onnx:{weights_dir.resolve()}"
    with _LOCK:
        if key not in _LOADED:
            if not weights_available(weights_dir):
                raise ModelLoadError(f"no trained reader weights in {weights_dir} (run `make train-reader`, "
                                     "or ask with reader='heuristic')")
            from .reader_onnx import load

            try:
                _LOADED[key] = load(Path(resolve_model(BASE_MODEL)), weights_dir)
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelLoadError(f"could not run the trained reader from {weights_dir} with onnxruntime: "
                                     f"{exc}") from exc
        return _LOADED[key]


def _load(weights_dir: Path) -> tuple[Any, Any]:
    key = str(weights_dir.resolve())
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _build(weights_dir)
        return _LOADED[key]


def _build(weights_dir: Path) -> tuple[Any, Any]:
    if not weights_available(weights_dir):
        raise ModelLoadError(f"no trained reader weights in {weights_dir} (run `make train-reader`, "
                             "or ask with reader='heuristic')")
    from safetensors.torch import load_file

    from . import reader_net as rn

    try:
        net, tokenizer = rn.load_base(resolve_model(BASE_MODEL))
        trained = load_file(str(weights_dir / WEIGHTS_FILE))
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"could not load the trained reader from {weights_dir}: {exc}") from exc
    missing = set(trained) - set(dict(net.named_parameters()))
    if missing:
        raise ModelLoadError(f"reader weights in {weights_dir} do not fit the base model: {sorted(missing)[:3]}")
    net.load_state_dict({k: v.float() for k, v in trained.items()}, strict=False)
    net.eval()
    return net, tokenizer
