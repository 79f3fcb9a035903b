"""The app's view of the library: the calls it makes, and the query settings it lets through.

`rag.RAG` is safe to call from many threads at once (concurrent `ask`; writes take the
index's lock and swap the index in whole), so no lock is taken here. What this adds:
- a gate: a browser or an API caller may change only the query settings in
  `QUERY_SETTINGS`, never index settings;
- a fixed set of `WORKERS` threads that run every library call. Gradio runs handlers on any
  of its up to 40 worker threads, and each thread that ran the model kept memory of its own
  (its malloc arena, about 7 MB): the server grew by some 300 MB over 1,500 questions. On
  the same few threads it stays flat.
"""
from __future__ import annotations

import os
import queue
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

from ui.log import say

# "answerer" picks between the extractive answerer and the LLM endpoint the server was
# started with; the endpoint itself (URL, model) is never a browser's to choose
QUERY_SETTINGS = ("top_k", "retrieval", "fuzzy_names", "abstain_threshold", "answerer")
WORKERS = min(4, len(os.sched_getaffinity(0)))  # library calls at once (questions, uploads)
_LIBRARY = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="rag-library")
T = TypeVar("T")


def on_library_threads(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`call(*args, **kwargs)` run on one of the `WORKERS` library threads; waits for it."""
    return _LIBRARY.submit(call, *args, **kwargs).result()


_END = object()  # the end of a stream


def _quiet_wait(message: str) -> None:
    """Progress of a write from the page: logged on the server's console."""
    say(message)


class BotService:
    """Forwards to a `rag.RAG` (or any object with `ask`, `add`, `documents`, `config`)."""

    def __init__(self, bot: Any) -> None:
        for method in ("ask", "add", "documents"):
            if not callable(getattr(bot, method, None)):
                raise TypeError(f"bot must have an {method}() method like rag.RAG; got {bot!r}")
        self._bot = bot

    @property
    def config(self) -> Any:
        """The library's settings (`rag.Config`): defaults for the settings panel."""
        return self._bot.config

    @property
    def llm_configured(self) -> bool:
        """True when the server was started with an LLM endpoint (the page then offers it)."""
        return bool(getattr(self._bot.config, "llm_configured", lambda: False)())

    def ask(self, question: str, history: Sequence[Any] = (), **settings: Any) -> Any:
        """`RAG.ask`; `ValueError` for a setting outside `QUERY_SETTINGS`. None means default."""
        chosen = self._allowed(settings)
        top_k = chosen.pop("top_k", None)
        return on_library_threads(self._bot.ask, question, history=list(history), top_k=top_k, **chosen)

    def ask_stream(self, question: str, history: Sequence[Any] = (), **settings: Any) -> Iterator[Any]:
        """`RAG.ask_stream` run on a library thread: the reply's pieces as they come, then
        the checked `Answer`. Errors are raised here, in the caller's thread."""
        chosen = self._allowed(settings)
        top_k = chosen.pop("top_k", None)
        items: queue.Queue = queue.Queue()

        def produce() -> None:
            try:
                for item in self._bot.ask_stream(question, history=list(history), top_k=top_k, **chosen):
                    items.put((True, item))
            except BaseException as error:  # handed to the caller's thread, raised there
                items.put((False, error))
            items.put((True, _END))

        _LIBRARY.submit(produce)
        while True:
            ok, item = items.get()
            if not ok:
                raise item
            if item is _END:
                return
            yield item

    def _allowed(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The settings given (None means default); `ValueError` for any outside `QUERY_SETTINGS`,
        or for the LLM answerer on a server started without an endpoint."""
        unknown = sorted(set(settings) - set(QUERY_SETTINGS))
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}; "
                             f"allowed: {', '.join(QUERY_SETTINGS)}")
        chosen = {k: v for k, v in settings.items() if v is not None}
        if chosen.get("answerer") == "llm" and not self.llm_configured:
            raise ValueError("this server has no language model: start it with "
                             "rag serve --llm-url URL --llm-model NAME")
        return chosen

    def add(self, paths: Sequence[Path]) -> Any:
        """`RAG.add`: index these files incrementally."""
        return on_library_threads(self._bot.add, list(paths))

    def upload(self, files: Sequence[tuple[str, bytes]]) -> Any:
        """`RAG.upload`: store these (name, bytes) files in the upload folder and index them."""
        return on_library_threads(self._bot.upload, list(files), progress=_quiet_wait)

    def remove(self, names: Sequence[str]) -> Any:
        """`RAG.remove`: take these documents out of the index."""
        return on_library_threads(self._bot.remove, list(names), progress=_quiet_wait)

    def documents(self) -> list[Any]:
        """`RAG.documents`: what is indexed."""
        return list(self._bot.documents())

    def document_text(self, source: str) -> str | None:
        """`RAG.document_text`: a cited document's text; None when it is no longer indexed
        (removed since the answer) or the bot keeps no text, so its card has no article view."""
        text_of = getattr(self._bot, "document_text", None)
        try:
            return text_of(source) if callable(text_of) else None
        except KeyError:
            return None
