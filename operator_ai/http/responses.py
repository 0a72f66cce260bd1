"""Responses as `(body, status, headers)` tuples, which Flask (inside functions-framework) accepts as is,
so handlers never import Flask. HTML pages carry a strict CSP: no scripts at all, styles by nonce."""

from __future__ import annotations

import json
import secrets
from typing import Any

Response = tuple[str, int, list[tuple[str, str]]]


class BadRequest(Exception):
    """A malformed request: answered 400 with this message."""


def bounded_fields(source: Any, limits: dict[str, int]) -> dict[str, str]:
    """The known string fields (`limits`: name -> most characters) of a form, query or JSON object, as given;
    anything else is refused as malformed."""
    if source is None:
        return {}
    if not hasattr(source, "get"):
        raise BadRequest("the body must be a form or a JSON object")
    fields: dict[str, str] = {}
    for name, limit in limits.items():
        value = source.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > limit:
            raise BadRequest(f"{name} must be a string of at most {limit} characters")
        fields[name] = value
    return fields

_COMMON = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),  # page URLs may carry approval tokens
]


def json_response(data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return body, status, [("Content-Type", "application/json; charset=utf-8"), *_COMMON, *(headers or [])]


def error_json(status: int, error: str, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response({"error": error, "message": message}, status, headers)


def new_style_nonce() -> str:
    return secrets.token_urlsafe(12)


def html_response(body: str, nonce: str, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    csp = (f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'none'; form-action 'self'; "
           "frame-ancestors 'none'; base-uri 'none'")
    return body, status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", csp),
                          ("X-Frame-Options", "DENY"), *_COMMON, *(headers or [])]


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return "", 303, [("Location", location), *_COMMON, *(headers or [])]


def wants_json(args: Any, headers: Any, is_json_body: bool = False) -> bool:
    """?format=json, a JSON request body, or an Accept header that prefers JSON over HTML."""
    fmt = (args.get("format") or "").lower()
    if fmt in {"json", "html"}:
        return fmt == "json"
    accept = (headers.get("Accept") or "").lower()
    return is_json_body or ("application/json" in accept and "text/html" not in accept)
