"""Example questions for a first-time user, made from the headlines of the indexed documents.

The library lists titles, dates and file names of its documents (`RAG.documents()`), not
their text, so each example asks what the articles say about a name in a headline: the
longest run of capitalised words in a sentence-case headline ("Kim Jong-un appears to…"),
or the last word of a Title Case one ("…Envoy Visits Beijing"). Quoting a whole headline
would make a poor example: the best match for a headline is the headline itself.
Left out: reading the articles' text, and any language but English.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

MAX_EXAMPLES = 4
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_STARTERS = {"why", "how", "what", "when", "where", "who", "which", "this", "these", "the",
             "a", "an", "after", "before", "as"}
_JOINERS = {"of", "the", "de", "van", "von", "al"}
_SMALL = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the",
          "to", "with", "into", "over", "after", "is", "are", "was", "be"}


def main_clause(title: str) -> str:
    """A headline without its subtitle (what follows `: `, ` - ` or ` | `)."""
    return re.split(r":\s| [-–—|] ", title.strip(), maxsplit=1)[0].strip().rstrip(" ?!.;,")


def headline_name(title: str) -> str | None:
    """A name to ask about from a headline, or None when it offers none."""
    words = _WORD.findall(main_clause(title))
    content = [w for w in words if w.lower() not in _SMALL]
    if len(content) < 2:
        return None
    capitalised = [w for w in content if w[0].isupper()]
    if len(capitalised) >= 0.6 * len(content):  # Title Case: every word looks like a name
        last = words[-1]
        return last if last[0].isupper() and last.lower() not in _SMALL else None
    runs: list[list[str]] = [[]]
    for i, word in enumerate(words):
        joins = (word.lower() in _JOINERS and runs[-1] and i + 1 < len(words)
                 and words[i + 1][0].isupper())  # "Bank of England" is one name
        if i == 0 and word.lower() in _STARTERS:  # "Why the Bank of England ..."
            continue
        if word[0].isupper() or joins:
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    best = max(runs, key=len)
    if len(best) >= 2:
        return " ".join(best)
    singles = [w for w in words[1:] if w[0].isupper()]  # the first word is capitalised anyway
    return singles[0] if singles else None


def example_questions(documents: Sequence[Any], limit: int = MAX_EXAMPLES) -> list[str]:
    """Up to `limit` questions about names in the headlines, newest documents first."""
    dated = sorted((d for d in documents if d.date), key=lambda d: d.date, reverse=True)
    names: list[str] = []
    for doc in dated + [d for d in documents if not d.date]:
        name = headline_name(doc.title or "")
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return [f"What do the articles say about {name}?" for name in names[:limit]]
