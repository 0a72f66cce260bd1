"""Seeding the embedded default: bundled organizations, opportunities and the sandbox fixture.

The samples are loaded once, into a new database (a `seeded_at` marker makes it idempotent, also for
two processes starting at the same moment: the check and the load share one transaction). Files the
user names explicitly (`orgs_file`, `opportunities_file`) are loaded on every call; both loads are
upserts by id, so repeating them changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.local.codec import ts
from connectors.local.opportunities import read_opportunity_file
from connectors.local.orgs import OrgConfigError, PolicyCheck, load_orgs
from schemas.policy import OrgPolicy, connected_accounts

if TYPE_CHECKING:
    from connectors.local.store import LocalStore

ORGS_FILE = "orgs.yaml"
OPPORTUNITIES_FILE = "opportunities.jsonl"
SANDBOX_FILE = "sandbox.json"


def seed_embedded_default(store: LocalStore, samples_dir: str | Path, now: datetime, *,
                          orgs_file: str | Path | None = None, opportunities_file: str | Path | None = None,
                          check_policy: PolicyCheck | None = None, include_samples: bool = True) -> bool:
    """Load `samples_dir`'s orgs.yaml, opportunities.jsonl and sandbox.json if the database is new, then
    the explicitly named files. Every file is read and validated before anything is written.
    `include_samples=False` (live mode) loads only the named files. Returns True when the samples were
    loaded by this call."""
    # The sandbox package builds on this one; import it here so neither package imports the other at load.
    from connectors.sandbox.fixture import load_fixture, seed_fixture

    samples = Path(samples_dir)
    if include_samples:
        sample_orgs = load_orgs(samples / ORGS_FILE, check_policy=check_policy)
        sample_opportunities = read_opportunity_file(samples / OPPORTUNITIES_FILE)
        fixture = load_fixture(samples / SANDBOX_FILE)
    extra_orgs = load_orgs(orgs_file, check_policy=check_policy) if orgs_file else []
    if orgs_file and extra_orgs:
        _refuse_shared_accounts(orgs_file, extra_orgs, [*store.list_orgs(), *(sample_orgs if include_samples else [])])
    extra_opportunities = read_opportunity_file(Path(opportunities_file)) if opportunities_file else []
    with store.db.write() as tx:
        fresh = include_samples and tx.execute("SELECT 1 FROM meta WHERE key = 'seeded_at'").fetchone() is None
        if fresh:
            for policy in sample_orgs:
                store.put_org(policy)
            store.load_opportunities(sample_opportunities)
            seed_fixture(store.db, fixture, now)
            tx.execute("INSERT INTO meta (key, value) VALUES ('seeded_at', ?)", (ts(now),))
        for policy in extra_orgs:
            store.put_org(policy)
        if extra_opportunities:
            store.load_opportunities(extra_opportunities)
    return fresh


def _refuse_shared_accounts(path: str | Path, incoming: list[OrgPolicy], others: list[OrgPolicy]) -> None:
    """An account of an incoming organization already connected to another organization is refused."""
    replaced = {p.organization_id for p in incoming}
    owners = {account: p.organization_id for p in others if p.organization_id not in replaced
              for account in connected_accounts(p)}
    problems = [f"organization {p.organization_id}: {account} is already connected to {owners[account]}"
                for p in incoming for account in connected_accounts(p) if account in owners]
    if problems:
        raise OrgConfigError(path, "; ".join(problems))


def reset_embedded_default(store: LocalStore, samples_dir: str | Path, now: datetime, *,
                           check_policy: PolicyCheck | None = None) -> None:
    """Wipe the database (log, state, opportunities, artifacts, sandbox) and seed the samples again."""
    store.reset()
    seed_embedded_default(store, samples_dir, now, check_policy=check_policy)
