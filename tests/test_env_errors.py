"""Configuration and environment errors: each is one line that says what to do, with no
traceback (an embedding model that cannot be loaded, a port already in use)."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.cli import main
from rag.embedding import Embedder
from rag.errors import ModelLoadError

from .conftest import SEEDS

FIX = "use the default model (rag index --model all-MiniLM-L6-v2) or a sentence-transformers model folder"


@pytest.mark.parametrize("model, why", [
    ("nope", "no folder of that name, and no such model in the local Hugging Face cache"),
    ("someone/no-such-model", "no such model in the local Hugging Face cache"),
    ("./models/missing", "there is no such folder; check the path"),
])
def test_a_model_that_is_not_there(model: str, why: str) -> None:
    with pytest.raises(ModelLoadError) as caught:
        Embedder(model=model).encode(["a text"])
    message = str(caught.value)
    assert message.startswith(f"could not load the embedding model {model!r}: ")
    assert why in message and message.endswith(FIX) and "\n" not in message


def test_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelLoadError) as caught:
        Embedder(model=str(tmp_path)).encode(["a text"])
    message = str(caught.value)
    assert "that folder is not a sentence-transformers model" in message
    assert message.endswith(FIX) and "\n" not in message


def test_rag_index_with_an_unknown_model_is_one_error_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["index", "--model", "nope", "--index-dir", str(tmp_path / "ix"), str(SEEDS)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors == ["Error: could not load the embedding model 'nope': no folder of that name, and no such "
                      "model in the local Hugging Face cache (nothing is downloaded: this runs offline); "
                      + FIX.replace("rag index", f"rag index --index-dir {tmp_path / 'ix'}")]  # its folder
    assert "Traceback" not in result.output and not (tmp_path / "ix").exists()


def test_rag_serve_on_a_port_in_use_is_one_error_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port), "--index-dir", str(tmp_path / "ix"),
                                           "--upload-dir", str(tmp_path / "up"),
                                           "--feedback-log", str(tmp_path / "f.jsonl")])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"Error: port {port} on 127.0.0.1 is already in use (is the app already running?). Stop the other "
        f"program or choose another port, e.g. `rag serve --index-dir {tmp_path / 'ix'} --port {port + 1}` "
        f"(`make run PORT={port + 1}`)")
    assert not (tmp_path / "ix").exists()


def test_an_index_folder_that_cannot_be_written(tmp_path: Path, monkeypatch) -> None:
    import rag.storage

    def refuse(folder, **_kwargs):
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(rag.storage.Path, "mkdir", lambda self, *a, **k: refuse(self))
    result = CliRunner().invoke(main, ["index", str(SEEDS), "--index-dir", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: permission denied for {tmp_path / 'ix'}: fix its permissions, "
                                     "or choose a folder you can write to with `rag index --index-dir FOLDER`")


def test_a_source_that_does_not_exist_and_no_index(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["index", "nowhere"])
    assert result.exit_code == 1 and result.output.startswith("Error: nowhere not found: give an existing folder")
    result = CliRunner().invoke(main, ["ask", "Who is Song Tao?"])
    assert result.exit_code == 1
    assert "no index at index, and no seeds/ folder here to build one from" in result.output
    assert "Traceback" not in result.output
