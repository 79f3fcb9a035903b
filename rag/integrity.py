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
# Files larger than this (an archive's vectors and ANN index, gigabytes) are checked on load by
# their size and the sha256 of SAMPLE_BLOCKS blocks spread over them: hashing all of them
# would take seconds. Truncation and a damaged header are caught; their full sha256 is
# recorded too and checked by `verify_files(..., full=True)`.
FULL_CHECK_BYTES = 64 << 20
SAMPLE_BLOCKS, SAMPLE_BLOCK_BYTES = 256, 1 << 16


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's content (without this key), so an altered manifest is caught."""
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def checksums(folder: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file under `folder` but the manifest, by relative path."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "manifest.json":
            out[p.relative_to(folder).as_posix()] = {"sha256": sha256_of(p), "bytes": p.stat().st_size}
            if p.stat().st_size > FULL_CHECK_BYTES:
                out[p.relative_to(folder).as_posix()]["sample_sha256"] = sampled_sha256(p)
    return out


def sampled_sha256(path: Path) -> str:
    """The sha256 of the first and last block and of evenly spaced blocks between them."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for i in range(SAMPLE_BLOCKS):
            f.seek(max(0, (size - SAMPLE_BLOCK_BYTES) * i // (SAMPLE_BLOCKS - 1)))
            digest.update(f.read(SAMPLE_BLOCK_BYTES))
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verify_files(folder: Path, manifest: dict[str, Any], *, full: bool = False) -> None:
    """Raise `IndexCorruptError` naming each file that is missing, truncated or altered
    (files over `FULL_CHECK_BYTES` by a sample of their blocks, unless `full`)."""
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
        elif not full and "sample_sha256" in meta:
            if sampled_sha256(path) != meta["sample_sha256"]:
                problems.append(f"{name} does not match its checksum")
        elif sha256_of(path) != meta.get("sha256"):
            problems.append(f"{name} does not match its checksum")
    if problems:
        raise IndexCorruptError(f"index is corrupt ({'; '.join(problems)}) at {folder}. {REBUILD_HINT}")
