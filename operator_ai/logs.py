"""Log lines Cloud Logging understands: one JSON object per line with `severity`, trace and labels.

Cloud Functions (2nd gen) and Cloud Run turn each JSON line on stdout/stderr into a LogEntry: `severity`
becomes the entry's severity (without it every error is DEFAULT and no alert on ERROR can fire),
`logging.googleapis.com/labels` its labels, `logging.googleapis.com/trace` links it to the request's
trace, and the other fields its jsonPayload. Our event lines are already JSON (`{"event": ...}`); their
fields are merged into the payload, and `organization_id`, `run_id` and `action_id` — from the event or
from the context set around an org run or a request — become labels, which log-based metrics and alert
policies filter on (docs/deploy.md).

Used when deployed (`K_SERVICE` is set by Cloud Functions/Cloud Run) or with OPERATOR_LOG_FORMAT=cloud.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

LABEL_KEYS = ("organization_id", "run_id", "action_id")
_labels: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar("operator_log_labels",
                                                                                      default=())
_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("operator_log_trace", default=None)
T = TypeVar("T")


@contextmanager
def log_context(**labels: str | None) -> Iterator[None]:
    """Labels for every line logged inside (this thread/task): e.g. the org and run an org run is for."""
    merged = {**dict(_labels.get()), **{k: v for k, v in labels.items() if v}}
    token = _labels.set(tuple(merged.items()))
    try:
        yield
    finally:
        _labels.reset(token)


def with_log_context(function: Callable[..., T], **labels: str | None) -> Callable[..., T]:
    """`function` run inside `log_context(**labels)` (for work handed to a thread pool)."""
    def run(*args: Any, **kwargs: Any) -> T:
        with log_context(**labels):
            return function(*args, **kwargs)

    return run


@contextmanager
def request_trace(header: str | None, project: str | None) -> Iterator[None]:
    """Tie lines to the request's trace (`X-Cloud-Trace-Context: TRACE_ID/SPAN;o=1`)."""
    trace_id = (header or "").split("/", 1)[0].strip()
    token = _trace.set(f"projects/{project}/traces/{trace_id}" if trace_id and project else None)
    try:
        yield
    finally:
        _trace.reset(token)


class CloudLoggingFormatter(logging.Formatter):
    """One Cloud Logging structured-log JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        payload: dict[str, Any] = {}
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                payload = parsed
                text = str(parsed.get("event", text))
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        labels = {**dict(_labels.get()), **{k: str(payload[k]) for k in LABEL_KEYS if payload.get(k)}}
        entry: dict[str, Any] = {
            **payload,
            "severity": _severity(record.levelno),
            "message": text,
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
            "logging.googleapis.com/sourceLocation": {"file": record.pathname, "line": str(record.lineno),
                                                       "function": record.funcName},
        }
        if labels:
            entry["logging.googleapis.com/labels"] = labels
        trace = _trace.get()
        if trace:
            entry["logging.googleapis.com/trace"] = trace
        return json.dumps(entry, default=str, ensure_ascii=False)


def _severity(level: int) -> str:
    if level >= logging.CRITICAL:
        return "CRITICAL"
    if level >= logging.ERROR:
        return "ERROR"
    if level >= logging.WARNING:
        return "WARNING"
    if level >= logging.INFO:
        return "INFO"
    return "DEBUG"


def cloud_format_wanted(setting: str | None = None) -> bool:
    choice = (setting or os.environ.get("OPERATOR_LOG_FORMAT") or "auto").lower()
    return choice == "cloud" or (choice == "auto" and bool(os.environ.get("K_SERVICE")))


def configure_logging(*, level: int = logging.INFO, stream: Any = None, cloud: bool | None = None,
                      logger: logging.Logger | None = None) -> logging.Handler:
    """Every logger's output (the root's handler): Cloud Logging JSON when deployed (or asked for), else
    the plain message. Replaces the handler an earlier call installed, so it can be called again."""
    target = logger or logging.getLogger()
    for old in [h for h in target.handlers if getattr(h, "_operator_handler", False)]:
        target.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._operator_handler = True  # type: ignore[attr-defined]
    use_cloud = cloud_format_wanted() if cloud is None else cloud
    handler.setFormatter(CloudLoggingFormatter() if use_cloud else logging.Formatter("%(message)s"))
    target.addHandler(handler)
    target.setLevel(level)
    return handler
