"""Thumbs up / down on answers, appended to a JSONL log (one JSON object per line).

Each record holds the vote, the question, the answer text, whether it abstained, its
citations (the `rag ask --json` form) and a UTC timestamp, so a vote can be judged later
without the app. Left out: reading or summarising the log.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class FeedbackLog:
    """Appends feedback records to one JSONL file; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, vote: str, turn: dict[str, Any]) -> dict[str, Any]:
        """Write one record for `turn` (`question`, `answer` dict) and return it."""
        answer = turn["answer"]
        record = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "vote": vote,
            "question": turn["question"],
            "answer": answer["answer"],
            "abstained": answer["abstained"],
            "citations": answer["citations"],
        }
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
        return record


def vote_name(liked: Any) -> str:
    """`up` / `down` for Gradio's like value (`True`, `False` or an option label)."""
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return str(liked)
