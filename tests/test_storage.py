"""Crash safety and integrity of the index on disk, proved by killing writers and damaging files.

A writer is a real `rag` process (real model, real FAISS) killed with SIGKILL at chosen
moments: at start-up, mid-embedding, with files written but not synced, between the rename of
the new generation and the switch of CURRENT, and after the switch. After each kill the index
must load and answer; before the switch it is the previous index, after it the new one; and
the next write cleans up. Every file of an index is then truncated or altered in turn: loading
says "index is corrupt ... rag index --rebuild", never crashes or uses bad data, and a rebuild
recovers the same documents.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rag import RAG, IndexCorruptError, IndexLockedError
from rag.index import load_index, read_manifest, save_index
from rag.storage import live_folder, writer_lock

from .conftest import CSIS, REPO, SEEDS

ARRIVAL = "When did Choe Ryong-hae arrive in Beijing?"
LIGHTHOUSE = ("Velmora lighthouse shines again\n\nThe Velmora lighthouse in Quistenport was relit on "
              "14 March 2024, after 61 years of darkness. Volunteers raised 80,000 euros for the lamp.\n")

# Runs `RAG.build` in a child process that kills itself with SIGKILL at one moment.
DRIVER = r"""
import os, signal, sys
import rag, rag.embedding, rag.indexing, rag.storage
point, index_dir, *paths = sys.argv[1:]
def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "start":
    die()
if point == "embedding":  # after the first slice of texts has been embedded
    rag.indexing.EMBED_SLICE = 1
    encode, calls = rag.embedding.Embedder.encode, []
    def encode_then_die(self, texts):
        calls.append(len(texts))
        if len(calls) > 1:
            die()
        return encode(self, texts)
    rag.embedding.Embedder.encode = encode_then_die
if point == "writing":  # every file written, nothing synced or renamed yet
    rag.storage._fsync_tree = die
if point == "between-renames":  # the generation folder renamed, CURRENT not yet switched
    replace, renames = os.replace, []
    def replace_then_die(src, dst):
        renames.append(dst)
        if len(renames) > 1:
            die()
        return replace(src, dst)
    rag.storage.os.replace = replace_then_die
if point == "after-switch":  # CURRENT switched, old generations not yet cleaned up
    rag.storage._clean = die
