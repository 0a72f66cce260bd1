"""A local fake of the Anthropic Messages API (stdlib only) that the real SDK talks to via `base_url`.

Tests script the replies (status, JSON body, headers) in order, or set `responder` to answer from the
request body (for runs whose call order is not fixed), and inspect the recorded requests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, Any], dict[str, str]]


def message(content: list[dict[str, Any]], stop_reason: str = "tool_use", **extra: Any) -> Reply:
    """A full, realistic Messages-API reply body."""
    body = {"id": "msg_fake_1", "type": "message", "role": "assistant", "model": "claude-fake",
            "content": content, "stop_reason": stop_reason, "stop_sequence": None,
            "usage": {"input_tokens": 321, "output_tokens": 45}, **extra}
    return 200, body, {"request-id": "req_fake_1"}


def tool_use(name: str, tool_input: Any, block_id: str = "toolu_1") -> dict[str, Any]:
    return {"type": "tool_use", "id": block_id, "name": name, "input": tool_input}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def error(status: int, kind: str) -> Reply:
    return status, {"type": "error", "error": {"type": kind, "message": kind}}, {"retry-after-ms": "5"}


class FakeMessagesApi:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[Reply] = []
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with outer._lock:
                    outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    responder = outer.responder
                    reply = outer.script.pop(0) if outer.script else responder(body) if responder else (
                        500, {"type": "error", "error": {"type": "api_error", "message": "script empty"}},
                        {"x-should-retry": "false"})
                status, payload, headers = reply
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.script.clear()
            self.responder = None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
