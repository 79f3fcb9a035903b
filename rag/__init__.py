"""rag: offline question answering over a folder of news articles, with cited answers.

Public API: `RAG` (build, load, open, ask, retrieve, add, documents), `Config`, the records
`Answer`, `Citation`, `Passage`, `Document`, `DocumentInfo`, `IndexReport`, and the errors.
Importing this package is cheap: torch, sentence-transformers and FAISS load on first use.
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from .api import RAG  # noqa: E402
from .config import Config  # noqa: E402
from .errors import (IndexCorruptError, IndexMismatchError, IndexNotFoundError,  # noqa: E402
                     IndexOutdatedError, ModelLoadError, NoDocumentsError, RagError)
from .types import (Answer, Citation, Document, DocumentInfo, IndexReport, Passage,  # noqa: E402
                    SkippedFile)

__all__ = ["RAG", "Config", "Answer", "Citation", "Passage", "Document", "DocumentInfo",
           "IndexReport", "SkippedFile", "RagError", "IndexCorruptError", "IndexMismatchError",
           "IndexNotFoundError", "IndexOutdatedError", "ModelLoadError", "NoDocumentsError"]