rag.RAG.build(paths, index_dir=index_dir)
"""

BEFORE_SWITCH = ["start", "embedding", "writing", "between-renames"]


def _child_env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


@pytest.fixture
def index_and_new_folder(seed_index_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    index_dir = shutil.copytree(seed_index_dir, tmp_path / "index")
    new = tmp_path / "new"
    new.mkdir()
    (new / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    return index_dir, new


@pytest.mark.parametrize("point", [*BEFORE_SWITCH, "after-switch"])
def test_a_writer_killed_at_any_moment_leaves_a_loadable_correct_index(point, index_and_new_folder):
    index_dir, new = index_and_new_folder
    child = subprocess.run([sys.executable, "-c", DRIVER, point, str(index_dir), str(new)],
                           env=_child_env(), capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    bot = RAG.load(index_dir)
    names = sorted(d.name for d in bot.documents())
    if point in BEFORE_SWITCH:
        assert names == sorted([CSIS, "004_05cac4f71c22c40d.txt"])  # the previous index
    else:
        assert "lighthouse.txt" in names  # the new one, complete
    assert "May 22" in bot.ask(ARRIVAL).text
    again = RAG.build([new], index_dir=index_dir)  # the next write completes the job and cleans up
    assert "lighthouse.txt" in [d.name for d in again.documents()]
    assert "14 March 2024" in again.ask("When was the Velmora lighthouse relit?").text
    left = sorted(p.name for p in index_dir.iterdir() if p.name.startswith(("gen-", ".gen-")))
    assert len(left) <= 2 and not any(n.endswith(".partial") for n in left)


def test_rag_index_killed_at_random_moments_never_loses_the_index(index_and_new_folder):
    index_dir, new = index_and_new_folder
    for i in range(12):
        (new / f"report{i}.txt").write_text(f"Harbour report {i}\n\n" + " ".join(
            f"Ship number {j} of convoy {i} docked at pier {j % 7} on a calm morning." for j in range(40)),
            encoding="utf-8")
    rng = random.Random(13)
    for _ in range(3):
        child = subprocess.Popen([str(Path(sys.executable).parent / "rag"), "index", str(new),
                                  "--index-dir", str(index_dir)], env=_child_env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 8.0))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        assert "May 22" in RAG.load(index_dir).ask(ARRIVAL).text


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2
    for i in range(at, min(at + 16, len(data))):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(0, path.stat().st_size // 2)])


def _index_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


INDEX_FILES = ["manifest.json", "config.json", "documents.jsonl", "chunks.table.npy", "chunks.npy", "chunks.faiss",
               "chunks.docs.npy", "sentences.spans.npy", "sentences.npy", "sentences.faiss", "sentences.docs.npy",
               "lexical/words.json", "lexical/data.csc.index.npy",
               "lexical/indices.csc.index.npy", "lexical/indptr.csc.index.npy",
               "lexical/params.index.json", "lexical/vocab.index.json", "sources.json"]


def test_every_index_file_is_covered_by_a_checksum(seed_index_dir: Path):
    live = live_folder(seed_index_dir)
    manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    assert _index_files(live) == sorted(INDEX_FILES)
    assert sorted(manifest["files"]) == sorted(f for f in INDEX_FILES if f != "manifest.json")


@pytest.fixture(scope="module")
def damaged_copies(seed_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("damaged")


@pytest.mark.parametrize("name", INDEX_FILES)
@pytest.mark.parametrize("damage", [_flip, _truncate])
def test_a_damaged_file_is_reported_never_used(damage, name, seed_index_dir: Path, damaged_copies: Path):
    index_dir = shutil.copytree(seed_index_dir, damaged_copies / f"{damage.__name__}-{name.replace('/', '_')}")
    damage(live_folder(index_dir) / name)
    with pytest.raises(IndexCorruptError, match=r"index is corrupt.*rag index --rebuild"):
        RAG.load(index_dir)


@pytest.mark.parametrize("damage, name", [(_flip, "chunks.faiss"), (_truncate, "sentences.npy"),
                                          (_flip, "lexical/data.csc.index.npy"), (_truncate, "manifest.json"),
                                          (_truncate, "documents.jsonl")])
def test_rebuild_recovers_a_damaged_index(damage, name, seed_index_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no seeds/ here: the sources must come from the index itself
    index_dir = shutil.copytree(seed_index_dir, tmp_path / "index")
    damage(live_folder(index_dir) / name)
    repaired = RAG.build(index_dir=index_dir, rebuild=True)
    assert sorted(d.name for d in repaired.documents()) == sorted([CSIS, "004_05cac4f71c22c40d.txt"])
    assert "May 22" in RAG.load(index_dir).ask(ARRIVAL).text


def test_an_unreadable_manifest_and_pointer_are_reported_and_rebuilt_from_the_previous_one(
        seed_index_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    index_dir = shutil.copytree(seed_index_dir, tmp_path / "index")
    RAG.build(index_dir=index_dir, rebuild=True)  # a second generation; the first is kept
    _truncate(live_folder(index_dir) / "manifest.json")
    messages: list[str] = []
    repaired = RAG.build(index_dir=index_dir, progress=messages.append)
    assert any("Rebuilding" in m for m in messages) and len(repaired.documents()) == 2
    (index_dir / "CURRENT").write_text("garbage", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="CURRENT does not name a generation"):
        RAG.load(index_dir)
    assert len(RAG.build(index_dir=index_dir, rebuild=True).documents()) == 2


def test_rebuild_from_the_cli_after_corruption(seed_index_dir: Path, tmp_path: Path):
    index_dir = shutil.copytree(seed_index_dir, tmp_path / "index")
    _flip(live_folder(index_dir) / "sentences.npy")
    rag_bin = str(Path(sys.executable).parent / "rag")
    asked = subprocess.run([rag_bin, "ask", ARRIVAL, "--index-dir", str(index_dir)], env=_child_env(),
                           capture_output=True, text=True, timeout=300)
    assert asked.returncode == 1 and "Traceback" not in asked.stderr
    assert "index is corrupt (sentences.npy does not match its checksum)" in asked.stderr
    assert f"`rag index --index-dir {index_dir} --rebuild`" in asked.stderr  # the command, as suggested
    rebuilt = subprocess.run([rag_bin, "index", "--index-dir", str(index_dir), "--rebuild"],
                             env=_child_env(), capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "May 22" in RAG.load(index_dir).ask(ARRIVAL).text


def test_a_second_writer_waits_then_refuses_with_a_clear_message(seed_index_dir: Path, tmp_path: Path):
    index_dir = shutil.copytree(seed_index_dir, tmp_path / "index")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_lock(index_dir):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    told: list[str] = []
    try:
        with pytest.raises(IndexLockedError, match="another process .*updating the index"):
            with writer_lock(index_dir, timeout=0.3, on_wait=told.append):
                pass
        assert told and "waiting" in told[0]
    finally:
        release.set()
        holder.join()
    with writer_lock(index_dir, timeout=1):  # free again once the first writer is done
        pass


def test_two_writers_at_once_never_interleave(seed_index_dir: Path, tmp_path: Path):
    index_dir = shutil.copytree(seed_index_dir, tmp_path / "index")
    folders = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.txt").write_text(f"Report {name}\n\nThe {name} pier reopened on Monday after "
                                            f"repairs by crew {name}.", encoding="utf-8")
        folders.append(folder)
    rag_bin = str(Path(sys.executable).parent / "rag")
    children = [subprocess.Popen([rag_bin, "index", str(f), "--index-dir", str(index_dir)], env=_child_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in folders]
    outputs = [c.communicate(timeout=300) for c in children]
    assert [c.returncode for c in children] == [0, 0], outputs
    names = {d.name for d in RAG.load(index_dir).documents()}
    assert {"a.txt", "b.txt"} <= names  # the second writer read the first one's index, lost nothing


def _as_format_4(folder: Path) -> None:
    """Rewrite the chunk table of a format-5 index as format 4 wrote it: chunks.jsonl."""
    data = load_index(folder)
    (folder / "chunks.table.npy").unlink()
    rows = [json.dumps({"id": c.id, "doc_id": c.doc_id, "ordinal": c.ordinal, "start": c.start, "end": c.end,
                        "n_tokens": c.n_tokens}) for c in data.chunks]
    (folder / "chunks.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")


def _as_format_3(folder: Path) -> None:
    """Rewrite the vector files of a format-5 index as format 3 wrote them: chunks.jsonl,
    float32 vectors in an exact chunks.faiss and in sentences.npy, sentences.jsonl, no stores."""
    import faiss

    data = load_index(folder)
    _as_format_4(folder)
    flat = faiss.IndexFlatIP(data.dimension)
    flat.add(np.asarray(data.chunk_vectors, dtype=np.float32))
    for name in ("chunks.faiss", "sentences.faiss", "chunks.docs.npy", "sentences.docs.npy", "chunks.npy",
                 "sentences.spans.npy", "sentences.npy"):
        (folder / name).unlink()
    faiss.write_index(flat, str(folder / "chunks.faiss"))
    np.save(folder / "sentences.npy", np.asarray(data.sentence_vectors, dtype=np.float32))
    rows = [json.dumps({"doc_id": s.doc_id, "start": s.start, "end": s.end}) for s in data.sentences]
    (folder / "sentences.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")


def test_a_format_4_index_is_read_as_it_is_and_written_as_format_5(seed_index_dir: Path, tmp_path: Path):
    from rag.integrity import checksums, manifest_checksum

    index_dir = tmp_path / "v4"
    shutil.copytree(seed_index_dir, index_dir)
    live = live_folder(index_dir)
    before = load_index(index_dir)
    _as_format_4(live)
    manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 4
    manifest["files"] = checksums(live)
    manifest["checksum"] = manifest_checksum(manifest)
    (live / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    old = load_index(index_dir)
    assert list(old.chunks) == list(before.chunks)  # ids, spans, token counts and texts
    assert "May 22" in RAG.load(index_dir).ask(ARRIVAL).text
    save_index(load_index(index_dir), index_dir)
    assert read_manifest(index_dir)["format_version"] == 5
    assert (live_folder(index_dir) / "chunks.table.npy").is_file()
    assert list(load_index(index_dir).chunks) == list(before.chunks)


def test_an_index_of_the_earlier_layout_is_read_and_moved_without_re_embedding(seed_index_dir: Path,
                                                                                 tmp_path: Path):
    index_dir = tmp_path / "old"
    shutil.copytree(live_folder(seed_index_dir), index_dir)  # files directly in the folder
    _as_format_3(index_dir)
    manifest_path = index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for key in ("files", "checksum", "sources"):
        manifest.pop(key)
    manifest["format_version"] = 2
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert "May 22" in RAG.load(index_dir).ask(ARRIVAL).text
    bot = RAG.open(index_dir, sources=[SEEDS])
    assert not bot.last_report.added and not bot.last_report.rebuilt  # nothing re-embedded
    assert (index_dir / "CURRENT").is_file() and not (index_dir / "chunks.faiss").exists()
    assert bot.sources.paths == (str(SEEDS),)
