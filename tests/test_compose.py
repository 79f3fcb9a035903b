"""The extractive composer on a hand-made index (deterministic fake embedder): what it picks."""
from __future__ import annotations

import re

import pytest

from rag import Config
from rag.compose import ABSTAIN_TEXT, ExtractiveComposer
from rag.indexing import update_index
from rag.ingest import parse_document
from rag.retrieve import Retriever

from .fakes import HashEmbedder

ARTICLE = ("Port News\n\nPublished: March 3, 2020\nBy Lena Moss, harbour reporter\n\nThe new pier opened on Monday. "
           "Mayor Ana Ruiz cut the ribbon. Construction began two years ago. The pier cost 40 million dollars. "
           "Ruiz and the harbour board met in May. The two reached an agreement to share the berths.")


def _setup(config: Config, article: str = ARTICLE, more: dict[str, str] | None = None):
    embedder = HashEmbedder(64)
    docs = [parse_document(article, "port.txt")] + [parse_document(text, name) for name, text in (more or {}).items()]
    data, _ = update_index(None, docs, config=config, embedder=embedder, prune=True)
    return Retriever(data, embedder), ExtractiveComposer(data)


def _ask(question: str, config: Config = Config(abstain_threshold=0.2), article: str = ARTICLE):
    retriever, composer = _setup(config, article)
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


def test_who_wrote_and_when_published_are_answered_from_the_byline_and_date_lines() -> None:
    author = _ask("Who wrote the article about the new pier?")
    assert author.short_answer == "Lena Moss, harbour reporter"
    assert author.text == "By Lena Moss, harbour reporter [1]" and author.citations[0].quote == "By Lena Moss, harbour reporter"
    assert author.citations[0].score == author.evidence > 0.2  # the passage's cosine, as for other quotes
    published = _ask("When was the story about the pier published?")
    assert published.short_answer == "2020-03-03" and published.citations[0].quote == "Published: March 3, 2020"
    c = published.citations[0]
    assert ARTICLE.replace("\n\n", "\n").count(c.quote) == 1 and c.end - c.start == len(c.quote)
    for answer in (author, published):  # the passage quoted is the first one the answer rests on
        assert answer.passages[0].chunk_id == answer.citations[0].chunk_id and answer.passages[0].rank == 1
        assert [p.rank for p in answer.passages] == list(range(1, len(answer.passages) + 1))


def test_an_article_without_byline_or_date_gets_no_invented_one() -> None:
    undated = "Port News\n\nThe new pier opened on Monday. Mayor Ana Ruiz cut the ribbon."
    for question in ("Who wrote the article about the new pier?", "When was the article about the pier published?"):
        answer = _ask(question, article=undated)
        assert answer.abstained and not answer.citations and answer.short_answer is None
        assert answer.text.startswith('The article this is about, "Port News" (port.txt), states no ')


def test_an_agreement_question_wants_the_sentence_that_reports_the_agreement() -> None:
    answer = _ask("What did Ruiz and the harbour board agree?")
    assert answer.citations[0].quote == "The two reached an agreement to share the berths."


CITY = ("City Desk\n\nPublished: May 1, 2021\n\nCouncillor Tomas Albrecht was re-elected on Sunday. "
        "Turnout in the city was low. Albrecht promised more buses.")
WEATHER = "Weather\n\nPublished: May 2, 2021\n\nRain is expected on Sunday. The river may flood the lower town."
PIER = ("Port News\n\nPublished: March 3, 2020\n\nThe new pier opened on Monday. "
        "Harbour councillor Tomas Albrech cut the ribbon.")


def _pier_answer(question: str, more: dict[str, str]):
    config = Config(abstain_threshold=0.0)
    retriever, composer = _setup(config, PIER, more)
    query = retriever.prepare(question, fuzzy=True)
    passages = [p for p in retriever.search(query, k=3, config=config) if p.name == "port.txt"][:1]
    return composer.compose(question, passages, query=query, config=config)


@pytest.mark.parametrize("question", ["Who cut the ribbon at the new pier, and was he re-elected?",
                                      "Who cut the ribbon at the new pier, according to all the articles?"])
