"""The web app's gate for generated answers: a browser may turn the LLM answerer on or off,
never choose its endpoint; a server started without one refuses it; streaming runs on the
library threads and hands errors back to the caller."""
from __future__ import annotations

import pytest

from rag import LLMError
from tests.llm_server import ChatServer, Reply
from ui.service import BotService

ARRIVAL = "When did Choe Ryong-hae arrive in Beijing?"


def test_a_server_without_an_endpoint_refuses_the_llm_answerer(seed_bot) -> None:
    service = BotService(seed_bot)
    assert not service.llm_configured
    with pytest.raises(ValueError, match="this server has no language model: start it with rag serve --llm-url"):
        service.ask(ARRIVAL, answerer="llm")


def test_the_endpoint_is_not_a_browser_setting(seed_bot) -> None:
    with pytest.raises(ValueError, match="unknown setting"):
        BotService(seed_bot).ask(ARRIVAL, answerer="llm", llm_base_url="http://169.254.169.254/v1")


def test_streaming_through_the_service(seed_bot) -> None:
    n = next(i for i, p in enumerate(seed_bot.retrieve(ARRIVAL), 1) if "May 22" in p.text)
    with ChatServer(lambda r: Reply(f"Choe Ryong-hae arrived in Beijing on May 22 [{n}].", pieces=3)) as server:
        service = BotService(seed_bot.with_settings(llm_base_url=server.url, llm_model=server.model))
        assert service.llm_configured
        *pieces, answer = list(service.ask_stream(ARRIVAL, answerer="llm"))
        assert len(pieces) == 3 and answer.text == "Choe Ryong-hae arrived in Beijing on May 22. [1]"
        assert service.ask(ARRIVAL).citations == seed_bot.ask(ARRIVAL).citations  # extractive by default


def test_a_stream_error_reaches_the_caller(seed_bot) -> None:
    with ChatServer(lambda r: Reply("overloaded", status=503)) as server:
        service = BotService(seed_bot.with_settings(llm_base_url=server.url, llm_model=server.model))
        with pytest.raises(LLMError, match=r"\(HTTP 503\): overloaded"):
            list(service.ask_stream(ARRIVAL, answerer="llm"))


def test_the_page_streams_the_model_then_shows_the_checked_answer(seed_bot) -> None:
    from ui.chat import WRITING, make_respond

    n = next(i for i, p in enumerate(seed_bot.retrieve(ARRIVAL), 1) if "May 22" in p.text)
    reply = f"Choe Ryong-hae arrived in Beijing on May 22 [{n}]. He flew on a golden dragon [{n}]."
    with ChatServer(lambda r: Reply(reply, pieces=4)) as server:
        service = BotService(seed_bot.with_settings(llm_base_url=server.url, llm_model=server.model))
        updates = list(make_respond(service, 0)(ARRIVAL, [], [], 5, "hybrid", True, True))
    bubbles = [u[1][-1]["content"] for u in updates]
    streaming = [b for b in bubbles if WRITING in b]
    assert len(streaming) == 4 and "golden dragon" in streaming[-1]  # the model's words, as they came
    final = bubbles[-1]
    assert "golden dragon" not in final.split("\n\n")[0] and "(#rag-cite-0-1)" in final
    assert "Left out a generated sentence that is not supported" in final
    turn = updates[-1][3][-1]
    assert turn["answer"]["answer"] == "Choe Ryong-hae arrived in Beijing on May 22. [1]"
    assert 'id="rag-source-0-1"' in updates[-1][2]


def test_the_switch_is_shown_only_with_an_endpoint(seed_bot, tmp_path) -> None:
    from ui.app import build_app

    def switch(bot):
        app = build_app(bot, feedback_log=tmp_path / "f.jsonl")
        return next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "rag-llm")

    assert switch(seed_bot).visible is False
    shown = switch(seed_bot.with_settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="llama3.2"))
    assert shown.visible is True and shown.label == "Written by llama3.2"
