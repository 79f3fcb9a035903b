"""The web chat in a real browser: Debian's Chromium driven by Playwright, against the real app,
library and model on a free loopback port.

A person asks, sees the streamed answer with its `[n]` markers and the cited passage in the
sources panel, votes, follows up, gets an abstention, clears; uploads an article and asks
about it; and a document full of markup shows as text. Any request the page makes beyond
the loopback server fails the test. Screenshots go to `tmp_path` (and to `$RAG_ARTIFACTS`,
or `artifacts/` when it is `1`).

Without /usr/bin/chromium these tests skip, except in CI (`CI` set), where they fail.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported

import pytest  # noqa: E402

from rag import RAG  # noqa: E402
from ui.app import build_app  # noqa: E402
from ui.examples import example_questions  # noqa: E402
from ui.screenshot import CHROMIUM, VIEWPORT, ask_in_page, launch_chromium  # noqa: E402
from ui.server import running  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
ARRIVAL = "When did Choe Ryong-hae arrive in Beijing?"
LIGHTHOUSE = ("Velmora lighthouse shines again\n\nBy A. Reporter\n\nThe Velmora lighthouse in "
              "the harbour town of Quistenport was relit on 14 March 2024, after 61 years of "
              "darkness. Volunteers raised 80,000 euros for the new lamp.\n")
MARKUP = ("Harbour council prints odd tickets\n\nThe Quistenport harbour council voted on "
          "3 May 2023 to print the snippet <script>alert(1)</script> on its ferry tickets. "
          "Critics said <img src=x onerror=alert(2)> and **stars** and ${7*7} looked odd.\n")


@dataclass
class Tab:
    """A browser page, with what it tried to fetch off the machine and the dialogs it opened."""

    page: object
    offsite: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (browser tests must run in CI)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=VIEWPORT)
    result = Tab(page=None)

    def only_loopback(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            result.offsite.append(url)
            route.abort()

    context.route("**/*", only_loopback)
    result.page = context.new_page()
    result.page.on("dialog", lambda d: (result.dialogs.append(d.message), d.dismiss()))
    yield result
    context.close()


@pytest.fixture(scope="module")
def served(seed_bot, tmp_path_factory):
    """The app over the seed index: (url, feedback log path)."""
    work = tmp_path_factory.mktemp("app")
    app = build_app(seed_bot, feedback_log=work / "feedback.jsonl")
    with running(app) as url:
        yield url, work / "feedback.jsonl"


def screenshot(page, tmp_path: Path, name: str) -> Path:
    """Save a screenshot under tmp_path/artifacts, copied to $RAG_ARTIFACTS when set."""
    target = tmp_path / "artifacts" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    wanted = os.environ.get("RAG_ARTIFACTS", "")
    if wanted:
        folder = ROOT / "artifacts" if wanted.lower() in ("1", "true", "yes") else Path(wanted)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, folder / name)
    assert target.stat().st_size > 10_000
    return target


def test_answer_streams_in_with_its_cited_source(tab, served, seed_bot, tmp_path):
    from playwright.sync_api import expect

    url, _ = served
    page = tab.page
    page.goto(url)
    expect(page.locator("#rag-chat .example").first).to_contain_text(
        "What do the articles say about")
    bubble = ask_in_page(page, ARRIVAL, seed_bot.ask(ARRIVAL).text)
    expect(bubble).to_contain_text("May 22")
    expect(bubble).to_contain_text("[1]")
    card = page.locator("#rag-sources .rag-source").first
    expect(card).to_contain_text("North Korean Envoy Visits Beijing")
    expect(card).to_contain_text("000_f128671dea74a6be.txt")
    expect(card.locator(".rag-passage mark")).to_contain_text("Choe Ryong-hae in Beijing on May 22")
    screenshot(page, tmp_path, "browser_answer.png")
    assert tab.offsite == [] and tab.dialogs == []


def test_an_example_question_is_asked_on_click(tab, served, seed_bot):
    from playwright.sync_api import expect

    url, _ = served
    page = tab.page
    page.goto(url)
    example = page.locator("#rag-chat .example").first
    question = example.inner_text().strip()
    assert question == example_questions(seed_bot.documents())[0]
    example.click()
    bubble = page.locator("#rag-chat [data-testid='bot']").first
    expect(bubble).to_contain_text(seed_bot.ask(question).text.split()[-1], timeout=30_000)
    expect(page.locator("#rag-sources")).to_contain_text(f"Sources for: {question}")


def test_vote_is_appended_to_the_feedback_log(tab, served, seed_bot):
    url, log = served
    page = tab.page
    page.goto(url)
    ask_in_page(page, ARRIVAL, seed_bot.ask(ARRIVAL).text)
    lines_before = _lines(log)
    page.locator("#rag-chat button[aria-label='Dislike']").last.click()
    deadline = time.monotonic() + 10
    while len(_lines(log)) == len(lines_before) and time.monotonic() < deadline:
        time.sleep(0.1)
    record = json.loads(_lines(log)[-1])
    assert record["vote"] == "down" and record["question"] == ARRIVAL
    assert record["answer"] == seed_bot.ask(ARRIVAL).text
    assert record["citations"][0]["source"] == "000_f128671dea74a6be.txt"


def test_follow_up_abstention_and_clear(tab, served, seed_bot):
    from playwright.sync_api import expect

    url, _ = served
    page = tab.page
    page.goto(url)
    first = seed_bot.ask(ARRIVAL)
    ask_in_page(page, ARRIVAL, first.text)
    follow_up = "How long was his consultation?"
    expected = seed_bot.ask(follow_up, history=[(ARRIVAL, first.text)])
    bubble = ask_in_page(page, follow_up, expected.text)
    expect(bubble).to_contain_text(expected.text.split(" [")[0][-40:])
    capital = "What is the capital of Australia?"
    bubble = ask_in_page(page, capital, seed_bot.ask(capital).text)
    expect(bubble).to_contain_text("Not found in the articles")
    expect(page.locator("#rag-sources")).to_contain_text("Nothing in the indexed articles")
    page.click("#rag-clear")
    expect(page.locator("#rag-chat [data-testid='bot']")).to_have_count(0)
    expect(page.locator("#rag-sources")).to_contain_text("Ask a question.")


def test_uploaded_article_becomes_answerable(tab, seed_index_dir, tmp_path):
    from playwright.sync_api import expect

    bot = RAG.load(shutil.copytree(seed_index_dir, tmp_path / "index"))
    article = tmp_path / "browser" / "Velmora lighthouse (draft).txt"
    article.parent.mkdir()
    article.write_text(LIGHTHOUSE, encoding="utf-8")
    app = build_app(bot, feedback_log=tmp_path / "f.jsonl")
    with running(app) as url:
        page = tab.page
        page.goto(url)
        page.get_by_role("tab", name="Documents").click()
        page.set_input_files("#rag-upload input[type=file]", str(article))
        status = page.locator("#rag-upload-status")
        expect(status).to_contain_text("Velmora_lighthouse_draft.txt added to the index",
                                       timeout=30_000)
        expect(page.locator("#rag-documents")).to_contain_text("Velmora lighthouse shines again")
        page.get_by_role("tab", name="Sources").click()
        question = "When was the Velmora lighthouse relit?"
        bubble = ask_in_page(page, question, bot.ask(question).text)
        expect(bubble).to_contain_text("14 March 2024")
        expect(page.locator("#rag-sources .rag-source").first).to_contain_text(
            "Velmora_lighthouse_draft.txt")
        page.get_by_role("tab", name="Documents").click()
        page.set_input_files("#rag-upload input[type=file]", str(article))
        expect(status).to_contain_text("same content as a document already indexed",
                                       timeout=30_000)
        page.locator("#rag-remove-choice input").click()
        page.get_by_role("option", name="Velmora_lighthouse_draft.txt").click()
        page.click("#rag-remove")
        expect(status).to_contain_text("Velmora_lighthouse_draft.txt removed from the index",
                                       timeout=30_000)
        expect(page.locator("#rag-documents")).not_to_contain_text("Velmora lighthouse shines again")
    assert "Velmora_lighthouse_draft.txt" not in [d.name for d in bot.documents()]
    assert not (tmp_path / "index" / "corpus" / "Velmora_lighthouse_draft.txt").exists()
    assert tab.offsite == []


def test_markup_in_a_document_shows_as_text(tab, seed_index_dir, tmp_path):
    from playwright.sync_api import expect

    bot = RAG.load(shutil.copytree(seed_index_dir, tmp_path / "index"))
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "tickets.txt").write_text(MARKUP, encoding="utf-8")
    bot.add([tmp_path / "uploads" / "tickets.txt"])
    app = build_app(bot, feedback_log=tmp_path / "f.jsonl")
    with running(app) as url:
        page = tab.page
        page.goto(url)
        question = "What snippet did the Quistenport harbour council print on ferry tickets?"
        bubble = ask_in_page(page, question, bot.ask(question).text)
        expect(bubble).to_contain_text("<script>alert(1)</script>")
        passage = page.locator("#rag-sources .rag-source").first  # its passage and whole article
        for text in ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "**stars**",
                     "${7*7}"):
            expect(passage).to_contain_text(text)
        page.wait_for_timeout(500)  # let any injected handler run, if one had slipped through
        for where in ("#rag-chat", "#rag-sources"):
            assert page.locator(f"{where} script, {where} img").count() == 0
        screenshot(page, tmp_path, "browser_markup.png")
    assert tab.dialogs == [] and tab.offsite == []


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_an_empty_question_on_the_page_is_one_log_line(tab, served, capfd):
    from playwright.sync_api import expect

    url, _ = served
    page = tab.page
    page.goto(url)
    expect(page.locator("#rag-chat .example").first).to_be_visible()
    capfd.readouterr()
    page.click("#rag-ask")
    expect(page.get_by_text("Type a question first.")).to_be_visible()
    out, err = capfd.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert lines == ["[rag serve] user error (ask): Type a question first."]
    assert "Traceback" not in out + err


NUCLEAR = "What stance on nuclear weapons did the Chinese president restate to his guest?"
PHONE = {"width": 420, "height": 860}


def _box_overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_clicking_a_citation_shows_and_highlights_its_card(tab, served, seed_bot, tmp_path):
    from playwright.sync_api import expect

    url, _ = served
    page = tab.page
    page.goto(url)
    answer = seed_bot.ask(NUCLEAR)
    assert len(answer.citations) == 3
    ask_in_page(page, NUCLEAR, answer.text)
    page.locator("#rag-chat a[href='#rag-cite-0-2']").click()
    card = page.locator("#rag-source-0-2")
    expect(card).to_have_class(re.compile(r"\brag-active\b"))
    expect(card).to_be_in_viewport(ratio=1)
    expect(card.locator(".rag-passage mark")).to_contain_text(answer.citations[1].quote[:40])
    assert page.locator("#rag-sources .rag-active").count() == 1
    assert page.url == url  # the page stayed; no new tab, no jump to an anchor
    expect(card.locator(".rag-meta")).to_contain_text(answer.citations[1].source)
    expect(card.locator(".rag-where")).to_have_text(re.compile(r"^paragraph \d+ of \d+$"))
    card.locator(".rag-article summary").click()
    whole = card.locator(".rag-article-text")
    expect(whole).to_be_visible()
    expect(whole.locator("mark.rag-quote")).to_have_text(answer.citations[1].quote)
    assert len(whole.inner_text()) > 3 * len(card.locator(".rag-passage").inner_text())  # all of it
    screenshot(page, tmp_path, "browser_citation_click.png")

    ask_in_page(page, ARRIVAL, seed_bot.ask(ARRIVAL, history=[(NUCLEAR, answer.text)]).text)
    # [1] of the earlier answer still shows the earlier answer's sources
    expect(page.locator("#rag-sources .rag-sources[data-turn='0']")).to_be_hidden()
    page.locator("#rag-chat a[href='#rag-cite-0-1']").click()
    expect(page.locator("#rag-sources .rag-sources[data-turn='0']")).to_be_visible()
    expect(page.locator("#rag-sources .rag-sources[data-turn='1']")).to_be_hidden()
    expect(page.locator("#rag-source-0-1")).to_have_class(re.compile(r"\brag-active\b"))
    assert tab.offsite == [] and tab.dialogs == []


def test_three_citations_are_all_visible_without_scrolling_the_panel(tab, served, seed_bot, tmp_path):
    from playwright.sync_api import expect

    url, _ = served
    page = tab.page
    page.goto(url)
    ask_in_page(page, NUCLEAR, seed_bot.ask(NUCLEAR).text)
    cards = page.locator("#rag-sources .rag-source")
    expect(cards).to_have_count(3)
    assert page.evaluate("window.scrollY") == 0
    for i in range(3):
        expect(cards.nth(i)).to_be_in_viewport(ratio=1)
    inner_scroll = page.evaluate("""() => {
        const found = [];
        for (let el = document.querySelector('#rag-sources'); el && el.id !== 'rag-side-col';
             el = el.parentElement) {
          const y = getComputedStyle(el).overflowY;
          if ((y === 'auto' || y === 'scroll') && el.scrollHeight > el.clientHeight + 1) found.push(el.className);
        }
        return found; }""")
    assert inner_scroll == []
    screenshot(page, tmp_path, "browser_three_citations.png")


def test_a_new_answer_scrolls_into_view_after_a_vote(tab, served, seed_bot, tmp_path):
    url, log = served
    page = tab.page
    page.goto(url)
    history: list[tuple[str, str]] = []  # the page asks each question with the ones before
    for question in (ARRIVAL, NUCLEAR, "Who is Song Tao?"):
        history.append((question, seed_bot.ask(question, history=history).text))
        ask_in_page(page, question, history[-1][1])
    scroller = page.locator("#rag-chat .bubble-wrap")
    assert scroller.evaluate("el => el.scrollHeight > el.clientHeight")  # the chat overflows
    scroller.evaluate("el => el.scrollTo(0, 0)")
    page.locator("#rag-chat button[aria-label='Like']").first.click()  # vote on the oldest answer
    page.wait_for_timeout(300)
    bubble = ask_in_page(page, ARRIVAL, seed_bot.ask(ARRIVAL, history=history).text)
    page.wait_for_timeout(300)
    assert scroller.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 2
    box, view = bubble.bounding_box(), scroller.bounding_box()
    assert box["y"] + box["height"] <= view["y"] + view["height"] + 1
    screenshot(page, tmp_path, "browser_scroll_after_vote.png")


def test_phone_width_layout_has_no_overlap(tab, served, seed_bot, tmp_path):
    from playwright.sync_api import expect

    url, _ = served
    page = tab.page
    page.set_viewport_size(PHONE)
    page.goto(url)
    ask_in_page(page, ARRIVAL, seed_bot.ask(ARRIVAL).text)
    page.locator("#rag-chat button[aria-label='Like']").last.click()
    page.locator("#rag-chat button[aria-label='Dislike']").last.click()
    page.click("#rag-ask")  # an empty question: an error notification on top of the two
    expect(page.get_by_text("Type a question first.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    toasts = [t for t in page.locator(".toast-body").all() if t.is_visible()]
    assert len(toasts) == 1
    header, question = page.locator(".rag-header").bounding_box(), page.locator("#rag-question").bounding_box()
    toast = toasts[0].bounding_box()
    assert not _box_overlap(toast, header) and not _box_overlap(toast, question)
    parts = [page.locator(s).bounding_box() for s in ("#rag-chat", "#rag-question", "#rag-ask", "#rag-clear")]
    assert all(p["x"] >= 0 and p["x"] + p["width"] <= PHONE["width"] for p in parts)
    assert not any(_box_overlap(a, b) for i, a in enumerate(parts) for b in parts[i + 1:])
    screenshot(page, tmp_path, "browser_phone_420.png")


def test_keyboard_only_and_one_way_to_clear(tab, served, seed_bot):
    from playwright.sync_api import expect

    url, _ = served
    page = tab.page
    page.goto(url)
    textbox = page.locator("#rag-question textarea")
    expect(textbox).to_be_focused()  # ready to type on arrival
    page.keyboard.type("When did Choe Ryong-hae")
    page.keyboard.press("Shift+Enter")  # a new line, not a question
    page.keyboard.type("arrive in Beijing?")
    expect(page.locator("#rag-chat [data-testid='user']")).to_have_count(0)
    page.keyboard.press("Enter")
    question = "When did Choe Ryong-hae\narrive in Beijing?"
    expect(page.locator("#rag-chat [data-testid='bot']").first).to_contain_text(
        seed_bot.ask(question).text.split()[-1], timeout=30_000)
    sent = page.locator("#rag-chat [data-testid='user']").first
    expect(sent).to_have_attribute("aria-label", f"user's message: {question}")  # both lines, one question
    expect(textbox).to_have_value("")
    expect(textbox).to_be_focused()
    first = seed_bot.ask(question).text
    ask_in_page(page, ARRIVAL, seed_bot.ask(ARRIVAL, history=[(question, first)]).text)  # by Ask
    expect(textbox).to_be_focused()
    expect(page.locator("#rag-chat button[aria-label='Clear']")).to_be_hidden()  # no trash icon
    page.click("#rag-clear")
    expect(page.locator("#rag-chat [data-testid='bot']")).to_have_count(0)
    expect(page.locator("#rag-chat .example").first).to_be_visible()
    expect(page.locator("#rag-chat .scroll-down-button-container")).to_be_hidden()
    expect(textbox).to_be_focused()


def test_generated_answers_switch_streams_and_shows_the_check(tab, seed_bot, tmp_path):
    """A server started with an LLM endpoint (the test chat server) shows the switch; the
    answer streams in and is replaced by the checked one, its left-out sentence named."""
    from playwright.sync_api import expect

    from tests.llm_server import ChatServer, Reply

    n = next(i for i, p in enumerate(seed_bot.retrieve(ARRIVAL), 1) if "May 22" in p.text)
    reply = f"Choe Ryong-hae arrived in Beijing on May 22 [{n}]. He came by hot-air balloon [{n}]."
    with ChatServer(lambda r: Reply(reply, pieces=8)) as llm:
        bot = seed_bot.with_settings(llm_base_url=llm.url, llm_model=llm.model)
        app = build_app(bot, feedback_log=tmp_path / "feedback.jsonl")
        with running(app) as url:
            page = tab.page
            page.goto(url)
            switch = page.locator("#rag-llm input[type=checkbox]")
            expect(page.locator("#rag-llm")).to_contain_text(f"Written by {llm.model}")
            switch.check()
            bubble = ask_in_page(page, ARRIVAL, "not supported")  # waits for the checked answer
            expect(bubble).to_contain_text("arrived in Beijing on May 22.")
            expect(bubble).to_contain_text("Left out a generated sentence")
            bubble.locator("a", has_text="[1]").first.click()
            expect(page.locator("#rag-source-0-1")).to_be_visible()
            screenshot(page, tmp_path, "browser_llm_answer.png")
    assert tab.offsite == [] and tab.dialogs == []
