"""Where an index lives on disk: generations, the CURRENT pointer, the writers' lock.

Layout of an index folder:
    CURRENT        the name of the live generation (one line); replaced by one atomic rename
    gen-000007/    a complete index (files described in `rag.index`)
    corpus/        documents added by upload (see `rag.corpus`)
    .lock          held by the one process that is writing
    README*        kept as they are
A write fills a fresh generation folder, fsyncs every file and folder, then switches CURRENT
to it with one rename. A process killed at any moment leaves CURRENT naming either the old
complete generation or the new complete one; a half-written folder is never live and the
next writer deletes it. The generation before the live one is kept, so a reader that read
CURRENT just before a switch can still finish loading; older ones are deleted.

An index folder written by an earlier version (`manifest.json` directly inside it, no
CURRENT) is read in place; the next write moves it to this layout.
Left out: network file systems that do not honour fsync or advisory locks.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import IndexLockedError

POINTER = "CURRENT"
LOCK = ".lock"
_GENERATION = re.compile(r"gen-(\d{6,})")
_LEGACY_FILES = ("manifest.json", "config.json", "documents.jsonl", "chunks.jsonl", "chunks.faiss",
                 "sentences.jsonl", "sentences.npy")


def live_folder(folder: Path) -> Path | None:
    """The folder holding the live index files, or None when there is no index at `folder`."""
    folder = Path(folder)
    name = _read_pointer(folder)
    if name is not None:
        return folder / name
    if (folder / "manifest.json").exists():  # the layout of earlier versions
        return folder
    return None


def live_token(folder: Path) -> str | None:
    """What identifies the live index: changes whenever a write completes (None: no index)."""
    name = _read_pointer(Path(folder))
    if name is not None:
        return name
    legacy = Path(folder) / "manifest.json"
    try:
        return f"legacy-{legacy.stat().st_mtime_ns}"
    except OSError:
        return None


def _read_pointer(folder: Path) -> str | None:
    try:
        name = (folder / POINTER).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if _GENERATION.fullmatch(name) else None


def generations(folder: Path) -> list[Path]:
    """The index folders in `folder`, the live one first, then the others newest first."""
    folder = Path(folder)
    live = live_folder(folder)
    others = sorted((p for p in folder.iterdir() if _GENERATION.fullmatch(p.name)),
                    key=lambda p: -int(p.name[4:])) if folder.is_dir() else []
    return ([live] if live else []) + [p for p in others if p != live]


def write_generation(folder: Path, write: Callable[[Path], None]) -> Path:
    """Write a new generation with `write(tmp_folder)` and make it the live one, atomically.

    Call it holding `writer_lock(folder)`. Returns the new generation's folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"gen-{_next_number(folder):06d}"
    partial = folder / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    write(partial)
    _fsync_tree(partial)
    os.replace(partial, folder / name)
    _fsync_dir(folder)
    pointer_tmp = folder / f".{POINTER}.tmp"
    with open(pointer_tmp, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer_tmp, folder / POINTER)  # the commit point
    _fsync_dir(folder)
    _clean(folder, keep=name)
    return folder / name


def _next_number(folder: Path) -> int:
    numbers = [int(m.group(1)) for p in folder.iterdir()
               if (m := _GENERATION.fullmatch(p.name.strip(".").removesuffix(".partial")))]
    return max(numbers, default=0) + 1


def _clean(folder: Path, keep: str) -> None:
    """Delete half-written generations, all but the live and the previous one, and legacy files."""
    generations = sorted((p for p in folder.iterdir() if _GENERATION.fullmatch(p.name)),
                         key=lambda p: int(p.name[4:]))
    for old in generations[:-2]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in folder.glob(".gen-*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)
    if (folder / "manifest.json").exists():  # an earlier version's index, now replaced
        for name in _LEGACY_FILES:
            (folder / name).unlink(missing_ok=True)
        shutil.rmtree(folder / "lexical", ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as f:
                os.fsync(f.fileno())
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some systems cannot open a folder; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def writer_lock(folder: Path, *, timeout: float = 600.0,
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index folder's lock: one writer at a time, across processes.

    If another process holds it, `on_wait` is told once and this waits up to `timeout`
    seconds, then raises `IndexLockedError`. The lock goes with the process if it dies.
    """
    from filelock import FileLock, Timeout

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK), thread_local=False)
    owner = folder / f"{LOCK}.owner"
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = _read_owner(owner)
        if on_wait:
            on_wait(f"Another process{holder} is updating the index in {folder}; waiting for it "
                    f"(up to {timeout:.0f} s)...")
        started = time.monotonic()
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise IndexLockedError(
                f"another process{holder} has been updating the index in {folder} for over "
                f"{time.monotonic() - started:.0f} s; try again when it has finished") from None
    try:
        owner.write_text(f"{os.getpid()}\n", encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def remove_empty_index_folder(folder: Path) -> None:
    """Delete `folder` if it holds nothing but the lock files (a first build that failed)."""
    folder = Path(folder)
    for name in (LOCK, f"{LOCK}.owner"):
        (folder / name).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty: something else lives there


def _read_owner(owner: Path) -> str:
    try:
        pid = owner.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


class ChangeWatcher:
    """Runs `on_change()` in a background thread when another process switched CURRENT.

    `poll()` is cheap (a clock check; reading CURRENT at most every `interval` seconds), so
    it can run on every question; one reload runs at a time, and questions go on being
    answered meanwhile. `seen` is the token of the index the owner holds.
    """

    def __init__(self, folder: Path, seen: str | None, on_change: Callable[[], None],
                 interval: float = 1.0) -> None:
        self.folder, self.seen, self.on_change, self.interval = Path(folder), seen, on_change, interval
        self._checked = time.monotonic()
        self._busy = threading.Lock()
        self.error: Exception | None = None  # why the last reload failed, if it did

    def poll(self) -> None:
        """Start a reload if the live index changed (checked at most every `interval` s)."""
        now = time.monotonic()
        if now - self._checked < self.interval or self._busy.locked():
            return
        self._checked = now
        if live_token(self.folder) != self.seen:
            threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        if not self._busy.acquire(blocking=False):
            return
        try:
            self.on_change()
            self.error = None
        except Exception as exc:  # noqa: BLE001 - the owner keeps its index; the error is kept
            self.error = exc
            self.seen = live_token(self.folder)  # do not retry a broken index on every question
        finally:
            self._busy.release()
