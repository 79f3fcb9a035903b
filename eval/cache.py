"""An eval suite's index, built once through the public API and reused while nothing changed.

    index = cached_index("news-archive", articles_dir, cache_root=Path("eval/cache"))
    index.bot.ask("...")

The folder is `<cache_root>/<name>-<key>/index`, the key a hash of the corpus files (file
names and content hashes), the index settings of the default `Config` and the source of the
cleaning and chunking code. A folder whose key
matches and whose build finished (`key.json` is written last) is loaded; otherwise the index
is built with `RAG.build`. A changed file or setting gives a new key, so a new folder: old
folders are left for the user to delete (`eval/cache/` is not tracked).

Left out: pruning old folders, sharing an index between suites.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

REPO = Path(__file__).resolve().parent.parent
CACHE_ROOT = REPO / "eval" / "cache"
KEY_FILE = "key.json"
DOCUMENT_SUFFIXES = (".txt", ".md")  # what `rag` indexes in a folder
Progress = Callable[[str], None]
INDEXING_CODE = ("ingest.py", "chunking.py", "store/faiss.py")  # under rag/: what decides the cleaned text, chunks, vectors


@dataclass(frozen=True)
class CachedIndex:
    """A suite's bot and how it was obtained."""

    bot: Any  # a `rag.RAG`
    folder: Path
    key: str
    built: bool  # True: built in this call; False: loaded from the cache
    seconds: float  # time to build (or load) it, model load included
    build_seconds: float | None  # how long the build took, when it was measured


def corpus_files(folder: Path) -> list[Path]:
    """The documents in a folder (the file types the product indexes), sorted by name."""
    return sorted((p for p in Path(folder).rglob("*")
                   if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES), key=lambda p: p.name)


def corpus_key(files: Sequence[Path], settings: Mapping[str, Any]) -> str:
    """A short hash of the files' names and contents, of the index settings and of the code
    that turns files into indexed text (`INDEXING_CODE`: a changed cleaning rule is a new index)."""
    digest = hashlib.sha256(json.dumps(dict(settings), sort_keys=True).encode())
    for code in INDEXING_CODE:
        digest.update(hashlib.sha256((REPO / "rag" / code).read_bytes()).digest())
    for path in sorted(files, key=lambda p: p.name):
        content = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        digest.update(f"{Path(path).name}\0{content}\n".encode())
    return digest.hexdigest()[:16]


def cached_index(name: str, source_dir: Path, *, cache_root: Path = CACHE_ROOT,
                 progress: Progress | None = None) -> CachedIndex:
    """The bot over `source_dir`, loaded from the cache when its key matches, else built."""
    from rag import RAG, Config

    say = progress or (lambda _m: None)
    config = Config()
    files = corpus_files(source_dir)
    if not files:
        raise ValueError(f"no documents to index in {source_dir}")
    key = corpus_key(files, config.index_settings())
    folder = Path(cache_root) / f"{name}-{key}"
    marker = folder / KEY_FILE
    started = time.perf_counter()
    if marker.exists():
        say(f"{name}: reusing the cached index in {folder}")
        bot = RAG.load(folder / "index", config)
        recorded = json.loads(marker.read_text(encoding="utf-8")).get("build_seconds")
        return CachedIndex(bot, folder, key, False, time.perf_counter() - started, recorded)
    say(f"{name}: building the index of {len(files)} files in {folder} "
        "(once: reused while the files and index settings stay the same)...")
    bot = RAG.build([source_dir], index_dir=folder / "index", config=config, progress=progress)
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"key": key, "source": str(source_dir), "files": len(files),
                                  "settings": config.index_settings(), "build_seconds": seconds},
                                 indent=2) + "\n", encoding="utf-8")
    return CachedIndex(bot, folder, key, True, seconds, seconds)
