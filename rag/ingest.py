"""Read .txt/.md article files and clean them into `Document`s (the first pipeline stage).

Cleaning: Unicode NFC, straight quotes, one space between words, one blank line between
paragraphs; web boilerplate lines (comment forms, share buttons, navigation, copyright and
contact lines), photo captions and credit lines (a credit ending a paragraph of prose:
that sentence), and verbatim repeats are dropped. Title, date and byline are read off the
cleaned text. A file it cannot use becomes a `SkippedFile` with the reason, never an error.

Left out: HTML/PDF parsing, joining hard-wrapped lines (a line stays a line), dash
normalisation (en/em dashes are kept as they are), and guessing a date or author not stated.
"""
from __future__ import annotations

import codecs
import os
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from rag.types import Document, SkippedFile, content_hash

if TYPE_CHECKING:
    from rag.stamps import FileStamps

SUPPORTED_SUFFIXES = (".txt", ".md")
HEAD_LINES = 8  # title, date and byline sit in the first lines (a byline may also close it)
MIN_DEDUP_CHARS = 25  # shorter lines ("Yes.", "* * *") may repeat legitimately
MAX_FILE_BYTES = 100_000_000  # a bigger file is skipped with the limit named (memory stays bounded)
MAX_BOILERPLATE_CHARS = 160  # longer lines are prose, whatever they start with

# Whole-line patterns (case-insensitive, matched against the cleaned line) of web page text
# that is not the article. A body sentence that merely contains one of these words survives.
BOILERPLATE_PATTERNS = (
    r"(\d+|no|one) (comments?|responses?|replies)( (for|on|to)\b.*)?",
    r"(leave|post|add|write) a (reply|comment|response)\b.*",
    r"(your email address will not be published|required fields are marked)\b.*",
    r"(comments?|cancel reply|submit comment|post comment)\s*:?",
    r"share (this|on|via)\b.*", r"click (here )?to (share|print|email|tweet|open)\b.*",
    r"related( (stories|articles|posts|content|coverage|links|news|topics))?\s*:?",
    r"most (viewed|read|popular|shared|commented)( (articles|stories|news))?\s*:?",
    r"read more(\s*[:»>›.…].*)?",
    r"(advertisement|advert|sponsored( content)?)\s*[:-]?\s*(scroll to continue.*)?",
    r"subscribe\b.*", r"sign up (for|to) .*newsletter.*",
    r"(you (may|might) also like|recommended( for you)?|trending( now)?|editor's picks?)\s*:?",
    r"(skip to (main )?content|back to top|(previous|next) (article|story|post)\b.*)",
    r"(follow|like) us( on .*)?", r"tags?\s*:.*",
    r"please (direct|send|address) (your )?(questions|comments|inquiries|feedback)\b.*",
    r"(contact|e-?mail) us( at .*)?\s*:?", r"button that\b.*",
    r"(©|\(c\)|copyright\s*(©|\(c\)|\d{4})).*", r".*\ball rights reserved\b.*",
    r"((share|tweet|print|e-?mail|facebook|twitter|linkedin|whatsapp|reddit|pinterest"
    r"|copy link|save|comments?)\W*)+",
)
_BOILERPLATE_RE = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE_PATTERNS), re.IGNORECASE)

# A photo credit, as a whole sentence (case-insensitive; a name after "by" needs a capital).
# A short line whose first or last sentence is one is a caption: the picture's text, not the
# article's. Longer lines are prose, whatever they contain.
MAX_CAPTION_CHARS = 400
_PICTURE = r"(?:photo(?:graph)?|image|picture|pic|illustration|graphic|video|footage)s?"
_AGENCY = (r"(?:getty\s+images|ap(?:\s+photo)?|afp|reuters|epa(?:-efe)?|efe|shutterstock|alamy|xinhua"
           r"|yonhap|kcna|pa(?:\s+(?:images|wire|media))?|anadolu|bloomberg|newscom|zuma(?:\s+press)?)")
