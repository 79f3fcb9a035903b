"""The index's sentence table: three integer columns, a `Sentence` made only when asked for.

An archive of 100,000 articles has millions of sentences; as Python objects they would
take gigabytes and seconds to load. The table keeps, per sentence, the row of its document
and its character span (`spans.npy`, memory-mapped on load), and slices the text out of the
document when a sentence is read. Rows of one document are contiguous and in reading
order, so the sentences inside a passage are found by binary search.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence, overload

import numpy as np

from ..types import Document, Sentence


class SentenceTable(Sequence[Sentence]):
    """Sentences of `documents`: row i is document `doc_rows[i]`, characters `starts[i]:ends[i]`."""

    def __init__(self, documents: Sequence[Document], spans: np.ndarray) -> None:
        self.documents = tuple(documents)
        self.spans = spans  # (n, 3) int64: document row, start, end
        self._by_doc: dict[str, tuple[int, int]] | None = None
        self._order: np.ndarray | None = None  # rows by document, where they are not grouped

    @classmethod
    def of(cls, documents: Sequence[Document], sentences: Sequence[Sentence]) -> "SentenceTable":
        """The table of `sentences` (each of one of `documents`)."""
        row = {d.id: i for i, d in enumerate(documents)}
        spans = np.array([(row[s.doc_id], s.start, s.end) for s in sentences], dtype=np.int64).reshape(-1, 3)
        return cls(documents, spans)

    @classmethod
    def join(cls, documents: Sequence[Document],
             parts: Sequence[tuple["SentenceTable", np.ndarray | None]]) -> "SentenceTable":
        """The rows of each part (where its mask is true) in order, over `documents`."""
        row = {d.id: i for i, d in enumerate(documents)}
        blocks = []
        for table, mask in parts:
            spans = np.asarray(table.spans if mask is None else table.spans[mask])
            remap = np.array([row.get(d.id, -1) for d in table.documents], dtype=np.int64)
            blocks.append(np.column_stack([remap[spans[:, 0]], spans[:, 1], spans[:, 2]]) if len(spans) else spans)
        spans = np.vstack(blocks) if blocks else np.zeros((0, 3), dtype=np.int64)
        if len(spans) and spans[:, 0].min() < 0:
            raise ValueError("a sentence of a document that is not in the table")
        return cls(documents, spans.astype(np.int64))

    def save(self, path: Path) -> None:
        """Write the columns as one .npy file."""
        np.save(path, np.ascontiguousarray(self.spans, dtype=np.int64))

    @classmethod
    def load(cls, documents: Sequence[Document], path: Path) -> "SentenceTable":
        """Read what `save` wrote, memory-mapped."""
        spans = np.load(path, mmap_mode="r", allow_pickle=False)
        if spans.ndim != 2 or spans.shape[1] != 3 or spans.dtype != np.int64:
            raise ValueError(f"{path} is not a sentence table (shape {spans.shape}, {spans.dtype})")
        if len(spans) and not (0 <= int(spans[:, 0].min()) and int(spans[:, 0].max()) < len(documents)):
            raise ValueError(f"{path} names documents the index does not have")
        return cls(documents, spans)

    def __len__(self) -> int:
        return len(self.spans)

    @overload
    def __getitem__(self, i: int) -> Sentence: ...
    @overload
    def __getitem__(self, i: slice) -> list[Sentence]: ...

    def __getitem__(self, i: int | slice) -> Sentence | list[Sentence]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        doc_row, start, end = (int(v) for v in self.spans[i])
        doc = self.documents[doc_row]
        return Sentence(doc_id=doc.id, start=start, end=end, text=doc.text[start:end])

    def __iter__(self) -> Iterator[Sentence]:
        return (self[i] for i in range(len(self)))

    def doc_mask(self, doc_ids: set[str]) -> np.ndarray:
        """True for the rows of documents in `doc_ids`."""
        wanted = np.array([d.id in doc_ids for d in self.documents], dtype=bool)
        return wanted[self.spans[:, 0]] if len(self.spans) else np.zeros(0, dtype=bool)

    def doc_ids(self) -> list[str]:
        """The document id of every row (for the stores)."""
        ids = [d.id for d in self.documents]
        return [ids[r] for r in self.spans[:, 0].tolist()]

    def rows_within(self, doc_id: str, start: int, end: int) -> list[int]:
        """Rows of the sentences of `doc_id` lying inside characters `start:end`, in order."""
        lo, hi = self._document_rows().get(doc_id, (0, 0))
        rows = self._order[lo:hi] if self._order is not None else np.arange(lo, hi)
        if not len(rows):
            return []
        first = int(np.searchsorted(self.spans[rows, 1], start, side="left"))
        out = []
        for row in rows[first:].tolist():
            if int(self.spans[row, 2]) > end:
                break
            out.append(row)
        return out

    def _document_rows(self) -> dict[str, tuple[int, int]]:
        """(first, end) of each document's rows in reading order (worked out once). Rows are
        grouped by document as the index writes them; an index that is not is sorted here."""
        if self._by_doc is None:
            doc_rows = np.asarray(self.spans[:, 0])
            if len(doc_rows) and np.any(np.diff(doc_rows) < 0):
                self._order = np.lexsort((np.asarray(self.spans[:, 1]), doc_rows))
                doc_rows = doc_rows[self._order]
            bounds = np.searchsorted(doc_rows, np.arange(len(self.documents) + 1))
            self._by_doc = {d.id: (int(bounds[i]), int(bounds[i + 1])) for i, d in enumerate(self.documents)}
        return self._by_doc
