"""The index's sentence and chunk tables: integer columns, a `Sentence` or `Chunk` made only
when asked for.

An archive of 100,000 articles has 400,000 chunks and millions of sentences; as Python
objects (each with its own copy of its text) they would take gigabytes and seconds to load.
A table keeps, per row, the row of its document and its character span (and, for chunks,
the ordinal and token count) in one int64 array (`*.npy`, memory-mapped on load), and
slices the text out of the document when a row is read. Rows of one document are
contiguous and in reading order, so the rows inside a span are found by binary search.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, Iterator, Sequence, TypeVar, overload

import numpy as np

from ..types import Chunk, Document, Sentence

Row = TypeVar("Row", Sentence, Chunk)


class DocumentTable(Sequence[Row], Generic[Row]):
    """Rows of `documents`: column 0 the document row, `START`/`END` the character span."""

    WIDTH = 3
    START, END = 1, 2

    def __init__(self, documents: Sequence[Document], spans: np.ndarray) -> None:
        self.documents = tuple(documents)
        self.spans = spans  # (n, WIDTH) int64
        self._by_doc: dict[str, tuple[int, int]] | None = None
        self._order: np.ndarray | None = None  # rows by document, where they are not grouped

    @classmethod
    def of(cls, documents: Sequence[Document], rows: Sequence[Row]) -> Any:
        """The table of `rows` (each of one of `documents`)."""
        index = {d.id: i for i, d in enumerate(documents)}
        spans = np.array([(index[r.doc_id], *cls._columns(r)) for r in rows], dtype=np.int64)
        return cls(documents, spans.reshape(-1, cls.WIDTH))

    @classmethod
    def join(cls, documents: Sequence[Document], parts: Sequence[tuple[Any, np.ndarray | None]]) -> Any:
        """The rows of each part (where its mask is true) in order, over `documents`."""
        index = {d.id: i for i, d in enumerate(documents)}
        blocks = []
        for table, mask in parts:
            spans = np.array(table.spans if mask is None else table.spans[mask], dtype=np.int64).reshape(-1, cls.WIDTH)
            remap = np.array([index.get(d.id, -1) for d in table.documents], dtype=np.int64)
            if len(spans):
                spans[:, 0] = remap[spans[:, 0]]
            blocks.append(spans)
        spans = np.vstack(blocks) if blocks else np.zeros((0, cls.WIDTH), dtype=np.int64)
        if len(spans) and spans[:, 0].min() < 0:
            raise ValueError("a row of a document that is not in the table")
        return cls(documents, spans)

    def save(self, path: Path) -> None:
        """Write the columns as one .npy file."""
        np.save(path, np.ascontiguousarray(self.spans, dtype=np.int64))

    @classmethod
    def load(cls, documents: Sequence[Document], path: Path) -> Any:
        """Read what `save` wrote, memory-mapped."""
        spans = np.load(path, mmap_mode="r", allow_pickle=False)
        if spans.ndim != 2 or spans.shape[1] != cls.WIDTH or spans.dtype != np.int64:
            raise ValueError(f"{path} is not a {cls.__name__} (shape {spans.shape}, {spans.dtype})")
        if len(spans) and not (0 <= int(spans[:, 0].min()) and int(spans[:, 0].max()) < len(documents)):
            raise ValueError(f"{path} names documents the index does not have")
        return cls(documents, spans)

    @staticmethod
    def _columns(row: Row) -> tuple[int, ...]:
        raise NotImplementedError

    def _make(self, doc: Document, values: list[int]) -> Row:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.spans)

    @overload
    def __getitem__(self, i: int) -> Row: ...
    @overload
    def __getitem__(self, i: slice) -> list[Row]: ...

    def __getitem__(self, i: int | slice) -> Row | list[Row]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        values = [int(v) for v in self.spans[i]]
        return self._make(self.documents[values[0]], values)

    def __iter__(self) -> Iterator[Row]:
        return (self[i] for i in range(len(self)))

    def doc_mask(self, doc_ids: set[str]) -> np.ndarray:
        """True for the rows of documents in `doc_ids`."""
        wanted = np.array([d.id in doc_ids for d in self.documents], dtype=bool)
        return wanted[self.spans[:, 0]] if len(self.spans) else np.zeros(0, dtype=bool)

    def doc_ids(self) -> list[str]:
        """The document id of every row (for the stores)."""
        ids = [d.id for d in self.documents]
        return [ids[r] for r in self.spans[:, 0].tolist()]

    def counts(self) -> dict[str, int]:
        """How many rows each document has (documents with none are left out)."""
        per_row = np.bincount(np.asarray(self.spans[:, 0]), minlength=len(self.documents)) if len(self) else []
        return {d.id: int(n) for d, n in zip(self.documents, per_row) if n}

    def rows_of(self, doc_id: str) -> np.ndarray:
        """The rows of `doc_id`, in reading order."""
        lo, hi = self._document_rows().get(doc_id, (0, 0))
        return self._order[lo:hi] if self._order is not None else np.arange(lo, hi)

    def rows_within(self, doc_id: str, start: int, end: int) -> list[int]:
        """Rows of `doc_id` lying inside characters `start:end`, in order."""
        rows = self.rows_of(doc_id)
        if not len(rows):
            return []
        first = int(np.searchsorted(self.spans[rows, self.START], start, side="left"))
        out = []
        for row in rows[first:].tolist():
            if int(self.spans[row, self.END]) > end:
                break
            out.append(row)
        return out

    def _document_rows(self) -> dict[str, tuple[int, int]]:
        """(first, end) of each document's rows in reading order (worked out once). Rows are
        grouped by document as the index writes them; an index that is not is sorted here."""
        if self._by_doc is None:
            doc_rows = np.asarray(self.spans[:, 0])
            if len(doc_rows) and np.any(np.diff(doc_rows) < 0):
                self._order = np.lexsort((np.asarray(self.spans[:, self.START]), doc_rows))
                doc_rows = doc_rows[self._order]
            bounds = np.searchsorted(doc_rows, np.arange(len(self.documents) + 1))
            self._by_doc = {d.id: (int(bounds[i]), int(bounds[i + 1])) for i, d in enumerate(self.documents)}
        return self._by_doc


class SentenceTable(DocumentTable[Sentence]):
    """Sentences: columns document row, start, end."""

    @staticmethod
    def _columns(row: Sentence) -> tuple[int, ...]:
        return (row.start, row.end)

    def _make(self, doc: Document, values: list[int]) -> Sentence:
        _, start, end = values
        return Sentence(doc_id=doc.id, start=start, end=end, text=doc.text[start:end])


class ChunkTable(DocumentTable[Chunk]):
    """Chunks: columns document row, ordinal, start, end, token count; the id is
    "<document id>:<ordinal>" and the text the document's characters start:end."""

    WIDTH = 5
    START, END = 2, 3

    @staticmethod
    def _columns(row: Chunk) -> tuple[int, ...]:
        return (row.ordinal, row.start, row.end, row.n_tokens)

    def _make(self, doc: Document, values: list[int]) -> Chunk:
        _, ordinal, start, end, n_tokens = values
        return Chunk(id=f"{doc.id}:{ordinal}", doc_id=doc.id, ordinal=ordinal, start=start, end=end,
                     text=doc.text[start:end], n_tokens=n_tokens)

    def ordinals(self) -> np.ndarray:
        """The ordinal of every row."""
        return np.asarray(self.spans[:, 1])

    def covering(self, doc_id: str, start: int, end: int) -> int | None:
        """The first row of `doc_id` whose span holds characters `start:end`, if any."""
        for row in self.rows_of(doc_id).tolist():
            if self.spans[row, self.START] <= start and end <= self.spans[row, self.END]:
                return int(row)
        return None
