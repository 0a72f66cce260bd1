"""The end-to-end harness: the embedded default (one SQLite file, sandbox platforms) built in-process
with a controllable clock, fault plans and spying connector wrappers.

Used by `tests/e2e` (through fixtures in its conftest) and by the orchestrator property tests. The
spies wrap the real sandbox connectors — they count and observe platform calls and can inject what a
`FaultPlan` cannot (a kill switch pulled mid-run, a process dying after the platform answered); they
never stand in for our own code.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import PlatformConnector
from connectors.sandbox import FaultPlan, SandboxWorld
from operator_ai.orchestrator import Orchestrator
from operator_ai.settings import SAMPLES_DIR, Settings
from operator_ai.wiring import Services, build_services
from schemas.common import ActionStatus, Platform
from schemas.operations import ApplyOutcome, ApplyResult, OpBatch
from schemas.policy import KillSwitch
from schemas.records import ActionRecord, RunSummary
from schemas.snapshots import Snapshot, SnapshotRequest

# A fixed start, after the samples' created/approved times and long before their 2099 expiry.
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACME, GLOBEX = "org-acme", "org-globex"
ACME_ADS, GLOBEX_ADS = "1234567890", "9876543210"
ACME_MAIL, GLOBEX_MAIL = "acme-mail", "globex-mail"
APPROVER = "jane@acme.example"


RAM_DISK = Path("/dev/shm")


@contextmanager
def scratch_dir(fallback: Path) -> Iterator[Path]:
    """A fresh directory on the RAM disk if there is one (removed afterwards), else `fallback`."""
    if not (RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK)):
        yield fallback
        return
    path = Path(tempfile.mkdtemp(prefix="operator-e2e-", dir=RAM_DISK))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Clock:
    """The one clock of a test: services, sandbox and claims all read it; tests move it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class ProcessDied(BaseException):
    """Raised by a spy to simulate the process dying right after a platform call: a BaseException, so
    nothing in the Operator can catch it and carry on — exactly like a killed process."""


@dataclass
class ApplyCall:
    account_id: str
    keys: tuple[str, ...]
    ops: tuple[tuple[str, ...], ...]
    at: datetime
    validate_only: bool
    outcomes: dict[str, ApplyOutcome] = field(default_factory=dict)  # per key, once the call has answered


@dataclass
class Spy:
    """A `PlatformConnector` around a real one: records every call, and can act after an apply."""

    inner: PlatformConnector
    clock: Clock
    after_apply: Callable[[Spy, ApplyCall], None] | None = None
    applies: list[ApplyCall] = field(default_factory=list)
    snapshot_calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    fail_snapshot_calls: set[int] = field(default_factory=set)  # 1-based call numbers that raise
    snapshot_error: Exception | None = None

    @property
    def platform(self) -> Platform:
        return self.inner.platform

    @property
    def mode(self) -> Any:
        return self.inner.mode

    def check_connection(self, account_id: str) -> None:
        self.inner.check_connection(account_id)

    def snapshot(self, account_id: str, requests: Sequence[SnapshotRequest], now: datetime) -> dict[str, Snapshot]:
        self.snapshot_calls.append((account_id, tuple(r.key for r in requests)))
        if len(self.snapshot_calls) in self.fail_snapshot_calls and self.snapshot_error is not None:
            raise self.snapshot_error
        return self.inner.snapshot(account_id, requests, now)

    def apply(self, account_id: str, batches: Sequence[OpBatch], *, validate_only: bool = False) -> list[ApplyResult]:
        call = ApplyCall(account_id, tuple(b.key for b in batches), tuple(tuple(op.op for op in b.ops) for b in batches),
                         self.clock(), validate_only)
        self.applies.append(call)
        results = self.inner.apply(account_id, batches, validate_only=validate_only)
        call.outcomes.update((r.key, r.outcome) for r in results)
        if self.after_apply is not None:
            self.after_apply(self, call)
        return results

    def read_metrics(self, account_id: str, requests: Sequence[Any], now: datetime) -> Any:
        """Measurement reads pass straight through (a spied connector stays measurable)."""
        return self.inner.read_metrics(account_id, requests, now)  # type: ignore[attr-defined]

    def applied_keys(self) -> list[str]:
        """Batch keys sent for real (not validate_only), one entry per time sent."""
        return [key for call in self.applies if not call.validate_only for key in call.keys]

    def landed_keys(self) -> list[str]:
        """Batch keys whose change reached (or may have reached) the platform: every real call except those
        answered FAILED, which the platforms guarantee left nothing behind (a transient one is retried)."""
        return [key for call in self.applies if not call.validate_only for key in call.keys
                if call.outcomes.get(key) != ApplyOutcome.FAILED]


