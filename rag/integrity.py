"""Checksums of an index generation: each file's sha256 and size, and the manifest's own.

`save` records them in the manifest; `verify_files` checks every file before anything is
parsed, so a truncated or altered file is reported as corruption (with how to rebuild),
never used silently or crashed on inside FAISS, numpy or bm25s.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .errors import IndexCorruptError

REBUILD_HINT = "Run `rag index --rebuild` to rebuild it from its documents."


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's content (without this key), so an altered manifest is caught."""
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def checksums(folder: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file under `folder` but the manifest, by relative path."""
    return {p.relative_to(folder).as_posix(): {"sha256": sha256_of(p), "bytes": p.stat().st_size}
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Raise `IndexCorruptError` naming each file that is missing, truncated or altered."""
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise IndexCorruptError(f"index is corrupt (manifest.json does not match its checksum) at {folder}. "
                                f"{REBUILD_HINT}")
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not listed:
        raise IndexCorruptError(f"the index at {folder} lists no file checksums. {REBUILD_HINT}")
    problems = []
    for name, meta in listed.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif not isinstance(meta, dict) or path.stat().st_size != meta.get("bytes"):
            problems.append(f"{name} has the wrong size")
        elif sha256_of(path) != meta.get("sha256"):
            problems.append(f"{name} does not match its checksum")
    if problems:
        raise IndexCorruptError(f"index is corrupt ({'; '.join(problems)}) at {folder}. {REBUILD_HINT}")
