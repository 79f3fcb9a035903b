"""The public API on the seeds with the real model: facts, citations, abstention, follow-ups."""
from __future__ import annotations

import re

import pytest

from rag import RAG

from .conftest import CSIS, HANKYOREH

FACTS = [
    ("When did Choe Ryong-hae arrive in Beijing?", "May 22", CSIS),
    ("Who did Choe meet on May 23?", "Liu Yunsan", CSIS),
    ("Which bank stopped dealing with North Korea's Foreign Trade Bank?", "Bank of China", CSIS),
    ("Who heads the International Liaison Department that Choe met upon arrival?", "Wang Jiarui", CSIS),
    ("What did Choe present to President Xi?", "personal letter", CSIS),
    ("Where did Kim Jong-un conduct on-the-spot guidance?", "Sungri Motor Plant", HANKYOREH),
    ("Who is the Chinese Foreign Ministry spokesperson?", "Lu Kang", HANKYOREH),
    ("What approach is Beijing emphasizing on North Korea's nuclear program?", "freeze-for-freeze", HANKYOREH),
    ("Who was the Chinese special envoy who apparently did not meet Kim Jong-un?", "Song Tao", HANKYOREH),
    ("Which general did Choe call on before meeting Xi?", "Fan Changlong", CSIS),
]
OFF_TOPIC = ["What is the capital of Australia?", "How do I bake sourdough bread?",
             "Who won the 2018 FIFA World Cup?"]


@pytest.mark.parametrize("question,fact,source", FACTS)
def test_factual_questions_are_answered_and_cited(seed_bot: RAG, question: str, fact: str, source: str) -> None:
    answer = seed_bot.ask(question)
    assert not answer.abstained
    assert fact.lower() in answer.text.lower(), answer.text
    assert source in {c.source for c in answer.citations}
    assert len(answer.text.split()) <= 60
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations} and markers


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_abstain(seed_bot: RAG, question: str) -> None:
    answer = seed_bot.ask(question)
    assert answer.abstained and not answer.citations
    assert "don't say" in answer.text


def test_citations_quote_the_document_exactly(seed_bot: RAG) -> None:
    answer = seed_bot.ask("When did Choe Ryong-hae arrive in Beijing?")
    data = seed_bot._state.data
    texts = {d.name: d.text for d in data.documents}
    for c in answer.citations:
        assert texts[c.source][c.start:c.end] == c.quote and c.quote in answer.text
        assert c.quote in c.passage and c.title and c.score > 0


@pytest.mark.parametrize("spelling,other", [("Choi Ryong-hae", "Choe"), ("Liu Yunsan", "Liu Yunshan"),
                                            ("Liu Yunshan", "Liu Yunsan")])
def test_one_romanization_retrieves_the_other(seed_bot: RAG, spelling: str, other: str) -> None:
    passages = seed_bot.retrieve(f"What did {spelling} do?", k=3, retrieval="lexical")
    assert any(re.search(rf"\b{other}\b", p.text) for p in passages)


def test_follow_up_uses_the_history(seed_bot: RAG) -> None:
    first = "When did Choe Ryong-hae arrive in Beijing?"
    history = [(first, seed_bot.ask(first).text)]
    answer = seed_bot.ask("Who did he meet on May 23?", history=history)
    assert "Liu Yunsan" in answer.text and answer.citations[0].source == CSIS
    messages = [{"role": "user", "content": first}, {"role": "assistant", "content": "..."}]
    assert "Liu Yunsan" in seed_bot.ask("Who did he meet on May 23?", history=messages).text


def test_dates_and_relative_times_are_resolved(seed_bot: RAG) -> None:
    answer = seed_bot.ask("When did Li Jianguo meet Kim Jong-un?")
    assert any(c.source == HANKYOREH and c.date == "2017-11-22" for c in answer.citations)
    assert "2012" in answer.text


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_a_value_error(seed_bot: RAG, question: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        seed_bot.ask(question)


def test_very_long_question_is_truncated_with_a_note(seed_bot: RAG) -> None:
    question = "When did Choe Ryong-hae arrive in Beijing? " + "please " * 3000
    answer = seed_bot.ask(question)
    assert any("long" in n for n in answer.notes)


def test_settings_are_validated(seed_bot: RAG) -> None:
    with pytest.raises(ValueError, match="retrieval"):
        seed_bot.ask("Who is Song Tao?", retrieval="magic")
    with pytest.raises(ValueError, match="unknown setting"):
        seed_bot.ask("Who is Song Tao?", colour="blue")
    for mode in ("dense", "lexical", "hybrid"):
        assert seed_bot.retrieve("Who is Song Tao?", k=2, retrieval=mode)


def test_relative_times_in_an_invented_dated_article(tmp_path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "port.txt").write_text(
        "Harbour Authority Opens New Pier\n\nPublished: March 3, 2020\n\n"
        "The harbour authority opened its new deep-water pier on Monday. "
        "Construction began two years ago after a long dispute over dredging.\n", encoding="utf-8")
    (folder / "undated.txt").write_text(
        "Museum Reopens\n\nThe city museum reopened its east wing. "
        "The wing had closed five years ago because of a leaking roof. "
        "Mayor Alice Brandt cut the ribbon on Thursday in front of a small crowd.\n", encoding="utf-8")
    bot = RAG.build([folder], index_dir=tmp_path / "ix")
    dated = bot.ask("When did construction of the pier begin?")
    assert dated.citations[0].date == "2020-03-03"
    assert '"two years ago" = 2018' in dated.text and dated.short_answer.startswith("2018")
    undated = bot.ask("When did the museum's east wing close?")
    assert undated.citations[0].date is None
    assert "no publication date" in undated.text  # a "when" question: the caution is the answer's
    # for any other question it is a note beside the answer, outside the quotes' word budget
    who = bot.ask("Who cut the ribbon at the museum?")
    assert "Alice Brandt" in who.text and "on Thursday" in who.citations[0].quote
    assert "no publication date" not in who.text
    assert any('"on Thursday": the article gives no publication date' in n for n in who.notes)


def test_every_quote_cut_short_still_matches_its_question(seed_bot: RAG) -> None:
    """A quote cut to fit the word limit keeps some of the question's words (or is left out)."""
    import json
    from pathlib import Path

    from rag.lexical import tokenize

    sentences = {s.text for s in seed_bot._state.data.sentences}
    rows = [json.loads(line) for line in (Path(__file__).parent.parent / "eval" / "questions.jsonl").open()]
    cuts = 0
    for row in rows:
        answer = seed_bot.ask(row["question"])
        for c in answer.citations[1:]:
            if c.quote not in sentences and not any(c.quote.endswith(s) for s in sentences):
                cuts += 1
                assert set(tokenize(c.quote)) & set(seed_bot._state.data.lexical.expand(tokenize(row["question"]))), \
                    (row["id"], c.quote)
    assert cuts > 5  # the seeds' long sentences do get cut


def test_a_quote_that_states_its_date_gets_no_contradicting_time_note(seed_bot):
    answer = seed_bot.ask("Which bank stopped dealing with North Korea's Foreign Trade Bank?")
    assert "Bank of China" in answer.text and "earlier this month on May 7" in answer.citations[0].quote
    assert answer.notes == ()
    assert "cannot be dated" not in answer.text and "counted from" not in answer.text


def test_photo_captions_are_not_article_text(seed_bot):
    answer = seed_bot.ask("When did Choe Ryong-hae arrive in Beijing?")
    assert answer.citations and all("fair use" not in c.passage for c in answer.citations)
    assert all("fair use" not in p.text for p in answer.passages)
