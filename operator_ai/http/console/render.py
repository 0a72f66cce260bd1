"""Rendering console pages: Jinja2 templates (package data) with autoescape, or the same context as JSON.

Every page's context is a frozen dataclass (`operator_ai.http.console.views`); the HTML page and the
JSON answer are two renderings of one value, so a script sees exactly what a person sees. Text from the
log, Scout or a platform is never marked safe: autoescape is on for every template and for strings.
Jinja2 is imported on the first page, not with `main`.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from functools import cache
from typing import Any

from operator_ai.http.responses import Response, html_response, json_response, new_style_nonce


@cache
def environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("operator_ai.http", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"], default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["compact"] = compact
    return env


def compact(value: Any) -> str:
    """A value for a table cell: JSON for structures, a dash for nothing (escaped by the template)."""
    if value is None:
        return "—"
    if isinstance(value, dict | list | tuple):
        return json.dumps(plain(value), ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def plain(value: Any) -> Any:
    """Dataclasses, tuples and decimals as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def html(template: str, layout: Any, page: Any, status: int = 200,
         headers: list[tuple[str, str]] | None = None) -> Response:
    nonce = new_style_nonce()
    body = environment().get_template(template).render(layout=layout, page=page, nonce=nonce)
    return html_response(body, nonce, status, headers)


def as_json(layout: Any, page: Any, status: int = 200) -> Response:
    """The page's data, with what every page shows (organization, emergency stop, a CSRF token)."""
    data = {"organization_id": layout.org.organization_id if layout.org else None,
            "signed_in_as": layout.email, "role": layout.org.role if layout.org else None,
            "mode": layout.mode, "emergency_stop": plain(layout.stop), "csrf_token": layout.csrf_token,
            "page": plain(page)}
    return json_response(data, status)
