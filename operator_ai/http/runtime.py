"""What a function instance builds once and reuses across requests: settings, services, signer, notifier.

Cloud Functions keeps an instance warm between invocations; building the stores per request would
reconnect to BigQuery/Firestore every time. Built lazily on the first request (never at import).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from connectors.base import PendingApproval
from operator_ai.http.auth import TokenVerifier, google_verifier
from operator_ai.http.config import HttpSettings
from operator_ai.http.tokens import Signer, sign_link
from operator_ai.notify import Notifier, build_notifier
from operator_ai.settings import Settings
from operator_ai.wiring import Services, build_services


@dataclass
class Runtime:
    settings: Settings
    http: HttpSettings
    services: Services
    notifier: Notifier
    signer: Signer | None
    verify: TokenVerifier = google_verifier
    publisher: Any = None  # Pub/Sub publisher, created on the first fan-out
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return self.services.clock().timestamp()  # the Operator's one clock (OPERATOR_NOW, sandbox advance)

    @property
    def page_url(self) -> str:
        return self.settings.public_base_url

    def link_for(self, pending: PendingApproval, approver: str) -> str:
        """A signed single-use approval link for one person, valid until the approval expires."""
        assert self.signer is not None
        token = sign_link(self.signer, action_id=pending.action_id, plan_hash=pending.plan_hash,
                          organization_id=pending.organization_id, approver=approver,
                          expires_at=pending.expires_at.astimezone(UTC).timestamp())
        return f"{self.page_url}{'&' if '?' in self.page_url else '?'}link={token}"

    def get_publisher(self) -> Any:
        from operator_ai.fanout import new_publisher

        with self.lock:
            if self.publisher is None:
                self.publisher = new_publisher()
            return self.publisher

    @property
    def cookie_secure(self) -> bool:
        return self.page_url.startswith("https://")


_lock = threading.Lock()
_runtime: Runtime | None = None


def _log_to_stderr() -> None:
    """Our JSON event lines (decisions, refusals, notifications) reach Cloud Logging via stderr at INFO."""
    logger = logging.getLogger("operator")
    if not logger.handlers and not logging.getLogger().handlers:
        from operator_ai.logs import configure_logging

        configure_logging(level=logging.INFO)  # Cloud Logging's JSON when deployed (K_SERVICE set)


def build_runtime(settings: Settings | None = None, http: HttpSettings | None = None,
                  services: Services | None = None) -> Runtime:
    _log_to_stderr()
    settings = settings or Settings()
    key = settings.approval_signing_key.get_secret_value() if settings.approval_signing_key else ""
    services = services or build_services(settings)
    return Runtime(settings=settings, http=http or HttpSettings(), services=services,
                   notifier=build_notifier(settings, services.extras.get("secrets")),  # per-org webhooks
                   signer=Signer(key) if key else None)


def runtime() -> Runtime:
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = build_runtime()
        return _runtime