CREDIT_PATTERNS = (
    rf"(?:file\s+)?{_PICTURE}(?:\s+(?:credit|courtesy|copyright|source|caption)s?\b(?:\s+of\b)?[\s,:]*"
    rf"|\s*(?::|/|©|\((?:c|C)\))\s*|\s+by\s+(?-i:[A-Z])).{{0,200}}",  # Photo: ... / Image copyright ...
    r"credits?\s*:.{1,120}",  # Credit: Getty Images
    rf"(?:[\w'-]+\s+){{0,3}}?{_PICTURE}\b.{{0,60}}?\b(?:used|utili[sz]ed|reproduced|published)\s+"
    r"(?:under|with)\s+(?:(?:a|an|the)\s+)?(?:fair[\s-]+use|permission|licen[cs]e|creative\s+commons|cc\b).{0,60}",
    rf"(?:[\w.' -]{{1,40}}\s*/\s*|[\w.' -]{{1,40}}\s+(?:via|for)\s+)?{_AGENCY}(?:\s*/\s*[\w.' -]{{1,40}})?",
)
_CREDIT_RE = re.compile(r"\(?\s*(?:" + "|".join(CREDIT_PATTERNS) + r")\s*\)?[.\s]*", re.IGNORECASE)
# Sentence ends, and the space before a closing "(AP Photo/...)" that needs no full stop.
_SENTENCE_GAP = re.compile(r"(?<=[.!?])\s+(?=[\"'(\w])|\s+(?=\([^()]*\)\.?$)")

# Curly quotes become straight; invisible marks (BOM, zero-width, soft hyphen) go. Other
# spaces (tab, no-break, em space ...) and line breaks are left to str.split/splitlines.
_CHAR_MAP = str.maketrans({**dict.fromkeys("\u2018\u2019\u201a\u201b", "'"), "\u2029": "\n\n",
                           **dict.fromkeys("\u201c\u201d\u201e\u201f", '"'),
                           **dict.fromkeys("\ufeff\u200b\u2060\u00ad")})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")  # what str.split does not take as space

_MONTH = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE_RE = re.compile(
    r"(?<!\d)(?P<iy>\d{4})[-/](?P<im>\d{1,2})[-/](?P<id>\d{1,2})(?!\d)"
    rf"|\b(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})\b"
    rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m2>{_MONTH}),?\s+(?P<y2>\d{{4}})\b", re.I)
_FOUR_DIGITS = re.compile(r"\d{4}")
_LABEL_RE = re.compile(r"\b(posted|published|updated|modified|dated?)\b", re.IGNORECASE)
_WEEKDAY = r"((mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?"
_AFTER_LABEL_RE = re.compile(rf"\s*(by [^:|]{{1,60}}? )?(on)?\s*[:\-–]?\s*{_WEEKDAY}", re.I)
_BARE_BEFORE_RE = re.compile(rf"[\s|,]*{_WEEKDAY}", re.IGNORECASE)  # around a date alone
_BARE_AFTER_RE = re.compile(r"[\s,]*((at )?\d{1,2}[:.]\d{2}( ?[ap]\.?m\.?)?( [a-z]{2,5})?)?", re.I)
_LABEL_RANK = {"posted": 0, "published": 0, "date": 1, "dated": 1, "updated": 2, "modified": 2}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_BYLINE_RE = re.compile(r"(?:By|BY|by)\s+(?P<who>[A-Z].{0,118})")
_BYLINE_END_RE = re.compile(r"\s+[|•·]\s+.*")  # "By Jane Doe | Published: ..." -> "Jane Doe"


def load_documents(paths: Sequence[str | Path], *, stamps: FileStamps | None = None,
                   reuse: Callable[[str, str], Document | None] | None = None
                   ) -> tuple[list[Document], list[SkippedFile]]:
    """Read the .txt and .md files at `paths` (files, or folders searched recursively).

    Documents keep the order of `paths`, and within a folder the sorted relative path. Inside a
    folder, hidden entries and other extensions are passed over; a file named with another
    extension, a missing path, a binary, non-UTF-8, unreadable or empty file, or one whose
    cleaned text equals an earlier one's becomes a `SkippedFile` with the reason, never an error.

    With `stamps` (see `rag.stamps`), a file unchanged since it was last read is not read
    again: `reuse(doc_id, source)` gives its document (None: read it); each file read is
    recorded in `stamps`.
    """
    if isinstance(paths, (str, Path)):
        raise TypeError(f"paths must be a sequence of paths: wrap {str(paths)!r} in a list")
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    read_as: dict[Path, str] = {}  # resolved file -> the source it was read as
    source_of: dict[str, str] = {}  # content hash -> source of the document with that text
    for item in _candidate_files(paths):
        result = item if isinstance(item, SkippedFile) else _load_one(item, read_as, source_of, stamps, reuse)
        (skipped if isinstance(result, SkippedFile) else documents).append(result)
    return documents, skipped


