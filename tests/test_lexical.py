"""BM25 tokens, the stemmer and spelling variants (no name lists)."""
from __future__ import annotations

import pytest

from rag.lexical import LexicalIndex, edit_distance, stem, tokenize


def test_hand_worked_tokens() -> None:
    assert tokenize("Choe met the Park-Obama summit's visitors in Pyongyang.") == [
        "choe", "meet", "park", "obama", "summit", "visitor", "pyongyang", "parkobama"]


@pytest.mark.parametrize("word,expected", [("meetings", "meet"), ("visited", "visit"), ("met", "meet"),
                                           ("talks", "talk"), ("press", "press"), ("is", "is"), ("", "")])
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize("a,b", [("agreed", "agree"), ("received", "receive"), ("closed", "close"),
                                 ("arrival", "arrived"), ("reportedly", "reports")])
def test_inflections_share_a_stem(a: str, b: str) -> None:
    assert stem(a) == stem(b)


@pytest.mark.parametrize("a,b,distance", [("choe", "choi", 1), ("yunsan", "yunshan", 1), ("abcd", "abdc", 1),
                                          ("kim", "kim", 0), ("song", "seoul", 3)])
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 2) == distance


def test_variants_find_other_romanizations_in_the_corpus(tmp_path) -> None:
    index = LexicalIndex.build(["Choe Ryong-hae met Liu Yunsan.", "Choi Ryong-hae and Liu Yunshan spoke.",
                                "Kim Jong-un stayed home."])
    assert index.variants("choi") == ["choe"] and index.variants("yunshan") == ["yunsan"]
    assert index.variants("kim") == []  # short words are never expanded
    scores = index.scores(index.expand(tokenize("What did Choi do?")))
    assert scores[0] > 0 and scores[1] > 0 and scores[2] == 0
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert list(loaded.scores(["choe"])) == list(index.scores(["choe"]))
    assert loaded.idf("choe") == index.idf("choe") > loaded.idf("ryong") - 1


def test_close_words_agree_with_the_python_edit_distance() -> None:
    import random

    from rag.lexical import close_words, edit_distance

    rng = random.Random(7)
    vocabulary = sorted({"".join(rng.choice("aeiklnorst") for _ in range(rng.randint(3, 10)))
                         for _ in range(3000)})
    for word in ["kimjong", "pyongyang", "choe", "liuyunsan", "beijing", "stone"]:
        for limit in (1, 2):
            slow = [w for w in vocabulary if edit_distance(word, w, limit) <= limit]
            assert sorted(close_words(word, vocabulary, limit)) == slow
    assert close_words("choi", ["choe", "chow", "chosen", "cho"], 1) == ["choe", "chow", "cho"]