def test_another_article_naming_the_same_person_is_quoted_and_cited_too(question: str) -> None:
    answer = _pier_answer(question, {"city.txt": CITY, "weather.txt": WEATHER})
    # the city article was not retrieved; it names the councillor (another spelling), the weather one does not
    assert [c.source for c in answer.citations] == ["port.txt", "city.txt"]
    assert "Albrecht" in answer.citations[1].quote
    assert [p.name for p in answer.passages] == ["port.txt", "city.txt"] and answer.passages[1].rank == 2


def test_another_article_naming_the_same_person_is_left_out_when_it_adds_nothing_asked() -> None:
    answer = _pier_answer("Who cut the ribbon at the new pier?", {"city.txt": CITY, "weather.txt": WEATHER})
    assert [c.source for c in answer.citations] == ["port.txt"] and len(answer.passages) == 1


def test_no_other_article_is_quoted_without_a_shared_rare_name() -> None:
    config = Config(abstain_threshold=0.0)
    retriever, composer = _setup(config, PIER, {"weather.txt": WEATHER})
    question = "When did the new pier open?"
    query = retriever.prepare(question, fuzzy=True)
    passages = [p for p in retriever.search(query, k=3, config=config) if p.name == "port.txt"][:1]
    answer = composer.compose(question, passages, query=query, config=config)
    assert {c.source for c in answer.citations} == {"port.txt"} and len(answer.passages) == 1


def test_an_exact_compound_weighs_as_much_as_its_parts() -> None:
    config = Config()
    retriever, composer = _setup(config, "Summits\n\nThe Xi-Park summit came after the Xi-Obama one. The Park-Obama summit was on May 7.")
    query = retriever.prepare("When was the Park-Obama summit?", fuzzy=True)
    weights = {min(forms): w for w, forms in composer._query_weights(query, config)}
    assert weights["parkobama"] == weights["park"] + weights["obama"] > 0


TALKS = ("Talks\n\nPublished: May 1, 2021\n\nAt the meeting Choe said his country would return to the talks. "
         "Such remarks were missing from the account of KCNA. The weather in the capital was mild.")
TALKS_QUESTION = "Which account was missing Choe's remarks that his country would return to the talks?"


def _with_encoder(article: str, name: str, config: Config):
    """Retriever and composer over one article, the composer able to embed (cuts, context)."""
    embedder = HashEmbedder(64)
    data, _ = update_index(None, [parse_document(article, name)], config=config, embedder=embedder, prune=True)
    return Retriever(data, embedder), ExtractiveComposer(data, embedder.encode)


def test_a_sentence_pointing_back_is_read_with_the_one_before() -> None:
    config = Config(abstain_threshold=0.1)
    retriever, composer = _with_encoder(TALKS, "talks.txt", config)
    query = retriever.prepare(TALKS_QUESTION, fuzzy=True)
    passages = retriever.search(query, k=3, config=config)
    with_context = composer.compose(TALKS_QUESTION, passages, query=query, config=config)
    assert with_context.citations[0].quote.endswith("Such remarks were missing from the account of KCNA.")
    # the quote takes the sentence pointed back to along, so that it can be understood
    assert with_context.text.startswith("KCNA: At the meeting Choe said his country would return to the talks. "
                                        "Such remarks were missing from the account of KCNA. [1]")  # the reader's span leads
    # without an encoder there is no context: the sentence naming the account asked for
    # ("which account": a named thing) is quoted alone, without the one it points back to
    alone = ExtractiveComposer(composer.data).compose(TALKS_QUESTION, passages, query=query, config=config)
    assert alone.citations[0].quote == "Such remarks were missing from the account of KCNA."


def test_the_short_answer_is_the_fact_in_the_quote_not_elsewhere_in_a_cut_sentence() -> None:
    article = ("Visits\n\nPublished: March 3, 2020\n\nParty chief Wang Bo met Kim Jong-il ten years ago as an envoy "
               "of the government in Beijing and of its foreign ministry, while vice chairman Li Jian met Kim Jong-un "
               "five years ago.")
    config = Config(abstain_threshold=0.0, max_answer_words=40)
    retriever, composer = _with_encoder(article, "visits.txt", config)
    question = "When did he meet Kim?"  # a follow-up about Li Jian: the search carries his name
    query = retriever.prepare("When did he meet Kim? Li Jian", fuzzy=True)
    answer = composer.compose(question, retriever.search(query, k=3, config=config), query=query, config=config)
    assert answer.citations[0].quote == "while vice chairman Li Jian met Kim Jong-un five years ago."
    assert answer.short_answer.endswith("(five years ago)")  # not the ten years of the clause left out


