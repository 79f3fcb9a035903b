"""rag: offline question answering over a folder of news articles, with cited answers.

Public API: `RAG` (build, load, open, ask, ask_stream, retrieve, add, upload, remove, documents, sources),
`Config`, the records `Answer`, `Citation`, `Passage`, `Document`, `DocumentInfo`,
`IndexReport`, `SourceSet`, `safe_file_name`, and the errors.
Importing this package is cheap: torch, sentence-transformers and FAISS load on first use.
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from .api import RAG  # noqa: E402
from .config import Config  # noqa: E402
from .corpus import safe_file_name  # noqa: E402
from .errors import (IndexCorruptError, IndexLockedError, IndexMismatchError,  # noqa: E402
                     IndexNotFoundError, IndexOutdatedError, LLMError, ModelLoadError,
                     NoDocumentsError, RagError, SourceNotFoundError)
from .types import (Answer, Citation, Document, DocumentInfo, IndexReport, Passage,  # noqa: E402
                    SkippedFile, SourceSet)

__all__ = ["RAG", "Config", "Answer", "Citation", "Passage", "Document", "DocumentInfo",
           "IndexReport", "SkippedFile", "SourceSet", "RagError", "IndexCorruptError",
           "IndexLockedError", "IndexMismatchError", "IndexNotFoundError", "IndexOutdatedError",
           "LLMError", "ModelLoadError", "NoDocumentsError", "SourceNotFoundError", "safe_file_name"]
