"""The embedding model on both backends: onnxruntime (the default, no torch) and torch.

The exported graph must give the vectors sentence-transformers gives (cosine >= 0.999 on
real text, long text past the 256-token limit, unicode and one-word inputs), count tokens
the same way, and the query path (`RAG.load` + `ask`) must not import torch at all.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.embedding import Embedder

from .conftest import REPO, SEEDS

TEXTS = [line.strip() for f in sorted(SEEDS.glob("*.txt"))
         for line in f.read_text(encoding="utf-8").splitlines() if line.strip()][:40] + [
    "When did Choe Ryong-hae arrive in Beijing?", "Pyongyang", "북한 특사 최룡해 ✈️ 北京",
    "word " * 600, "A", "  spaced   out  "]


@pytest.fixture(scope="module")
def both() -> tuple[Embedder, Embedder]:
    return Embedder(backend="onnx"), Embedder(backend="torch")


def test_onnx_vectors_agree_with_sentence_transformers(both):
    onnx, torch_ = both
    a, b = onnx.encode(TEXTS), torch_.encode(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) >= 0.999


def test_both_backends_count_tokens_alike(both):
    onnx, torch_ = both
    for text in TEXTS[:5] + ["word " * 600]:
        assert onnx.count_wordpieces(text) == torch_.count_wordpieces(text)
    assert onnx.max_wordpieces == torch_.max_wordpieces == 256


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="embedding backend must be one of auto, onnx, torch"):
        Embedder(backend="tpu")


def test_the_query_path_never_imports_torch(seed_index_dir: Path):
    script = ("import json, sys\n"
              "from rag import RAG\n"
              "bot = RAG.load(sys.argv[1])\n"
              "answer = bot.ask('When did Choe Ryong-hae arrive in Beijing?')\n"
              "who = bot.ask('Who did Choe meet with upon his arrival in Beijing?')\n"
              "print(json.dumps({'answer': answer.text, 'backend': bot.embedder.backend, 'lead': who.short_answer,\n"
              "                  'heavy': sorted(m for m in sys.modules if m.split('.')[0] in\n"
              "                                  ('torch', 'transformers', 'sentence_transformers'))}))\n")
    out = subprocess.run([sys.executable, "-c", script, str(seed_index_dir)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO), "RAG_EMBEDDING_BACKEND": "auto"},
                         timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["backend"] == "onnx" and "May 22" in result["answer"]
    assert result["lead"]  # the trained reader's span (run with onnxruntime) leads the who-answer
    assert result["heavy"] == []  # "torch" not in sys.modules


def test_the_manifest_says_how_the_vectors_were_made(seed_index_dir: Path):
    from rag.storage import live_folder

    manifest = json.loads((live_folder(seed_index_dir) / "manifest.json").read_text(encoding="utf-8"))
    embedding = manifest["embedding"]
    assert embedding["model"] == "all-MiniLM-L6-v2" and embedding["backend"] == "onnx"
    assert len(embedding["graph"]) == 16 and int(embedding["graph"], 16) >= 0