def test_a_sentence_and_the_one_it_points_back_to_are_quoted_once_in_text_order() -> None:
    config = Config(abstain_threshold=0.0)
    retriever, composer = _with_encoder(TALKS, "talks.txt", config)
    query = retriever.prepare(TALKS_QUESTION, fuzzy=True)
    passages = retriever.search(query, k=3, config=config)
    groups = composer._query_weights(query, config)
    ranked = {c.sentence.text[:4]: c for c in composer.rank(TALKS_QUESTION, passages, query=query, config=config)}
    # both chosen, the one pointing back ranked first: one quote, in the order of the text
    answer = composer._write(TALKS_QUESTION, [ranked["Such"], ranked["At t"]], passages, config, 1.0, groups)
    assert answer.text == ("At the meeting Choe said his country would return to the talks. "
                           "Such remarks were missing from the account of KCNA. [1]")


class _SpanReader:
    """Stands in for the trained reader: always finds `span` in the sentence."""

    def __init__(self, span: str) -> None:
        self.span = span

    def read(self, question, sentences):
        from rag.answer.reader import Reading

        out = []
        for sentence, _ in sentences:
            start = sentence.find(self.span)
            out.append(Reading(0.9 if start >= 0 else 0.1, self.span if start >= 0 else "", max(start, 0),
                               max(start, 0) + len(self.span)))
        return out


def _ask_with(question: str, reader, config: Config = Config(abstain_threshold=0.2)):
    retriever, composer = _setup(config)
    composer.reader = reader
    query = retriever.prepare(question, fuzzy=True)
    return composer.compose(question, retriever.search(query, k=3, config=config), query=query, config=config)


def test_the_trained_readers_span_leads_a_who_answer() -> None:
    answer = _ask("Who cut the ribbon at the pier?")  # the shipped reader, run with onnxruntime
    assert answer.short_answer and "Ruiz" in answer.short_answer
    assert answer.text.startswith(f"{answer.short_answer}: ") and answer.short_answer in answer.citations[0].quote
    rules = _ask("Who cut the ribbon at the pier?", Config(abstain_threshold=0.2, short_answer="rules"))
    assert rules.short_answer is None and rules.text == answer.text[len(answer.short_answer) + 2:]


@pytest.mark.parametrize(("question", "span", "why"), [
    ("Who cut the ribbon at the pier?", "the ribbon", "made of the question's words"),
    ("Who cut the ribbon at the pier?", "cut the", "no name for a who-question"),
    ("What did Ruiz and the harbour board agree?", "share the berths", "what was agreed gets no lead"),
    ("Who cut the ribbon at the pier?", "Mayor Ana Ruiz cut the ribbon", "over the budget"),
])
def test_a_span_that_is_no_short_answer_does_not_lead(question: str, span: str, why: str) -> None:
    config = Config(abstain_threshold=0.2, max_answer_words=12 if why == "over the budget" else 60)
    answer = _ask_with(question, _SpanReader(span), config)
    assert not answer.abstained and answer.short_answer is None, why


def test_a_span_of_the_asked_kind_leads() -> None:
    answer = _ask_with("Who cut the ribbon at the pier?", _SpanReader("Ana Ruiz"))
    assert answer.short_answer == "Ana Ruiz" and answer.text.startswith("Ana Ruiz: ")


def test_a_span_ending_inside_a_name_is_completed_to_its_end_without_the_title_before() -> None:
    answer = _ask_with("Who cut the ribbon at the pier?", _SpanReader("Ana"))
    assert answer.short_answer == "Ana Ruiz"  # not "Ana", nor "Mayor Ana Ruiz"


def test_config_rejects_an_unknown_short_answer_source() -> None:
    with pytest.raises(ValueError, match="short_answer"):
        Config(short_answer="llm")