def opportunity(opp_id: str, action: dict[str, Any] | None, *, org: str = ACME, now: datetime = START,
                confidence: float = 0.95, platform: str | None = None, title: str | None = None,
                expires_in: timedelta = timedelta(days=30), status: str = "approved",
                evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid schema-1 opportunity (the `action` as Scout sends it)."""
    raw: dict[str, Any] = {
        "schema_version": 1, "opportunity_id": opp_id, "organization_id": org, "status": status,
        "created_at": (now - timedelta(hours=3)).isoformat(), "expires_at": (now + expires_in).isoformat(),
        "approved_by": "jane@acme.example", "approved_at": (now - timedelta(hours=2)).isoformat(),
        "title": title or opp_id, "rationale": "end-to-end test", "confidence": confidence,
        "action": action, "evidence": evidence or {},
    }
    if platform is not None:
        raw["platform"] = platform
    return raw


def samples_dir(root: Path, opportunities: Iterable[dict[str, Any] | str] | None = None,
                orgs_yaml: str | None = None) -> Path:
    """A samples directory: the bundled orgs and sandbox fixture with other opportunities (or orgs)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLES_DIR / "sandbox.json", root / "sandbox.json")
    if orgs_yaml is None:
        shutil.copy(SAMPLES_DIR / "orgs.yaml", root / "orgs.yaml")
    else:
        (root / "orgs.yaml").write_text(orgs_yaml, encoding="utf-8")
    lines = [o if isinstance(o, str) else json.dumps(o) for o in (opportunities or [])]
    (root / "opportunities.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@dataclass
class Env:
    """One embedded-default installation as seen by one process."""

    services: Services
    clock: Clock
    faults: FaultPlan
    world: SandboxWorld
    spies: dict[Platform, Spy]
    home: Path
    samples: Path

    # ------------------------------------------------------------------ acting

    def run(self, orgs: list[str] | None = None, *, dry_run: bool = False) -> RunSummary:
        return Orchestrator(self.services).run(orgs, dry_run=dry_run)

    def stop(self, scope: str = "global", reason: str = "test stop", by: str = "ops@acme.example") -> None:
        self.services.state.set_kill_switch(KillSwitch(scope=scope, active=True, set_by=by, set_at=self.clock(),
                                                       reason=reason))

    def resume(self, scope: str = "global", by: str = "ops@acme.example") -> None:
        self.services.state.set_kill_switch(KillSwitch(scope=scope, active=False, set_by=by, set_at=self.clock(),
                                                       reason="resumed"))

    # ------------------------------------------------------------------ reading

    @property
    def log(self) -> Any:
        return self.services.log

    def spy(self, platform: Platform) -> Spy:
        return self.spies[platform]

    def applied_keys(self) -> list[str]:
        return [key for spy in self.spies.values() for key in spy.applied_keys()]

    def landed_keys(self) -> list[str]:
        return [key for spy in self.spies.values() for key in spy.landed_keys()]

    def latest_by_opportunity(self) -> dict[str, ActionRecord]:
        """The latest row of every action, keyed by opportunity id (or action id for bad input)."""
        records = self.services.log.query(limit=100_000)
        return {r.opportunity_id or r.action_id: r for r in records}

    def record(self, opportunity_id: str) -> ActionRecord:
        [record] = self.services.log.query(opportunity_id=opportunity_id, limit=10)
        return record

    def events(self, action_id: str) -> list[ActionRecord]:
        return self.services.log.events(action_id)

    def row_count(self) -> int:
        with self.services.extras["store"].db.read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM actions_log").fetchone()[0])

    def all_rows(self) -> list[ActionRecord]:
        records = self.services.log.query(limit=100_000)
        return [row for r in records for row in self.services.log.events(r.action_id)]

    def entity(self, platform: Platform | str, account: str, kind: str, entity_id: str) -> dict[str, Any]:
        found = self.world.entity(platform, account, kind, entity_id)
        assert found is not None, f"no {kind} {entity_id} in {account}"
        return found

    def campaign(self, campaign_id: str, account: str = ACME_ADS) -> dict[str, Any]:
        return self.entity(Platform.GOOGLE_ADS, account, "campaign", campaign_id)

    def budget_of(self, campaign_id: str, account: str = ACME_ADS) -> str:
        budget_id = self.campaign(campaign_id, account)["budget_id"]
        return str(self.entity(Platform.GOOGLE_ADS, account, "budget", budget_id)["amount"])

    def close(self) -> None:
        self.services.close()


def build_env(home: Path, clock: Clock, *, samples: Path = SAMPLES_DIR, faults: FaultPlan | None = None,
              after_apply: dict[Platform, Callable[[Spy, ApplyCall], None]] | None = None,
              opportunities_file: Path | None = None) -> Env:
    """Build services on `home` (seeding it on first use) with sandbox connectors that share `clock`
    and `faults`, each wrapped in a `Spy`. A second `build_env` on the same home is a second process."""
    settings = Settings(home=home, samples_dir=samples, backend="local", platforms="sandbox", seed_samples=True,
                        opportunities_file=opportunities_file)
    services = build_services(settings, clock=clock)
    plan = faults if faults is not None else FaultPlan()
    world = SandboxWorld(services.extras["store"], faults=plan, clock=clock)
    hooks = after_apply or {}
    inner: dict[Platform, PlatformConnector] = {
        Platform.GOOGLE_ADS: world.google_ads(),
        Platform.ACTIVECAMPAIGN: world.activecampaign(),
        Platform.CONTENT: services.connectors[Platform.CONTENT],
    }
    spies = {p: Spy(c, clock, after_apply=hooks.get(p)) for p, c in inner.items()}
    services.connectors.update(spies)  # type: ignore[arg-type]
    services.extras["world"] = world
    return Env(services, clock, plan, world, spies, home, samples)


def executed_transitions(rows: Iterable[ActionRecord]) -> dict[str, int]:
    """How many EXECUTED rows each action has (more than one is a double execution)."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.status == ActionStatus.EXECUTED:
            counts[row.action_id] = counts.get(row.action_id, 0) + 1
    return counts


def observed_now(env: Env, record: ActionRecord) -> dict[str, Any]:
    """The slice of live platform state the recorded action changes, read now through the connector
    (the same JSON form the log stores, so it compares equal to a rollback plan's states). An observer's
    read: the faults armed for the code under test do not fire on it."""
    from rollback.registry import spec_for
    from schemas.actions import parse_action
    from schemas.common import canonical_json

    action = parse_action(record.payload["action"])
    spec = spec_for(action)
    request = spec.snapshot_request(action, record.action_id, 1, record.organization_id)
    with env.faults.suspended():
        snapshot = env.services.connectors[spec.platform].snapshot(request.account_id, [request], env.clock())
    loaded: dict[str, Any] = json.loads(canonical_json(spec.observed_state(action, snapshot[record.action_id])))
    return loaded


def as_json(value: dict[str, Any]) -> dict[str, Any]:
    from schemas.common import canonical_json

    loaded: dict[str, Any] = json.loads(canonical_json(value))
    return loaded


def active_runs(env: Env, contact_id: str, automation_id: str = "7", account: str = ACME_MAIL) -> list[str]:
    """Run ids of a contact's in-progress enrolments in an automation (sandbox ActiveCampaign)."""
    return sorted(r["run_id"] for r in env.world.entities(Platform.ACTIVECAMPAIGN, account, "contact_automation")
                  if r["contact_id"] == contact_id and r["automation_id"] == automation_id and int(r["status"]) == 1)
