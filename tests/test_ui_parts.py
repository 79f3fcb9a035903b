"""Fast unit tests of the web app's pieces that need no model: HTML rendering, examples,
upload checks, API argument parsing, feedback records and the port check.

The real app, with the real library, model and browser, is tested in `test_ui_app.py`
and `test_ui_browser.py`; the small records here only stand in for `rag` results.
"""
from __future__ import annotations

import html
import json
import re
import socket
from dataclasses import dataclass, field

import pytest

from ui.chat import make_respond, parse_history, parse_settings, stream_prefixes
from ui.examples import example_questions, headline_name, main_clause
from ui.feedback import FeedbackLog, vote_name
from ui.render import (ABSTAIN_BADGE, answer_chat, article_html, citation_html, documents_html,
                       escape_chat_text, highlight, sources_html, sources_panel, where_in_article, window)
from ui.server import PortInUseError, check_port, free_port
from ui.service import BotService
from ui.uploads import MAX_UPLOAD_FILES, add_uploads, check_upload, read_uploads, sanitize_filename


@dataclass(frozen=True)
class Cite:
    n: int
    source: str
    title: str
    quote: str
    passage: str
    date: str | None = None
    path: str = ""
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Ans:
    text: str
    abstained: bool = False
    citations: tuple = ()

    def to_dict(self) -> dict:
        return {"answer": self.text, "abstained": self.abstained, "citations": []}


@dataclass(frozen=True)
class Doc:
    title: str
    name: str
    date: str | None = None
    n_chunks: int = 1


# ---- render ----

def test_answer_chat_hand_worked_example():
    assert answer_chat("Choe's *visit* on May 22. [1] [2](x)", abstained=False) == (
        "Choe's &#42;visit&#42; on May 22. [1] [2]&#40;x)")