GLASGOW = ("Arena News\n\nPublished: May 2, 2005\n\nThe benefit concert at the SECC in Glasgow raised 900,000 pounds. "
           "Franz Ferdinand and Travis played to a sold-out hall.")


def test_a_question_naming_what_no_cited_article_mentions_is_not_answered_from_it() -> None:
    # the pier article answers "how much ... raise" loosely (a sum of money), but never names
    # the concert's city or bands: a near miss, not an answer
    answer = _ask("How much did the Cardiff concert with Eric Clapton raise?", Config(abstain_threshold=0.0))
    assert answer.abstained and answer.text == ABSTAIN_TEXT and not answer.citations
    assert answer.notes == ('No article found mentions "Cardiff" or "Eric Clapton".',)


def test_no_note_claims_unmentioned_what_a_weakly_matching_article_mentions() -> None:
    # the pier article matches best but never names Franz Ferdinand; the arena article does, but
    # too weakly to answer: an abstention, with no note that no article mentions him
    config = Config(abstain_threshold=0.2, detail_candidates=0)
    retriever, composer = _setup(config, ARTICLE, {"arena.txt": GLASGOW})
    question = "How much did the pier cost, and did Franz Ferdinand play?"
    query = retriever.prepare(question, fuzzy=True)
    passages = retriever.search(query, k=5, config=config)
    ranked = composer.rank(question, passages, query=query, config=config)
    assert ranked[0].sentence.text.startswith("The pier cost") and ranked[0].evidence >= 0.2
    assert "arena.txt" in {p.source for p in passages}
    answer = composer.compose(question, passages, query=query, config=config)
    assert answer.abstained and answer.notes == ()


def test_the_article_that_names_what_the_question_names_is_quoted_instead() -> None:
    config = Config(abstain_threshold=0.0)
    retriever, composer = _setup(config, ARTICLE, {"arena.txt": GLASGOW})
    question = "How much did the concert with Franz Ferdinand raise for the pier?"
    query = retriever.prepare(question, fuzzy=True)
    passages = retriever.search(query, k=5, config=config)
    answer = composer.compose(question, passages, query=query, config=config)
    assert not answer.abstained and {c.source for c in answer.citations} == {"arena.txt"}
    assert "900,000 pounds" in answer.text


def test_names_spread_over_two_cited_articles_are_all_mentioned() -> None:
    config = Config(abstain_threshold=0.0)
    _, composer = _setup(config, ARTICLE, {"arena.txt": GLASGOW})
    ids = [d.id for d in composer.data.documents]
    question = "Did Ana Ruiz meet Franz Ferdinand in Glasgow in 2005?"
    assert composer.unmentioned(question, ids) == []
    assert composer.unmentioned(question, ids[:1]) == ["Franz Ferdinand", "Glasgow"]
    assert composer.unmentioned("What did Councillor Maria Ruiz say?", ids[:1]) == []  # "Ruiz" is named
    assert composer.unmentioned("Did Ana Ruiz speak to the Americans in 2024?", ids[:1]) == ["2024"]
    # a document dated 2020 may speak of 2019 as "last year"
    assert composer.unmentioned("What did Ana Ruiz do in 2019?", ids[:1]) == []


def test_a_clause_cut_at_a_word_never_splits_a_name() -> None:
    from rag.answer.cuts import clause_windows as _clause_windows

    text = "Song appears not to have met with leader Kim Jong-un during his recent visit to the North"
    quotes = [text[a:b] for a, b, *_ in _clause_windows(text, 8)]
    assert quotes == ["Song appears not to have met with leader"]  # not "... leader Kim"
    names = "Kim Jong-un Ri Su-yong Choe Ryong-hae met"  # nothing but names: cut at the word limit
    assert [names[a:b] for a, b, *_ in _clause_windows(names, 2)] == ["Kim Jong-un"]


