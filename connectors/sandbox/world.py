"""`SandboxWorld`: the sandbox as a whole — its connectors, and the hand of "someone else" changing it.

`external_change` edits an entity the way a person in the platform's UI would (a campaign paused by
hand, a budget changed), which is what drift detection and stale-plan checks must notice. The CLI and
tests use it; the Operator itself only goes through the connectors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from connectors.local.db import Database
from connectors.sandbox.activecampaign import ActiveCampaignSandbox
from connectors.sandbox.changes import record_outside_change
from connectors.sandbox.entities import Entities, list_accounts
from connectors.sandbox.faults import FaultPlan
from connectors.sandbox.fixture import SandboxFixture, load_fixture, seed_fixture
from connectors.sandbox.google_ads import GoogleAdsSandbox
from connectors.sandbox.metrics import Totals, put_day
from connectors.sandbox.scenarios import AccountModel, Event, add_event, start_learning
from schemas.actions import BiddingScheme
from schemas.common import Platform
from schemas.snapshots import ContactState


class _HasDb(Protocol):
    db: Database


def _check_campaign(data: dict[str, Any]) -> None:
    if data["status"] not in ("ENABLED", "PAUSED", "REMOVED"):
        raise ValueError("campaign status must be ENABLED, PAUSED or REMOVED")
    BiddingScheme.model_validate(data["bidding"])


def _check_amount(field: str) -> Callable[[dict[str, Any]], None]:
    def check(data: dict[str, Any]) -> None:
        value = data[field]
        if value is None and field == "cpc_bid":
            return
        amount = Decimal(str(value))
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"{field} must be a finite, non-negative amount")

    return check


def _check_email_campaign(data: dict[str, Any]) -> None:
    if int(data["status"]) not in range(7):
        raise ValueError("email campaign status is 0..6")
    if data.get("scheduled_at") is not None and datetime.fromisoformat(data["scheduled_at"]).tzinfo is None:
        raise ValueError("scheduled_at needs a zone")


def _check_contact(data: dict[str, Any]) -> None:
    ContactState(contact_id=data["contact_id"], email=data["email"], subscribed=data["subscribed"])


def _coerce(current: Any, value: Any) -> Any:
    """The CLI passes text: keep each field's stored JSON type (money and dates stay strings)."""
    if isinstance(value, Decimal):
        return str(value)
    if not isinstance(value, str):
        return value
    if value == "null":
        return None
    if isinstance(current, bool | int | list | dict):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if type(parsed) is not type(current):
            raise ValueError(f"{value!r} is not a {type(current).__name__}")
        return parsed
    return value


def _no_check(data: dict[str, Any]) -> None:
    """Kinds without platform-side rules accept any edit of their existing fields."""


# What an outside edit may break, per entity kind: checked before the change is committed.
_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "campaign": _check_campaign,
    "budget": _check_amount("amount"),
    "keyword": _check_amount("cpc_bid"),
    "ad_group": _check_amount("cpc_bid"),
    "email_campaign": _check_email_campaign,
    "contact": _check_contact,
}


