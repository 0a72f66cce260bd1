"""Fault injection for the sandbox platforms: make a read or a write fail the way real platforms do.

A `FaultPlan` is a list of rules. Each rule matches a phase (`connect`, `snapshot`, `apply_before` —
nothing lands —, `apply_after` — the change lands but the response is lost) and optionally a platform,
account, operation name (snapshot: a part name) and action key, and fires `count` times (None: always).
Tests pass a plan to the connector; subprocess tests set `OPERATOR_SANDBOX_FAULTS` to the same rules as
JSON (`[{...}]` or `{"rules": [...]}`); counts are then per process.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import (
    AuthError,
    NotFoundError,
    PermanentError,
    PlatformError,
    QuotaExhaustedError,
    RateLimitedError,
    RetryableError,
    UncertainError,
)

ENV_VAR = "OPERATOR_SANDBOX_FAULTS"

Phase = Literal["connect", "snapshot", "apply_before", "apply_after"]
FaultKind = Literal["retryable", "rate_limited", "quota", "permanent", "uncertain", "timeout", "reset", "auth",
                    "not_found"]


class FaultRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    phase: Phase
    kind: FaultKind
    platform: str | None = None
    account_id: str | None = None
    op: str | None = None  # operation name (apply) or snapshot part (snapshot)
    action_key: str | None = None  # OpBatch.key / SnapshotRequest.key
    count: int | None = Field(default=1, ge=1)  # None: fire every time
    on_validate: bool = False  # also fire on validate_only calls
    message: str | None = None
    retry_after_s: float | None = None

    def error(self) -> PlatformError:
        """The exception a real connector would raise for this failure in this phase. A timeout or a
        reset is ambiguous for a write (UNCERTAIN) but harmless for a read (retryable)."""
        text = self.message or f"sandbox: injected {self.kind} failure ({self.phase})"
        reading = self.phase in ("connect", "snapshot")
        match self.kind:
            case "retryable":
                return RetryableError(text, code="UNAVAILABLE")
            case "rate_limited":
                return RateLimitedError(text, code="RATE_LIMITED", retry_after_s=self.retry_after_s or 30.0)
            case "quota":
                return QuotaExhaustedError(text, code="RESOURCE_EXHAUSTED", retry_after_s=self.retry_after_s)
            case "permanent":
                return PermanentError(text, code="INVALID_ARGUMENT")
            case "auth":
                return AuthError(text, code="UNAUTHENTICATED")
            case "not_found":
                return NotFoundError(text, code="NOT_FOUND")
            case "timeout":
                return RetryableError(text, code="DEADLINE_EXCEEDED") if reading else UncertainError(
                    text, code="DEADLINE_EXCEEDED")
            case "reset":
                return RetryableError(text, code="CONNECTION_RESET") if reading else UncertainError(
                    text, code="CONNECTION_RESET")
            case _:
                return UncertainError(text, code="UNKNOWN")


@dataclass(frozen=True)
class Fired:
    """One injected failure, for tests to assert on."""

    phase: str
    kind: str
    platform: str
    account_id: str
    keys: tuple[str, ...]


class FaultPlan:
    """Thread-safe: counts are consumed under a lock, so a rule with count=1 fires exactly once."""

    def __init__(self, rules: Iterable[FaultRule | Mapping[str, Any]] = ()):
        self.rules: tuple[FaultRule, ...] = ()
        self._left: list[int | None] = []
        self._lock = threading.Lock()
        self._quiet = threading.local()  # per thread: inside `suspended()`
        self.fired: list[Fired] = []
        for rule in rules:
            self.add(rule)

    def add(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        """Arm one more rule (also while connectors are in use: tests arm a fault mid-scenario)."""
        parsed = rule if isinstance(rule, FaultRule) else FaultRule.model_validate(rule)
        with self._lock:
            self.rules = (*self.rules, parsed)
            self._left.append(parsed.count)
        return parsed

    @classmethod
    def from_json(cls, text: str) -> FaultPlan:
        document = json.loads(text)
        rules = document.get("rules", []) if isinstance(document, dict) else document
        if not isinstance(rules, list):
            raise ValueError(f"{ENV_VAR}: expected a list of rules or {{'rules': [...]}}")
        return cls(rules)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FaultPlan:
        text = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
        return cls.from_json(text) if text else cls()

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Nothing fires (and no count is consumed) for calls this thread makes inside the block: for an
        observer's read of the true platform state while the faults stay armed for everyone else."""
        depth = getattr(self._quiet, "depth", 0)
        self._quiet.depth = depth + 1
        try:
            yield
        finally:
            self._quiet.depth = depth

    def take(self, phase: Phase, *, platform: str, account_id: str, ops: Collection[str] = (),
             keys: Collection[str] = (), validate_only: bool = False) -> FaultRule | None:
        """The first matching rule with fires left (consuming one), or None."""
        if getattr(self._quiet, "depth", 0):
            return None
        with self._lock:
            for index, rule in enumerate(self.rules):
                left = self._left[index]
                if left == 0 or rule.phase != phase or (validate_only and not rule.on_validate):
                    continue
                if rule.platform not in (None, platform) or rule.account_id not in (None, account_id):
                    continue
                if (rule.op is not None and rule.op not in ops) or (
                        rule.action_key is not None and rule.action_key not in keys):
                    continue
                if left is not None:
                    self._left[index] = left - 1
                self.fired.append(Fired(phase, rule.kind, platform, account_id, tuple(keys)))
                return rule
        return None
