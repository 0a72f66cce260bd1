"""A local HTTP fake of the ActiveCampaign endpoints the connector uses (stdlib ThreadingHTTPServer).

It records every request with its arrival time (time.monotonic, the clock the connector's throttle
uses), can enforce AC's 5 requests/second itself (answering 429 + Retry-After like AC), and takes
scripted faults: a canned answer instead of processing (429, 503, 422, `succeeded: 0`, ...), or a slow
answer after the change was made (a write that lands but times out at the client).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ac_fake_state import FakeAccount, Reply

Handler = Callable[[FakeAccount, re.Match[str], dict[str, str], Any], Reply]
Route = tuple[str, re.Pattern[str], Handler, bool]  # method, path, handler, documented path (else guessed)


def _routes() -> list[Route]:
    """The paths AC documents ([V]) and the ones whose operation is documented but whose URL we infer ([D]):
    a fake with `serve_guessed=False` answers 404 there, as the real API would if the guess is wrong."""
    v, d = True, False
    table: list[tuple[str, str, Handler, bool]] = [
        ("GET", r"/api/3/users/me", lambda a, m, q, b: (200, {"user": {"id": "1", "username": "admin"}}), v),
        ("GET", r"/api/3/campaigns", lambda a, m, q, b: a.list_campaigns(q), v),
        ("GET", r"/api/3/campaigns/(\d+)", lambda a, m, q, b: a.get_campaign(m[1]), v),
        ("GET", r"/api/3/automations", lambda a, m, q, b: a.list_automations(q), v),
        ("PUT", r"/api/3/campaigns/(\d+)/edit", lambda a, m, q, b: a.edit_campaign(m[1], b), v),
        ("GET", r"/api/3/campaigns/(\d+)/campaignMessages", lambda a, m, q, b: a.campaign_messages(m[1]), v),
        ("POST", r"/api/3/campaignMessages", lambda a, m, q, b: a.create_link(b), d),
        ("DELETE", r"/api/3/campaignMessages/(\d+)", lambda a, m, q, b: a.delete_link(m[1]), d),
        ("POST", r"/api/3/campaign/(\d+)/messages", lambda a, m, q, b: a.attach_copy(m[1], b), d),
        ("DELETE", r"/api/3/campaign/(\d+)/messages/(\d+)", lambda a, m, q, b: a.detach(m[1], m[2]), d),
        ("GET", r"/api/3/campaign/(\d+)/messages/percentages", lambda a, m, q, b: a.get_percentages(m[1]), v),
        ("PUT", r"/api/3/campaign/(\d+)/messages/percentages", lambda a, m, q, b: a.set_percentages(m[1], b), d),
        ("POST", r"/api/3/campaigns/(\d+)/pause", lambda a, m, q, b: _v3(a) or a.transition(m[1], "2", "3", "paused"), d),
        ("POST", r"/api/3/campaigns/(\d+)/resume", lambda a, m, q, b: _v3(a) or a.transition(m[1], "3", "2", "resumed"), d),
        ("POST", r"/api/3/campaigns/(\d+)/stop", lambda a, m, q, b: _v3(a) or a.transition(m[1], "2", "4", "stopped"), d),
        ("GET", r"/api/3/messages", lambda a, m, q, b: a.list_messages(q), v),
        ("POST", r"/api/3/messages", lambda a, m, q, b: a.create_message(b), v),
        ("GET", r"/api/3/messages/(\d+)", lambda a, m, q, b: a.get_message(m[1]), v),
        ("PUT", r"/api/3/messages/(\d+)", lambda a, m, q, b: a.update_message(m[1], b), v),
        ("DELETE", r"/api/3/messages/(\d+)", lambda a, m, q, b: a.delete_message(m[1]), v),
        ("GET", r"/api/3/automations/(\d+)", lambda a, m, q, b: a.get_automation(m[1]), v),
        ("GET", r"/api/3/contacts", lambda a, m, q, b: a.find_contacts(q), v),
        ("GET", r"/api/3/contacts/(\d+)", lambda a, m, q, b: a.get_contact(m[1]), v),
        ("GET", r"/api/3/contacts/(\d+)/contactLists", lambda a, m, q, b: a.contact_lists(m[1]), v),
        ("GET", r"/api/3/contacts/(\d+)/contactAutomations", lambda a, m, q, b: a.contact_runs(m[1]), v),
        ("POST", r"/api/3/contactAutomations", lambda a, m, q, b: a.enrol(b), v),
        ("DELETE", r"/api/3/contactAutomations/(\d+)", lambda a, m, q, b: a.unenrol(m[1]), v),
        ("POST", r"/admin/api.php", lambda a, m, q, b: _legacy(a, q, b), v),
        ("GET", r"/admin/api.php", lambda a, m, q, b: _legacy(a, q, b), v),
    ]
    return [(method, re.compile(pattern + r"/?"), handler, documented) for method, pattern, handler, documented in table]


def _v3(account: FakeAccount) -> Reply | None:
    return None if account.v3_status_endpoints else (404, {"message": "Not Found"})


def _legacy(account: FakeAccount, query: dict[str, str], body: Any) -> Reply:
    """v1 authenticates with `api_key` (documented); the v3 `Api-Token` header alone is not accepted."""
    if query.get("api_key") not in account.tokens:
        return 200, {"result_code": 0, "result_message": "You are not authorized to access this file",
                     "result_output": "json"}
    if not isinstance(body, dict) or body.get("__form__") is not True:
        return 200, {"result_code": 0, "result_message": "We don't accept any other input formats like JSON"}
    if query.get("api_action") != "campaign_status" or query.get("api_output") != "json":
        return 200, {"result_code": 0, "result_message": "Unknown api_action"}
    return account.legacy_status({k: v for k, v in body.items() if k != "__form__"})


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    times: int
    reply: Reply | None = None  # answer this instead of processing
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep this long (after processing when `reply` is None)
    skip: int = 0  # let this many matching requests through untouched first


@dataclass
class Recorded:
    at: float  # time.monotonic() on arrival
    method: str
    path: str
    query: dict[str, str]
    body: Any
    token: str | None
    status: int = 0  # 0 until answered


class FakeActiveCampaign:
    """One fake account on its own 127.0.0.1 port; `base_url` goes into the org config."""

    def __init__(self, tokens: set[str], *, enforce_rate_limit: bool = False, rate_limit_retry_after: int = 1,
                 name: str = "acct", serve_guessed: bool = True):
        self.account = FakeAccount(tokens)
        self.serve_guessed = serve_guessed  # False: the inferred ([D]) paths do not exist (404)
        self.seeded: dict[str, str] = {}  # names -> ids the test data set up (e.g. pre-existing runs)
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.enforce_rate_limit = enforce_rate_limit
        self.rate_limit_retry_after = rate_limit_retry_after
        self._lock = threading.Lock()
        self._routes = _routes()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        # a unique path prefix per fake: the connector's process-wide throttles are keyed by base URL,
        # and a port may be reused by a later test
        self.prefix = f"/{name}-{secrets.token_hex(4)}"
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}{self.prefix}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # ------------------------------------------------------------------ scripting and inspection

    def fault(self, method: str, path: str, *, times: int = 1, status: int | None = None, body: Any = None,
              headers: dict[str, str] | None = None, delay_s: float = 0.0, skip: int = 0) -> None:
        """Script `times` matching requests (after `skip` untouched ones): a canned reply (`status` +
        `body`) instead of processing, or a delay."""
        reply = (status, body if body is not None else {}) if status is not None else None
        with self._lock:
            self.faults.append(Fault(method, re.compile(path + r"/?"), times, reply, headers or {}, delay_s, skip))

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        pattern = re.compile(path + r"/?") if path else None
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method)
                    and (pattern is None or pattern.fullmatch(r.path))]

    def writes(self) -> list[Recorded]:
        return [r for r in self.calls() if r.method != "GET"]

    def max_in_window(self, window_s: float = 1.0) -> int:
        """The most requests that arrived within any `window_s`-long span."""
        times = sorted(r.at for r in self.calls())
        best, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window_s:
                start += 1
            best = max(best, end - start + 1)
        return best

    # ------------------------------------------------------------------ serving

    def _serve(self, method: str, raw_path: str, headers: Any, raw_body: bytes) -> tuple[int, Any, dict[str, str]]:
        arrived = time.monotonic()
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query))
        body = self._parse_body(headers.get("Content-Type", ""), raw_body)
        token = headers.get("Api-Token")
        path = parts.path.removeprefix(self.prefix) if parts.path.startswith(self.prefix + "/") else "/unknown-account"
        record = Recorded(arrived, method, path, query, body, token)
        with self._lock:
            self.requests.append(record)  # on arrival: a slow answer is still a request that arrived
        status, payload, extra = self._answer(method, path, query, body, token, arrived)
        record.status = status
        return status, payload, extra

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any, token: str | None,
                arrived: float) -> tuple[int, Any, dict[str, str]]:
        if token not in self.account.tokens and not path.startswith("/admin/"):  # v1 checks its api_key itself
            return 403, {"message": "Forbidden"}, {}
        if self.enforce_rate_limit and self._over_limit(arrived):
            return 429, {"message": "Too Many Requests"}, {"Retry-After": str(self.rate_limit_retry_after)}
        fault = self._take_fault(method, path)
        if fault is not None and fault.reply is not None:
            if fault.delay_s:
                time.sleep(fault.delay_s)
            return fault.reply[0], fault.reply[1], fault.headers
        path_known = False
        for route_method, pattern, handler, documented in self._routes:
            match = pattern.fullmatch(path)
            if not match or not (documented or self.serve_guessed):
                continue
            path_known = True
            if route_method == method:
                with self.account.lock:
                    status, payload = handler(self.account, match, query, body)
                if fault is not None and fault.delay_s:
                    time.sleep(fault.delay_s)  # the change is made; the answer comes too late
                return status, payload, {}
        if path_known:
            return 405, {"message": "Method Not Allowed"}, {}
        return 404, {"message": "Not Found"}, {}

    def _over_limit(self, arrived: float) -> bool:
        with self._lock:
            recent = [r for r in self.requests if 0 <= arrived - r.at < 1.0 and r.status != 429]
        return len(recent) > 5  # the request itself is already recorded

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path.fullmatch(path):
                    if fault.skip:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    return fault
        return None

    @staticmethod
    def _parse_body(content_type: str, raw: bytes) -> Any:
        if not raw:
            return None
        if content_type.startswith("application/x-www-form-urlencoded"):
            return {**dict(parse_qsl(raw.decode())), "__form__": True}
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body in one write (no Nagle/delayed-ACK stalls)

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload, extra = fake._serve(self.command, self.path, self.headers, raw)
                data = json.dumps(payload).encode() if not isinstance(payload, str) else payload.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json" if not isinstance(payload, str) else "text/plain")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): the change, if any, stays made

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        return Handler
