"""The Milvus store for real: milvus-lite (a local file, the same client as a cluster) holds
the seeds' vectors; retrieval and the eval match faiss; documents come and go; the index
reopens from disk."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from rag import RAG, Config
from rag.index import read_manifest

from .conftest import SEEDS

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")
from eval.runner import evaluate  # noqa: E402
from eval.schema import load_questions  # noqa: E402

QUESTIONS = load_questions()
MILVUS = Config(vector_store="milvus")


@pytest.fixture(scope="module")
def milvus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("milvus") / "index"
    RAG.build([SEEDS], index_dir=folder, config=MILVUS)
    return folder


def test_the_manifest_says_milvus_holds_the_vectors(milvus_index: Path) -> None:
    stores = read_manifest(milvus_index)["stores"]
    assert {name: (e["kind"], e["uri"], e["collection"]) for name, e in stores.items()} == {
        "chunks": ("milvus", "milvus.db", "rag_chunks"), "sentences": ("milvus", "milvus.db", "rag_sentences")}
    bot = RAG.load(milvus_index)
    data = bot._state.data
    assert stores["chunks"]["count"] == len(data.chunks) and stores["sentences"]["count"] == len(data.sentences)
    assert (milvus_index / "milvus.db").exists()
    assert not list(milvus_index.glob("gen-*/*.faiss"))  # no faiss files: the vectors are in Milvus


def test_top_passages_are_the_same_as_faiss(milvus_index: Path, seed_bot: Any) -> None:
    bot = RAG.load(milvus_index)
    for q in QUESTIONS:
        for mode in ("dense", "hybrid"):
            assert [p.chunk_id for p in bot.retrieve(q.question, retrieval=mode)] == \
                [p.chunk_id for p in seed_bot.retrieve(q.question, retrieval=mode)], (q.id, mode)


def test_eval_numbers_are_the_same_as_faiss(milvus_index: Path, seed_bot: Any) -> None:
    on_milvus = evaluate(RAG.load(milvus_index), QUESTIONS, [])[0].metrics
    on_faiss = evaluate(seed_bot, QUESTIONS, [])[0].metrics
    quality = {k for k in on_faiss if not k.startswith("latency")}
    assert {k: on_milvus[k] for k in quality} == {k: on_faiss[k] for k in quality}


def test_add_and_remove_a_document_and_reopen(milvus_index: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(milvus_index, tmp_path / "index")  # milvus.db travels with the index
    extra = tmp_path / "kiwi.txt"
    extra.write_text("Kiwi harvest\n\nThe kiwi harvest in Motueka began on 3 March 2031 with 41 pickers.\n",
                     encoding="utf-8")
    bot = RAG.load(folder)
    before = bot._state.data.stores.sentences.count()
    bot.add([extra])
    assert bot.retrieve("When did the kiwi harvest in Motueka begin?")[0].name == "kiwi.txt"
    reopened = RAG.load(folder)  # from disk: the manifest and the Milvus file
    assert reopened.retrieve("When did the kiwi harvest in Motueka begin?")[0].name == "kiwi.txt"
    assert "3 March 2031" in reopened.ask("When did the kiwi harvest in Motueka begin?").text
    reopened.remove(["kiwi.txt"])
    again = RAG.load(folder)
    assert again._state.data.stores.sentences.count() == before
    assert all(p.name != "kiwi.txt" for p in again.retrieve("When did the kiwi harvest in Motueka begin?"))


def test_switching_an_index_to_milvus_embeds_nothing(seed_index_dir: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(seed_index_dir, tmp_path / "index")
    messages: list[str] = []
    bot = RAG.open(folder, config=Config(vector_store="milvus", milvus_collection="moved"), progress=messages.append)
    assert not any("Embedding" in m for m in messages)
    assert read_manifest(folder)["stores"]["chunks"]["collection"] == "moved_chunks"
    assert bot._state.data.stores.chunks.kind == "milvus"
