"""Look of the web chat: a Gradio theme and a small stylesheet.

The fonts are ones Gradio ships in its own package (`LocalFont`) or system fonts, never
Google Fonts, so the page loads nothing from the internet.
"""
from __future__ import annotations

import gradio as gr


def make_theme() -> gr.themes.Base:
    """A calm blue theme with Gradio's bundled Source Sans Pro.

    Only the regular and bold files are declared: Gradio's SemiBold file is a small subset,
    and text at weight 600 drawn from it mixes in fallback glyphs; without it, the browser
    uses the bold file for 600.
    """
    return gr.themes.Default(
        primary_hue="blue",
        secondary_hue="slate",
        neutral_hue="slate",
        radius_size="md",
        font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif",
              "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace",
                   "monospace"],
    ).set(
        body_background_fill="#f5f7fb",
        block_shadow="0 1px 3px rgba(15, 23, 42, 0.06)",
    )


CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
.rag-header { display: flex; gap: 14px; align-items: center; padding: 4px 2px 6px; }
.rag-logo { width: 42px; height: 42px; border-radius: 10px; background: #1d4ed8;
  color: #fff; font-weight: 700; font-size: 22px; display: flex; align-items: center;
  justify-content: center; flex: none; }
.rag-header h1 { margin: 0; font-size: 1.45rem; line-height: 1.2; }
.rag-header p { margin: 2px 0 0; color: #475569; font-size: 0.95rem; }
.rag-ref { color: #1d4ed8; font-weight: 700; font-size: 0.85em; white-space: nowrap; }
.rag-abstain { display: inline-block; background: #fef3c7; color: #92400e;
  border: 1px solid #f59e0b; border-radius: 999px; padding: 1px 10px; font-size: 0.78em;
  font-weight: 700; letter-spacing: 0.04em; text-transform: uppercase; }
.rag-sources { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.rag-sources > *, .rag-source-head { min-width: 0; }  /* a long title is cut, never widens the page */
.rag-sources[hidden] { display: none; }
.rag-sources-q { font-size: 0.85rem; color: #475569; font-weight: 600; }
.rag-empty { color: #64748b; font-size: 0.95rem; margin: 4px 0; }
.rag-source { border: 1px solid #dbe3ef; border-radius: 10px; padding: 10px 14px;
  background: #fff; }
.rag-source-head { display: flex; align-items: flex-start; gap: 10px; }
.rag-num { flex: none; width: 24px; height: 24px; border-radius: 50%; background: #1d4ed8;
  color: #fff; font-weight: 700; font-size: 0.8rem; display: inline-flex;
  align-items: center; justify-content: center; margin-top: 1px; }
.rag-title { font-weight: 700; color: #0f172a; line-height: 1.3; min-width: 0;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }  /* whole in its tooltip */
.rag-meta { margin: 2px 0 4px 34px; font-size: 0.82rem; color: #64748b; }
.rag-file { font-family: ui-monospace, monospace; font-size: 0.8rem; }
.rag-passage { margin-left: 34px; font-size: 0.9rem; line-height: 1.45; color: #334155; }
.rag-passage mark { background: #fde68a; color: #0f172a; padding: 0 2px;
  border-radius: 3px; }
.rag-source { scroll-margin: 12px; transition: box-shadow .2s, border-color .2s; }
.rag-source.rag-active { border-color: #1d4ed8; box-shadow: 0 0 0 3px rgba(29, 78, 216, .25); }
.rag-source.rag-active .rag-passage mark { outline: 2px solid #1d4ed8; }
.rag-where { white-space: nowrap; }
.rag-article { margin: 4px 0 0 34px; font-size: 0.85rem; }
.rag-article summary { cursor: pointer; color: #1d4ed8; font-weight: 600; }
.rag-article-text { max-height: 60vh; overflow-y: auto; margin-top: 6px; padding: 8px 10px;
  border-left: 3px solid #dbe3ef; line-height: 1.55; color: #334155; }
.rag-article-text mark { background: #fde68a; color: #0f172a; }
#rag-chat a[href^="#rag-cite-"] { color: #1d4ed8; font-weight: 700; text-decoration: none;
  font-size: 0.85em; white-space: nowrap; }
#rag-chat a[href^="#rag-cite-"]:hover { text-decoration: underline; }
/* one way to clear: the Clear button (Gradio 6 always draws a trash icon on the chat) */
#rag-chat .top-panel button[aria-label="Clear"] { display: none; }
/* nothing to scroll down to in an empty chat (Gradio's arrow may stay after Clear) */
#rag-chat:not(:has([data-testid="bot"])) .scroll-down-button-container { display: none; }
}
.rag-docs table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
.rag-docs th { text-align: left; color: #475569; font-weight: 600;
  border-bottom: 1px solid #dbe3ef; padding: 6px 8px; }
.rag-docs td { border-bottom: 1px solid #eef2f7; padding: 6px 8px; vertical-align: top; }
.rag-docs-sum { color: #475569; margin: 0 0 6px; font-size: 0.9rem; }
.rag-nowrap { white-space: nowrap; }
.rag-num-col { text-align: right; }
"""

# Given in the page's <head> as written: Gradio scopes rules of `css` inside a media query
# under its `.contain` element, which the page container and the notifications are not in.
PAGE_CSS = """
@media (max-width: 640px) {
  .gradio-container { width: 100% !important; padding: 0 6px !important; }
  #rag-chat-col, #rag-side-col { min-width: 100% !important; }
  .rag-header h1 { font-size: 1.2rem; }
  .rag-meta, .rag-passage, .rag-article { margin-left: 0 !important; }
  /* notifications at the bottom, the newest only, never over the header */
  .toast-wrap { top: auto !important; bottom: 8px; left: 8px !important; right: 8px !important;
    width: auto !important; }
  .toast-wrap > *:not(:last-child) { display: none; }
}
"""
