"""Uploads: check the files a person sends, then hand them to the library to store and index.

A file is accepted when its name ends in an allowed suffix, it is at most the size limit,
its bytes are UTF-8 text and not blank, and the batch has at most `MAX_UPLOAD_FILES` files.
Accepted files go to `RAG.upload` as (name, bytes): the library stores them under safe,
unique names in the index's upload folder (never overwriting a stored file), recognises
content already indexed, and leaves folder and index as they were if it fails.
Left out: any format other than plain text and Markdown.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from rag import safe_file_name
from ui.render import escape_chat_text

ALLOWED_SUFFIXES = (".txt", ".md")
MAX_UPLOAD_FILES = 50  # files in one upload; more are refused, each named
sanitize_filename = safe_file_name  # the name a stored upload gets (made unique by the library)


@dataclass(frozen=True)
class Rejected:
    """An uploaded file that was not stored, and why."""

    name: str
    reason: str


def check_upload(name: str, data: bytes, max_bytes: int) -> str:
    """The sanitised name for an acceptable upload; `ValueError` saying why it is not."""
    safe = safe_file_name(name)
    if len(data) > max_bytes:
        raise ValueError(f"{len(data):,} bytes is over the limit of {max_bytes:,} bytes per file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    if not text.strip():
        raise ValueError("the file is empty")
    return safe


def read_uploads(files: Iterable[Path], max_bytes: int) -> tuple[list[tuple[str, bytes]], list[Rejected]]:
    """The acceptable files as (name, bytes), and the others with the reason."""
    accepted: list[tuple[str, bytes]] = []
    rejected: list[Rejected] = []
    for i, file in enumerate(files):
        name = file.name  # Gradio keeps the browser's file name on its copy
        if i >= MAX_UPLOAD_FILES:
            rejected.append(Rejected(name, f"over the limit of {MAX_UPLOAD_FILES} files per upload"))
            continue
        size = file.stat().st_size
        if size > max_bytes:  # checked before reading a huge file into memory
            rejected.append(Rejected(name, f"{size:,} bytes is over the limit of {max_bytes:,} bytes per file"))
            continue
        data = file.read_bytes()
        try:
            check_upload(name, data, max_bytes)
        except ValueError as error:
            rejected.append(Rejected(name, str(error)))
            continue
        accepted.append((name, data))
    return accepted, rejected


def add_uploads(files: Sequence[Path], max_bytes: int,
                upload: Callable[[list[tuple[str, bytes]]], Any]) -> str:
    """Check `files` and have `upload` (`RAG.upload`) store and index the acceptable ones;
    a Markdown summary of what happened to each one."""
    accepted, rejected = read_uploads(files, max_bytes)
    lines = [f"- **{_md(r.name)}** was not added: {_md(r.reason)}." for r in rejected]
    if accepted:
        lines = _report_lines(upload(accepted)) + lines
    return "\n".join(lines) if lines else "No file was uploaded."


def _report_lines(report: Any) -> list[str]:
    lines = [f"- **{_md(n)}** added to the index." for n in report.added]
    lines += [f"- **{_md(n)}** replaced its earlier version." for n in report.updated]
    lines += [f"- **{_md(n)}** was already indexed, unchanged." for n in report.unchanged]
    lines += [f"- **{_md(Path(d).name)}** has the same content as a document already "
              "indexed; not added again." for d in report.duplicates]
    lines += [f"- **{_md(Path(s.path).name)}** was skipped: {_md(s.reason)}."
              for s in report.skipped]
    return lines


def _md(text: str) -> str:
    return escape_chat_text(str(text))