@pytest.mark.parametrize("text,limit,expected", [
    # a title with small words inside is one name: not "... for On"
    ("the Academy Award was won by Marlon Brando for On the Waterfront in 1955", 10,
     "the Academy Award was won by Marlon Brando"),
    ("Shares in the Bank of America fell sharply on Monday after the report", 8,
     "Shares in the Bank of America fell sharply"),
    ("Shares in the Bank of America fell sharply on Monday after the report", 5, "Shares"),
    # a cut never ends on a word that needs what follows ("during", "the", "has")
    ("Joss Stone and rock band Muse won coveted Brit awards during the ceremony in London", 11,
     "Joss Stone and rock band Muse won coveted Brit awards"),
    ("The company has said it will sell the unit to a rival this year", 8, "The company has said it will sell"),
    ("The company has said it will sell the unit to a rival this year", 3, "The company"),
])
def test_a_cut_ends_neither_inside_a_title_nor_on_a_dangling_word(text: str, limit: int, expected: str) -> None:
    from rag.answer.cuts import clause_windows as _clause_windows

    assert text[slice(*_clause_windows(text, limit)[0])] == expected


def test_a_cut_quote_is_marked_where_words_were_left_out() -> None:
    long = ("The minister, who had spent the whole of the previous week touring the northern provinces with "
            "a delegation of foreign investors and local officials, announced on Monday that the new bridge "
            "over the river would open in 2026 after years of delays and rising costs.")
    config = Config(abstain_threshold=0.0, max_answer_words=20)
    embedder = HashEmbedder(64)
    data, _ = update_index(None, [parse_document("Bridge News\n\n" + long, "bridge.txt")], config=config,
                           embedder=embedder, prune=True)
    retriever, composer = Retriever(data, embedder), ExtractiveComposer(data, embedder.encode)
    question = "When will the new bridge over the river open?"
    query = retriever.prepare(question, fuzzy=True)
    answer = composer.compose(question, retriever.search(query, k=3, config=config), query=query, config=config)
    quote = answer.citations[0].quote
    assert quote in long and len(quote) < len(long) - 1  # cut: the citation keeps the words alone
    cut_before, cut_after = not long.startswith(quote), not long.endswith(quote)
    assert f"{'…' if cut_before else ''}{quote}{'…' if cut_after else ''} [1]" in answer.text


def test_the_trained_reader_reranks_the_best_candidates_only_when_asked() -> None:
    from rag.answer.reader import SentenceReader, weights_available

    if not weights_available():
        pytest.skip("no shipped reader weights")
    article = ("Company News\n\nSolidere is a property company in Beirut. The firm was founded by Rafik Hariri "
               "in 1994. Its shares trade on the Beirut exchange. Solidere rebuilt the city centre.")
    config = Config(abstain_threshold=0.0)
    retriever, composer = _setup(config, article)
    question = "Who founded Solidere?"
    query = retriever.prepare(question, fuzzy=True)
    passages = retriever.search(query, k=3, config=config)
    ranked = composer.rank(question, passages, query=query, config=config)
    assert composer.reread(ranked, query, config) == ranked  # off by default
    on = Config(abstain_threshold=0.0, rerank_candidates=3, rerank_weight=10.0)
    reranked = composer.reread(ranked, query, on)
    probability = {s.text: r.probability for s, r in zip(
        (c.sentence for c in ranked[:3]),
        SentenceReader().read(query.text, [(c.sentence.text, composer._before(c)) for c in ranked[:3]]))}
    top = sorted(ranked[:3], key=lambda c: -(c.score + 10.0 * probability[c.sentence.text]))
    assert [c.sentence.text for c in reranked[:3]] == [c.sentence.text for c in top]
    assert reranked[3:] == ranked[3:]  # the rest keep their order and scores
    assert [c.evidence for c in reranked[:3]] == [c.evidence for c in top]  # abstention's evidence unchanged
    assert "founded" in reranked[0].sentence.text


