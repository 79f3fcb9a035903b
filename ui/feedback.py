"""Thumbs up / down on answers: appended to a JSONL log, read back, turned into eval rows.

Each record holds the vote, the question, the answer text, whether it abstained, its
citations (the `rag ask --json` form) and a UTC timestamp, so a vote can be judged later
without the app. `eval_rows` makes a thumbs-down into a row of an eval question set
(`eval/schema.py`): the question, the cited documents and quotes as `docs` and `evidence`,
the answer given under `given`, and `answers` left empty for a person to fill, so a user's
complaint becomes a test. Left out: the conversation before a follow-up question (a row
stands alone), and summaries or charts of the log.
"""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

FIELDS = ("timestamp", "vote", "question", "answer", "abstained", "citations")


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


def read_feedback(path: Path) -> list[dict[str, Any]]:
    """The records of a feedback log, in order; `ValueError` naming the file and line of a
    malformed one. `FileNotFoundError` if there is no log."""
    records = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
        missing = [k for k in FIELDS if not isinstance(record, dict) or k not in record]
        if missing:
            raise ValueError(f"{path} line {number}: not a feedback record (missing {', '.join(missing)})")
        records.append(record)
    return records


def thumbs_down(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records that vote an answer down."""
    return [r for r in records if r["vote"] == "down"]


def row_id(record: dict[str, Any]) -> str:
    """A stable id for the eval row of a record: the same vote always gets the same id."""
    digest = hashlib.sha256(f"{record['timestamp']}\n{record['question']}".encode()).hexdigest()
    return f"feedback-{digest[:10]}"


def eval_row(record: dict[str, Any]) -> dict[str, Any]:
    """The eval row of a thumbs-down record: `answers` empty for a person to fill; `docs` and
    `evidence` the cited documents and their first quotes, to check (a wrong answer may cite
    the wrong passage); `category` "fact", to change to "unanswerable" if abstaining is right."""
    docs: dict[str, str] = {}
    for citation in record["citations"]:
        docs.setdefault(citation["source"], citation["quote"])
    given = {k: record[k] for k in ("answer", "abstained", "citations", "vote", "timestamp")}
    return {"id": row_id(record), "question": record["question"], "category": "fact",
            "answers": [], "docs": list(docs), "evidence": list(docs.values()), "follows": None,
            "given": given}


def append_eval_rows(records: Iterable[dict[str, Any]], target: Path) -> tuple[int, int]:
    """Append the eval rows of `records` to the JSONL file `target` (made if missing), each
    once: rows whose id is already there are passed over. Returns (written, already there)."""
    target = Path(target)
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    ids = _ids(existing, target)
    rows = {row["id"]: row for row in map(eval_row, records)}  # a record logged twice: one row
    new = [row for key, row in rows.items() if key not in ids]
    if new:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as out:
            if existing and not existing.endswith("\n"):
                out.write("\n")
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in new)
    return len(new), len(rows) - len(new)


def _ids(text: str, path: Path) -> set[str]:
    ids = set()
    for number, line in enumerate(text.splitlines(), 1):
        try:
            row = json.loads(line) if line.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            ids.add(row["id"])
    return ids
