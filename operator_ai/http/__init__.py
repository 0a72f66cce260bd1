"""The Cloud Functions surface: `main.py` calls these three handlers and nothing else.

Handlers take the functions-framework request (a Flask request) or CloudEvent and return
`(body, status, headers)`; Flask and functions-framework are never imported here, so `import main`
stays cheap. Heavy clients (stores, Pub/Sub) are built on the first request (`runtime.py`). The HTTP
handlers tie their log lines to the request's trace (`X-Cloud-Trace-Context`, operator_ai/logs.py).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from operator_ai.http.approvals_handler import handle_approvals as _handle_approvals
from operator_ai.http.runs import handle_run_operator as _handle_run_operator
from operator_ai.http.runs import handle_run_organization

__all__ = ["handle_approvals", "handle_run_operator", "handle_run_organization"]


def _traced(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(handler)
    def run(request: Any) -> Any:
        from operator_ai.logs import request_trace

        header = request.headers.get("X-Cloud-Trace-Context") if hasattr(request, "headers") else None
        project = os.environ.get("OPERATOR_GCP_PROJECT") or os.environ.get("GOOGLE_CLOUD_PROJECT")
        with request_trace(header, project):
            return handler(request)

    return run


handle_approvals = _traced(_handle_approvals)
handle_run_operator = _traced(_handle_run_operator)
