"""The web chat (Gradio) over the public API of `rag`.

`ui.app.serve` runs it (`rag serve`, `make run`); `ui.app.build_app` makes the app for a
given `rag.RAG`. Importing this package imports nothing heavy; `ui.app` imports Gradio.
"""
