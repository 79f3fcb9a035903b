"""The library's exceptions.

Only the CLI (`rag.cli`) and the web app (`ui/`) turn these into messages for people;
library code raises them and never prints. Bad arguments raise the built-in
`ValueError` / `TypeError` instead.
"""
from __future__ import annotations


class RagError(Exception):
    """Base class of every error this library raises on purpose."""


class IndexNotFoundError(RagError):
    """There is no index at the given folder."""


class IndexCorruptError(RagError):
    """The index folder exists but its files are missing, unreadable or inconsistent."""


class IndexOutdatedError(IndexCorruptError):
    """The index was written by another version of this library (another format_version):
    rebuilding it from the documents fixes it."""


class IndexMismatchError(RagError):
    """The index was built with another model or other chunking settings than requested."""


class ModelLoadError(RagError):
    """The embedding model could not be loaded (wrong name or path, or not installed)."""


class NoDocumentsError(RagError):
    """Indexing found no readable document."""


class IndexLockedError(RagError):
    """Another process is writing the index and did not finish in time."""


class SourceNotFoundError(RagError):
    """A document folder or file given to index does not exist."""


class LLMError(RagError):
    """The language-model server (answerer="llm") is unreachable, refused, timed out, or
    does not know the model."""


class VectorStoreError(RagError):
    """The vector store (a Milvus server) could not be reached or refused a request."""
