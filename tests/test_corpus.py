"""The corpus of record: an upload or an added folder stays until the user removes it.

Every entry point (`rag index`, `rag ask --source`, `rag chat --source`, `RAG.open`, the
web app's serve) is run on an index holding an upload: the upload is still indexed and
answerable after each. Names that clash after sanitising both survive; an upload that fails
or is interrupted leaves the upload folder and the index as they were; a running bot picks
up an index another process wrote and never writes back its stale copy.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import RAG, SourceNotFoundError
from rag.corpus import safe_file_name, with_paths
from rag.types import SourceSet

from .conftest import CSIS, HANKYOREH, REPO, SEEDS

RAG_BIN = str(Path(sys.executable).parent / "rag")
LIGHTHOUSE = ("Velmora lighthouse shines again\n\nThe Velmora lighthouse in Quistenport was relit on "
              "14 March 2024, after 61 years of darkness.\n")
RELIT = "When was the Velmora lighthouse relit?"


def _run(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([RAG_BIN, *args], input=stdin, capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


@pytest.fixture
def work(seed_index_dir: Path, tmp_path: Path) -> Path:
    """A user's folder: seeds/ and an index of it holding one uploaded article."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    bot = RAG.build([tmp_path / "seeds"], index_dir=tmp_path / "index")
    report = bot.upload([("Velmora lighthouse.txt", LIGHTHOUSE.encode())])
    assert report.added == ("Velmora_lighthouse.txt",)
    return tmp_path


def _answers_the_upload(index_dir: Path) -> bool:
    bot = RAG.load(index_dir)
    return ("Velmora_lighthouse.txt" in [d.name for d in bot.documents()]
            and "14 March 2024" in bot.ask(RELIT).text)


@pytest.mark.parametrize("command", [
    ["index", "seeds"],
    ["index"],
    ["ask", "--source", "seeds", "Who is Song Tao?"],
    ["chat", "--source", "seeds"],
    ["index", "--rebuild"],
])
def test_an_upload_survives_every_cli_entry_point(work: Path, command: list[str]):
    out = _run(*command, cwd=work)
    assert out.returncode == 0, out.stderr
    assert "removed" not in out.stdout.replace("0 removed", "")
    assert _answers_the_upload(work / "index")
    assert (work / "index" / "corpus" / "Velmora_lighthouse.txt").read_text(encoding="utf-8") == LIGHTHOUSE


def test_an_upload_survives_the_api_entry_points_and_a_restart_of_the_app(work: Path, monkeypatch):
    monkeypatch.chdir(work)
    RAG.open(work / "index", sources=[work / "seeds"])
    RAG.build([work / "seeds"], index_dir=work / "index")
    assert _answers_the_upload(work / "index")
    import ui.app

    monkeypatch.setattr(ui.app, "launch_app", lambda app, **options: None)  # serve() would block
    ui.app.serve(index_dir=work / "index", sources=[work / "seeds"], feedback_log=work / "f.jsonl")
    assert _answers_the_upload(work / "index")


def test_a_new_source_is_added_and_said_never_replacing_the_others(work: Path):
    (work / "more").mkdir()
    (work / "more" / "tide.txt").write_text("Tide Report\n\nThe tide peaked at 4.2 metres on Sunday.",
                                            encoding="utf-8")
    out = _run("index", "more", cwd=work)
    assert out.returncode == 0 and "Adding" in out.stderr and "more" in out.stderr
    names = {d.name for d in RAG.load(work / "index").documents()}
    assert names == {CSIS, HANKYOREH, "Velmora_lighthouse.txt", "tide.txt"}
    assert _run("index", "nowhere", cwd=work).stderr.startswith("Error: nowhere not found")


def test_names_that_clash_after_sanitising_are_both_kept(work: Path):
    bot = RAG.load(work / "index")
    report = bot.upload([("a b.txt", b"Pier notes\n\nThe north pier opened in 1901."),
                         ("a_b.txt", b"Ferry notes\n\nThe ferry to Ostholm leaves at 7 am.")])
    assert report.added == ("a_b.txt", "a_b-2.txt")
    corpus = work / "index" / "corpus"
    assert sorted(p.name for p in corpus.iterdir()) == ["Velmora_lighthouse.txt", "a_b-2.txt", "a_b.txt"]
    again = RAG.open(work / "index")  # a restart: both still there
    assert {"a_b.txt", "a_b-2.txt"} <= {d.name for d in again.documents()}
    assert "1901" in again.ask("When did the north pier open?").text
    assert "7 am" in again.ask("When does the ferry to Ostholm leave?").text


def test_remove_an_upload_a_file_and_a_source(work: Path):
    (work / "more").mkdir()
    (work / "more" / "tide.txt").write_text("Tide Report\n\nThe tide peaked at 4.2 metres.", encoding="utf-8")
    bot = RAG.build([work / "more"], index_dir=work / "index")
    assert bot.remove(["Velmora_lighthouse.txt"]).removed == ("Velmora_lighthouse.txt",)
    assert not (work / "index" / "corpus" / "Velmora_lighthouse.txt").exists()  # an upload is deleted
    assert bot.remove([str(work / "more" / "tide.txt")]).removed == ("tide.txt",)
    assert (work / "more" / "tide.txt").exists()  # a user's file stays on disk, left out
    assert "tide.txt" not in {d.name for d in RAG.build(index_dir=work / "index").documents()}
    assert "tide.txt" in {d.name for d in RAG.build([work / "more" / "tide.txt"],
                                                     index_dir=work / "index").documents()}
    report = bot.remove([str(work / "seeds")])
    assert sorted(report.removed) == [CSIS, HANKYOREH]
    assert str(work / "seeds") not in RAG.load(work / "index").sources.paths
    with pytest.raises(ValueError, match="no indexed document or source named 'nothing.txt'"):
        bot.remove(["nothing.txt"])


