"""The page's own script: what the chat does in the browser that Gradio does not.

- A `[n]` of an answer is a link (`#rag-cite-<turn>-<n>`, made by `render.answer_chat`): a
  click shows that answer's sources (switching to the Sources tab if needed), scrolls its
  card into view and highlights the card and its quote.
- The chat follows the newest message: whenever a message is added or the last one grows
  (an answer streaming in), it scrolls to the bottom, even after a vote on an older answer.
- The screen-reader label of an answer (Gradio's copy of the message text) reads "[1]", not
  the link markup behind it.
- The question box keeps the focus after Ask, Clear, an example or a vote, so the keyboard
  alone works (Enter sends; Shift+Enter is a new line, as in Gradio's textbox).

One listener on the document and one observer, installed once; no request leaves the page.
Left out: anything the server must know (the script only shows what the page already has).
"""
from __future__ import annotations

SCRIPT = r"""
(() => {
  if (window.ragPage) return;
  window.ragPage = true;
  const q = (sel, root = document) => root.querySelector(sel);
  const box = () => q("#rag-question textarea");

  function showCitation(turn, n) {
    const panel = q("#rag-sources");
    if (panel && !panel.offsetParent) {
      const tab = [...document.querySelectorAll("button[role=tab]")]
        .find((b) => b.textContent.trim() === "Sources");
      if (tab) tab.click();
    }
    for (const section of document.querySelectorAll("#rag-sources .rag-sources[data-turn]")) {
      section.hidden = section.dataset.turn !== String(turn);
    }
    const card = document.getElementById(`rag-source-${turn}-${n}`);
    if (!card) return false;
    for (const old of document.querySelectorAll("#rag-sources .rag-active")) {
      old.classList.remove("rag-active");
    }
    card.classList.add("rag-active");
    card.scrollIntoView({ block: "nearest", behavior: "instant" });
    return true;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#rag-cite-']");
    if (link) {
      event.preventDefault();
      event.stopPropagation();
      const [, turn, n] = link.getAttribute("href").match(/^#rag-cite-(\d+)-(\d+)$/) || [];
      if (turn !== undefined && !showCitation(turn, n)) {
        setTimeout(() => showCitation(turn, n), 100);  // the tab was just switched
      }
      return;
    }
    if (event.target.closest("#rag-ask, #rag-clear, #rag-chat button")) {
      setTimeout(() => box() && box().focus(), 0);
    }
  }, true);

  let seen = "";
  function follow() {
    const chat = q("#rag-chat");
    const scroller = chat && q(".bubble-wrap", chat);
    if (!scroller) return;
    const messages = chat.querySelectorAll("[data-testid='bot'], [data-testid='user']");
    const last = messages[messages.length - 1];
    for (const message of messages) {  // the screen-reader label reads "[1]", not link markup
      const label = message.getAttribute("aria-label") || "";
      if (label.includes("](#rag-cite-")) {
        message.setAttribute("aria-label", label.replace(/\[&#91;(\d+)&#93;\]\(#rag-cite-\d+-\d+\)/g, "[$1]"));
      }
    }
    const now = `${messages.length}:${last ? last.textContent.length : 0}`;
    if (now !== seen) {
      seen = now;
      scroller.scrollTop = scroller.scrollHeight;
    }
  }
  let queued = false;
  new MutationObserver(() => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(() => { queued = false; follow(); });
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();
"""

HEAD = f"<script>{SCRIPT}</script>"
