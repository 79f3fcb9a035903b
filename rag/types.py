"""Frozen data records that flow between the pipeline stages.

Stages never mutate a record; they make a new one with `dataclasses.replace`.
Character offsets (`start`, `end`) always index into `Document.text`, the cleaned text.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def content_hash(text: str) -> str:
    """Return a short, stable id for a piece of text (sha256, first 16 hex digits)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def file_name(path: str) -> str:
    """The last component of a path, for either slash."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Document:
    """A cleaned article. `id` is the content hash of `text`."""

    id: str
    source: str  # path of the file it came from, as given or found
    title: str
    text: str  # cleaned text; offsets of chunks and citations point into it
    date: str | None = None  # publication date, ISO yyyy-mm-dd, where the text states one
    byline: str | None = None

    @property
    def name(self) -> str:
        """The file name of the source (what citations show)."""
        return file_name(self.source)


@dataclass(frozen=True)
class SourceSet:
    """The corpus of record of an index: what it indexes, kept in its manifest.

    `paths`: folders and files (absolute) whose documents are indexed; `excluded`: files
    inside those that the user removed; `uploads`: the folder where uploaded files are
    stored (always part of the corpus).
    """

    paths: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    uploads: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in the manifest."""
        return {"paths": list(self.paths), "excluded": list(self.excluded), "uploads": self.uploads}

    @classmethod
    def from_dict(cls, data: Any) -> "SourceSet":
        """Read `to_dict`'s form; `ValueError` if it is not that."""
        if not isinstance(data, dict) or not all(isinstance(p, str) for p in
                                                 [*data.get("paths", []), *data.get("excluded", [])]):
            raise ValueError(f"sources must be an object with lists of paths, not {data!r}")
        uploads = data.get("uploads")
        return cls(paths=tuple(data.get("paths", [])), excluded=tuple(data.get("excluded", [])),
                   uploads=uploads if isinstance(uploads, str) else None)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document, with its span in `Document.text`."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A window of whole sentences of one document, sized in tiktoken tokens."""

    id: str  # "<doc_id>:<ordinal>"
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    n_tokens: int


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its document's metadata and retrieval score."""

    chunk_id: str
    doc_id: str
    source: str
    title: str
    date: str | None
    text: str
    start: int
    end: int
    score: float  # fused retrieval score (higher is better)
    dense_score: float = 0.0  # cosine similarity of question and chunk
    rank: int = 0

    @property
    def name(self) -> str:
        """The file name of the source."""
        return file_name(self.source)


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: the quoted sentence and where it stands."""

    n: int
    source: str  # file name of the document
    path: str  # path of the document as indexed
    title: str
    quote: str  # the sentence quoted in the answer
    chunk_id: str
    start: int  # span of the quote in the cleaned document text
    end: int
    score: float
    date: str | None = None
    passage: str = ""  # the whole passage the quote comes from

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by `rag ask --json` and the web API."""
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "quote": self.quote,
            "score": round(float(self.score), 4),
            "date": self.date,
            "chunk_id": self.chunk_id,
            "span": [self.start, self.end],
        }


@dataclass(frozen=True)
class Answer:
    """What `RAG.ask` returns: answer text with `[n]` markers, and its citations."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    # the retrieved passages, then any the composer found itself (another article's account of
    # the same person); for a byline or date answer, the passage quoted comes first
    passages: tuple[Passage, ...] = ()
    short_answer: str | None = None  # the bare fact (a date, a name), when one was found
    notes: tuple[str, ...] = field(default=())  # e.g. "question truncated for embedding"
    evidence: float = 0.0  # the score compared with the abstain threshold (higher is stronger)
    # milliseconds spent: "embed" (the question), "search" (FAISS + BM25), "answer" (composing)
    timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `rag ask --json` (extra keys after the required ones)."""
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "short_answer": self.short_answer,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class SkippedFile:
    """A file indexing passed over, and why (binary, not UTF-8, unreadable, empty, duplicate)."""

    path: str
    reason: str


@dataclass(frozen=True)
class DocumentInfo:
    """What the index knows of one document, for listings."""

    id: str
    source: str
    title: str
    date: str | None
    byline: str | None
    n_chunks: int

    @property
    def name(self) -> str:
        """The file name of the source."""
        return file_name(self.source)


@dataclass(frozen=True)
class IndexReport:
    """What an indexing run did, by file name."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    duplicates: tuple[str, ...] = ()  # files whose content is already indexed under another name
    rebuilt: bool = False  # every document was re-embedded (new index or changed settings)
    sources_added: tuple[str, ...] = ()  # folders or files that joined the index's sources
    sources_missing: tuple[str, ...] = ()  # sources not found now: their documents were kept

    @property
    def changed(self) -> bool:
        """True when the index content changed."""
        return bool(self.added or self.updated or self.removed or self.rebuilt or self.sources_added)
