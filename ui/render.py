"""HTML for the web chat: answer bubbles, the sources panel and the documents table.

Every string that comes from a document or a person is escaped here, and no other module of
`ui/` builds markup from such text. The panels are HTML: `html.escape`. The chat renders
Markdown, then HTML, and also uses its raw message text as the screen-reader label, so chat
text is escaped sparingly: characters that start HTML or inline Markdown
(`< > & * _ ` [ ] ~ | # \\`) become numeric character references, as do block markers at
the start of a line (indentation, which would start a code block, is dropped) and the `://`
and `www.` of bare links. The `[n]` citation markers of an answer stay as they are: with
every other `[` escaped, nothing but `answer_chat` itself turns them into links (to their
cards).
Left out: layout and events (`app.py`), colours and spacing (`theme.py`).
"""
from __future__ import annotations

import html
import re
from typing import Any, Callable, Iterable, Sequence

_ESCAPED_MARKER = re.compile(r"&#91;(\d+)&#93;")  # a `[n]` citation marker, once escaped
_INLINE = {ord(c): f"&#{ord(c)};" for c in "<>&\\`*_[]~|#"}
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)  # four spaces would start a code block
_LINE_START = re.compile(r"^(\d*)([-+=>.)])", re.MULTILINE)  # lists, quotes, rules
_BARE_LINK = re.compile(r"(?<=\w)://|\bwww\.", re.IGNORECASE)

ABSTAIN_BADGE = "Not found in the articles"
CONTEXT_CHARS = 60  # characters of the passage shown either side of the quote on a card
ARTICLE_CHARS = 20_000  # of a long article's text shown either side of the quote
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


def answer_chat(text: str, *, abstained: bool, turn: int | None = None) -> str:
    """An answer bubble: escaped text with its `[n]` markers, flagged when it abstains.

    With `turn` (the answer's place in the conversation, from 0) each marker links to its
    card in the sources panel, `#rag-cite-<turn>-<n>` (the page's script shows the card).
    `text` may be a prefix of the answer while it streams in.
    """
    body = _ESCAPED_MARKER.sub(r"[\1]", escape_chat_text(text))
    # "[1](x)" or "[1]: x" would make the marker a link; a marker is never followed so.
    body = re.sub(r"(\[\d+\])([(:])", lambda m: f"{m.group(1)}&#{ord(m.group(2))};", body)
    if turn is not None:
        body = re.sub(r"\[(\d+)\]", lambda m: f"[&#91;{m.group(1)}&#93;](#rag-cite-{int(turn)}-{m.group(1)})",
                      body)
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


def window(passage: str, quote: str, chars: int = CONTEXT_CHARS) -> str:
    """`passage` cut to the quote and about `chars` characters either side (at word ends,
    with "…"), so a card stays short; the whole passage when the quote is not in it."""
    words = quote.split()
    match = re.search(r"\s+".join(map(re.escape, words)), passage) if words else None
    if match is None:
        return passage
    start = max(0, match.start() - chars)
    end = min(len(passage), match.end() + chars)
    if start > 0:
        start = passage.find(" ", start, match.start()) + 1 or start
    if end < len(passage):
        cut = passage.rfind(" ", match.end(), end)
        end = cut if cut > 0 else end
    return ("… " if start else "") + passage[start:end].strip() + (" …" if end < len(passage) else "")


def article_html(text: str, start: int, end: int, chars: int = ARTICLE_CHARS) -> str:
    """The article with the span `start:end` marked; a very long one cut to `chars` either side."""
    lo, hi = max(0, start - chars), min(len(text), end + chars)
    return (("… " if lo else "") + _paragraphs(text[lo:start]) + '<mark class="rag-quote">'
            + _paragraphs(text[start:end]) + "</mark>" + _paragraphs(text[end:hi])
            + (" …" if hi < len(text) else ""))


def where_in_article(text: str, start: int) -> str:
    """Where a span starting at `start` stands: "paragraph 3 of 11"."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    at = len(re.findall(r"\n\s*\n", text[:start].lstrip())) + 1
    return f"paragraph {min(at, len(paragraphs))} of {len(paragraphs)}"


def citation_html(citation: Any, turn: int = 0, article: str | None = None) -> str:
    """One card of the sources panel: number, title, date, file name, where in the article,
    the quote highlighted in its passage and, given the article's text, the whole article
    (opened on demand) with the quote marked."""
    n = int(citation.n)
    title = escape_text(citation.title or citation.source)
    meta = [f'<span class="rag-file">{escape_text(citation.source)}</span>']
    if citation.date:
        meta.insert(0, f'<span class="rag-date">{escape_text(citation.date)}</span>')
    whole = ""
    if article is not None and 0 <= citation.start < citation.end <= len(article):
        meta.append(f'<span class="rag-where">{where_in_article(article, citation.start)}</span>')
        whole = ('<details class="rag-article"><summary>Whole article</summary>'
                 f'<div class="rag-article-text">{article_html(article, citation.start, citation.end)}'
                 "</div></details>")
    return (
        f'<div class="rag-source" id="rag-source-{int(turn)}-{n}" data-n="{n}">'
        f'<div class="rag-source-head"><span class="rag-num">{n}</span>'
        f'<span class="rag-title" title="{title}">{title}</span></div>'
        f'<div class="rag-meta">{" · ".join(meta)}</div>'
        f'<div class="rag-passage">{highlight(window(citation.passage, citation.quote), citation.quote)}</div>'
        f"{whole}</div>"
    )


def sources_html(question: str, answer: Any, *, turn: int = 0,
                 article: Callable[[str], str | None] | None = None) -> str:
    """The sources of one answer (the `turn`-th of the chat): a card per citation, or why there
    is none. `article(path)` gives a cited document's text for its whole-article view."""
    head = f'<div class="rag-sources-q">Sources for: {escape_text(question)}</div>'
    if not answer.citations:
        why = ("Nothing in the indexed articles supports an answer to this question."
               if answer.abstained else "This answer cites no passage.")
        return f'<div class="rag-sources" data-turn="{int(turn)}">{head}<p class="rag-empty">{why}</p></div>'
    cards = "".join(citation_html(c, turn, article(c.path) if article else None) for c in answer.citations)
    note = ""
    if answer.abstained:
        note = ('<p class="rag-empty">The closest passages below were too weak '
                "to answer from.</p>")
    return f'<div class="rag-sources" data-turn="{int(turn)}">{head}{note}{cards}</div>'


def sources_panel(answers: Sequence[str]) -> str:
    """The panel over a conversation: each answer's sources (`sources_html`), the last shown;
    a click on a `[n]` of an earlier answer shows its own."""
    if not answers:
        return placeholder_html()
    return "".join(a if i == len(answers) - 1 else a.replace('class="rag-sources"', 'class="rag-sources" hidden', 1)
                   for i, a in enumerate(answers))


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
