"""The chaos harness: the embedded default (one SQLite file, sandbox platforms) with faults injected at
every step of an action, and a ledger of what actually reached the platforms.

`Chaos` wraps each real connector. It forwards every batch on its own and compares the platform state
before and after, so the ledger knows which action *landed* (not just which was sent), whether its
write-ahead row with a rollback plan was durable at that moment, and whether an emergency stop was on.
`FlakyStore` wraps the log or the state store and makes one method fail the way a store does. Faults
are armed on one services build (one "process"); a later build on the same file is a restarted process.
Used by tests/faults, tests/property/test_invariant_runs.py, tests/fuzz and tests/secrets.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import StoreError
from connectors.local.db import Database
from connectors.sandbox.faults import FaultRule
from operator_ai.orchestrator import Orchestrator
from operator_ai.settings import SAMPLES_DIR, Settings
from operator_ai.wiring import Services, build_services
from rollback.executor import RollbackExecutor, RollbackOutcome
from schemas.common import ActionStatus, Platform
from schemas.operations import ApplyOutcome, ApplyResult, ErrorInfo, ErrorKind, OpBatch
from schemas.records import ActionRecord, RunSummary
from schemas.snapshots import Snapshot, SnapshotRequest

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # after the samples' approval times, far from midnight
LEASE = timedelta(seconds=Settings.model_fields["claim_lease_s"].default + 60)  # a crashed run's claims are free
IN_FLIGHT = frozenset({ActionStatus.EXECUTING, ActionStatus.UNCERTAIN})
PLATFORM_KINDS = ("retryable", "rate_limited", "timeout", "reset", "crash")  # 5xx, 429, timeout, reset, crash
# Metric bookkeeping (`daily_profile`, `metrics_through`, `profile_*`) moves on reads; no action changes it.
_METRIC_FIELDS = ("daily_profile", "metrics_through")


def _metric_field(name: str) -> bool:
    return name in _METRIC_FIELDS or name.startswith("profile_")


class Crash(BaseException):
    """The process dies here: a BaseException, so nothing in the Operator catches it and carries on."""


class Clock:
    """The one clock of a scenario: services, sandbox and claims read it; tests move it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta = LEASE) -> datetime:
        self.now += delta
        return self.now


def fingerprint(db: Database) -> dict[tuple[str, ...], str]:
    """Everything an action can change on a platform: sandbox entities (without metric bookkeeping),
    live content artifacts and raised refresh flags."""
    found: dict[tuple[str, ...], str] = {}
    with db.read() as conn:
        for row in conn.execute("SELECT platform, account_id, kind, entity_id, data FROM sandbox_entities"):
            data = {k: v for k, v in json.loads(row["data"]).items() if not _metric_field(k)}
            found[("entity", row["platform"], row["account_id"], row["kind"], row["entity_id"])] = json.dumps(
                data, sort_keys=True)
        for row in conn.execute("SELECT artifact_id, body FROM artifacts WHERE archived_at IS NULL"):
            found[("artifact", row["artifact_id"])] = row["body"]
        for row in conn.execute("SELECT organization_id, url, reason FROM refresh_flags WHERE flagged = 1"):
            found[("flag", row["organization_id"], row["url"])] = row["reason"] or ""
    return found