TRICKY = [
    "<script>alert(1)</script> and <img src=x onerror=alert(2)>",
    "**bold** _it_ `code` ~~gone~~ [link](http://x.y) ![img](a.png) <b>b</b> &amp;",
    "# Heading\n- item\n+ item\n> quote\n2012. A year\n3) three\n===\n    code block",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "see https://example.com and www.example.org now",
    "ünïcødé — 北朝鮮 'quotes' \"double\" $5 a\\b",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_chat_text_renders_as_written(text):
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    rendered = md.render(escape_chat_text(text))
    tags = set(re.findall(r"</?([a-z0-9]+)", rendered))
    assert tags <= {"p", "br"}, rendered  # no formatting, link, list, heading, code or HTML
    shown = html.unescape(re.sub(r"</?(p|br)\s*/?>", "", rendered))
    expected = re.sub(r"^[ \t]+", "", text, flags=re.MULTILINE)  # indentation is dropped
    assert shown.split() == expected.split()


def test_abstention_is_marked():
    bubble = answer_chat("The documents don't say.", abstained=True)
    assert bubble == f"**⚠ {ABSTAIN_BADGE}**\n\nThe documents don't say."


def test_highlight_hand_worked_example():
    passage = "Photo credit.\n\nThe envoy arrived\non May 22. Last <b>bit</b>."
    assert highlight(passage, "The envoy arrived on May 22.") == (
        "Photo credit.<br><mark>The envoy arrived on May 22.</mark> Last &lt;b&gt;bit&lt;/b&gt;.")


@pytest.mark.parametrize("passage", ["", "A passage without the sentence."])
def test_highlight_shows_a_quote_missing_from_the_passage(passage):
    assert "<mark>Quoted &lt;sentence&gt;.</mark>" in highlight(passage, "Quoted <sentence>.")


def test_sources_panel_escapes_everything_from_documents():
    evil = "<script>alert(1)</script>"
    cite = Cite(1, f"{evil}.txt", f"Title {evil}", f"Quote {evil}.", f"Before. Quote {evil}.",
                date="2024-01-02")
    panel = sources_html(f"Q {evil}", Ans("A [1]", citations=(cite,)))
    assert "<script>" not in panel
    assert panel.count("&lt;script&gt;") == 5  # question, title (and its tooltip), file name, passage
    assert "<mark>Quote &lt;script&gt;" in panel and "2024-01-02" in panel


def test_markers_link_to_their_cards_only_when_the_turn_is_known():
    assert answer_chat("Arrived. [1] Left. [12]", abstained=False, turn=3) == (
        "Arrived. [&#91;1&#93;](#rag-cite-3-1) Left. [&#91;12&#93;](#rag-cite-3-12)")
    assert answer_chat("[1](x)", abstained=False, turn=0) == "[&#91;1&#93;](#rag-cite-0-1)&#40;x)"
    assert answer_chat("A [1]", abstained=False) == "A [1]"


ARTICLE = "Lamp relit\n\nBy A. Reporter\n\nThe lamp was relit on 14 March. Crowds came.\n\nIt shines."


@pytest.mark.parametrize("start, expected", [(0, "paragraph 1 of 4"), (11, "paragraph 1 of 4"),
                                             (12, "paragraph 2 of 4"), (ARTICLE.index("The"), "paragraph 3 of 4"),
                                             (len(ARTICLE) - 1, "paragraph 4 of 4")])
def test_where_in_article(start, expected):
    assert where_in_article(ARTICLE, start) == expected


def test_a_card_shows_where_the_quote_is_and_the_whole_article():
    start = ARTICLE.index("The lamp")
    cite = Cite(1, "lamp.txt", "Lamp relit", "The lamp was relit on 14 March.", ARTICLE[start:],
                path="/c/lamp.txt", start=start, end=start + 31)
    card = citation_html(cite, 2, ARTICLE)
    assert 'id="rag-source-2-1"' in card and "paragraph 3 of 4" in card
    assert ('<mark class="rag-quote">The lamp was relit on 14 March.</mark> Crowds came.<br>It shines.'
            in card)
    assert "rag-article" not in citation_html(cite, 2, None)  # no text: no article view
    assert "rag-article" not in citation_html(cite, 2, ARTICLE[:10])  # a span outside the text


def test_window_cuts_at_words_around_the_quote():
    passage = " ".join(f"w{i}" for i in range(100))
    cut = window(passage, "w50 w51", chars=10)
    assert cut == "… w48 w49 w50 w51 w52 w53 …"  # whole words within 10 characters either side
    assert window("short one", "short", chars=10) == "short one"
    assert window(passage, "not there", chars=10) == passage


def test_article_html_of_a_huge_article_is_cut_around_the_quote():
    text = "a " * 100_000 + "QUOTE" + " b" * 100_000
    shown = article_html(text, 200_000, 200_005, chars=100)
    assert shown.startswith("… ") and shown.endswith(" …") and len(shown) < 300
    assert '<mark class="rag-quote">QUOTE</mark>' in shown


def test_sources_panel_shows_the_last_answer_and_keeps_the_others():
    panel = sources_panel(['<div class="rag-sources" data-turn="0">a</div>',
                           '<div class="rag-sources" data-turn="1">b</div>'])
    assert panel == ('<div class="rag-sources" hidden data-turn="0">a</div>'
                     '<div class="rag-sources" data-turn="1">b</div>')
    assert "Ask a question." in sources_panel([])


def test_sources_panel_of_an_abstention_says_why():
    panel = sources_html("capital?", Ans("The documents don't say.", abstained=True))
    assert "Nothing in the indexed articles supports an answer" in panel


def test_documents_table_newest_first_then_undated():
    docs = [Doc("Old", "a.txt", "2001-01-01", 2), Doc("No date", "b.md"),
            Doc("New <i>", "c.txt", "2020-05-05", 3)]
    table = documents_html(docs)
    assert table.index("New &lt;i&gt;") < table.index("Old") < table.index("No date")
    assert "3 documents, 6 chunks" in table


# ---- examples ----

@pytest.mark.parametrize("title, name", [
    ("Kim Jong-un appears to have refused meeting with Chinese special envoy", "Kim Jong-un"),
    ("North Korean Envoy Visits Beijing: Groundwork for a Sino-DPRK Reset?", "Beijing"),
    ("Why the Bank of England raised rates again", "Bank of England"),
    ("Storm hits the coast", None),
    ("", None),
    ("000_f128671dea74a6be", None),
])
def test_headline_name(title, name):
    assert headline_name(title) == name


def test_examples_newest_first_without_duplicates():
    docs = [Doc("Storm hits Oslo harbour", "a.txt", "2001-01-01"),
            Doc("Flooding in Oslo continues", "b.txt", "2002-01-01"),
            Doc("Fire near Lisbon airport", "c.txt", "2003-01-01")]
    assert example_questions(docs) == ["What do the articles say about Lisbon?",
                                       "What do the articles say about Oslo?"]
    assert main_clause("Head: sub") == "Head"


# ---- uploads ----

@pytest.mark.parametrize("name, safe", [
    ("report.txt", "report.txt"),
    ("../../etc/passwd.md", "passwd.md"),
    ("C:\\Users\\me\\Ünïcode notes (v2).TXT", "Unicode_notes_v2.txt"),
    ("...hidden.md", "hidden.md"),
    ("北朝鮮.txt", "upload.txt"),
    ("a" * 300 + ".md", "a" * 80 + ".md"),
])
def test_sanitize_filename(name, safe):
    assert sanitize_filename(name) == safe


@pytest.mark.parametrize("name", ["evil.html", "script.py", "noext", "archive.txt.zip"])
def test_sanitize_filename_refuses_other_types(name):
    with pytest.raises(ValueError, match="only .txt and .md"):
        sanitize_filename(name)


@pytest.mark.parametrize("size, ok", [(0, False), (99, True), (100, True), (101, False)])
def test_upload_size_limit_is_inclusive(size, ok):
    data = b"x" * size
    if ok:
        assert check_upload("a.txt", data, max_bytes=100) == "a.txt"
    else:
        with pytest.raises(ValueError):
            check_upload("a.txt", data, max_bytes=100)


def test_read_uploads_refuses_binary_blank_and_over_the_count(tmp_path):
    incoming = tmp_path / "in"
    incoming.mkdir()
    (incoming / "one.txt").write_text("Some text.", encoding="utf-8")
    (incoming / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    (incoming / "blank.md").write_text("  \n", encoding="utf-8")
    files = sorted(incoming.iterdir(), key=lambda p: p.name != "one.txt")
    accepted, rejected = read_uploads(files, max_bytes=1000)
    assert accepted == [("one.txt", b"Some text.")]
    reasons = {r.name: r.reason for r in rejected}
    assert reasons == {"bin.txt": "not UTF-8 text", "blank.md": "the file is empty"}
    many = [incoming / "one.txt"] * (MAX_UPLOAD_FILES + 1)
    accepted, rejected = read_uploads(many, max_bytes=1000)
    assert len(accepted) == MAX_UPLOAD_FILES
    assert rejected[0].reason == f"over the limit of {MAX_UPLOAD_FILES} files per upload"


def test_add_uploads_reports_each_file(tmp_path):
    (tmp_path / "new.txt").write_text("News.", encoding="utf-8")
    (tmp_path / "x.pdf").write_text("pdf", encoding="utf-8")
    calls = []

    @dataclass(frozen=True)
    class Report:
        added: tuple = ("new.txt",)
        updated: tuple = ()
        unchanged: tuple = ()
        duplicates: tuple = ()
        skipped: tuple = ()

    summary = add_uploads([tmp_path / "new.txt", tmp_path / "x.pdf"], 100,
                          lambda files: calls.append(files) or Report())
    assert calls == [[("new.txt", b"News.")]]
    assert summary == ("- **new.txt** added to the index.\n"
                       "- **x.pdf** was not added: only .txt and .md files can be added, not .pdf.")


# ---- API arguments ----

def test_parse_history_accepts_the_three_forms():
    history = json.dumps(["q0", ["q1", "a1"], {"role": "user", "content": "q2"}])
    assert parse_history(history) == ["q0", ("q1", "a1"), {"role": "user", "content": "q2"}]
    assert parse_history("") == []


@pytest.mark.parametrize("bad, message", [("{", "not valid JSON"), ('{"a": 1}', "JSON list"),
                                          ("[[1, 2]]", "item 0"),
                                          ('[{"role": "system", "content": "x"}]', "item 0")])
def test_parse_history_rejects(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_history(bad)


def test_parse_settings_and_gate():
    assert parse_settings('{"top_k": 3}') == {"top_k": 3}
    with pytest.raises(ValueError, match="JSON object"):
        parse_settings("[1]")
    service = BotService(FakeBot())
    with pytest.raises(ValueError, match="unknown setting.*model"):
        service.ask("q", model="other")
    service.ask("q", [("a", "b")], top_k=2, retrieval="lexical", fuzzy_names=None)
    assert service._bot.calls == [("q", [("a", "b")], 2, {"retrieval": "lexical"})]


@pytest.mark.parametrize("text, steps", [("", [""]), ("one", ["one"]),
                                         ("a b c d e f g", ["a b c", "a b c d e f",
                                                            "a b c d e f g"])])
def test_stream_prefixes(text, steps):
    assert list(stream_prefixes(text, step=3)) == steps


# ---- feedback and port ----

def test_feedback_log_appends_jsonl(tmp_path):
    log = FeedbackLog(tmp_path / "logs" / "feedback.jsonl")
    turn = {"question": "Q?", "answer": {"answer": "A [1]", "abstained": False,
                                         "citations": [{"n": 1, "source": "s.txt"}]}}
    log.append(vote_name(True), turn)
    log.append(vote_name("Dislike"), turn)
    lines = [json.loads(x) for x in log.path.read_text(encoding="utf-8").splitlines()]
    assert [r["vote"] for r in lines] == ["up", "down"]
    assert lines[0]["citations"] == [{"n": 1, "source": "s.txt"}] and lines[0]["timestamp"]


def test_port_check_names_the_port_and_the_way_out():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} .*--port {port + 1}"):
            check_port("127.0.0.1", port)
    check_port("127.0.0.1", free_port())  # a free port passes


def test_respond_streams_and_keeps_the_turns():
    bot = FakeBot(answer=Ans("one two three four five six seven [1]", citations=(
        Cite(1, "a.txt", "T", "one two", "one two three"),)))
    respond = make_respond(BotService(bot), stream_delay=0)
    earlier = [{"question": "Q0", "answer": {"answer": "A0"}, "index": 1,
                "sources": '<div class="rag-sources" data-turn="0">Q0 sources</div>'}]
    updates = list(respond("  Q1 ", [{"role": "user", "content": "Q0"},
                                     {"role": "assistant", "content": "A0"}],
                           earlier, 3.0, "dense", False))
    assert bot.calls == [("Q1", [("Q0", "A0")], 3, {"retrieval": "dense", "fuzzy_names": False})]
    first, last = updates[0], updates[-1]
    assert first[0] == "" and first[1][2] == {"role": "user", "content": "Q1"}
    assert "Searching" in first[1][3]["content"] and "Searching" in first[2]
    bubbles = [u[1][3]["content"] for u in updates[1:]]
    assert bubbles[0] == "one two three"
    assert bubbles[-1] == "one two three four five six seven [&#91;1&#93;](#rag-cite-1-1)"  # to its card
    assert len(bubbles) >= 3  # streamed, not shown at once
    assert "<mark>one two</mark>" in last[2] and 'id="rag-source-1-1"' in last[2]
    assert '<div class="rag-sources" hidden data-turn="0">Q0 sources' in last[2]  # the earlier answer's
    assert last[3][-1]["question"] == "Q1" and last[3][-1]["index"] == 3
    assert last[3][-1]["answer"]["answer"] == "one two three four five six seven [1]"


def test_respond_refuses_an_empty_question(capsys):
    bot = FakeBot()
    updates = list(make_respond(BotService(bot), 0)("   ", [], [], 5, "hybrid", True))
    assert updates == [({"__type__": "update"},) * 4]  # the page stays as it is
    assert bot.calls == []
    assert capsys.readouterr().err == "[rag serve] user error (ask): Type a question first.\n"


@dataclass
class FakeBot:
    calls: list = field(default_factory=list)
    answer: object = None

    def ask(self, question, history=None, top_k=None, **settings):
        self.calls.append((question, history, top_k, settings))
        return self.answer

    def add(self, paths):
        raise AssertionError("not used")

    def documents(self):
        return []
