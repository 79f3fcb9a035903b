"""Event handlers: the streamed chat, the `/ask` API endpoint and answer feedback.

The conversation is kept twice: the chat component holds what is shown (escaped HTML), and
a list of *turns* (question, the answer's JSON, the chat index of its bubble, its section of
the sources panel) holds what the
library and the feedback log need, so nothing is ever parsed back out of rendered HTML.
Library errors and bad input become `gr.Error` here, with the library's message, and one
line on the server's console (`ui.log.user_error`).
Left out: layout (`app.py`) and HTML (`render.py`).
"""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable, Iterator

import gradio as gr

from rag import RagError
from ui.feedback import FeedbackLog, vote_name
from ui.log import user_error, warn_user
from ui.render import (answer_chat, escape_chat_text, placeholder_html, question_chat, sources_html,
                       sources_panel)
from ui.server import forget_session
from ui.service import QUERY_SETTINGS, BotService

STREAM_WORDS = 3  # words added to the bubble per streamed update
SEARCHING = "Searching the articles…"
WRITING = "Writing; each sentence is checked against its source when done…"


def stream_prefixes(text: str, step: int = STREAM_WORDS) -> Iterator[str]:
    """Growing prefixes of `text`, `step` words at a time, ending with the whole text."""
    ends = [m.end() for m in re.finditer(r"\S+", text)]
    for i in range(step - 1, len(ends) - 1, step):
        yield text[: ends[i]]
    yield text


def parse_history(history_json: str) -> list[Any]:
    """Turns for `RAG.ask` from JSON: a list of strings, `[question, answer]` pairs or
    `{"role": "user"|"assistant", "content": str}` messages. `ValueError` if malformed."""
    try:
        items = json.loads(history_json or "[]")
    except json.JSONDecodeError as error:
        raise ValueError(f"history_json is not valid JSON: {error.msg}") from None
    if not isinstance(items, list):
        raise ValueError("history_json must be a JSON list of earlier turns")
    turns: list[Any] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            turns.append(item)
        elif isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item):
            turns.append((item[0], item[1]))
        elif (isinstance(item, dict) and item.get("role") in ("user", "assistant")
              and isinstance(item.get("content"), str)):
            turns.append({"role": item["role"], "content": item["content"]})
        else:
            raise ValueError(f"history_json item {i} must be a string, a [question, answer] "
                             'pair or a {"role": ..., "content": ...} message')
    return turns


def parse_settings(settings_json: str) -> dict[str, Any]:
    """Query settings from a JSON object, e.g. `{"top_k": 3, "retrieval": "lexical"}`."""
    try:
        settings = json.loads(settings_json or "{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"settings_json is not valid JSON: {error.msg}") from None
    if not isinstance(settings, dict):
        raise ValueError(f"settings_json must be a JSON object with keys from "
                         f"{', '.join(QUERY_SETTINGS)}")
    return settings


def make_ask_api(service: BotService) -> Callable[..., dict]:
    """The function behind the `/ask` endpoint."""

    def ask(question: str, history_json: str = "[]", settings_json: str = "{}",
            request: gr.Request = None) -> dict:
        """Answer a question from the indexed articles.

        Returns the JSON of `rag ask --json`: answer, abstained, citations, short_answer, notes.
        history_json: earlier turns, e.g. [["question", "answer"]] or chat messages.
        settings_json: query settings, e.g. {"top_k": 3, "retrieval": "lexical"}.
        """
        try:
            history = parse_history(history_json)
            answer = service.ask(question, history, **parse_settings(settings_json))
        except (ValueError, TypeError, RagError) as error:
            raise user_error(str(error), event="/ask") from error
        finally:
            forget_session(request)  # the endpoint keeps nothing between calls
        return answer.to_dict()

    return ask


def make_respond(service: BotService, stream_delay: float) -> Callable[..., Iterator[tuple]]:
    """The chat handler: shows the question, asks the library, streams the answer in.

    Yields (textbox, chat messages, sources panel, turns).
    """

    def respond(question: str, messages: list, turns: list, top_k: float, retrieval: str,
                fuzzy_names: bool, use_llm: bool = False) -> Iterator[tuple]:
        question = (question or "").strip()
        if not question:
            warn_user("Type a question first.", event="ask")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        shown = [*(messages or []), {"role": "user", "content": question_chat(question)}]
        yield "", [*shown, _bubble(f"*{SEARCHING}*")], placeholder_html(SEARCHING), turns
        history = [(t["question"], t["answer"]["answer"]) for t in turns]
        settings = {"top_k": int(top_k), "retrieval": retrieval, "fuzzy_names": bool(fuzzy_names)}
        try:
            if use_llm:  # the model's words as they come, then the checked answer replaces them
                answer = yield from _written(service, question, history, settings, shown, turns)
            else:
                answer = service.ask(question, history, **settings)
        except (ValueError, RagError) as error:
            warn_user(str(error), event="ask")
            failed = _bubble(answer_chat(f"Could not answer: {error}", abstained=False))
            yield question, [*shown, failed], sources_panel([t["sources"] for t in turns]), turns
            return
        turn = len(turns)
        section = sources_html(question, answer, turn=turn, article=service.document_text)
        done = [*turns, {"question": question, "answer": answer.to_dict(), "index": len(shown),
                         "sources": section}]
        panel = sources_panel([t["sources"] for t in done])
        prefixes = [answer.text] if use_llm else list(stream_prefixes(answer.text))
        for i, prefix in enumerate(prefixes, 1):
            bubble = answer_chat(prefix, abstained=answer.abstained, turn=turn)
            if use_llm:
                bubble += checked_notes(answer)
            yield "", [*shown, _bubble(bubble)], panel, done if i == len(prefixes) else turns
            if i < len(prefixes):
                time.sleep(stream_delay)

    return respond


def _written(service: BotService, question: str, history: list, settings: dict[str, Any], shown: list,
             turns: list) -> Iterator[tuple]:
    """Yields the chat with the model's reply growing as it streams; returns the checked answer."""
    written = ""
    for item in service.ask_stream(question, history, answerer="llm", **settings):
        if not isinstance(item, str):
            return item
        written += item
        bubble = _bubble(answer_chat(written, abstained=False) + f"\n\n*{WRITING}*")
        yield "", [*shown, bubble], placeholder_html(WRITING), turns
    raise RuntimeError("the answer stream ended without an answer")


def checked_notes(answer: Any) -> str:
    """What the citation check did to a generated answer, as lines under the bubble."""
    lines = [f"*{escape_chat_text(note)}*" for note in answer.notes]
    return ("\n\n" + "\n\n".join(lines)) if lines else "\n\n*Every sentence checked against the passage it cites.*"


def _bubble(content: str) -> dict[str, str]:
    return {"role": "assistant", "content": content}


def make_like(log: FeedbackLog) -> Callable[..., None]:
    """The handler of the chat's thumbs up / down: one JSONL record per vote."""

    def on_like(turns: list, data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = next((t for t in turns if t["index"] == index), None)
        if turn is None:
            raise user_error("Only a finished answer can be rated.", event="vote")
        log.append(vote_name(data.liked), turn)
        gr.Info("Thanks, your feedback was saved.", duration=3)

    return on_like
