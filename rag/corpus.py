"""The corpus of record: which folders and files an index holds, and the upload folder.

An index remembers its sources (`SourceSet`, in its manifest). Every entry point adds to
that set and never prunes it; a document leaves only when the user removes it (or deletes
its file). A source that is not found right now (an unmounted disk) keeps its documents.
Uploaded files are stored under safe, unique names in the upload folder (by default
`corpus/` inside the index folder); they are written to a hidden staging folder first and
moved in only once the index that holds them is live, so an interrupted upload leaves the
corpus as it was.

Left out: reading and cleaning files (`ingest`), embedding (`indexing`), writing (`index`).
"""
from __future__ import annotations

import os
import re
import shutil
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .ingest import SUPPORTED_SUFFIXES, load_documents
from .stamps import FileStamps
from .types import Document, SkippedFile, SourceSet

UPLOADS_FOLDER = "corpus"
STAGING = ".staging"
MAX_STEM_CHARS = 80
PathLike = str | os.PathLike


def absolute(path: PathLike) -> str:
    """The absolute form of a path (symlinks kept as named), as stored in the manifest."""
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


def inside(path: str, root: str) -> bool:
    """Whether absolute `path` is `root` or lies under it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def with_paths(sources: SourceSet, given: Iterable[PathLike]) -> tuple[SourceSet, tuple[str, ...]]:
    """`sources` plus the `given` paths (un-excluding them); also which of them are new roots.

    A path inside a folder already in the set is not a new root; it is only un-excluded.
    """
    paths, added = list(sources.paths), []
    wanted = [absolute(p) for p in given]
    roots = paths + ([sources.uploads] if sources.uploads else [])
    for path in wanted:
        if not any(inside(path, root) for root in roots) and path not in added:
            added.append(path)
    excluded = tuple(e for e in sources.excluded if not any(inside(e, w) for w in wanted))
    return replace(sources, paths=tuple(paths + added), excluded=excluded), tuple(added)


def collect(sources: SourceSet, indexed: Sequence[Document] = (), *, stamps: FileStamps | None = None,
            reuse: Callable[[str, str], Document | None] | None = None
            ) -> tuple[list[Document], list[SkippedFile], tuple[str, ...]]:
    """The documents of the corpus of record: (documents, skipped files, missing sources).

    The documents of `indexed` (the previous index) that lie under a source not found
    right now are kept as they were. With `stamps`, a file unchanged since it was last read
    is not read again: its document is `reuse(id, source)`, by default the one in `indexed`.
    """
    roots = [p for p in sources.paths if os.path.exists(p)]
    missing = tuple(p for p in sources.paths if not os.path.exists(p))
    if sources.uploads and os.path.isdir(sources.uploads):
        roots.append(sources.uploads)
    if stamps is not None and reuse is None:
        by_id = {d.id: d for d in indexed}
        reuse = lambda doc_id, source: replace(by_id[doc_id], source=source) if doc_id in by_id else None  # noqa: E731
    docs, skipped = load_documents(roots, stamps=stamps, reuse=reuse) if roots else ([], [])
    docs = [d for d in docs if not is_excluded(absolute(d.source), sources)]
    seen = {d.id for d in docs}
    for doc in indexed:
        if doc.id not in seen and any(inside(absolute(doc.source), m) for m in missing):
            docs.append(doc)
            seen.add(doc.id)
    return docs, skipped, missing


def is_excluded(path: str, sources: SourceSet) -> bool:
    """Whether the user removed this file (or a folder holding it) from the corpus."""
    return any(inside(path, e) for e in sources.excluded)


def safe_file_name(name: str) -> str:
    """A safe file name for `name`: no folders, ASCII letters, digits, `.`, `-` and `_` only.

    The suffix is kept (lower-cased); a name with nothing usable left becomes `upload`.
    `ValueError` if the suffix is not one of `SUPPORTED_SUFFIXES`.
    """
    base = re.split(r"[\\/]", name)[-1]
    suffix = Path(base).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(f"only {' and '.join(SUPPORTED_SUFFIXES)} files can be added, "
                         f"not {suffix or 'files without a suffix'}")
    stem = unicodedata.normalize("NFKD", base[: len(base) - len(suffix)])
    stem = stem.encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    stem = re.sub(r"[._-]{2,}", "_", stem).strip("._-")[:MAX_STEM_CHARS].rstrip("._-")
    return f"{stem or 'upload'}{suffix}"


def stage_uploads(folder: Path, files: Sequence[tuple[str, bytes]]) -> list[tuple[Path, Path]]:
    """Write uploads into `folder`'s staging area under unique safe names.

    Returns (staged file, final file) pairs. No name of the folder, nor of another file of
    this batch, is ever reused: `a b.txt` and `a_b.txt` become `a_b.txt` and `a_b-2.txt`.
    """
    staging = folder / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    taken = {p.name.lower() for p in folder.iterdir()}
    pairs = []
    for name, data in files:
        final = folder / _unique(safe_file_name(name), taken)
        staged = staging / final.name
        with open(staged, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        pairs.append((staged, final))
    return pairs


def _unique(name: str, taken: set[str]) -> str:
    stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    taken.add(candidate.lower())
    return candidate


def commit_staged(folder: Path, indexed_sources: Iterable[str]) -> None:
    """Finish or roll back uploads left in staging: move in those the live index holds,
    delete the rest. Called after an upload's index is live, and before any write."""
    staging = folder / STAGING
    if not staging.is_dir():
        return
    wanted = {os.path.basename(s) for s in indexed_sources if os.path.dirname(s) == absolute(folder)}
    for staged in staging.iterdir():
        if staged.name in wanted and not (folder / staged.name).exists():
            os.replace(staged, folder / staged.name)
    shutil.rmtree(staging, ignore_errors=True)


def as_staged(documents: Sequence[Document], pairs: Sequence[tuple[Path, Path]]) -> list[Document]:
    """The staged documents under the names they will have once moved in."""
    final = {absolute(staged): absolute(target) for staged, target in pairs}
    return [replace(d, source=final.get(absolute(d.source), d.source)) for d in documents]