class SandboxWorld:
    """The sandbox platforms over one SQLite file (a `LocalStore` or anything with a `db`)."""

    def __init__(self, store: _HasDb | Database, *, faults: FaultPlan | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.db = store if isinstance(store, Database) else store.db
        self.faults = faults if faults is not None else FaultPlan.from_env()
        self.clock = clock

    # ------------------------------------------------------------------ connectors

    def google_ads(self) -> GoogleAdsSandbox:
        return GoogleAdsSandbox(self.db, faults=self.faults, clock=self.clock)

    def activecampaign(self) -> ActiveCampaignSandbox:
        return ActiveCampaignSandbox(self.db, faults=self.faults, clock=self.clock)

    # ------------------------------------------------------------------ seeding and reading

    def seed_fixture(self, fixture: SandboxFixture | str | Path, now: datetime) -> bool:
        """Load a fixture unless the sandbox already has accounts (True when it seeded)."""
        loaded = fixture if isinstance(fixture, SandboxFixture) else load_fixture(fixture)
        return seed_fixture(self.db, loaded, now)

    def accounts(self, organization_id: str | None = None) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return [{"platform": a.platform, "account_id": a.account_id, "organization_id": a.organization_id,
                     **a.data} for a in list_accounts(conn, organization_id)]

    def entity(self, platform: Platform | str, account_id: str, kind: str, entity_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            return Entities(conn, Platform(platform).value, account_id).get(kind, entity_id)

    def entities(self, platform: Platform | str, account_id: str, kind: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return Entities(conn, Platform(platform).value, account_id).all(kind)

    # ------------------------------------------------------------------ outside changes

    def external_change(self, platform: Platform | str, account_id: str, kind: str, entity_id: str,
                        **changes: Any) -> dict[str, Any]:
        """Change existing fields of one entity as a person in the platform UI would; return the entity.
        Values may be text (as typed at the CLI: `status=3`, `subscribed=false`, `cpc_bid=null`); they are
        read as the field's current type. Unknown entities or fields raise KeyError; values the platform
        would refuse raise ValueError."""
        with self.db.write() as tx:
            ents = Entities(tx, Platform(platform).value, account_id)
            data = ents.get(kind, entity_id)
            if data is None:
                raise KeyError(f"no {kind} {entity_id} in {platform} account {account_id}")
            unknown = sorted(set(changes) - set(data))
            if unknown:
                raise KeyError(f"{kind} has no field(s) {', '.join(unknown)}")
            try:
                updated = {**data, **{k: _coerce(data[k], v) for k, v in changes.items()}}
                _CHECKS.get(kind, _no_check)(updated)
            except (ValidationError, ValueError, TypeError, ArithmeticError) as error:
                raise ValueError(f"refused change to {kind} {entity_id}: {error}") from None
            ents.put(kind, entity_id, updated)
            changed = sorted(k for k in changes if data[k] != updated[k])
            if ents.platform == Platform.GOOGLE_ADS.value and changed:
                now = self.now()
                record_outside_change(ents, kind, updated, changed, now, actor="sandbox-ui")
                if kind == "campaign" and "bidding" in changed:  # Smart Bidding relearns after a strategy change
                    start_learning(ents, entity_id, now.astimezone(UTC).date())
            return updated

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    def set_campaign_status(self, customer_id: str, campaign_id: str, status: str) -> dict[str, Any]:
        return self.external_change(Platform.GOOGLE_ADS, customer_id, "campaign", campaign_id, status=status)

    def set_budget_amount(self, customer_id: str, budget_id: str, amount: Decimal | str) -> dict[str, Any]:
        return self.external_change(Platform.GOOGLE_ADS, customer_id, "budget", budget_id,
                                    amount=str(Decimal(str(amount)).quantize(Decimal("0.01"))))

    def set_email_campaign_status(self, account_id: str, campaign_id: str, status: int) -> dict[str, Any]:
        return self.external_change(Platform.ACTIVECAMPAIGN, account_id, "email_campaign", campaign_id,
                                    status=status)

    def script_event(self, customer_id: str, kind: str, first: date, *, days: int | None = None,
                     factor: float | None = None, campaigns: tuple[str, ...] | None = None,
                     status: str = "LEARNING_SETTING_CHANGE", note: str = "") -> Event:
        """Script a scenario on a Google Ads account from `first` (see `scenarios.py`): a `shift` (a dip or a
        true effect), a `conversion_shift`, a `tracking_outage` (factor 0 unless given) or `learning`. Days
        already materialised are history and stay as they were, so `first` must not be before today."""
        today = self.now().astimezone(UTC).date()
        if first < today:
            raise ValueError(f"{first} is already history in the sandbox (today is {today}): script from today on")
        chosen = factor if factor is not None else (0.0 if kind == "tracking_outage" else 1.0)
        with self.db.write() as tx:
            ents = Entities(tx, Platform.GOOGLE_ADS.value, customer_id)
            known = {c["campaign_id"] for c in ents.all("campaign")}
            if not known:
                raise KeyError(f"no google_ads account {customer_id} with campaigns in the sandbox")
            unknown = sorted(set(campaigns or ()) - known)
            if unknown:
                raise KeyError(f"no campaign(s) {', '.join(unknown)} in google_ads account {customer_id}")
            event = Event(kind=kind, first=first, last=first + timedelta(days=days - 1) if days else None,
                          factor=chosen, campaigns=campaigns, status=status, note=note)
            add_event(ents, event)
            return event

    def events(self, customer_id: str) -> list[Event]:
        with self.db.read() as conn:
            return AccountModel.load(Entities(conn, Platform.GOOGLE_ADS.value, customer_id)).events

    def record_metrics(self, customer_id: str, kind: str, entity_id: str, day: date, totals: Totals) -> None:
        """Write one day of metrics for a campaign or keyword (simulations of metrics over time)."""
        with self.db.write() as tx:
            put_day(Entities(tx, Platform.GOOGLE_ADS.value, customer_id), kind, entity_id, day, totals)

    def simulate_send(self, account_id: str, campaign_id: str, *, sends_per_message: int,
                      click_rates: list[float], open_rates: list[float] | None = None,
                      seed: int = 0) -> list[dict[str, Any]]:
        """The campaign sends: each of its messages (the original first, then split-test variants, in order)
        to `sends_per_message` recipients, with opens and clicks drawn (binomially, seeded) around the given
        true rates; the campaign's totals are their sums. Returns the messages' stats."""
        import random

        with self.db.read() as conn:
            campaign = Entities(conn, Platform.ACTIVECAMPAIGN.value, account_id).get("email_campaign", campaign_id)
        if campaign is None:
            raise KeyError(f"no email_campaign {campaign_id} in activecampaign account {account_id}")
        messages = list(campaign["message_ids"])
        if len(click_rates) != len(messages) or (open_rates is not None and len(open_rates) != len(messages)):
            raise ValueError(f"campaign {campaign_id} has {len(messages)} message(s): give one rate each")
        if sends_per_message < 0 or not all(0 <= r <= 1 for r in [*click_rates, *(open_rates or [])]):
            raise ValueError("sends must be >= 0 and rates between 0 and 1")
        stats = []
        for index, message_id in enumerate(messages):
            rng = random.Random(f"{seed}|{account_id}|{campaign_id}|{message_id}")
            click_rate = click_rates[index]
            open_rate = max(click_rate, open_rates[index] if open_rates else min(1.0, click_rate * 8))
            opens = sum(1 for _ in range(sends_per_message) if rng.random() < open_rate)
            clicks = sum(1 for _ in range(opens) if rng.random() < click_rate / open_rate) if open_rate else 0
            stats.append(self.record_email_stats(account_id, "message", message_id, sends=sends_per_message,
                                                 opens=opens, clicks=clicks))
        self.record_email_stats(account_id, "email_campaign", campaign_id, sends=sum(m["sends"] for m in stats),
                                opens=sum(m["opens"] for m in stats), clicks=sum(m["clicks"] for m in stats))
        return stats

    def record_email_stats(self, account_id: str, kind: str, entity_id: str, *, sends: int, opens: int,
                           clicks: int) -> dict[str, Any]:
        """Set the running totals of an email campaign or of one message (a split-test variant), as the
        platform reports them after sending: what measurement and experiments read."""
        sends_field = {"email_campaign": "send_amt", "message": "sends"}.get(kind)
        if sends_field is None:
            raise KeyError(f"email stats are kept for email_campaign or message, not {kind}")
        if min(sends, opens, clicks) < 0 or opens > sends or clicks > sends:
            raise ValueError("email stats must be counts with opens and clicks not above sends")
        with self.db.write() as tx:
            ents = Entities(tx, Platform.ACTIVECAMPAIGN.value, account_id)
            data = ents.get(kind, entity_id)
            if data is None:
                raise KeyError(f"no {kind} {entity_id} in activecampaign account {account_id}")
            updated = {**data, sends_field: sends, "opens": opens, "clicks": clicks}
            ents.put(kind, entity_id, updated)
            return updated
