"""Bring an index in step with its corpus of record, under the writers' lock.

`sync` is what `rag index`, `RAG.build` and `RAG.open` do: the sources stored in the index
plus any given now are read, and only new or changed documents are embedded. `drop`
removes documents or sources on the user's word. Both run inside `writer_lock`, read the
live index afresh and write a new generation, so two writers never interleave and a
process never writes back a stale copy of the index.

Left out: the public API (`rag.api`) and messages for people (`rag.cli`, `ui/`).
"""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

from .config import Config
from .corpus import UPLOADS_FOLDER, absolute, as_staged, collect, commit_staged, inside, is_excluded, with_paths
from .embedding import Embedder
from .errors import (IndexCorruptError, IndexMismatchError, IndexNotFoundError, NoDocumentsError,
                     SourceNotFoundError)
from .index import IndexData, load_index, read_manifest, save_index, stored_sources
from .indexing import drop_documents, update_index
from .ingest import load_documents
from .stamps import STAMPS_FILE, FileStamps
from .storage import generations, live_folder
from .store.collections import store_matches
from .types import Document, IndexReport, SourceSet

Progress = Callable[[str], None]
PathLike = str | os.PathLike


def check_exist(paths: Sequence[PathLike]) -> None:
    """`SourceNotFoundError` for the first given path that does not exist."""
    for path in paths:
        if not os.path.exists(path):
            raise SourceNotFoundError(f"{path} not found: give an existing folder or .txt/.md file "
                                      f"(from {os.getcwd()})")


def sync(index_dir: Path, paths: Sequence[PathLike], config: Config, embedder: Embedder, *,
         default: Sequence[PathLike], rebuild: bool = False, uploads: PathLike | None = None,
         progress: Progress | None = None) -> tuple[IndexData, IndexReport]:
    """The live index updated with its sources plus `paths` (`default` for a new index).

    Call it holding the writer lock. `rebuild` re-embeds everything, ignoring the index
    files (the sources are still read from the manifest where it is readable).
    """
    say = progress or (lambda _m: None)
    check_exist(paths)
    previous, stored = _previous(index_dir, rebuild, say)
    if not stored.paths and not paths and not stored.uploads:
        paths = [p for p in default if os.path.exists(p)] or list(default)
    stored = _with_uploads(stored, index_dir, uploads)
    commit_staged(Path(stored.uploads or ""), _sources_of(previous))
    sources, added = with_paths(stored, paths)
    for path in added:
        if previous is not None:
            say(f"Adding {path} to the index's sources (`rag remove {path}` takes it out again).")
    stamps = FileStamps.of_index(index_dir) if not rebuild else FileStamps(Path(index_dir) / STAMPS_FILE)
    docs, skipped, missing = collect(sources, previous.documents if previous else (), stamps=stamps)
    for path in missing:
        say(f"Warning: source {path} not found; its documents stay indexed "
            f"(`rag remove {path}` drops them).")
    if not docs and previous is None:
        why = "; ".join(f"{s.path}: {s.reason}" for s in skipped) or "no .txt or .md files found"
        raise NoDocumentsError(f"nothing to index in {', '.join(sources.paths) or 'no folder'} ({why})")
    data, report = update_index(previous, docs, config=config, embedder=embedder, prune=True,
                                skipped=skipped, progress=progress)
    data = replace(data, sources=sources)
    report = replace(report, sources_added=added if previous is not None else (),
                     sources_missing=missing)
    legacy = previous is not None and live_folder(index_dir) == Path(index_dir)
    moved = previous is not None and not store_matches(previous.stores.entries if previous.stores else None, config)
    if report.changed or previous is None or legacy or sources != previous.sources or moved:
        data = save_index(data, index_dir)
    stamps.keep_only({d.source for d in docs})
    stamps.save()  # after the index that holds these documents is live
    return data, report


def _previous(index_dir: Path, rebuild: bool, say: Progress) -> tuple[IndexData | None, SourceSet]:
    """The live index (None if absent, damaged or `rebuild`) and its stored sources."""
    try:
        data = load_index(index_dir)
    except IndexNotFoundError:
        return None, SourceSet()
    except (IndexCorruptError, IndexMismatchError) as exc:
        say(f"Rebuilding the index from its documents: {exc}")
        sources = _readable_sources(index_dir)
        if not sources.paths:
            say("Its list of sources could not be read either: add your folders again with "
                "`rag index FOLDER` (uploaded files are kept and indexed).")
        return None, sources
    if rebuild:
        say(f"Rebuilding the index in {index_dir} from its documents (every one is re-embedded)...")
        return None, _with_legacy_roots(data)
    return data, _with_legacy_roots(data)


def _readable_sources(index_dir: Path) -> SourceSet:
    """The sources of a damaged index: from its manifest, else from the generation before."""
    for folder in generations(index_dir):
        for name in ("manifest.json", "sources.json"):
            try:
                stored = json.loads((folder / name).read_text(encoding="utf-8"))
                sources = stored_sources(stored if name == "manifest.json" else {"sources": stored}, index_dir)
            except (OSError, UnicodeDecodeError, ValueError, AttributeError, IndexCorruptError):
                continue
            if sources.paths or sources.uploads:
                return sources
    return SourceSet()


def _with_legacy_roots(data: IndexData) -> SourceSet:
    """An index of an earlier version stores no sources: the folders of its documents are."""
    if data.sources.paths or data.sources.uploads:
        return data.sources
    folders = dict.fromkeys(os.path.dirname(absolute(d.source)) for d in data.documents)
    return replace(data.sources, paths=tuple(f for f in folders if os.path.isdir(f)))


