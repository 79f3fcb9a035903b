"""Composing the answer: the interface every composer meets, and the composers.

A composer turns a question and its retrieved passages into an `Answer`. Two ship:
- `ExtractiveComposer` (rag/answer/heuristic.py): tuned scores of meaning, words and answer
  type; its parts are rag/answer/scoring.py, selection.py and writing.py;
- `ReaderComposer` (rag/answer/trained.py): the reader trained here scores the sentences,
  takes the short answer from its span head and abstains on its probability.
Any object with a `compose(question, passages, *, query, config, history=()) -> Answer`
method can replace them (see `Composer`), e.g. one that prompts a local LLM.
"""
from __future__ import annotations

from typing import Protocol, Sequence

from .answer.heuristic import ExtractiveComposer
from .answer.scoring import Candidate
from .answer.writing import ABSTAIN_TEXT
from .config import Config
from .retrieve import Query
from .types import Answer, Passage

__all__ = ["ABSTAIN_TEXT", "Candidate", "Composer", "ExtractiveComposer"]


class Composer(Protocol):
    """Turns a question and its retrieved passages into an Answer."""

    def compose(self, question: str, passages: Sequence[Passage], *, query: Query,
                config: Config, history: Sequence[tuple[str, str]] = ()) -> Answer:
        ...  # pragma: no cover - protocol