def parse_document(raw: str, source: str) -> Document:
    """Clean one article's raw text and return its `Document`.

    `id` is `content_hash` of the cleaned text, `title` its first line, `date` the ISO date
    stated near the top (see `find_date`), `byline` the text after "By " on an author line
    near the start or end. Raises `ValueError` when nothing is left after cleaning.
    """
    if not isinstance(raw, str):
        raise TypeError(f"raw must be str, not {type(raw).__name__}")
    text = clean_text(raw)
    if not text:
        raise ValueError(f"{source}: no text left after cleaning")
    return _document_from_clean(text, source)


def clean_text(raw: str) -> str:
    """The article text of `raw` without boilerplate lines, repeated lines or irregular spacing;
    lines are stripped and kept as lines, paragraphs separated by exactly one blank line."""
    text = unicodedata.normalize("NFC", raw).translate(_CHAR_MAP)
    blocks: list[list[str]] = [[]]
    seen: set[str] = set()
    for line in text.splitlines():
        line = strip_credits(" ".join(_CONTROL_RE.sub("", line).split()))
        if not line:
            if blocks[-1]:
                blocks.append([])
        elif not is_boilerplate(line) and line not in seen:
            if len(line) >= MIN_DEDUP_CHARS:
                seen.add(line)
            blocks[-1].append(line)
    return "\n\n".join("\n".join(block) for block in blocks if block)


def is_boilerplate(line: str) -> bool:
    """True when a whole (cleaned) line is web page furniture or a photo caption or credit
    (`is_caption`) rather than article text."""
    if is_caption(line):
        return True
    return len(line) <= MAX_BOILERPLATE_CHARS and _BOILERPLATE_RE.fullmatch(line) is not None


def is_caption(line: str) -> bool:
    """True for a photo caption or credit line: at most `MAX_CAPTION_CHARS`, its first or last
    sentence is a credit ("Photo: ...", "Image copyright ...", "(AP Photo/...)", "... used
    under fair use ...", an agency name alone), and besides the credit it has at most one
    sentence (the picture's description). Longer lines are prose: `strip_credits`."""
    if len(line) > MAX_CAPTION_CHARS:
        return False
    sentences = _SENTENCE_GAP.split(line.strip())
    credits = [s for s in {sentences[0], sentences[-1]} if _CREDIT_RE.fullmatch(s)]
    return bool(credits) and len(sentences) - len(credits) <= 1


def strip_credits(line: str) -> str:
    """`line` without a credit sentence at its start or end (prose that ends "... Photo used
    under fair use guidelines."); the line as it is when it has none."""
    sentences = _SENTENCE_GAP.split(line.strip())
    if len(sentences) < 3:
        return line  # a caption or a sentence: `is_caption` decides
    first, last = (_CREDIT_RE.fullmatch(s) is not None for s in (sentences[0], sentences[-1]))
    if not (first or last):
        return line
    return " ".join(sentences[int(first):len(sentences) - int(last)])


def find_date(lines: Sequence[str]) -> str | None:
    """The ISO date of a labelled or stand-alone date among `lines` (ISO, "March 3, 2020",
    "3 March 2020", "2020/03/03"): "Posted"/"Published" beat "Date:" or a date alone, which
    beat "Updated"/"Modified"; the earlier line wins a tie. None when no date is stated."""
    found = [(rank, i, iso) for i, line in enumerate(lines) for rank, iso in _dates_in_line(line)]
    return min(found)[2] if found else None


def _dates_in_line(line: str) -> Iterator[tuple[int, str]]:
    """Yield (rank, iso date) for each labelled date, or the date standing alone on the line."""
    if not _FOUR_DIGITS.search(line):
        return  # every form `_DATE_RE` reads has a four-digit year: most lines are settled here
    previous_end = 0
    for match in _DATE_RE.finditer(line):
        iso, before, previous_end = _iso(match), line[previous_end:match.start()], match.end()
        labels = list(_LABEL_RE.finditer(before))
        if iso and labels and _AFTER_LABEL_RE.fullmatch(before[labels[-1].end():]):
            yield _LABEL_RANK[labels[-1].group(1).lower()], iso
        elif (iso and _BARE_BEFORE_RE.fullmatch(line[:match.start()])
              and _BARE_AFTER_RE.fullmatch(line[match.end():])):
            yield _LABEL_RANK["date"], iso


def _iso(match: re.Match[str]) -> str | None:
    """The ISO form of a `_DATE_RE` match, or None when it is no real calendar day."""
    g = match.groupdict()
    if g["iy"]:
        parts = (g["iy"], g["im"], g["id"])
    else:
        month = _MONTHS.index((g["m1"] or g["m2"])[:3].lower()) + 1
        parts = (g["y1"] or g["y2"], month, g["d1"] or g["d2"])
    try:
        return date(*map(int, parts)).isoformat()
    except ValueError:
        return None