def changed(before: dict[tuple[str, ...], str], after: dict[tuple[str, ...], str]) -> list[tuple[str, ...]]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@dataclass
class Ledger:
    """What reached the platforms, across every process of one scenario. `phase` is "forward" while
    the Operator runs and "rollback" while actions are undone (the batch key is the action id in both)."""

    db: Database  # its own connection to the scenario's file: it outlives every services build
    clock: Callable[[], datetime]
    phase: str = "forward"
    sends: Counter[tuple[str, str]] = field(default_factory=Counter)  # (phase, key) -> batches sent
    landings: Counter[tuple[str, str]] = field(default_factory=Counter)  # (phase, key) -> batches that changed state
    unlogged: list[str] = field(default_factory=list)  # landed without a durable write-ahead row + rollback plan
    during_stop: list[str] = field(default_factory=list)  # sent while an emergency stop was on
    landed_at: list[tuple[str, str, datetime]] = field(default_factory=list)  # (org, key, when), forward only
    lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        self.db.close()

    def landed(self, phase: str = "forward") -> Counter[str]:
        return Counter({key: n for (p, key), n in self.landings.items() if p == phase})

    def sent(self, phase: str = "forward") -> Counter[str]:
        return Counter({key: n for (p, key), n in self.sends.items() if p == phase})

    def forward(self, connector: Any, account_id: str, batch: OpBatch) -> ApplyResult:
        """Send one batch and record what happened (serialised, so concurrent orgs cannot blur it)."""
        with self.lock:
            self.sends[(self.phase, batch.key)] += 1
            if self._stopped(batch.organization_id):
                self.during_stop.append(batch.key)
            before = fingerprint(self.db)
            try:
                [result] = connector.apply(account_id, [batch])
            finally:
                if changed(before, fingerprint(self.db)):
                    self.landings[(self.phase, batch.key)] += 1
                    if self.phase == "forward":
                        self.landed_at.append((batch.organization_id, batch.key, self.clock()))
                    if not self._written_ahead(batch.key):
                        self.unlogged.append(batch.key)
        return result

    def busiest_hour(self) -> dict[str, int]:
        """Per organization: the most changes that landed within one rolling hour."""
        most: dict[str, int] = {}
        for org, _, at in self.landed_at:
            within = sum(1 for o, _, t in self.landed_at if o == org and at <= t < at + timedelta(hours=1))
            most[org] = max(most.get(org, 0), within)
        return most

    def _stopped(self, organization_id: str) -> bool:
        with self.db.read() as conn:
            row = conn.execute("SELECT 1 FROM kill_switches WHERE active = 1 AND scope IN ('global', ?)",
                               (organization_id,)).fetchone()
        return row is not None

    def _written_ahead(self, action_id: str) -> bool:
        status = "EXECUTING" if self.phase == "forward" else "ROLLING_BACK"
        with self.db.read() as conn:
            row = conn.execute("SELECT 1 FROM actions_log WHERE action_id = ? AND status = ? AND rollback_plan "
                               "IS NOT NULL", (action_id, status)).fetchone()
        return row is not None


@dataclass
class Fault:
    """One fault at one step. Steps: connect, snapshot (every read), fresh_read (reads after the first per
    account: the pre-execution re-read), validate (validate_only applies), apply_before, apply_after."""

    step: str
    kind: str  # retryable | rate_limited | timeout | reset | crash

    def __str__(self) -> str:
        return f"{self.step}-{self.kind}"

    def error(self) -> Exception:
        phase = {"fresh_read": "snapshot", "validate": "apply_before"}.get(self.step, self.step)
        return Crash(self.step) if self.kind == "crash" else FaultRule(phase=phase, kind=self.kind).error()


# Steps the sandbox's own FaultPlan injects (per batch, as the sandbox platform reports them).
SANDBOX_PHASES = frozenset({"connect", "snapshot", "apply_before", "apply_after"})


class Chaos:
    """A `PlatformConnector` around a real one: per-batch forwarding through the ledger, plus the faults
    the sandbox's FaultPlan cannot make (crashes, the second read, validation, the content platform)."""

    def __init__(self, inner: Any, ledger: Ledger, fault: Fault | None = None, *, sandbox: bool = True,
                 live: bool = False) -> None:
        self.inner = inner
        self.ledger = ledger
        self.fault = fault
        self.sandbox = sandbox  # the sandbox's FaultPlan already injects SANDBOX_PHASES faults
        self.live = live  # report LIVE so that dry runs ask the platform to validate
        self.reads: Counter[str] = Counter()

    @property
    def platform(self) -> Platform:
        return self.inner.platform  # type: ignore[no-any-return]

    @property
    def mode(self) -> str:
        return "LIVE" if self.live else self.inner.mode  # type: ignore[no-any-return]

    def _fire(self, step: str) -> None:
        fault = self.fault
        if fault is None or fault.step != step:
            return
        if fault.kind == "crash" or not self.sandbox or step not in SANDBOX_PHASES:
            raise fault.error()

    def check_connection(self, account_id: str) -> None:
        self._fire("connect")
        self.inner.check_connection(account_id)

    def snapshot(self, account_id: str, requests: Sequence[SnapshotRequest], now: datetime) -> dict[str, Snapshot]:
        self.reads[account_id] += 1
        if self.reads[account_id] > 1:
            self._fire("fresh_read")
        self._fire("snapshot")
        return self.inner.snapshot(account_id, requests, now)  # type: ignore[no-any-return]

    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        if validate_only:
            self._fire("validate")
            return self.inner.apply(account_id, batches, validate_only=True)  # type: ignore[no-any-return]
        self._fire("apply_before")
        results = [self.ledger.forward(self.inner, account_id, batch) for batch in batches]
        fault = self.fault
        if fault is not None and fault.step == "apply_after":
            if fault.kind == "crash":
                raise Crash("apply_after")
            if not self.sandbox:  # the change landed, the answer is lost
                lost = fault.error()
                info = ErrorInfo(kind=ErrorKind.UNCERTAIN, message=str(lost), code="RESPONSE_LOST")
                return [ApplyResult(key=r.key, outcome=ApplyOutcome.UNCERTAIN, error=info) for r in results]
        return results


