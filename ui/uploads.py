"""Uploads: check files a person sends, store them under safe names, index them.

A file is accepted when its name ends in an allowed suffix, it is at most the size limit,
its bytes are UTF-8 text and not blank, and no stored upload already has the same bytes.
It is saved in the upload folder under a sanitised name (re-uploading a name replaces
that file) and handed to `RAG.add`, which indexes it incrementally and recognises content
already indexed from elsewhere (such a file is removed again). Left out: any format other than plain text and Markdown.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ui.render import escape_chat_text

ALLOWED_SUFFIXES = (".txt", ".md")
MAX_STEM_CHARS = 80


@dataclass(frozen=True)
class Rejected:
    """An uploaded file that was not stored, and why."""

    name: str
    reason: str


def sanitize_filename(name: str) -> str:
    """A safe file name for `name`: no folders, ASCII letters, digits, `.`, `-` and `_` only.

    The suffix is kept (lower-cased); a name with nothing usable left becomes `upload`.
    `ValueError` if the suffix is not one of `ALLOWED_SUFFIXES`.
    """
    base = re.split(r"[\\/]", name)[-1]
    suffix = Path(base).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValueError(f"only {' and '.join(ALLOWED_SUFFIXES)} files can be added, "
                         f"not {suffix or 'files without a suffix'}")
    stem = unicodedata.normalize("NFKD", base[: len(base) - len(suffix)])
    stem = stem.encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    stem = re.sub(r"[._-]{2,}", "_", stem).strip("._-")[:MAX_STEM_CHARS].rstrip("._-")
    return f"{stem or 'upload'}{suffix}"


def check_upload(name: str, data: bytes, max_bytes: int) -> str:
    """The sanitised name for an acceptable upload; `ValueError` saying why it is not."""
    safe = sanitize_filename(name)
    if len(data) > max_bytes:
        raise ValueError(f"{len(data):,} bytes is over the limit of {max_bytes:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    if not text.strip():
        raise ValueError("the file is empty")
    return safe


def store_uploads(files: Iterable[Path], upload_dir: Path,
                  max_bytes: int) -> tuple[list[Path], list[Rejected]]:
    """Check `files` and copy the acceptable ones into `upload_dir` under sanitised names."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    known = {_digest(p.read_bytes()): p.name for p in upload_dir.iterdir() if p.is_file()}
    stored: list[Path] = []
    rejected: list[Rejected] = []
    for file in files:
        name = file.name  # Gradio keeps the browser's file name on its copy
        if file.stat().st_size > max_bytes:  # checked before reading a huge file into memory
            rejected.append(Rejected(name, f"{file.stat().st_size:,} bytes is over the limit "
                                           f"of {max_bytes:,} bytes"))
            continue
        data = file.read_bytes()
        try:
            safe = check_upload(name, data, max_bytes)
        except ValueError as error:
            rejected.append(Rejected(name, str(error)))
            continue
        digest = _digest(data)
        if digest in known:
            rejected.append(Rejected(name, f"same content as {known[digest]}, already added"))
            continue
        target = upload_dir / safe
        target.write_bytes(data)
        known[digest] = safe
        stored.append(target)
    return stored, rejected


def add_uploads(files: Sequence[Path], upload_dir: Path, max_bytes: int,
                add: Callable[[list[Path]], Any]) -> str:
    """Store and index `files`; a Markdown summary of what happened to each one.

    A stored file the library does not index (its content is already indexed from another
    file, or it was skipped) is deleted again, so the upload folder holds only what is
    indexed and the next start-up finds nothing new to index.
    """
    stored, rejected = store_uploads(files, upload_dir, max_bytes)
    lines = [f"- **{_md(r.name)}** was not added: {_md(r.reason)}." for r in rejected]
    if stored:
        report = add(stored)
        unused = {Path(d).name for d in report.duplicates}
        unused |= {Path(s.path).name for s in report.skipped}
        for path in stored:
            if path.name in unused:
                path.unlink(missing_ok=True)
        lines = _report_lines(report) + lines
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


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _md(text: str) -> str:
    return escape_chat_text(str(text))
