"""The Cloud Functions surface: `main.py` calls these three handlers and nothing else.

Handlers take the functions-framework request (a Flask request) or CloudEvent and return
`(body, status, headers)`; Flask and functions-framework are never imported here, so `import main`
stays cheap. Heavy clients (stores, Pub/Sub) are built on the first request (`runtime.py`).
"""

from __future__ import annotations

from operator_ai.http.approvals_handler import handle_approvals
from operator_ai.http.runs import handle_run_operator, handle_run_organization

__all__ = ["handle_approvals", "handle_run_operator", "handle_run_organization"]
