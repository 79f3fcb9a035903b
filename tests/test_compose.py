"""The extractive composer on a hand-made index (deterministic fake embedder): what it picks."""
from __future__ import annotations

import re

from rag import Config
from rag.compose import ABSTAIN_TEXT, ExtractiveComposer
from rag.indexing import update_index
from rag.ingest import parse_document
from rag.retrieve import Retriever

from .fakes import HashEmbedder

ARTICLE = ("Port News\n\nPublished: March 3, 2020\n\nThe new pier opened on Monday. "
           "Mayor Ana Ruiz cut the ribbon. Construction began two years ago. The pier cost 40 million dollars.")


def _setup(config: Config):
    embedder = HashEmbedder(64)
    data, _ = update_index(None, [parse_document(ARTICLE, "port.txt")], config=config, embedder=embedder, prune=True)
    return Retriever(data, embedder), ExtractiveComposer(data)


def _ask(question: str, config: Config = Config(abstain_threshold=0.2)):
    retriever, composer = _setup(config)
    query = retriever.prepare(question, fuzzy=True)
    return composer.compose(question, retriever.search(query, k=3, config=config), query=query, config=config)


def test_hand_worked_answer_with_citation_and_resolved_time() -> None:
    answer = _ask("When did construction begin?")
    assert answer.text == ('2018 (two years ago): Construction began two years ago. [1] '
                           '"two years ago" = 2018 (counted from the article date 2020-03-03).')
    c = answer.citations[0]
    assert (c.n, c.source, c.quote, c.date) == (1, "port.txt", "Construction began two years ago.", "2020-03-03")


def test_answer_type_picks_the_sentence_with_the_asked_fact() -> None:
    assert "Ana Ruiz" in _ask("Who cut the ribbon at the pier?").text
    assert _ask("How much did the pier cost?").short_answer == "40 million dollars"


def test_weak_evidence_abstains() -> None:
    answer = _ask("What is the capital of Australia?", Config(abstain_threshold=0.5))
    assert answer.abstained and answer.text == ABSTAIN_TEXT and not answer.citations


def test_markers_match_citations_and_stay_within_the_word_limit() -> None:
    answer = _ask("pier opened Monday ribbon construction cost", Config(abstain_threshold=0.0, max_answer_words=20))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == {c.n for c in answer.citations}
    assert len(answer.text.split()) <= 20 + 3
