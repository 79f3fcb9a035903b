"""Cutting a sentence too long for the answer's word budget, and showing the cut.

`clause_windows` gives the longest runs of whole clauses that fit; a clause too long alone is
cut at a word, where the cut neither ends inside a name or title ("leader Kim | Jong-un",
"for On | the Waterfront") nor on a word that needs what follows ("won by | ..."). `marked`
shows a cut quote with "…" where its sentence's words were left out. Which window to quote
is the writer's choice (writing.py). Left out: cutting inside a clause by its grammar.
"""
from __future__ import annotations

import re


def clause_windows(text: str, max_words: int) -> list[tuple[int, int]]:
    """Longest runs of whole clauses that fit in `max_words` (single words if none fits)."""
    bounds = [0] + [m.end() for m in re.finditer(r"[,;:]\s+|\s+[-–—]\s+", text)] + [len(text)]
    clauses = list(zip(bounds, bounds[1:]))
    windows = []
    for i in range(len(clauses)):
        j = i
        while j + 1 < len(clauses) and word_count(text[clauses[i][0]:clauses[j + 1][1]]) <= max_words:
            j += 1
        a, b = clauses[i][0], clauses[j][1]
        if word_count(text[a:b]) > max_words:  # one clause alone is too long: cut at a word
            words = text[a:b].split(" ")
            b = a + len(" ".join(words[:_cut_at(words, max_words)]))
        windows.append((a, a + len(text[a:b].rstrip(" ,;:-–—"))))
    return windows


# words a cut quote must not end on: it would leave them dangling ("... won by Brando for")
_DANGLING = frozenset("a an the of to in on at by for with from into onto during after before over under about "
                      "against between through without within across among around behind beyond like since until "
                      "upon via per towards toward and or but nor as than that which who whom whose while when "
                      "where if because so whether his her its their our my your this these those is was are were "
                      "be been being has have had will would can could should may might must do does did not".split())
# small words inside a name or title ("Bank of America", "On the Waterfront")
_NAME_LINKS = frozenset("of the de du la le von van der y &".split())


def _cut_at(words: list[str], max_words: int) -> int:
    """How many of `words` a quote cut to `max_words` keeps: it neither ends inside a name or
    title ("leader Kim | Jong-un", "for On | the Waterfront") nor on a small word that needs
    what follows ("won by | ..."); a quote that is all name is cut at the word limit."""
    n, before = max_words, None
    while n != before:
        before = n
        while 0 < n < len(words) and _capitalised(words[n - 1]) and _continues_name(words, n):
            n -= 1
        while n > 1 and _dangling(words[n - 1]):
            n -= 1
    return n if n > 0 and not _dangling(words[n - 1]) else max_words


def marked(quote: str, cut_before: bool, cut_after: bool) -> str:
    """The quote as the answer shows it: "…" where words of its sentence were left out, so a
    cut quote never reads as a whole sentence (the citation keeps the words alone)."""
    return ("…" if cut_before else "") + quote + ("…" if cut_after else "")


def _dangling(word: str) -> bool:
    return word.lower().strip("\"'(") in _DANGLING


def _continues_name(words: list[str], n: int) -> bool:
    """Whether the name or title that `words[n - 1]` is part of goes on at `words[n]`: a
    capitalised word, or small linking words and then one ("of America")."""
    j = n
    while j < len(words) and words[j] in _NAME_LINKS:
        j += 1
    return j < len(words) and _capitalised(words[j]) and (j == n or not words[n - 1].endswith((",", ";", ":")))


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def word_count(text: str | None) -> int:
    """Words of a text, as the word budget counts them (a "…" mark is not one)."""
    return len(text.split()) if text else 0
