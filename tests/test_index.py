"""The index on disk: round trip, incremental updates, refusal of other settings, damage."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag import (RAG, Config, IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexOutdatedError,
                 NoDocumentsError)
from rag.index import load_index
from rag.storage import live_folder
from rag.indexing import update_index
from rag.ingest import parse_document

from .conftest import CSIS, HANKYOREH, SEEDS
from .fakes import HashEmbedder

ARTICLE = "Harbour Bridge Reopens\n\nBy Ada Park\n\nThe Harbour Bridge reopened on June 3 after {n} months of repairs. Officials said traffic was light."


def _corpus(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    for i, name in enumerate(names):
        (folder / name).write_text(ARTICLE.format(n=i + 2), encoding="utf-8")
    return folder


def test_update_index_embeds_only_new_or_changed_documents() -> None:
    embedder = HashEmbedder()
    config = Config()
    a = parse_document(ARTICLE.format(n=1), "a.txt")
    b = parse_document(ARTICLE.format(n=2), "b.txt")
    data, report = update_index(None, [a, b], config=config, embedder=embedder, prune=True)
    assert report.added == ("a.txt", "b.txt") and len(data.documents) == 2
    embedder.calls.clear()
    b2 = parse_document(ARTICLE.format(n=9), "b.txt")
    data2, report2 = update_index(data, [a, b2], config=config, embedder=embedder, prune=True)
    assert report2.unchanged == ("a.txt",) and report2.updated == ("b.txt",) and not report2.removed
    n_new = sum(1 for c in data2.chunks if c.doc_id == b2.id) + sum(1 for s in data2.sentences if s.doc_id == b2.id)
    assert sum(embedder.calls) == n_new  # only b's chunks and sentences were embedded again
    data3, report3 = update_index(data2, [b2], config=config, embedder=embedder, prune=True)
    assert report3.removed == ("a.txt",) and {d.id for d in data3.documents} == {b2.id}
    assert len(data3.chunk_vectors) == len(data3.chunks) and len(data3.sentence_vectors) == len(data3.sentences)
    kept = [i for i, c in enumerate(data2.chunks) if c.doc_id == b2.id]
    assert np.allclose(data3.chunk_vectors, data2.chunk_vectors[kept])


def test_round_trip_keeps_everything(seed_index_dir: Path, seed_bot: RAG) -> None:
    data = load_index(seed_index_dir)
    assert [d.name for d in data.documents] == [CSIS, HANKYOREH]
    assert data.chunk_vectors.shape == (len(data.chunks), 384)
    assert np.allclose(np.linalg.norm(data.chunk_vectors, axis=1), 1.0, atol=1e-4)
    for c in data.chunks:
        doc = next(d for d in data.documents if d.id == c.doc_id)
        assert doc.text[c.start:c.end] == c.text
    manifest = json.loads((live_folder(seed_index_dir) / "manifest.json").read_text())
    assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["dimension"] == 384
    assert manifest["settings"]["chunk_tokens"] == Config().chunk_tokens
    assert {m["content_hash"] for m in manifest["documents"].values()} == {d.id for d in data.documents}
    top = seed_bot.retrieve("When did Choe Ryong-hae arrive in Beijing?", k=1)[0]
    assert top.name == CSIS and "May 22" in top.text


def test_incremental_rebuild_with_the_real_model(tmp_path: Path) -> None:
    folder = _corpus(tmp_path, "one.txt", "two.md")
    bot = RAG.build([folder], index_dir=tmp_path / "ix")
    assert sorted(bot.last_report.added) == ["one.txt", "two.md"]
    again = RAG.build([folder], index_dir=tmp_path / "ix")
    assert sorted(again.last_report.unchanged) == ["one.txt", "two.md"] and not again.last_report.changed
    (folder / "two.md").write_text(ARTICLE.format(n=40), encoding="utf-8")
    (folder / "one.txt").unlink()
    (folder / "three.txt").write_text("Tide Report\n\nThe tide peaked at 4.2 metres on Sunday.", encoding="utf-8")
    third = RAG.build([folder], index_dir=tmp_path / "ix")
    r = third.last_report
    assert (r.added, r.updated, r.removed) == (("three.txt",), ("two.md",), ("one.txt",))
    reloaded = RAG.load(tmp_path / "ix")
    assert sorted(d.name for d in reloaded.documents()) == ["three.txt", "two.md"]
    assert "40 months" in reloaded.ask("How many months of repairs did the Harbour Bridge need?").text


def test_add_keeps_the_rest_and_recognises_duplicates(tmp_path: Path) -> None:
    folder = _corpus(tmp_path, "one.txt")
    bot = RAG.build([folder], index_dir=tmp_path / "ix")
    extra = tmp_path / "extra.txt"
    extra.write_text("Tide Report\n\nThe tide peaked at 4.2 metres on Sunday.", encoding="utf-8")
    copy = tmp_path / "copy.txt"
    shutil.copy(folder / "one.txt", copy)
    report = bot.add([extra, copy])
    assert report.added == ("extra.txt",) and report.duplicates == ("copy.txt",)
    assert sorted(d.name for d in RAG.load(tmp_path / "ix").documents()) == ["extra.txt", "one.txt"]
    assert "4.2 metres" in bot.ask("How high did the tide peak?").text


def test_other_model_or_chunking_is_refused_with_both_named(seed_index_dir: Path) -> None:
    with pytest.raises(IndexMismatchError) as err:
        RAG.load(seed_index_dir, Config(model="paraphrase-MiniLM-L3-v2"))
    assert "all-MiniLM-L6-v2" in str(err.value) and "paraphrase-MiniLM-L3-v2" in str(err.value)
    assert "rag index" in str(err.value)
    with pytest.raises(IndexMismatchError, match="chunk_tokens: index has 160, settings ask for 100"):
        RAG.load(seed_index_dir, Config(chunk_tokens=100))


def test_changed_chunking_rebuilds_everything(tmp_path: Path) -> None:
    folder = _corpus(tmp_path, "one.txt")
    RAG.build([folder], index_dir=tmp_path / "ix")
    bot = RAG.build([folder], index_dir=tmp_path / "ix", config=Config(chunk_tokens=64, chunk_overlap=8))
    assert bot.last_report.rebuilt and RAG.load(tmp_path / "ix").config.chunk_tokens == 64


def _damage_truncate_faiss(ix: Path) -> None:
    (live_folder(ix) / "chunks.faiss").write_bytes((live_folder(ix) / "chunks.faiss").read_bytes()[:100])


def _damage_manifest(ix: Path) -> None:
    (live_folder(ix) / "manifest.json").write_text("{not json", encoding="utf-8")


def _damage_drop_file(ix: Path) -> None:
    (live_folder(ix) / "sentences.npy").unlink()


def _damage_chunks(ix: Path) -> None:
    (live_folder(ix) / "chunks.table.npy").write_bytes(b"not a table")


@pytest.mark.parametrize("damage", [_damage_truncate_faiss, _damage_manifest, _damage_drop_file, _damage_chunks])
def test_damaged_index_says_how_to_rebuild_and_build_repairs_it(tmp_path: Path, seed_index_dir: Path, damage) -> None:
    ix = tmp_path / "ix"
    shutil.copytree(seed_index_dir, ix)
    damage(ix)
    with pytest.raises(IndexCorruptError, match="index is corrupt.*rag index --rebuild"):
        RAG.load(ix)
    repaired = RAG.build([SEEDS], index_dir=ix)
    assert len(RAG.load(ix).documents()) == 2 and repaired.last_report.added


def test_missing_index_and_empty_corpus(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="rag index"):
        RAG.load(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoDocumentsError):
        RAG.build([tmp_path / "empty"], index_dir=tmp_path / "ix")
    assert not (tmp_path / "ix").exists()


def test_open_builds_when_missing_and_updates_when_stale(tmp_path: Path) -> None:
    folder = _corpus(tmp_path, "one.txt")
    messages: list[str] = []
    RAG.open(tmp_path / "ix", sources=[folder], progress=messages.append)
    assert any("building" in m for m in messages)
    messages.clear()
    RAG.open(tmp_path / "ix", sources=[folder], progress=messages.append)
    assert messages == []  # up to date: loaded, nothing rebuilt
    (folder / "two.txt").write_text("Tide Report\n\nThe tide peaked at 4.2 metres.", encoding="utf-8")
    bot = RAG.open(tmp_path / "ix", sources=[folder], progress=messages.append)
    assert any("Updating" in m for m in messages) and len(bot.documents()) == 2


def test_index_of_another_format_version_is_refused_by_load_and_rebuilt_by_open(tmp_path: Path) -> None:
    folder = _corpus(tmp_path, "one.txt")
    RAG.open(tmp_path / "ix", sources=[folder])
    manifest_path = live_folder(tmp_path / "ix") / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexOutdatedError, match="another version"):
        RAG.load(tmp_path / "ix")
    messages: list[str] = []
    bot = RAG.open(tmp_path / "ix", sources=[folder], progress=messages.append)
    assert any("rebuilding" in m for m in messages) and len(bot.documents()) == 1
    assert RAG.load(tmp_path / "ix").documents() == bot.documents()


def test_binary_and_bad_files_are_skipped_with_a_warning(tmp_path: Path) -> None:
    folder = _corpus(tmp_path, "good.txt")
    (folder / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "latin.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    bot = RAG.build([folder], index_dir=tmp_path / "ix")
    skipped = {Path(s.path).name: s.reason for s in bot.last_report.skipped}
    assert set(skipped) == {"bin.txt", "latin.txt"} and [d.name for d in bot.documents()] == ["good.txt"]
