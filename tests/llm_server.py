"""A small chat-completions server for the tests: it speaks the OpenAI protocol (plain and
streamed, as Ollama, llama.cpp's server and vLLM do) on 127.0.0.1 and returns chosen replies.

    with ChatServer(lambda request: Reply("May 22 [1].")) as server:
        bot.ask(question, answerer="llm", llm_base_url=server.url, llm_model=server.model)

`respond(request)` gets the request's JSON (model, messages, stream, ...) and returns a
`Reply`: text, or an HTTP error status, optionally after a delay (a hang past the client's
timeout). Every request is kept in `server.requests`. A request for another model gets 404.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

MODEL = "test-model"


@dataclass(frozen=True)
class Reply:
    """What the server answers: `text` (split into `pieces` when streamed), or `status` with
    an error message; after `delay` seconds."""

    text: str = ""
    status: int = 200
    delay: float = 0.0
    pieces: int = 4


class ChatServer:
    """The server, run in a thread while the `with` block lasts (see module docstring)."""

    def __init__(self, respond: Callable[[dict[str, Any]], Reply], model: str = MODEL) -> None:
        self.respond, self.model = respond, model
        self.requests: list[dict[str, Any]] = []
        self.keys: list[str | None] = []  # the Authorization header of each request
        self._http = _Quiet(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def __enter__(self) -> "ChatServer":
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (the timeout test) is expected; anything else is printed."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
            else:
                self._json(404, _error("not found"))

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            server.requests.append(body)
            server.keys.append(self.headers.get("Authorization"))
            if not self.path.rstrip("/").endswith("/chat/completions"):
                return self._json(404, _error("not found"))
            if body.get("model") != server.model:
                return self._json(404, _error(f"model '{body.get('model')}' not found"))
            reply = server.respond(body)
            time.sleep(reply.delay)
            if reply.status != 200:
                return self._json(reply.status, _error(reply.text or "server error"))
            if body.get("stream"):
                return self._stream(reply)
            self._json(200, {"id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
                             "model": server.model,
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": reply.text}}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

        def _stream(self, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            size = max(1, -(-len(reply.text) // reply.pieces))
            pieces = [reply.text[i:i + size] for i in range(0, len(reply.text), size)]
            for i, piece in enumerate(pieces + [None]):
                delta = {"content": piece} if piece is not None else {}
                event = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": int(time.time()),
                         "model": server.model, "choices": [{"index": 0, "delta": delta,
                                                             "finish_reason": None if piece is not None else "stop"}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": None}}


def user_message(request: dict[str, Any]) -> str:
    """The last user message of a request (the one holding the passages and question)."""
    return [m["content"] for m in request["messages"] if m["role"] == "user"][-1]