class FlakyStore:
    """A log or state store whose `method` fails: `unavailable` (nothing written), `timeout` (written,
    then the error), `crash` (the process dies before writing). `when(args)` picks the calls to fail."""

    def __init__(self, inner: Any, method: str, kind: str, when: Callable[[tuple[Any, ...]], bool] | None = None):
        self._inner, self._method, self._kind = inner, method, kind
        self._when = when or (lambda args: True)
        self.failures = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name != self._method:
            return attr

        def failing(*args: Any, **kwargs: Any) -> Any:
            if not self._when(args):
                return attr(*args, **kwargs)
            self.failures += 1
            if self._kind == "crash":
                raise Crash(name)
            if self._kind == "timeout":
                attr(*args, **kwargs)
            raise StoreError(f"injected: {name} {self._kind}")

        return failing


def has_status(*statuses: ActionStatus) -> Callable[[tuple[Any, ...]], bool]:
    """For FlakyStore on `append`: the call writes a row with one of these statuses (not a settlement)."""
    wanted = set(statuses)

    def when(args: tuple[Any, ...]) -> bool:
        records: Sequence[ActionRecord] = args[0]
        return any(r.status in wanted and not (r.result or {}).get("settled_by_read") for r in records)

    return when


@dataclass
class Env:
    """One services build (one process) on a home."""

    services: Services
    clock: Clock
    ledger: Ledger
    chaos: dict[Platform, Chaos]
    home: Path

    def run(self, orgs: list[str] | None = None, *, dry_run: bool = False) -> RunSummary:
        return Orchestrator(self.services).run(orgs, dry_run=dry_run)

    def rollbacks(self) -> RollbackExecutor:
        s = self.services
        return RollbackExecutor(s.log, s.state, s.connectors, s.clock)

    def rollback_all(self, actor: str = "ops@acme.example") -> list[RollbackOutcome]:
        executor, outcomes = self.rollbacks(), []
        for org in [o.organization_id for o in self.services.state.list_orgs()]:
            outcomes += executor.rollback_since(org, START - timedelta(days=1), actor=actor,
                                                run_id=f"rollback-{self.clock():%H%M%S}")
        return outcomes

    def latest(self) -> dict[str, ActionRecord]:
        return {r.action_id: r for r in self.services.log.query(limit=1_000_000)}

    def close(self) -> None:
        self.services.close()


def samples_dir(root: Path, opportunities: Sequence[dict[str, Any]]) -> Path:
    """The bundled orgs and sandbox fixture with these opportunities instead of the bundled ones."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("orgs.yaml", "sandbox.json"):
        (root / name).write_text((SAMPLES_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (root / "opportunities.jsonl").write_text("".join(json.dumps(o) + "\n" for o in opportunities), encoding="utf-8")
    return root


def build_env(home: Path, clock: Clock, ledger: Ledger | None = None, *, fault: Fault | None = None,
              live: bool = False, samples: Path | None = None, **settings: Any) -> Env:
    """Build the embedded default on `home` (seeding the samples on first use) with `fault` armed."""
    services = build_services(Settings(home=home, samples_dir=samples or SAMPLES_DIR, **settings), clock=clock)
    store = services.extras["store"]
    ledger = ledger or Ledger(Database(store.path), clock)
    if fault is not None and fault.kind != "crash" and fault.step in SANDBOX_PHASES:
        services.extras["world"].faults.add({"phase": fault.step, "kind": fault.kind, "count": None})
    chaos = {platform: Chaos(connector, ledger, fault, sandbox=platform != Platform.CONTENT, live=live)
             for platform, connector in services.connectors.items()}
    services.connectors = dict(chaos)  # type: ignore[arg-type]
    return Env(services, clock, ledger, chaos, home)
