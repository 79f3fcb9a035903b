"""Talking to an OpenAI-compatible chat-completions server (Ollama, llama.cpp's server, vLLM,
LM Studio, a company endpoint) through the official `openai` package.

`ChatClient.complete` returns the whole reply; `ChatClient.stream` yields it piece by piece.
Every failure (server down, refused key, unknown model, timeout, a reply that is no chat
completion) becomes one `LLMError` whose message says what happened, where, and what to do.
The key is read from an environment variable when the client is made; it is never stored
in the index, the config file or a log line. Left out: retries (a question is better
answered late by a person retrying than twice), tools, function calling.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from ..errors import LLMError

Message = dict[str, str]


@dataclass(frozen=True)
class Endpoint:
    """Where the model is: server URL (ending in `/v1` for most servers), model name, the
    environment variable holding the key (none needed by local servers), timeout in seconds."""

    base_url: str
    model: str
    key_env: str = "RAG_LLM_API_KEY"
    timeout: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 400


class ChatClient:
    """A chat-completions client for one endpoint (see module docstring)."""

    def __init__(self, endpoint: Endpoint) -> None:
        if not endpoint.base_url.strip():
            raise ValueError("answerer='llm' needs llm_base_url, e.g. http://127.0.0.1:11434/v1 (Ollama)")
        if not endpoint.model.strip():
            raise ValueError("answerer='llm' needs llm_model, the model name the server knows")
        import openai  # lazy: only the LLM answerer needs it

        self.endpoint = endpoint
        self._errors = openai
        # local servers want no key, but the client insists on one: any placeholder will do
        key = os.environ.get(endpoint.key_env) or "not-needed"
        self._client = openai.OpenAI(base_url=endpoint.base_url, api_key=key,
                                     timeout=endpoint.timeout, max_retries=0)

    def complete(self, messages: Sequence[Message]) -> str:
        """The model's whole reply to `messages`."""
        try:
            reply = self._client.chat.completions.create(**self._request(messages))
            text = reply.choices[0].message.content
        except self._errors.OpenAIError as e:
            raise LLMError(self._describe(e)) from None
        except (AttributeError, IndexError, TypeError) as e:
            raise LLMError(f"the LLM server at {self.endpoint.base_url} sent a reply that is no chat "
                           f"completion ({type(e).__name__})") from None
        return text or ""

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """The model's reply to `messages`, in pieces as the server sends them."""
        try:
            for event in self._client.chat.completions.create(**self._request(messages), stream=True):
                piece = event.choices[0].delta.content if event.choices else None
                if piece:
                    yield piece
        except self._errors.OpenAIError as e:
            raise LLMError(self._describe(e)) from None
        except (AttributeError, TypeError) as e:
            raise LLMError(f"the LLM server at {self.endpoint.base_url} sent a stream that is no chat "
                           f"completion ({type(e).__name__})") from None

    def _request(self, messages: Sequence[Message]) -> dict[str, Any]:
        e = self.endpoint
        return {"model": e.model, "messages": list(messages), "temperature": e.temperature,
                "max_tokens": e.max_tokens}

    def _describe(self, error: Exception) -> str:
        """One line for people: what went wrong, at which server, and what to try."""
        e, errors = self.endpoint, self._errors
        where = f"the LLM server at {e.base_url}"
        if isinstance(error, errors.APITimeoutError):
            return f"{where} did not answer within {e.timeout:g} s (raise llm_timeout, or try a smaller model)"
        if isinstance(error, errors.APIConnectionError):
            return f"{where} is not reachable: is it running, and is the URL right (most end in /v1)?"
        if isinstance(error, errors.AuthenticationError | errors.PermissionDeniedError):
            return f"{where} refused the key: put a valid one in the environment variable {e.key_env}"
        if isinstance(error, errors.NotFoundError):
            return (f"{where} has no model {e.model!r} (or no chat-completions endpoint there): "
                    "check llm_model against the server's model list")
        if isinstance(error, errors.APIStatusError):
            detail = re.sub(r"^Error code: \d+ - ", "", error.message or "")
            return f"{where} answered with an error (HTTP {error.status_code}): {_first_line(detail)}"
        return f"{where} failed: {_first_line(str(error))}"


def _first_line(text: str, limit: int = 200) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "no details"
    return line if len(line) <= limit else line[:limit] + "..."
