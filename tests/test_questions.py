"""Reading questions: the kind of answer wanted, typed facts in sentences, follow-up context."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.questions import (answer_type, clean_question, contextualize, counted_noun, metadata_question, name_forms,
                           named_terms, normalize_history, typed_spans)


@pytest.mark.parametrize("question,kind", [
    ("When did Choe arrive?", "date"), ("In what year did it happen?", "year"),
    ("How many missiles were fired?", "count"), ("How much money was frozen?", "amount"),
    ("How long was the visit?", "duration"), ("Who met Xi?", "name"), ("Whom did he meet?", "name"),
    ("Where is Tokchon?", "place"), ("What did Choe present?", None), ("", None),
    ("What did the two sides agree to resume?", "agreement"), ("What did he say about the visit?", "statement"),
    ("What did Xi's reply say?", "statement"), ("Who said it was significant?", "name"),
    ("What did he hand to the head of state?", None),
    ("Which senior Chinese Communist Party official met Choe?", "name"), ("Which earlier visitor came?", "name"),
    ("What North Korean vice chairman did Song meet?", "name"), ("What did the president want?", None),
    ("What stance did the Chinese president restate?", None), ("Which news agency reported it?", "entity"),
    ("What exactly was written in the letter?", "statement"),
    # the kind is read from the main clause: a later "when" or "where" opens a clause of its own
    ("Who did Brando send to collect his Oscar when he turned it down?", "name"),
    ("Which track stayed at number one when he became the first solo artist?", "entity"),
    ("How many people were on the guest list when he paid tribute?", "count"),
    ("What did Xi say when Choe arrived?", "statement"), ("When and where did they meet?", "date"),
    ("At which venue were the awards held when Snow Patrol won?", "place"),
    ("In which German city is Nokia trialling the system?", "place"),
    # "which" + a noun asks for a named thing or a figure; "what" + a noun often does not
    ("Which 50 Cent track was number one?", "entity"), ("Which of his singles crept up?", "entity"),
    ("Which did he prefer?", None), ("What home improvement had he arranged?", None),
    ("What is the name of the Korn guitarist?", "name"), ("What was the real name of the band?", "name"),
    # a noun of money or measure after "what"/"which" asks for an amount or a figure
    ("At what price did the shares end?", "amount"), ("What weekly wage is he paid?", "amount"),
    ("To what level did the bank raise rates?", "number"), ("What rate of growth did it forecast?", "number"),
    # a share is a percentage or a fraction
    ("What share of voters did he claim?", "percent"), ("What percentage of pupils did PE?", "percent"),
    ("What proportion of the vote did they win?", "percent")])
def test_answer_type(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


def test_entities_are_names_or_figures_not_a_capitalised_first_word() -> None:
    sentence = "Rapper 50 Cent said his track Candy Shop held on, with Disco Inferno up to five at 12%."
    found = [s[2] for s in typed_spans(sentence, "entity", exclude={"50", "cent", "track"})]
    assert found == ["Candy Shop", "Disco Inferno", "12%"]
    assert typed_spans("Shares fell on the news.", "entity") == []
    assert [s[2] for s in typed_spans("Holcim offered 138p a share.", "entity", exclude={"holcim"})] == ["138p"]
    # a short answer read from the sentence may be its opening name ("CCTV reports ...")
    assert [s[2] for s in typed_spans("CCTV reports the visit.", "entity", opening=True)] == ["CCTV"]
    assert typed_spans("CCTV reports the visit.", "entity") == []


def test_a_name_the_question_gives_is_no_answer_with_a_title_before_it() -> None:
    sentence = "President Xi Jinping and Prime Minister Li Keqiang met John Harvard."
    found = [s[2] for s in typed_spans(sentence, "name", exclude={"xi", "jinping", "harvard"})]
    assert found == ["Prime Minister Li Keqiang", "John Harvard"]


def test_amounts_include_percentages_and_pence() -> None:
    found = [s[2] for s in typed_spans("The index lost 7.9% and shares fell to 138p, or $8.08.", "amount")]
    assert found == ["7.9%", "138p", "$8.08."]
    assert typed_spans("It rose in the 1990s and in 2004.", "amount") == []
    assert [s[2] for s in typed_spans("a turnout of 25.7% from 1,000 votes", "number")] == ["25.7%", "1,000"]


def test_a_share_is_a_percentage_or_a_fraction() -> None:
    found = [s[2] for s in typed_spans("About 62% of pupils, half of them girls, one in five schools, 3 per cent "
                                       "of the 40 clubs in 2004", "percent")]
    assert found == ["62%", "half", "one in five", "3 per cent"]  # not "40" or "2004"


@pytest.mark.parametrize(("sentence", "kind", "fact"), [
    ("Gamers spent more than £1.34bn in 2004.", "amount", "£1.34bn"),
    ("He was signed for £4.6m from AC Milan.", "amount", "£4.6m"),
    ("It bid $800 million for the firm.", "amount", "$800 million"),
    ("Isinbayeva cleared 4.91m to win.", "number", "4.91m"),
    ("Godzilla received the 2,271st star.", "number", "2,271st"),
    ("Sony had 47% of the market.", "number", "47%"),
])
def test_a_figure_keeps_its_scale_or_unit(sentence: str, kind: str, fact: str) -> None:
    assert [s[2] for s in typed_spans(sentence, kind)] == [fact]  # not "£1.34", "4", "2"


def test_a_quotation_is_a_statement() -> None:
    quote = '"What is available for us to do is to prepare a Plan B," he added.'
    assert typed_spans('"It is time to prepare a Plan B for the day after."', "statement")
    assert typed_spans(quote, "statement") and not typed_spans("The plan was ready by May.", "statement")


def test_counts_must_stand_before_the_counted_noun() -> None:
    question = "How many days did the consultation last?"
    assert counted_noun(question) == "days"
    assert typed_spans("a three day consultation", "count", question=question)[0][2] == "three day"
    assert typed_spans("the first visit in two years", "count", question=question) == []


def test_typed_spans_leave_out_the_question_words() -> None:
    sentence = "On May 23, Choe met with Liu Yunsan."
    assert [s[2] for s in typed_spans(sentence, "date")] == ["May 23"]
    assert [s[2] for s in typed_spans(sentence, "name", exclude={"choe"})] == ["Liu Yunsan"]


@pytest.mark.parametrize("history", [
    [("When did Choe Ryong-hae arrive in Beijing?", "May 22 ...")],
    ["When did Choe Ryong-hae arrive in Beijing?"],
    [{"role": "user", "content": "When did Choe Ryong-hae arrive in Beijing?"},
     {"role": "assistant", "content": "May 22 ..."}]])
def test_follow_up_carries_the_previous_names(history) -> None:
    assert "Choe Ryong-hae" in contextualize("Who did he meet next?", history)
    assert contextualize("Who is Song Tao?", history) == "Who is Song Tao?"  # not a follow-up
    assert contextualize("Who did he meet next?", None) == "Who did he meet next?"


def test_after_a_who_question_the_answer_names_come_too() -> None:
    text = contextualize("What did he say?", [("Who is the spokesperson?", "Lu Kang said it [1]")])
    assert "Lu Kang" in text


def test_bad_history_items_are_refused() -> None:
    with pytest.raises(TypeError):
        normalize_history([42])
    assert normalize_history([("  ", "x"), ("q", "a")]) == [("q", "a")]


@pytest.mark.parametrize("question,kind", [
    ("Who reported the story about Kim Jong-un refusing to meet the envoy?", "author"),
    ("Who wrote this article?", "author"), ("Who is the author of the commentary?", "author"),
    ("When was the report on Song Tao's visit posted?", "published"), ("When was the article published?", "published"),
    ("Which broadcaster reported that Liu suggested practical steps?", None),
    ("Which news agency reported on that meeting?", None), ("Who wrote the letter?", None),
    ("On what date did Rodong Sinmun report Song's return?", None)])
def test_metadata_questions(question: str, kind: str | None) -> None:
    assert metadata_question(question) == kind


def test_a_verb_of_the_asked_kind_counts_even_when_the_question_has_it() -> None:
    assert typed_spans("The two reached an agreement to resume talks.", "agreement", {"agree"})
    assert typed_spans("Analysts say it shows a rift.", "statement", {"say"})
    assert not typed_spans("Choe met Wang Jiarui in Beijing.", "agreement", set())
    assert not typed_spans("It is a sign of chilly relations.", "agreement", set())


def test_reported_opinion_counts_as_a_statement() -> None:
    assert typed_spans("Experts saw it as a sign of chilly relations.", "statement", set())
    assert typed_spans("Analysts believe the talks will resume.", "statement", set())
    assert not typed_spans("Experts saw the plant in Tokchon.", "statement", set())


def test_clean_question_hand_worked_example() -> None:
    assert clean_question("Who\x00 met\ud800 Xi?\r\n") == "Who met\ufffd Xi?\r\n"


@pytest.mark.parametrize("raw, cleaned", [
    ("", ""), ("When?", "When?"), ("\x00\x01\x1b\x7f\x9f", ""), ("a\tb\nc\x0bd\x0ce\x85f", "a\tb\nc\x0bd\x0ce\x85f"),
    ("\udcff\udcfe", "\ufffd\ufffd"), ("\ud83d\ude00", "\ufffd\ufffd"), ("😀 최룡해 崔龙海", "😀 최룡해 崔龙海"),
    ("\u200b\u202e\ufeff", "\u200b\u202e\ufeff")])  # format characters are text: kept
def test_clean_question_edge_cases(raw: str, cleaned: str) -> None:
    assert clean_question(raw) == cleaned


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(st.characters(exclude_categories=()), max_size=300))
def test_clean_question_leaves_only_encodable_text(raw: str) -> None:
    cleaned = clean_question(raw)
    cleaned.encode("utf-8")  # strict: no lone surrogate is left
    assert all(unicodedata.category(c) != "Cc" or c.isspace() for c in cleaned)
    assert clean_question(cleaned) == cleaned
    assert len(cleaned) <= len(raw)
    if all(unicodedata.category(c) not in ("Cc", "Cs") or c.isspace() for c in raw):
        assert cleaned == raw  # clean text passes through unchanged


@pytest.mark.parametrize("raw", [None, 3, b"bytes"])
def test_clean_question_wants_a_string(raw: object) -> None:
    with pytest.raises(TypeError, match="question must be a string"):
        clean_question(raw)  # type: ignore[arg-type]


def test_history_turns_are_cleaned_too() -> None:
    assert normalize_history([("Who\ud800?", "A\x00B"), "\x00"]) == [("Who\ufffd?", "AB")]


@pytest.mark.parametrize("question, terms", [
    ("Who won the 2008 US presidential election?", [("2008", 2008), ("US", None)]),
    ("Which New England senator lost his card?", [("New England", None)]),
    ("What share of Britain's games outlay went to Sony?", [("Britain", None), ("Sony", None)]),
    ("What had the Dutch AC Milan defender arranged?", [("AC Milan", None)]),
    ("Which visitor came without the Americans or South Koreans being told?", []),
    ("During his day on Five, what did the Lib Dem leader claim in May?", [("Lib Dem", None)]),
    ("How many of the 10,000 tickets cost $8.50 in 12 shops?", [("10000", None)]),
    ("Tell me about Kim Jong-un", [("Kim Jong-un", None)]),
    ("In what year did Apple launch the first iPhone?", [("Apple", None), ("iPhone", None)]),
])
def test_named_terms_are_the_names_years_and_long_numbers_a_question_names(question, terms) -> None:
    assert named_terms(question) == terms


def test_a_country_has_its_other_names() -> None:
    assert "UK" in name_forms("Britain") and "America" in name_forms("US") and name_forms("Sony") == ("Sony",)
