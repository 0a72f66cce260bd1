"""Cloud Functions entry points. Thin: every handler lives in `operator_ai.http`.

Imports are deferred into the handlers so a cold start (and `import main`) stays cheap; google-ads is
only loaded when a run actually talks to Google Ads.
"""

from __future__ import annotations

from typing import Any


def run_operator(request: Any) -> Any:
    """HTTP (Cloud Scheduler): run every organization, in-process or fanned out over Pub/Sub."""
    from operator_ai.http import handle_run_operator

    return handle_run_operator(request)


def run_organization(cloud_event: Any) -> None:
    """CloudEvent (Pub/Sub): run one organization; redelivery is harmless because runs are idempotent."""
    from operator_ai.http import handle_run_organization

    handle_run_organization(cloud_event)


def approvals(request: Any) -> Any:
    """HTTP: list pending approvals (HTML or JSON) and take approve/reject decisions."""
    from operator_ai.http import handle_approvals

    return handle_approvals(request)
