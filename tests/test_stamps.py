"""Opening an index reads only the corpus files that changed since they were last read.

Real index, real files: the record of file stamps beside the index lets `RAG.open` take an
unchanged file's document from the index; a changed, new or deleted file is still seen, and a
missing, damaged or void record only means every file is read again.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from rag import RAG
from rag import ingest
from rag.stamps import STAMPS_FILE, FileStamps

LONG_AGO = time.time() - 3600  # older than the racy window: a stamp can be trusted

ARTICLES = {
    "harbour.txt": "Harbour reopens\n\nThe Quistenport harbour reopened on 3 May 2024 after a storm.\n",
    "mill.txt": "Mill sold\n\nThe old Velmora mill was sold to a bakery for 2 million euros.\n",
    "bridge.txt": "Bridge closes\n\nThe Ostrava footbridge closes for repairs until the autumn.\n",
}


def _write(folder: Path, name: str, text: str, when: float = LONG_AGO) -> None:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    os.utime(path, (when, when))


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        _write(folder, name, text)
    index_dir = tmp_path / "index"
    RAG.build([folder], index_dir=index_dir)
    return folder, index_dir


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The files read (not taken from the index) from now on."""
    seen: list[str] = []
    real = ingest._read_text

    def counting(path: Path) -> tuple[str, str]:
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(ingest, "_read_text", counting)
    return seen


def test_an_unchanged_corpus_is_not_read_again(corpus, reads) -> None:
    folder, index_dir = corpus
    assert (index_dir / STAMPS_FILE).is_file()
    bot = RAG.open(index_dir)
    assert reads == [] and len(bot.documents()) == 3
    assert "2 million euros" in bot.ask("Who bought the old Velmora mill?").text


def test_a_changed_file_is_read_and_its_new_text_indexed(corpus, reads) -> None:
    folder, index_dir = corpus
    _write(folder, "mill.txt", ARTICLES["mill.txt"].replace("2 million", "3 million"), LONG_AGO + 60)
    bot = RAG.open(index_dir)
    assert set(reads) == {"mill.txt"}  # to see the change, then to index it
    assert "3 million euros" in bot.ask("How much was the old Velmora mill sold for?").text
    reads.clear()
    RAG.open(index_dir)
    assert reads == []  # recorded again once read


def test_a_same_size_change_within_the_same_second_is_seen(corpus, reads) -> None:
    folder, index_dir = corpus
    # rewritten now, same size: its stamp is not trusted while it is this fresh
    _write(folder, "bridge.txt", ARTICLES["bridge.txt"].replace("autumn", "summer"), time.time())
    bot = RAG.open(index_dir)
    assert set(reads) == {"bridge.txt"} and "summer" in bot.document_text("bridge.txt")
    reads.clear()
    RAG.open(index_dir)
    assert set(reads) == {"bridge.txt"}  # still fresh: read again rather than trusted


def test_new_and_deleted_files_are_seen(corpus, reads) -> None:
    folder, index_dir = corpus
    (folder / "harbour.txt").unlink()
    _write(folder, "pier.txt", "Pier opens\n\nThe new Quistenport pier opened on Monday.\n")
    bot = RAG.open(index_dir)
    assert set(reads) == {"pier.txt"}
    assert sorted(d.name for d in bot.documents()) == ["bridge.txt", "mill.txt", "pier.txt"]
    recorded = json.loads((index_dir / STAMPS_FILE).read_text(encoding="utf-8"))["files"]
    assert sorted(Path(k).name for k in recorded) == ["bridge.txt", "mill.txt", "pier.txt"]


@pytest.mark.parametrize("damage", ["{not json", '{"reader": "other code", "files": {}}', '[1, 2]', ""])
def test_a_damaged_or_void_record_means_every_file_is_read(corpus, reads, damage: str) -> None:
    folder, index_dir = corpus
    (index_dir / STAMPS_FILE).write_text(damage, encoding="utf-8")
    bot = RAG.open(index_dir)
    assert set(reads) == set(ARTICLES) and len(bot.documents()) == 3
    reads.clear()
    RAG.open(index_dir)
    assert reads == []  # the record is written anew


def test_a_stamp_is_void_when_any_stat_value_differs(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("text", encoding="utf-8")
    os.utime(path, (LONG_AGO, LONG_AGO))
    stamps = FileStamps(tmp_path / STAMPS_FILE)
    stamps.record(str(path), path.stat(), "abc")
    assert stamps.lookup(str(path), path.stat()) == "abc"
    os.utime(path, (LONG_AGO + 1, LONG_AGO + 1))
    assert stamps.lookup(str(path), path.stat()) is None
    assert FileStamps(None).lookup(str(path), path.stat()) is None