def find_byline(lines: Sequence[str]) -> str | None:
    """The author text after "By " on a short line among the first or the last lines."""
    for line in [*lines[:HEAD_LINES], *reversed(lines[HEAD_LINES:][-HEAD_LINES:])]:
        match = _BYLINE_RE.fullmatch(line)  # "By March, sales had doubled." is no byline:
        if match and not (line.endswith((".", "!", "?")) and len(line.split()) > 6):
            return _BYLINE_END_RE.sub("", match.group("who")).rstrip(" .,;")
    return None


def _document_from_clean(text: str, source: str) -> Document:
    """Build the `Document` of already-cleaned, non-empty text."""
    lines = [line for line in text.split("\n") if line]
    title = re.sub(r"^#{1,6}\s+", "", lines[0])  # a Markdown heading's marks are no title
    return Document(id=content_hash(text), source=source, title=title, text=text,
                    date=find_date(lines[:HEAD_LINES]), byline=find_byline(lines))


def _load_one(path: Path, read_as: dict[Path, str], source_of: dict[str, str],
              stamps: FileStamps | None = None,
              reuse: Callable[[str, str], Document | None] | None = None) -> Document | SkippedFile:
    """Read one file into a `Document` (or take it from `reuse` when `stamps` say the file
    is unchanged), or say why not; records it in the two dicts and in `stamps`."""
    source, resolved = str(path), path.resolve()
    if resolved in read_as:
        return SkippedFile(source, f"listed more than once (read as {read_as[resolved]})")
    read_as[resolved] = source
    try:
        st = path.stat() if stamps is not None else None
    except OSError:
        st = None  # `_read_text` says why
    known = stamps.lookup(source, st) if stamps is not None and st is not None and reuse is not None else None
    doc = reuse(known, source) if known else None
    if doc is not None and doc.id == known:
        if known in source_of:
            return SkippedFile(source, f"same content as {source_of[known]}")
        source_of[known] = source
        return doc
    raw, problem = _read_text(path)
    text = clean_text(raw)
    if problem or not text:
        return SkippedFile(source, problem or "empty (no text after cleaning)")
    doc_id = content_hash(text)
    if doc_id in source_of:
        return SkippedFile(source, f"same content as {source_of[doc_id]}")
    source_of[doc_id] = source
    if stamps is not None and st is not None:
        stamps.record(source, st, doc_id)
    return _document_from_clean(text, source)


def _candidate_files(paths: Sequence[str | Path]) -> Iterator[Path | SkippedFile]:
    """Yield the files to read, in order, or a `SkippedFile` for a path that cannot be one."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from _walk(path)
        elif not path.exists():
            yield SkippedFile(str(given), "not found")
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            kind = path.suffix or "(no extension)"
            yield SkippedFile(str(given), f"unsupported file type {kind!r} (only .txt and .md)")
        elif not path.is_file():
            yield SkippedFile(str(given), "not a regular file")
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path | SkippedFile]:
    """Yield a folder's supported, non-hidden files recursively, sorted by relative path."""
    errors: list[OSError] = []  # os.walk reports unreadable folders here instead of raising
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, onerror=errors.append):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        found.extend(Path(dirpath, name) for name in filenames if not name.startswith(".")
                     and Path(name).suffix.lower() in SUPPORTED_SUFFIXES)
    yield from sorted(found, key=lambda path: path.relative_to(folder).parts)
    for error in errors:
        yield SkippedFile(str(error.filename), f"unreadable folder ({error.strerror or error})")


def _read_text(path: Path) -> tuple[str, str]:
    """Return (text, "") for a UTF-8 text file, else ("", why it cannot be read)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:  # checked before reading it into memory
            return "", (f"{_size(size)} is over the limit of {_size(MAX_FILE_BYTES)} "
                        "for one document (split it into smaller files)")
        data = path.read_bytes()
    except OSError as error:
        return "", f"unreadable ({error.strerror or error})"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "", "not UTF-8 text (starts with a UTF-16 byte order mark)"
    if b"\x00" in data:
        return "", "binary file (contains NUL bytes)"
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8"), ""
    except UnicodeDecodeError as error:
        offset = skip + error.start
        return "", f"not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset})"


def _size(n: int) -> str:
    """A byte count for people: 2.1 kB, 20.0 MB."""
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1e3:,.1f} kB" if n >= 1e3 else f"{n} bytes"
