"""The server's console: one line per event worth telling, prefixed `[rag serve]`.

A person's mistake (an empty question, removing nothing) or a library error that explains
itself (`RagError`, bad input) is a *user error*: the page shows the message (`warn_user`
in the chat, which keeps the conversation in view; `user_error` where the event should
fail, as `/ask` does for programs) and the console gets one line naming the event, never a
traceback. Any other exception is a fault of the
program and keeps Gradio's full traceback. Left out: log files and levels.
"""
from __future__ import annotations

import sys

import gradio as gr

PREFIX = "[rag serve]"


def say(message: str) -> None:
    """One line on the server's console (stderr, flushed at once)."""
    print(f"{PREFIX} {message}", file=sys.stderr, flush=True)


def warn_user(message: str, *, event: str) -> None:
    """Tell the page's user in a notification (the chat stays as it is, with no error badge
    over it), logged as one console line under `event`."""
    say(f"user error ({event}): {message}")
    gr.Warning(message, duration=6)


def user_error(message: str, *, event: str) -> gr.Error:
    """A `gr.Error` for the page, logged as one console line (no traceback) under `event`."""
    say(f"user error ({event}): {message}")
    return gr.Error(message, print_exception=False)
