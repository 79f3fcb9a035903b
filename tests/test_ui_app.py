"""The real web app over HTTP: a Gradio server on a free loopback port, the real library and
model (the session's `seed_bot` of conftest.py), called with `gradio_client` as a program would (the `/ask` endpoint), plus uploads,
served files and the port check. The browser tests are in `test_ui_browser.py`.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import socket
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported

import httpx  # noqa: E402
import pytest  # noqa: E402
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

import ui.app  # noqa: E402
from rag import RAG  # noqa: E402
from rag.config import Config  # noqa: E402
from ui.app import PortInUseError, build_app, serve  # noqa: E402
from ui.server import free_port, running  # noqa: E402
from ui.service import BotService  # noqa: E402
from ui.uploads import add_uploads  # noqa: E402

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
ARRIVAL = "When did Choe Ryong-hae arrive in Beijing?"
LIGHTHOUSE = """Velmora lighthouse shines again

By A. Reporter

The Velmora lighthouse in the harbour town of Quistenport was relit on 14 March 2024, after
61 years of darkness. Volunteers of the Quistenport Harbour Society raised 80,000 euros for
the new lamp. The mayor, Ilse Brandvik, switched it on in front of a crowd of 2,000 people.
"""


@pytest.fixture(scope="module")
def client(seed_bot, tmp_path_factory):
    """The real app on a free loopback port, and a gradio_client connected to it."""
    work = tmp_path_factory.mktemp("app")
    app = build_app(seed_bot, feedback_log=work / "feedback.jsonl")
    with running(app) as url:
        yield Client(url, verbose=False, analytics_enabled=False, download_files=False)


def ask(client: Client, question: str, history: list | None = None, **settings) -> dict:
    return client.predict(question, json.dumps(history or []), json.dumps(settings),
                          api_name="/ask")


def test_api_answers_with_citations_like_rag_ask_json(client, seed_bot):
    result = ask(client, ARRIVAL)
    assert "May 22" in result["answer"] and "[1]" in result["answer"]
    assert not result["abstained"]
    first = result["citations"][0]
    assert first["source"] == "000_f128671dea74a6be.txt"
    assert "Choe Ryong-hae" in first["quote"] and "May 22" in first["quote"]
    assert result == json.loads(json.dumps(seed_bot.ask(ARRIVAL).to_dict()))  # same JSON as the CLI


def test_api_abstains_on_a_question_the_articles_do_not_answer(client):
    result = ask(client, "What is the capital of Australia?")
    assert result["abstained"] is True
    assert result["citations"] == []
    assert result["answer"].strip()  # an abstention says so; it is never empty


def test_api_follow_up_uses_the_history(client, seed_bot):
    first = ask(client, ARRIVAL)
    follow_up = "How long was his consultation?"
    history = [[ARRIVAL, first["answer"]]]
    with_history = ask(client, follow_up, history)
    assert with_history == json.loads(json.dumps(
        seed_bot.ask(follow_up, history=[(ARRIVAL, first["answer"])]).to_dict()))
    assert any("Choe" in c["quote"] or "Choe" in c["title"] for c in with_history["citations"])
    messages = [{"role": "user", "content": ARRIVAL},
                {"role": "assistant", "content": first["answer"]}]
    assert ask(client, follow_up, messages) == with_history  # chat-message form, same turns


def test_api_settings_reach_the_library(client, seed_bot):
    result = ask(client, ARRIVAL, top_k=1, retrieval="lexical")
    expected = seed_bot.ask(ARRIVAL, top_k=1, retrieval="lexical").to_dict()
    assert result == json.loads(json.dumps(expected))


@pytest.mark.parametrize("question, history, settings, message", [
    ("", "[]", "{}", "empty"),
    ("   ", "[]", "{}", "empty"),
    (ARRIVAL, "{", "{}", "history_json is not valid JSON"),
    (ARRIVAL, '{"q": "a"}', "{}", "JSON list"),
    (ARRIVAL, "[]", '{"model": "other"}', "unknown setting"),
    (ARRIVAL, "[]", '{"retrieval": "magic"}', "retrieval"),
])
def test_api_errors_are_clear(client, question, history, settings, message):
    with pytest.raises(AppError, match=message):
        client.predict(question, history, settings, api_name="/ask")


def test_only_ask_is_a_public_endpoint(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]


def test_no_file_outside_the_app_is_served(client, seed_index_dir):
    secret = next(SEEDS.iterdir())
    for path in ("/etc/passwd", str(secret), str(next(seed_index_dir.iterdir()))):
        response = httpx.get(f"{client.src.rstrip('/')}/gradio_api/file={path}")
        assert response.status_code in (403, 404), path
        assert "root:" not in response.text and "Choe" not in response.text


def test_an_uploaded_file_becomes_answerable(seed_index_dir, tmp_path):
    index_dir = shutil.copytree(seed_index_dir, tmp_path / "index")
    bot = RAG.load(index_dir)
    incoming = tmp_path / "browser"
    incoming.mkdir()
    (incoming / "Velmora lighthouse (draft).txt").write_text(LIGHTHOUSE, encoding="utf-8")
    app = build_app(bot, feedback_log=tmp_path / "f.jsonl")
    with running(app) as url:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        assert ask(client, "When was the Velmora lighthouse relit?")["abstained"]
        summary = add_uploads(list(incoming.iterdir()), 10_000, BotService(bot).upload)
        assert "Velmora_lighthouse_draft.txt** added to the index" in html.unescape(summary)
        result = ask(client, "When was the Velmora lighthouse relit?")
    assert "14 March 2024" in result["answer"]
    assert result["citations"][0]["source"] == "Velmora_lighthouse_draft.txt"
    stored = index_dir / "corpus" / "Velmora_lighthouse_draft.txt"
    assert stored.read_text(encoding="utf-8") == LIGHTHOUSE  # kept inside the index folder
    again = add_uploads(list(incoming.iterdir()), 10_000, bot.upload)
    assert "same content as a document already indexed" in again  # recognised, not indexed twice
    assert [d.name for d in bot.documents()].count("Velmora_lighthouse_draft.txt") == 1
    assert sorted(p.name for p in (index_dir / "corpus").iterdir()) == ["Velmora_lighthouse_draft.txt"]


def test_an_upload_repeating_a_seed_article_is_recognised(seed_index_dir, tmp_path):
    index_dir = shutil.copytree(seed_index_dir, tmp_path / "index")
    bot = RAG.load(index_dir)
    copy = tmp_path / "incoming" / "same as seed.txt"
    copy.parent.mkdir()
    shutil.copy(SEEDS / "000_f128671dea74a6be.txt", copy)
    summary = html.unescape(add_uploads([copy], 100_000, bot.upload))
    assert summary == ("- **same_as_seed.txt** has the same content as a document already "
                       "indexed; not added again.")
    assert list((index_dir / "corpus").iterdir()) == []  # nothing left to re-index at start
    assert len(bot.documents()) == 2


def test_port_in_use_is_refused_before_any_work(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUseError) as caught:
            serve(host="127.0.0.1", port=port, index_dir=tmp_path / "index", sources=[SEEDS],
                  feedback_log=tmp_path / "f.jsonl")
    assert f"port {port} on 127.0.0.1 is already in use" in str(caught.value)
    assert f"--port {port + 1}" in str(caught.value)
    assert not (tmp_path / "index").exists()  # refused before loading or building anything


def test_serve_builds_a_missing_index_and_says_so(tmp_path, monkeypatch, capsys):
    started = {}
    launch = ui.app.launch_app

    def launch_in_background(app, **options):  # serve() blocks; the test needs it back
        started["app"] = app
        started["url"] = launch(app, **{**options, "block": False})
        return started["url"]

    monkeypatch.setattr(ui.app, "launch_app", launch_in_background)
    serve(host="127.0.0.1", port=free_port(), index_dir=tmp_path / "index", sources=[SEEDS],
          feedback_log=tmp_path / "f.jsonl")
    try:
        captured = capsys.readouterr()
        assert "Loading the index" in captured.err and "building it from" in captured.err
        assert f"[rag serve] The web chat is on {started['url']} (Ctrl+C stops it): 2 document(s)" \
            in captured.err
        assert "share=True" not in captured.out + captured.err  # the product never shares
        assert (tmp_path / "index" / "CURRENT").is_file()
        client = Client(started["url"], verbose=False, analytics_enabled=False,
                        download_files=False)
        assert "May 22" in ask(client, ARRIVAL)["answer"]
    finally:
        started["app"].close()


@pytest.mark.parametrize("question, history, logged", [
    ("", "[]", "user error (/ask): the question is empty"),
    (ARRIVAL, "{", "user error (/ask): history_json is not valid JSON"),
])
def test_a_user_error_is_one_log_line_without_traceback(client, capfd, question, history, logged):
    capfd.readouterr()
    with pytest.raises(AppError):
        client.predict(question, history, "{}", api_name="/ask")
    out, err = capfd.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"[rag serve] {logged}")
    assert "Traceback" not in out + err


def test_a_real_fault_keeps_its_traceback(tmp_path, capfd):
    class Broken:  # a bot with a bug: not a user error, so the console gets the traceback
        config = Config()

        def ask(self, *args, **kwargs):
            raise ZeroDivisionError("a bug in the program")

        def add(self, paths):
            return None

        def documents(self):
            return []

    app = build_app(Broken(), feedback_log=tmp_path / "f.jsonl")
    with running(app) as url:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        capfd.readouterr()
        with pytest.raises(AppError):
            client.predict(ARRIVAL, "[]", "{}", api_name="/ask")
        _, err = capfd.readouterr()
    assert "Traceback" in err and "ZeroDivisionError: a bug in the program" in err