def test_a_failed_upload_leaves_folder_and_index_as_they_were(work: Path, monkeypatch):
    bot = RAG.load(work / "index")
    before = sorted(p.name for p in (work / "index" / "corpus").iterdir())
    documents = bot.documents()

    def broken(_texts):
        raise OSError("disk full")

    monkeypatch.setattr(bot.embedder, "encode", broken)
    with pytest.raises(OSError, match="disk full"):
        bot.upload([("new.txt", b"Fresh news\n\nA new bakery opened on the quay.")])
    assert sorted(p.name for p in (work / "index" / "corpus").iterdir()) == before
    assert RAG.load(work / "index").documents() == documents == bot.documents()


def test_an_upload_killed_after_its_index_is_live_is_completed_at_the_next_open(work: Path):
    driver = ("import os, signal, sys, rag, rag.api\n"
              "rag.api.commit_staged = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
              "rag.RAG.load(sys.argv[1]).upload([('late.txt', b'Late news\\n\\nThe quay market moved to "
              "Fridays.')])\n")
    child = subprocess.run([sys.executable, "-c", driver, str(work / "index")], capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert child.returncode == -signal.SIGKILL
    assert not (work / "index" / "corpus" / "late.txt").exists()  # still staged
    bot = RAG.open(work / "index")
    assert (work / "index" / "corpus" / "late.txt").exists()  # moved in: the index holds it
    assert "Fridays" in bot.ask("When is the quay market held?").text


def test_an_upload_killed_before_its_index_is_live_is_rolled_back_at_the_next_open(work: Path):
    driver = ("import os, signal, sys, rag, rag.sync\n"
              "rag.sync.update_index = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
              "rag.RAG.load(sys.argv[1]).upload([('half.txt', b'Half news\\n\\nThe quay market closed.')])\n")
    child = subprocess.run([sys.executable, "-c", driver, str(work / "index")], capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert child.returncode == -signal.SIGKILL
    bot = RAG.open(work / "index")
    assert sorted(p.name for p in (work / "index" / "corpus").iterdir()) == ["Velmora_lighthouse.txt"]
    assert "half.txt" not in {d.name for d in bot.documents()}


def test_a_running_bot_picks_up_a_new_index_and_never_writes_back_a_stale_one(work: Path):
    server = RAG.load(work / "index")
    (work / "more").mkdir()
    (work / "more" / "tide.txt").write_text("Tide Report\n\nThe tide peaked at 4.2 metres on Sunday.",
                                            encoding="utf-8")
    assert _run("index", "more", cwd=work).returncode == 0  # another process re-indexes
    deadline = time.monotonic() + 30
    while "4.2 metres" not in server.ask("How high did the tide peak?").text:
        assert time.monotonic() < deadline, "the new index was never picked up"
        time.sleep(0.3)
    server.upload([("ferry.txt", b"Ferry notes\n\nThe ferry to Ostholm leaves at 7 am.")])
    names = {d.name for d in RAG.load(work / "index").documents()}
    assert {"tide.txt", "ferry.txt", "Velmora_lighthouse.txt"} <= names


def test_with_paths_adds_new_roots_only_and_un_excludes():
    sources = SourceSet(paths=("/data/news",), excluded=("/data/news/old.txt",), uploads="/ix/corpus")
    merged, added = with_paths(sources, ["/data/news/old.txt", "/data/more", "/ix/corpus/x.txt"])
    assert added == ("/data/more",) and merged.paths == ("/data/news", "/data/more")
    assert merged.excluded == ()


def test_missing_given_source_is_a_clear_error(tmp_path: Path):
    with pytest.raises(SourceNotFoundError, match="nowhere not found"):
        RAG.build([tmp_path / "nowhere"], index_dir=tmp_path / "ix")
    assert not (tmp_path / "ix").exists()


@pytest.mark.parametrize("name, safe", [("a b.txt", "a_b.txt"), ("../../x.md", "x.md")])
def test_safe_file_name(name: str, safe: str):
    assert safe_file_name(name) == safe


def test_a_source_not_found_keeps_its_documents_and_says_so(work: Path):
    (work / "more").mkdir()
    (work / "more" / "tide.txt").write_text("Tide Report\n\nThe tide peaked at 4.2 metres.", encoding="utf-8")
    RAG.build([work / "more"], index_dir=work / "index")
    (work / "more").rename(work / "unplugged")  # a disk not mounted today
    messages: list[str] = []
    bot = RAG.build(index_dir=work / "index", progress=messages.append)
    assert "tide.txt" in {d.name for d in bot.documents()}
    assert any("not found; its documents stay indexed" in m for m in messages)
    assert bot.last_report.sources_missing == (str(work / "more"),)
