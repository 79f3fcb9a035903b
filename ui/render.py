"""HTML for the web chat: answer bubbles, the sources panel and the documents table.

Every string that comes from a document or a person is escaped here, and no other module of
`ui/` builds markup from such text. The panels are HTML: `html.escape`. The chat renders
Markdown, then HTML, and also uses its raw message text as the screen-reader label, so chat
text is escaped sparingly: characters that start HTML or inline Markdown
(`< > & * _ ` [ ] ~ | # \\`) become numeric character references, as do block markers at
the start of a line (indentation, which would start a code block, is dropped) and the `://`
and `www.` of bare links. The `[n]` citation markers of an answer stay as they are: with
every other `[` escaped, nothing can turn them into links.
Left out: layout and events (`app.py`), colours and spacing (`theme.py`).
"""
from __future__ import annotations

import html
import re
from typing import Any, Iterable, Sequence

_ESCAPED_MARKER = re.compile(r"&#91;(\d+)&#93;")  # a `[n]` citation marker, once escaped
_INLINE = {ord(c): f"&#{ord(c)};" for c in "<>&\\`*_[]~|#"}
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)  # four spaces would start a code block
_LINE_START = re.compile(r"^(\d*)([-+=>.)])", re.MULTILINE)  # lists, quotes, rules
_BARE_LINK = re.compile(r"(?<=\w)://|\bwww\.", re.IGNORECASE)

ABSTAIN_BADGE = "Not found in the articles"
SOURCES_PLACEHOLDER = ("Ask a question. The passages behind the answer appear here, "
                       "with the quoted sentence highlighted.")


def escape_text(text: str) -> str:
    """Escape text for an HTML panel (`<`, `>`, `&`, quotes, and `$` of template syntax)."""
    return html.escape(text, quote=True).replace("$", "&#36;")


def escape_chat_text(text: str) -> str:
    """Escape text for the chat: shown as written, never as HTML or Markdown formatting."""
    text = _INDENT.sub("", text.translate(_INLINE))
    text = _LINE_START.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};", text)
    return _BARE_LINK.sub(lambda m: m.group().replace(":", "&#58;").replace(".", "&#46;"), text)


def question_chat(question: str) -> str:
    """The user's message as shown in the chat."""
    return escape_chat_text(question)


def answer_chat(text: str, *, abstained: bool) -> str:
    """An answer bubble: escaped text with its `[n]` markers, flagged when it abstains.

    `text` may be a prefix of the answer while it streams in.
    """
    body = _ESCAPED_MARKER.sub(r"[\1]", escape_chat_text(text))
    # "[1](x)" or "[1]: x" would make the marker a link; a marker is never followed so.
    body = re.sub(r"(\[\d+\])([(:])", lambda m: f"{m.group(1)}&#{ord(m.group(2))};", body)
    return f"**⚠ {ABSTAIN_BADGE}**\n\n{body}" if abstained else body


def highlight(passage: str, quote: str) -> str:
    """Escape `passage`, wrapping the first occurrence of `quote` in `<mark>`.

    The quote is matched with any run of whitespace standing for any other, because the
    passage and the quote may break lines differently. A quote not found in the passage is
    shown, marked, above it, so the cited words are always visible. Paragraph breaks become
    `<br>`; other line breaks, spaces.
    """
    words = quote.split()
    match = None
    if words and passage:
        match = re.search(r"\s+".join(re.escape(w) for w in words), passage)
    if match is None:
        marked = f"<mark>{escape_text(quote)}</mark>"
        return f"{marked}<br>{_paragraphs(passage)}" if passage else marked
    return (_paragraphs(passage[:match.start()]) + "<mark>" + _paragraphs(match.group())
            + "</mark>" + _paragraphs(passage[match.end():]))


def _paragraphs(text: str) -> str:
    escaped = re.sub(r"[ \t]*\n[ \t]*\n\s*", "<br>", escape_text(text))
    return escaped.replace("\n", " ")


def citation_html(citation: Any) -> str:
    """One card of the sources panel: number, title, date, file name, highlighted passage."""
    meta = [f'<span class="rag-file">{escape_text(citation.source)}</span>']
    if citation.date:
        meta.insert(0, f'<span class="rag-date">{escape_text(citation.date)}</span>')
    return (
        f'<div class="rag-source" id="rag-source-{int(citation.n)}">'
        f'<div class="rag-source-head"><span class="rag-num">{int(citation.n)}</span>'
        f'<span class="rag-title">{escape_text(citation.title or citation.source)}</span></div>'
        f'<div class="rag-meta">{" · ".join(meta)}</div>'
        f'<div class="rag-passage">{highlight(citation.passage, citation.quote)}</div>'
        "</div>"
    )


def sources_html(question: str, answer: Any) -> str:
    """The sources panel for one answer: a card per citation, or why there is none."""
    head = f'<div class="rag-sources-q">Sources for: {escape_text(question)}</div>'
    if not answer.citations:
        why = ("Nothing in the indexed articles supports an answer to this question."
               if answer.abstained else "This answer cites no passage.")
        return f'<div class="rag-sources">{head}<p class="rag-empty">{why}</p></div>'
    cards = "".join(citation_html(c) for c in answer.citations)
    note = ""
    if answer.abstained:
        note = ('<p class="rag-empty">The closest passages below were too weak '
                "to answer from.</p>")
    return f'<div class="rag-sources">{head}{note}{cards}</div>'


def placeholder_html(message: str = SOURCES_PLACEHOLDER) -> str:
    """The sources panel before the first question (or while searching)."""
    return f'<div class="rag-sources"><p class="rag-empty">{escape_text(message)}</p></div>'


def documents_html(documents: Sequence[Any]) -> str:
    """A table of the indexed documents: title, date, chunks and file name."""
    if not documents:
        return placeholder_html("No documents are indexed yet.")
    rows = "".join(
        "<tr>"
        f"<td>{escape_text(d.title or d.name)}</td>"
        f"<td class='rag-nowrap'>{escape_text(d.date or '—')}</td>"
        f"<td class='rag-num-col'>{int(d.n_chunks)}</td>"
        f"<td class='rag-file'>{escape_text(d.name)}</td>"
        "</tr>"
        for d in _newest_first(documents)
    )
    total = sum(int(d.n_chunks) for d in documents)
    return (
        f'<div class="rag-docs"><p class="rag-docs-sum">{len(documents)} documents, '
        f"{total} chunks</p><table><thead><tr><th>Title</th><th>Date</th><th>Chunks</th>"
        f"<th>File</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def header_html(documents: Iterable[Any]) -> str:
    """The page header, naming how many articles the answers come from."""
    n = len(list(documents))
    return (
        '<div class="rag-header"><div class="rag-logo">N</div><div>'
        '<h1>News Q&amp;A</h1>'
        f"<p>Answers drawn only from {n} indexed article{'s' if n != 1 else ''}. "
        "Every sentence is cited; check it against the sources on the right.</p>"
        "</div></div>"
    )


def _newest_first(documents: Sequence[Any]) -> list[Any]:
    # Sorting by title first keeps the order stable among documents of the same date.
    by_title = sorted(documents, key=lambda d: (d.title or d.name).lower())
    dated = sorted((d for d in by_title if d.date), key=lambda d: d.date, reverse=True)
    return dated + [d for d in by_title if not d.date]