def _with_uploads(sources: SourceSet, index_dir: Path, uploads: PathLike | None) -> SourceSet:
    """The sources with their upload folder: as stored, as given, else `<index>/corpus`."""
    wanted = absolute(uploads) if uploads is not None else sources.uploads
    wanted = wanted or absolute(Path(index_dir) / UPLOADS_FOLDER)
    paths = sources.paths
    if sources.uploads and sources.uploads != wanted:  # moved: the old folder stays a source
        paths = (*paths, sources.uploads)
    return replace(sources, paths=tuple(p for p in paths if p != wanted), uploads=wanted)


def _sources_of(data: IndexData | None) -> list[str]:
    return [absolute(d.source) for d in data.documents] if data else []


def is_stale(index_dir: Path, paths: Sequence[PathLike], config: Config | None,
             uploads: PathLike | None = None) -> bool:
    """Whether a sync would change the index (raises `IndexNotFoundError` if there is none)."""
    manifest = read_manifest(index_dir)
    if config is not None and manifest.get("settings") != config.index_settings():
        return True
    if config is not None and not store_matches(manifest.get("stores"), config):
        return True  # the vectors go to another store: filled from the index's own, nothing re-embedded
    if "sources" not in manifest or live_folder(index_dir) == Path(index_dir):
        return True  # an earlier version's index: rewrite it with its sources
    stored = stored_sources(manifest, index_dir)
    if stored.uploads and os.path.isdir(os.path.join(stored.uploads, ".staging")):
        return True  # an upload was interrupted: finish or roll it back
    with_uploads = _with_uploads(stored, index_dir, uploads)
    sources, added = with_paths(with_uploads, paths)
    if added or with_uploads != stored:
        return True
    listed = manifest.get("documents", {})
    # a file unchanged since it was read (`rag.stamps`) is not read again: its id is the index's
    stamps = FileStamps.of_index(index_dir)
    docs, _, missing = collect(sources, stamps=stamps, reuse=lambda doc_id, source: Document(
        id=doc_id, source=source, title="", text="") if doc_id in listed else None)
    stamps.keep_only({d.source for d in docs})
    stamps.save()
    indexed = {(i, m.get("source")) for i, m in listed.items()
               if not any(inside(absolute(str(m.get("source"))), p) for p in missing)}
    return indexed != {(d.id, absolute(d.source)) for d in docs}


def add_paths(data: IndexData, paths: Sequence[PathLike], embedder: Embedder,
              progress: Progress | None = None) -> tuple[IndexData, IndexReport]:
    """The index with the documents at `paths` added, and the paths added to its sources."""
    sources, added = with_paths(data.sources, paths)
    docs, skipped = load_documents([absolute(p) for p in paths])
    docs = [d for d in docs if not is_excluded(absolute(d.source), sources)]
    new, report = update_index(data, docs, config=data.config, embedder=embedder, prune=False,
                               skipped=skipped, progress=progress)
    return replace(new, sources=sources), replace(report, sources_added=added)


def add_uploads(data: IndexData, folder: Path, staged: Sequence[tuple[Path, Path]], embedder: Embedder,
                progress: Progress | None = None) -> tuple[IndexData, IndexReport]:
    """The index with the staged uploads added under their final names in `folder`."""
    docs, skipped = load_documents([path for path, _ in staged])
    names = {absolute(path): final.name for path, final in staged}
    skipped = [replace(s, path=names.get(absolute(s.path), s.path)) for s in skipped]
    new, report = update_index(data, as_staged(docs, staged), config=data.config, embedder=embedder,
                               prune=False, skipped=skipped, progress=progress)
    return replace(new, sources=replace(data.sources, uploads=absolute(folder))), report


def drop(data: IndexData, items: Sequence[str], embedder: Embedder) -> tuple[IndexData, IndexReport, list[Path]]:
    """The index without the named documents or sources, and the stored uploads to delete.

    An item is a source folder or file of the set, an indexed file's path, or a file name
    (unique among the indexed documents). `ValueError` names an item that matches nothing.
    """
    sources = data.sources
    gone: dict[str, Any] = {}
    files: list[Path] = []
    for item in items:
        path = absolute(item)
        if path in sources.paths:
            sources = replace(sources, paths=tuple(p for p in sources.paths if p != path),
                              excluded=tuple(e for e in sources.excluded if not inside(e, path)))
            gone.update({d.id: d for d in data.documents if inside(absolute(d.source), path)})
            continue
        doc = _one_document(data, item, path)
        gone[doc.id] = doc
        if sources.uploads and inside(absolute(doc.source), sources.uploads):
            files.append(Path(doc.source))
        else:
            sources = replace(sources, excluded=(*sources.excluded, absolute(doc.source)))
    new = replace(drop_documents(data, set(gone), embedder), sources=sources)
    return new, IndexReport(removed=tuple(d.name for d in gone.values())), files


def _one_document(data: IndexData, item: str, path: str) -> Any:
    by_path = [d for d in data.documents if absolute(d.source) == path]
    matches = by_path or [d for d in data.documents if d.name == item]
    if not matches:
        raise ValueError(f"no indexed document or source named {item!r} (see `rag docs`)")
    if len(matches) > 1:
        raise ValueError(f"{item!r} names {len(matches)} documents: give the path of one "
                         f"({', '.join(d.source for d in matches[:5])})")
    return matches[0]


def delete_files(files: Sequence[Path]) -> None:
    """Delete stored uploads the user removed (before the index without them is written)."""
    for file in files:
        Path(file).unlink(missing_ok=True)