def test_quotes_from_articles_that_name_nothing_the_question_names_are_dropped() -> None:
    config = Config(abstain_threshold=0.0)
    other = "Harbour Notes\n\nThe ferry terminal cost 12 million dollars. It opened in June."
    retriever, composer = _setup(config, more={"ferry.txt": other})
    question = "How much did the pier Mayor Ana Ruiz opened cost?"
    query = retriever.prepare(question, fuzzy=True)
    ranked = composer.rank(question, retriever.search(query, k=5, config=config), query=query, config=config)
    pier = next(c for c in ranked if "40 million" in c.sentence.text)
    ferry = next(c for c in ranked if "12 million" in c.sentence.text)
    assert composer._about_the_named(question, [ferry, pier]) == [pier]  # the ferry article never names Ruiz
    assert composer._about_the_named("How much did the terminal cost?", [ferry, pier]) == [ferry, pier]  # names nothing
    assert composer._about_the_named("Did Ana Ruiz open the June ferry?", [ferry]) == [ferry]  # one article: as it is


@pytest.mark.parametrize("line,year,mentioned", [
    ("The awards will be shown on BBC One at 2010 GMT.", "2010", False),  # a clock time, not the year
    ("Highlights follow at 1930 BST on Sunday.", "1930", False),
    ("The awards of 2010 will be shown on BBC One.", "2010", True),
])
def test_a_clock_time_is_no_mention_of_a_year(line: str, year: str, mentioned: bool) -> None:
    _, composer = _setup(Config(abstain_threshold=0.0), "Awards News\n\n" + line)
    ids = list(composer._documents)
    assert (composer.unmentioned(f"Which film won at the {year} awards?", ids) == []) is mentioned


FESTIVAL = ("Harbour Festival\n\nThe town's harbour festival returned on Saturday after a two-year break, drawing large "
            "crowds to the waterfront. The opening concert was given by the Riverside Brass Band. Food stalls lined "
            "the quay. Organisers said the weather had helped.")
BAND_QUESTION = "Which band played when the harbour festival returned after a two-year break?"


def _compose(question: str, config: Config, article: str = ARTICLE, reader=None, history=()):
    retriever, composer = _setup(config, article)
    if reader is not None:
        composer.reader = reader
    from rag.questions import contextualize

    query = retriever.prepare(contextualize(question, history), fuzzy=True)  # as RAG.ask does
    passages = retriever.search(query, k=3, config=config)
    return composer, composer.compose(question, passages, query=query, config=config, history=history), \
        composer.rank(question, passages, query=query, config=config)


def test_the_sentence_the_trained_reader_finds_answering_is_quoted_after_the_opening_it_details() -> None:
    from rag.answer.reader import weights_available

    if not weights_available():
        pytest.skip("no shipped reader weights")
    _, answer, ranked = _compose(BAND_QUESTION, Config(abstain_threshold=0.0), FESTIVAL)
    assert ranked[0].sentence.text.startswith("The town's harbour festival")  # the opening matches best
    assert [c.quote for c in answer.citations[:2]] == [ranked[0].sentence.text,
                                                       "The opening concert was given by the Riverside Brass Band."]
    assert answer.short_answer == "Riverside Brass Band" and answer.text.startswith("Riverside Brass Band: ")
    _, off, _ = _compose(BAND_QUESTION, Config(abstain_threshold=0.0, detail_candidates=0), FESTIVAL)
    assert "Riverside" not in off.text and off.short_answer is None


def test_the_detail_sentence_comes_second_and_a_follow_up_is_read_with_the_earlier_names() -> None:
    config = Config(abstain_threshold=0.2, max_answer_sentences=2)
    _, answer, ranked = _compose("When did construction begin?", config, reader=_SpanReader("40 million"))
    assert ranked[0].sentence.text == "Construction began two years ago."
    assert [c.quote for c in answer.citations] == ["Construction began two years ago.",
                                                   "The pier cost 40 million dollars."]
    assert answer.short_answer.startswith("2018")  # the rules' date, from the first quote
    reader = _SpanReader("40 million")
    asked = []
    reader.read = lambda question, sentences, read=reader.read: asked.append(question) or read(question, sentences)
    history = [("Who cut the ribbon at the pier?", "Mayor Ana Ruiz cut the ribbon. [1]")]
    _, follow_up, _ = _compose("When did construction begin there?", config, reader=reader, history=history)
    # "there" means nothing to the reader alone: it reads the question with the earlier turn's names
    assert asked[0] == "When did construction begin there? (Mayor Ana Ruiz)" and "40 million" in follow_up.text
    with pytest.raises(ValueError, match="detail_candidates"):
        Config(detail_candidates=-1)
