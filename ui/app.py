"""The web chat: layout and wiring of the Gradio app, and `serve` to run it.

`build_app` lays out the page (chat with a sources panel beside it, settings, documents and
uploads) and connects it to the handlers in `chat.py`; `serve` loads or builds the index,
then launches the app with the fixed settings of `server.py`. The app talks to the library
only through its public API (`ask`, `add`, `documents`, `config`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import gradio as gr

from rag import RagError
from rag.config import RETRIEVAL_MODES
from ui.chat import make_ask_api, make_like, make_respond
from ui.examples import example_questions
from ui.feedback import FeedbackLog
from ui.log import say, user_error
from ui.render import documents_html, escape_chat_text, header_html, placeholder_html
from ui.server import DEFAULT_MAX_UPLOAD_BYTES, PortInUseError, check_port, launch_app
from ui.service import BotService
from ui.uploads import ALLOWED_SUFFIXES, add_uploads

__all__ = ["build_app", "serve", "PortInUseError"]

STREAM_DELAY = 0.02  # seconds between streamed updates of an answer
PRIVATE = {"api_visibility": "private"}  # UI events; programs use the /ask endpoint


def build_app(bot: Any, *, feedback_log: Path, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
              stream_delay: float = STREAM_DELAY) -> gr.Blocks:
    """The Gradio app over `bot` (a `rag.RAG`); uploads are stored by the library in the
    index's upload folder, votes go to `feedback_log`. Launch it with
    `ui.server.launch_app` (theme, limits, queue)."""
    if max_upload_bytes < 1:
        raise ValueError(f"max_upload_bytes must be at least 1, got {max_upload_bytes}")
    service = BotService(bot)
    documents = service.documents()
    with gr.Blocks(title="News Q&A", analytics_enabled=False, fill_width=True,
                   delete_cache=(3600, 3600)) as app:
        header = gr.HTML(header_html(documents))
        with gr.Row(equal_height=False):
            chat = _chat_column(service.config, documents, service.llm_configured)
            side = _side_column(documents, max_upload_bytes)
        turns = gr.State([])
        _wire_chat(chat, side, turns, make_respond(service, stream_delay),
                   FeedbackLog(Path(feedback_log)))

        refreshed = [side.status, side.documents, header, chat.chatbot, side.files, side.remove_choice]
        side.files.upload(_upload_handler(service, max_upload_bytes), side.files, refreshed, **PRIVATE)
        side.remove.click(_remove_handler(service), side.remove_choice, refreshed, **PRIVATE)
        gr.api(make_ask_api(service), api_name="ask")
    return app


@dataclass(frozen=True)
class _ChatParts:
    chatbot: gr.Chatbot
    question: gr.Textbox
    ask: gr.Button
    clear: gr.Button
    top_k: gr.Slider
    retrieval: gr.Radio
    fuzzy: gr.Checkbox
    llm: gr.Checkbox  # generated answers; shown only when the server has an LLM endpoint


@dataclass(frozen=True)
class _SideParts:
    sources: gr.HTML
    documents: gr.HTML
    files: gr.File
    status: gr.Markdown
    remove_choice: gr.Dropdown
    remove: gr.Button


def _chat_column(config: Any, documents: Sequence[Any], llm_offered: bool = False) -> _ChatParts:
    with gr.Column(scale=3, min_width=420, elem_id="rag-chat-col"):
        chatbot = gr.Chatbot(
            value=[], label="Conversation", elem_id="rag-chat", height=480,
            examples=_examples(documents), placeholder=_WELCOME, sanitize_html=True,
            allow_tags=False, latex_delimiters=[], feedback_options=("Like", "Dislike"),
            buttons=["copy"],
        )
        with gr.Row(equal_height=True):
            question = gr.Textbox(placeholder="Ask a question about the articles…",
                                  show_label=False, scale=8, max_lines=4,
                                  elem_id="rag-question", autofocus=True)
            ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rag-ask")
            clear = gr.Button("Clear", scale=1, min_width=80, elem_id="rag-clear")
        llm = gr.Checkbox(value=False, visible=llm_offered, elem_id="rag-llm",
                          label=f"Written by {getattr(config, 'llm_model', '') or 'a language model'}",
                          info="The model writes the answer from the passages; every sentence is "
                               "checked against the passage it cites, and unsupported ones are left out")
        with gr.Accordion("Settings", open=False, elem_id="rag-settings"):
            top_k = gr.Slider(1, 20, value=config.top_k, step=1,
                              label="Passages to retrieve (top-k)")
            retrieval = gr.Radio(list(RETRIEVAL_MODES), value=config.retrieval, label="Retrieval",
                                 info="dense: by meaning; lexical: by exact words; hybrid: both")
            fuzzy = gr.Checkbox(value=config.fuzzy_names, label="Fuzzy name matching",
                                info="Also match other spellings of names")
    return _ChatParts(chatbot, question, ask, clear, top_k, retrieval, fuzzy, llm)


def _side_column(documents: Sequence[Any], max_upload_bytes: int) -> _SideParts:
    with gr.Column(scale=2, min_width=340, elem_id="rag-side-col"):
        with gr.Tabs():
            with gr.Tab("Sources", id="sources"):
                sources = gr.HTML(placeholder_html(), elem_id="rag-sources")
            with gr.Tab("Documents", id="documents"):
                docs = gr.HTML(documents_html(documents), elem_id="rag-documents")
                files = gr.File(label=f"Add articles ({' or '.join(ALLOWED_SUFFIXES)}, up to "
                                      f"{max_upload_bytes:,} bytes each)",
                                file_count="multiple", file_types=list(ALLOWED_SUFFIXES),
                                elem_id="rag-upload")
                status = gr.Markdown(elem_id="rag-upload-status")
                with gr.Row(equal_height=True):
                    choice = gr.Dropdown(_names(documents), multiselect=True, scale=4,
                                         label="Remove documents", elem_id="rag-remove-choice")
                    remove = gr.Button("Remove", variant="stop", scale=1, min_width=80,
                                       elem_id="rag-remove")
    return _SideParts(sources, docs, files, status, choice, remove)


def _wire_chat(chat: _ChatParts, side: _SideParts, turns: gr.State,
               respond: Callable[..., Any], log: FeedbackLog) -> None:
    io = dict(inputs=[chat.question, chat.chatbot, turns, chat.top_k, chat.retrieval, chat.fuzzy, chat.llm],
              outputs=[chat.question, chat.chatbot, side.sources, turns], **PRIVATE)
    chat.question.submit(respond, **io)
    chat.ask.click(respond, **io)
    chat.chatbot.example_select(_example_text, None, chat.question, **PRIVATE).then(respond, **io)
    reset = dict(fn=_reset, inputs=None, outputs=[chat.question, chat.chatbot, side.sources, turns],
                 **PRIVATE)
    chat.clear.click(**reset)  # the one way to clear (no trash icon on the chat as well)
    chat.chatbot.like(make_like(log), turns, None, **PRIVATE)


def serve(*, host: str = "127.0.0.1", port: int = 7860, index_dir: Path,
          sources: Sequence[Path] = (), upload_dir: Path | None = None, feedback_log: Path,
          max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES, llm: dict[str, str] | None = None) -> None:
    """Load (or first build) the index, then run the web app until interrupted.

    `sources` are added to the index's own; uploads are stored in `upload_dir` (default:
    `corpus/` inside the index folder), a source of the index, so they stay after a restart.
    `PortInUseError` (before any slow work) if `host:port` is taken.
    """
    from rag import RAG
    from rag.progress import TerminalProgress

    check_port(host, port)
    say(f"Loading the index in {index_dir}/ (building it first if it is missing or out of date)...")
    bot = RAG.open(index_dir=str(index_dir), sources=[str(s) for s in sources], uploads=upload_dir,
                   progress=TerminalProgress("[rag serve] "))
    if llm:  # the endpoint of generated answers: the page offers them (URL and model fixed here)
        bot = bot.with_settings(**llm)
    app = build_app(bot, feedback_log=Path(feedback_log), max_upload_bytes=max_upload_bytes)
    launch_app(app, host=host, port=port, block=True, max_upload_bytes=max_upload_bytes,
               announce=lambda url: say(started_line(url, bot, index_dir)))


def started_line(url: str, bot: Any, index_dir: Path) -> str:
    """The start-up line: where the chat is and what it answers from."""
    docs = bot.documents()
    chunks = sum(int(d.n_chunks) for d in docs)
    return (f"The web chat is on {url} (Ctrl+C stops it): {len(docs)} document(s), "
            f"{chunks} chunks indexed in {index_dir}/ from {', '.join(map(str, bot.sources.paths))}.")


_WELCOME = ("**Ask about the news articles in the index.** Answers quote the articles, "
            "with numbered citations; the passages appear in the Sources panel.")


def _upload_handler(service: BotService, max_upload_bytes: int) -> Callable[[list[str] | None], tuple]:
    """Store and index uploaded files; refresh the summary, documents, header and examples."""

    def on_upload(paths: list[str] | None) -> tuple:
        if not paths:
            return (gr.skip(),) * 6
        try:
            summary = add_uploads([Path(p) for p in paths], max_upload_bytes, service.upload)
        except (RagError, OSError) as error:
            raise user_error(f"Could not add the files: {error}", event="upload") from error
        return (summary, *_refreshed(service), None, _choices(service))

    return on_upload


def _remove_handler(service: BotService) -> Callable[[list[str] | None], tuple]:
    """Take the chosen documents out of the index; refresh the page's lists."""

    def on_remove(names: list[str] | None) -> tuple:
        if not names:
            raise user_error("Choose the documents to remove first.", event="remove")
        try:
            report = service.remove(names)
        except (RagError, ValueError, OSError) as error:
            raise user_error(f"Could not remove: {error}", event="remove") from error
        summary = "\n".join(f"- **{escape_chat_text(n)}** removed from the index." for n in report.removed)
        return (summary, *_refreshed(service), gr.skip(), _choices(service))

    return on_remove


def _refreshed(service: BotService) -> tuple:
    docs = service.documents()
    return documents_html(docs), header_html(docs), gr.update(examples=_examples(docs))


def _choices(service: BotService) -> Any:
    return gr.update(choices=_names(service.documents()), value=[])


def _names(documents: Sequence[Any]) -> list[tuple[str, str]]:
    """(file name, path) of each document: the name is shown, the path names it exactly."""
    return sorted((d.name, d.source) for d in documents)


def _examples(documents: Sequence[Any]) -> list[dict[str, str]]:
    return [{"text": q} for q in example_questions(documents)]


def _example_text(data: gr.SelectData) -> str:
    return data.value["text"]


def _reset() -> tuple:
    return "", [], placeholder_html(), []
