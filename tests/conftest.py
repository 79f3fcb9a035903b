"""Shared fixtures: the network is blocked (only loopback), the real model and index load once.

`seed_bot` is the real thing a user gets: the seeds indexed with all-MiniLM-L6-v2 and FAISS,
built once per session under a temporary folder.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# hypothesis keeps caches in ./.hypothesis unless told otherwise: tests write only to tmp folders
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", tempfile.mkdtemp(prefix="rag-hypothesis-"))

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
CSIS = "000_f128671dea74a6be.txt"
HANKYOREH = "004_05cac4f71c22c40d.txt"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise OSError(f"tests may not use the network (tried {host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def block_network() -> None:
    """Refuse any connection that is not to this machine."""
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of seeds/ (real model, real FAISS), built once per session."""
    from rag import RAG

    folder = tmp_path_factory.mktemp("seed-index") / "index"
    RAG.build([SEEDS], index_dir=folder)
    return folder


@pytest.fixture(scope="session")
def seed_bot(seed_index_dir: Path):
    """The bot over the seed index, loaded once per session."""
    from rag import RAG

    return RAG.load(seed_index_dir)
