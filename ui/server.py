"""Start the web app: check the port, then launch Gradio with the settings of this product.

The launch settings are fixed here, in one place, for `serve` and for the tests: loopback
by default, no share link, no analytics, no server-side rendering, no MCP server, errors
shown, a bounded queue with a concurrency limit, an upload size limit, and no folder of the
machine served (`allowed_paths=[]`: only Gradio's own assets and files uploaded through the
page are reachable).
"""
from __future__ import annotations

import errno
import os
import socket
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import gradio as gr

from ui.service import WORKERS
from ui.page import HEAD
from ui.theme import CSS, PAGE_CSS, make_theme

CONCURRENCY_LIMIT = WORKERS  # events of one kind running at once (as many as library threads)
QUEUE_SIZE = 64  # waiting requests beyond this are refused with "queue full"
DEFAULT_MAX_UPLOAD_BYTES = 2_000_000


class PortInUseError(OSError):
    """The port the web app should listen on is already taken."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            errno.EADDRINUSE,
            f"port {port} on {host} is already in use (is the app already running?). "
            f"Stop the other program or choose another port, e.g. `rag serve --port {port + 1}` "
            f"(`make run PORT={port + 1}`)",
        )
        self.host = host
        self.port = port

    def __str__(self) -> str:
        return str(self.strerror)


def check_port(host: str, port: int) -> None:
    """Raise `PortInUseError` if nothing could listen on `host:port` because it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The server sets SO_REUSEADDR too: a port left in TIME_WAIT is free, a listening one not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(host, port) from None
            raise OSError(error.errno,
                          f"cannot listen on {host}:{port}: {error.strerror}") from None


def free_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that is free right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def launch_app(app: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860,
               block: bool = True, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
               announce: Callable[[str], None] | None = None) -> str:
    """Launch `app` on `host:port` and return its URL; with `block=False` it runs in a thread.

    Gradio's own start-up text is silenced (its "set `share=True`" hint is wrong for a
    product that never shares); `announce(url)` runs once the server listens, before
    blocking. `PortInUseError` if the port is taken.
    """
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # also read by Gradio's helpers
    # The queue keeps statistics of the last 10,000 events for a monitoring page (off here) and
    # recomputes them with pandas after every event: keep one, never recompute.
    os.environ["GRADIO_ANALYTICS_MAX_EVENTS"] = "1"
    os.environ["GRADIO_ANALYTICS_CACHE_FREQUENCY"] = str(2**62)
    check_port(host, port)
    share_cores()
    app.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    try:
        _, url, _ = app.launch(
            server_name=host, server_port=port, share=False, inbrowser=False,
            prevent_thread_lock=True, show_error=True, quiet=True,
            allowed_paths=[], max_file_size=max_upload_bytes, ssr_mode=False,
            mcp_server=False, pwa=False, enable_monitoring=False, run_history=False, footer_links=["api"],
            theme=make_theme(), css=CSS, head=f"<style>{PAGE_CSS}</style>{HEAD}",
        )
    except OSError as error:
        if "port" in str(error).lower():  # taken between our check and Gradio's bind
            raise PortInUseError(host, port) from error
        raise
    if announce is not None:
        announce(url)
    if block:
        app.block_thread()
    return url


def share_cores() -> None:
    """Give each of the `WORKERS` library threads an equal share of the cores for the model.

    Left alone, the model gives every call all the cores: two questions at once on two cores
    then run four threads that wait on each other. Measured on 2 cores (torch), a question
    took 55 ms of CPU with two threads and 33 ms with one, so fewer questions a second fit.
    """
    from rag.embedding import set_threads

    set_threads(max(1, len(os.sched_getaffinity(0)) // WORKERS))


@contextmanager
def running(app: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = None,
            **options: Any) -> Iterator[str]:
    """Run `app` in a background thread for the length of a `with` block; yields its URL."""
    url = launch_app(app, host=host, port=port or free_port(host), block=False, **options)
    try:
        yield url
    finally:
        app.close()


def forget_session(request: gr.Request | None) -> None:
    """Drop what Gradio keeps of the caller's session, unless it holds `gr.State` values.

    For every session Gradio keeps a copy of the whole page's settings (about 40 KB for this
    app) for up to 10,000 sessions, a message queue for up to 2,000 and a set of its finished
    events without end. A program
    calling `/ask` without a session hash is a new session each time, so memory grew by
    about 0.4 GB before that cap. The `/ask` handler calls this from its worker thread; the
    work is done on the server's event loop, where Gradio reads and writes those tables.
    """
    session = getattr(request, "session_hash", None)
    server = getattr(getattr(request, "request", None), "app", None)
    if session is None or not hasattr(server, "get_blocks"):
        return  # called outside a Gradio request (a direct call in a test)
    import anyio.from_thread

    anyio.from_thread.run_sync(_forget, server.get_blocks(), session)


def _forget(blocks: gr.Blocks, session: str) -> None:
    holder = blocks.state_holder
    with holder.lock:
        kept = holder.session_data.get(session)
        if kept is not None and not kept.state_data:  # a chat page's turns are kept
            del holder.session_data[session]
            holder.time_last_used.pop(session, None)
    pending, inboxes = blocks._queue.pending_event_ids_session, blocks._queue.pending_messages_per_session
    for done in [s for s, events in pending.items() if not events]:  # finished, answer delivered
        del pending[done]
        if done in inboxes and inboxes[done].empty():
            del inboxes[done]
