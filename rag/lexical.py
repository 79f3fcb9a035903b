"""Lexical side of retrieval: BM25 over word tokens (bm25s), with spelling variants.

Tokens are lower-cased, accent-free English Snowball stems (PyStemmer), so "agreed" meets
"agree" and "arrival" meets "arrived"; irregular past forms are mapped first ("met" -> "meet").

Names in news about Korea and China come in several romanisations (Choe/Choi Ryong-hae,
Liu Yunsan/Liu Yunshan). `LexicalIndex.expand` adds, for each query word of four letters or
more, the corpus words within a small edit distance (1, or 2 for words of eight letters or
more) with the same first letter, so either spelling finds the other. It is general: no list
of names, only the corpus vocabulary.

Left out: phrase queries, field boosts, stemmers for languages other than English.
"""
from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import Stemmer

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself yourselves also said says say according""".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_COMPOUND = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
# Irregular past forms, so "met" matches "meet" (suffix stripping cannot do this).
_IRREGULAR = dict(pair.split(":") for pair in """met:meet took:take held:hold went:go made:make
    gave:give came:come saw:see told:tell left:leave began:begin won:win led:lead sent:send spoke:speak
    wrote:write knew:know thought:think found:find brought:bring became:become ran:run fell:fall
    chose:choose flew:fly grew:grow paid:pay sought:seek struck:strike stood:stand kept:keep felt:feel
    heard:hear lost:lose meant:mean built:build sold:sell bought:buy caught:catch taught:teach
    fought:fight drew:draw got:get gotten:get spent:spend shown:show broke:break""".split())


_SNOWBALL = Stemmer.Stemmer("english")
_SNOWBALL_LOCK = threading.Lock()  # a Stemmer object is not thread-safe


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English Snowball stem, after irregular past forms: 'meetings' -> 'meet',
    'agreed' -> 'agre' like 'agree', 'met' -> 'meet'."""
    word = _IRREGULAR.get(word, word)
    with _SNOWBALL_LOCK:
        return _SNOWBALL.stemWord(word)


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-free, stemmed word tokens without stopwords. A hyphenated compound
    also yields its joined form ("Park-Obama" -> park, obama, parkobama), so an exact compound
    outranks its parts in other orders ("Xi-Park")."""
    folded = _fold(text)
    tokens = [stem(w) for w in _WORD.findall(folded)
              if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    tokens += [c.replace("-", "") for c in _COMPOUND.findall(folded)]
    return tokens


def compounds(text: str) -> dict[str, list[str]]:
    """The joined token of each hyphenated compound in `text` with its parts' tokens:
    "the Park-Obama summit" -> {"parkobama": ["park", "obama"]}."""
    return {c.replace("-", ""): tokenize(c.replace("-", " ")) for c in _COMPOUND.findall(_fold(text))}


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count 1), or limit+1 once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[-1]


def close_words(word: str, candidates: Sequence[str], limit: int) -> list[str]:
    """The candidates within `limit` of `word` by `edit_distance` (rapidfuzz's OSA distance,
    the same measure, in C++ when installed: a query over a large vocabulary stays fast)."""
    try:
        from rapidfuzz import process
        from rapidfuzz.distance import OSA
    except ImportError:
        return [w for w in candidates if edit_distance(word, w, limit) <= limit]
    return [w for w, _, _ in process.extract(word, candidates, scorer=OSA.distance,
                                              score_cutoff=limit, limit=None)]


class LexicalIndex:
    """BM25 scores of a query against every chunk, plus spelling-variant expansion."""

    def __init__(self, bm25: object, doc_freq: dict[str, int], n_docs: int) -> None:
        self._bm25 = bm25
        self.doc_freq = doc_freq  # in how many chunks each word occurs
        self.n_docs = n_docs
        self.vocabulary = frozenset(doc_freq)
        self._variants: dict[str, list[str]] = {}  # retrieval and composing ask for the same words
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in self.vocabulary:
            if word:
                self._by_initial[word[0]].append(word)

    @classmethod
    def build(cls, texts: Sequence[str]) -> "LexicalIndex":
        """Index the texts (one per chunk, in chunk order)."""
        import bm25s

        corpus = [tokenize(t) or [""] for t in texts]
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        doc_freq: dict[str, int] = defaultdict(int)
        for words in corpus:
            for word in set(words):
                if word:
                    doc_freq[word] += 1
        return cls(bm25, dict(doc_freq), len(corpus))

    def save(self, folder: Path) -> None:
        """Write the BM25 matrices and the vocabulary into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder), show_progress=False)
        words = {"n_docs": self.n_docs, "doc_freq": dict(sorted(self.doc_freq.items()))}
        (folder / "words.json").write_text(json.dumps(words), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        """Read what `save` wrote."""
        import bm25s

        # memory-mapped: an archive's BM25 matrix is read only where questions' words point
        bm25 = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0, mmap=True)
        words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
        return cls(bm25, {str(k): int(v) for k, v in words["doc_freq"].items()}, int(words["n_docs"]))

    def idf(self, word: str) -> float:
        """Inverse document frequency of a word (BM25's form; unknown words get the highest)."""
        df = self.doc_freq.get(word, 0)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def variants(self, word: str) -> list[str]:
        """Corpus words spelled like `word` (itself excluded); none for short words."""
        if len(word) < 4 or word.isdigit():
            return []
        if word not in self._variants:
            if len(self._variants) > 50_000:  # a long-running server: keep the cache bounded
                self._variants.clear()
            limit = 2 if len(word) >= 8 else 1
            self._variants[word] = sorted(w for w in close_words(word, self._by_initial.get(word[0], ()), limit)
                                          if w != word and len(w) >= 4)
        return list(self._variants[word])

    def expand(self, tokens: Sequence[str]) -> list[str]:
        """The tokens plus the spelling variants of each, without repeats."""
        out = list(dict.fromkeys(tokens))
        for token in tokens:
            out.extend(v for v in self.variants(token) if v not in out)
        return out

    def top(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The `k` best chunks (row, BM25 score > 0) for the query tokens, best first, ties by
        row: the ranking of `scores` (sums in float64 here, so the last digit may differ),
        from the postings of the query's words (a sparse column per word) in one pass."""
        matrix, ids = self._bm25.scores, self._bm25.vocab_dict
        known = [ids[t] for t in tokens if t in self.vocabulary and t in ids]
        if not known or k <= 0:
            return []
        spans = [(int(matrix["indptr"][t]), int(matrix["indptr"][t + 1])) for t in known]
        rows = np.concatenate([matrix["indices"][a:b] for a, b in spans])
        weights = np.concatenate([matrix["data"][a:b] for a, b in spans])
        # one pass over the postings (bincount), then only the chunks that scored are ranked
        total = np.bincount(rows, weights=weights, minlength=self.n_docs).astype(np.float32)
        found = np.flatnonzero(total > 0)
        if len(found) > k:  # every chunk tied with the k-th is kept, so ties still go by row
            kth = np.partition(total[found], len(found) - k)[len(found) - k]
            found = found[total[found] >= kth]
        order = found[np.lexsort((found, -total[found]))][:k]
        return [(int(i), float(total[i])) for i in order]

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (unknown tokens add nothing)."""
        known = [t for t in tokens if t in self.vocabulary]
        if not known:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
