"""Drive the web chat in Chromium: the README screenshot, and helpers the browser tests share.

    python -m ui.screenshot docs/screenshot.png [--question "When did ... arrive?"]

builds an index of `seeds/` in a temporary folder (the repository's `index/` is not
touched), serves the app on a free loopback port, asks the question in Debian's Chromium
(`/usr/bin/chromium`, driven by Playwright) and saves the page once the answer and its
sources are shown. Left out: downloading a browser; Playwright's own download is not used.
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 800}
DEFAULT_QUESTION = "When did Choe Ryong-hae arrive in Beijing?"


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, with nothing that calls home."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def ask_in_page(page: Any, question: str, answer_text: str) -> Any:
    """Type `question`, press Ask and wait until `answer_text` has streamed in; its bubble.

    `answer_text` is what the library answers (`RAG.ask(...).text`); streaming is over when
    its last word is shown and the sources panel names the question.
    """
    from playwright.sync_api import expect

    bubbles = page.locator("#rag-chat [data-testid='bot']")
    before = bubbles.count()
    page.fill("#rag-question textarea", question)
    page.click("#rag-ask")
    bubble = bubbles.nth(before)
    expect(bubble).to_contain_text(answer_text.split()[-1], timeout=30_000)
    expect(page.locator("#rag-sources")).to_contain_text(f"Sources for: {question}")
    return bubble


def take(target: Path, question: str = DEFAULT_QUESTION, seeds: Path = Path("seeds")) -> Path:
    """Save a screenshot of the app answering `question` over `seeds` to `target`."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from playwright.sync_api import sync_playwright

    from rag import RAG
    from ui.app import build_app
    from ui.server import running

    with tempfile.TemporaryDirectory(prefix="rag-screenshot-") as work:
        bot = RAG.build([seeds], index_dir=Path(work) / "index")
        app = build_app(bot, feedback_log=Path(work) / "feedback.jsonl")
        with running(app) as url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            ask_in_page(page, question, bot.ask(question).text)
            page.mouse.move(0, 0)  # no hover highlight in the picture
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))
            browser.close()
    return target


def main() -> None:
    """Command line: `python -m ui.screenshot OUT.png [--question Q] [--seeds DIR]`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="where to save the PNG")
    parser.add_argument("--question", default=DEFAULT_QUESTION)
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    args = parser.parse_args()
    if not CHROMIUM.exists():
        parser.exit(1, f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`\n")
    print(f"saved {take(args.out, args.question, args.seeds)}")


if __name__ == "__main__":
    main()
