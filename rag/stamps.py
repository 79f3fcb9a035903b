"""What each corpus file was when it was last read, so an unchanged file need not be read again.

Opening an index checks its corpus of record: every file is read and cleaned to see whether
its text changed (2,225 news files: 1.4 s; 100,000: about a minute). A file whose size,
modification and change times and inode are those recorded when it was last read has the
text it had then, the same assumption `make` and `git status` rest on, so its document is
taken from the index instead of read again.

The record is a cache beside the index's generations (`<index>/file-stamps.json`), never
part of the index of record: missing, damaged or written by another cleaning code it is
ignored and every file is read, as before. Each entry is a fact on its own (these stat
values went with a file of this content), so two processes writing it at once can only
leave a record with fewer entries, never a wrong one. A file changed within
`RACY_SECONDS` of being read is not recorded (its time stamp may not show a second change
made in the same tick), nor is anything the reader skipped.

Left out: recording skipped files (binaries, duplicates are read again each time).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

STAMPS_FILE = "file-stamps.json"
RACY_SECONDS = 2.0


def reader_version() -> str:
    """A hash of the code that turns a file into a document (`rag/ingest.py`) and of the
    Python version (its Unicode tables clean the text): a record made by other code is void."""
    ingest = Path(__file__).with_name("ingest.py")
    digest = hashlib.sha256(ingest.read_bytes())
    digest.update(f"{sys.version_info[0]}.{sys.version_info[1]}".encode())
    return digest.hexdigest()[:16]


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class FileStamps:
    """Stat values and document id of each file as last read, keyed by the path it was read as."""

    def __init__(self, path: Path | None, entries: dict[str, list[Any]] | None = None) -> None:
        self.path = path  # None: nothing is kept (lookups find nothing, save writes nothing)
        self.entries = entries or {}
        self.dirty = False

    @classmethod
    def of_index(cls, index_dir: Path | str) -> "FileStamps":
        """The record beside the index in `index_dir` (empty if absent, damaged or void)."""
        path = Path(index_dir) / STAMPS_FILE
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            entries = stored["files"] if stored.get("reader") == reader_version() else {}
            if not isinstance(entries, dict):
                entries = {}
        except (OSError, UnicodeDecodeError, ValueError, AttributeError, KeyError, TypeError):
            entries = {}
        return cls(path, entries)

    def lookup(self, source: str, st: os.stat_result) -> str | None:
        """The id of the document `source` held when last read, if the file is unchanged since."""
        entry = self.entries.get(source)
        if not isinstance(entry, list) or len(entry) != 5 or entry[:4] != _stat_key(st):
            return None
        return entry[4] if isinstance(entry[4], str) else None

    def record(self, source: str, st: os.stat_result, doc_id: str) -> None:
        """`source`, stat'ed as `st` before it was read, held the document `doc_id`."""
        if self.path is None or time.time_ns() - st.st_mtime_ns < RACY_SECONDS * 1e9:
            self.entries.pop(source, None)
            return
        entry = [*_stat_key(st), doc_id]
        if self.entries.get(source) != entry:
            self.entries[source] = entry
            self.dirty = True

    def keep_only(self, sources: set[str]) -> None:
        """Forget files no longer in the corpus."""
        for source in [s for s in self.entries if s not in sources]:
            del self.entries[source]
            self.dirty = True

    def save(self) -> None:
        """Write the record if it changed (atomically; a failure to write is no error: it is a cache)."""
        if self.path is None or not self.dirty or not self.path.parent.is_dir():
            return
        partial = self.path.with_name(f".{STAMPS_FILE}.{os.getpid()}.tmp")
        try:
            partial.write_text(json.dumps({"reader": reader_version(), "files": self.entries}), encoding="utf-8")
            os.replace(partial, self.path)
            self.dirty = False
        except OSError:
            partial.unlink(missing_ok=True)
