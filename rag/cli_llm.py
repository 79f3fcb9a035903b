"""The `rag` command's options for generated answers (`--llm`, `--llm-url`, `--llm-model`) and
the printing of a streamed answer; the commands themselves are in `rag.cli`."""
from __future__ import annotations

from typing import Any

import click

from .config import llm_settings_from_env
from .types import Answer


def llm_options(command: Any) -> Any:
    """--llm, --llm-url and --llm-model: answer with a language model behind an
    OpenAI-compatible server (its key, if it needs one, in $RAG_LLM_API_KEY)."""
    command = click.option("--llm-model", default=None, metavar="NAME",
                           help="Model name on that server (default: $RAG_LLM_MODEL).")(command)
    command = click.option("--llm-url", default=None, metavar="URL",
                           help="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 "
                                "(default: $RAG_LLM_BASE_URL).")(command)
    return click.option("--llm", is_flag=True,
                        help="A language model writes the answer; every citation is checked.")(command)


def llm_settings(llm: bool, url: str | None, model: str | None) -> dict[str, Any]:
    """The query settings the --llm options name, over the environment's endpoint."""
    settings: dict[str, Any] = dict(llm_settings_from_env())
    settings.update({k: v for k, v in {"llm_base_url": url, "llm_model": model}.items() if v})
    if llm:
        settings["answerer"] = "llm"
        if not settings.get("llm_base_url") or not settings.get("llm_model"):
            raise click.UsageError("--llm needs a server and a model: --llm-url URL --llm-model NAME "
                                   "(or $RAG_LLM_BASE_URL and $RAG_LLM_MODEL), e.g. "
                                   "--llm-url http://127.0.0.1:11434/v1 --llm-model llama3.2")
    return settings


def print_streamed(items: Any) -> Answer:
    """Print the pieces of a streamed reply as they come; return the checked answer."""
    printed = False
    for item in items:
        if isinstance(item, Answer):
            if printed:
                click.echo("\n\nChecked against the passages:")
            return item
        click.echo(item, nl=False)
        printed = True
    raise RuntimeError("the answer stream ended without an answer")
