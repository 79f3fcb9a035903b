"""A short load test as part of `make test`: 20 concurrent clients against the real app for a
few seconds; every answer well formed, no errors, and nothing kept per call (the leak the full
`make loadtest` measures). No timing is asserted: numbers are in benchmarks/loadtest.py.
"""
from __future__ import annotations

import os
import threading

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported

from benchmarks.loadtest import questions, run_clients  # noqa: E402
from ui.app import build_app  # noqa: E402
from ui.server import running  # noqa: E402
from ui.service import WORKERS, BotService  # noqa: E402


def test_twenty_clients_get_well_formed_answers_and_leave_nothing_behind(seed_bot, tmp_path) -> None:
    app = build_app(seed_bot, feedback_log=tmp_path / "votes.jsonl")
    with running(app) as url:
        run_clients(url, clients=2, seconds=1, source=questions())  # warm up: first calls load and compile
        tally = run_clients(url, clients=20, seconds=6, source=questions())
        kept_sessions = len(app.state_holder.session_data)
        kept_event_sets = len(app._queue.pending_event_ids_session)
        kept_inboxes = len(app._queue.pending_messages_per_session)
    assert tally.errors == []  # run_clients counts a malformed answer as an error
    assert tally.answers >= 20 and 0 < tally.abstentions < tally.answers
    assert kept_sessions == 0  # each /ask call's Gradio session is dropped when it ends
    # at most the calls that were still running when the last sweep ran (one per library thread)
    assert kept_event_sets <= WORKERS and kept_inboxes <= WORKERS
    assert list(tmp_path.iterdir()) == []  # nothing written: no uploads, no votes


class _ThreadNames:
    """Records which thread each call ran on."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def ask(self, question, history=(), top_k=None, **settings):
        self.names.add(threading.current_thread().name)
        return question

    def add(self, paths):
        self.names.add(threading.current_thread().name)

    def documents(self):
        return []


def test_library_calls_run_on_the_same_few_threads() -> None:
    bot = _ThreadNames()
    service = BotService(bot)
    callers = [threading.Thread(target=service.ask, args=(f"q{i}",)) for i in range(30)]
    callers.append(threading.Thread(target=service.add, args=([],)))
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert 1 <= len(bot.names) <= WORKERS
    assert all(name.startswith("rag-library") for name in bot.names)
