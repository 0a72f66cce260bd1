"""Scripted scenarios of a sandbox Google Ads account, and the account's whole day model.

An account keeps, in its row's data: `simulation` (the realism knobs, `realism.Simulation`), `anchor`
(the seeding day: the random walks are 0 there, and days from it on are simulated and credited late)
and `events`, each one of

| kind | effect on the days it covers |
|---|---|
| `shift` | every volume (cost, clicks, impressions, conversions) × factor — a market dip, a true effect |
| `conversion_shift` | conversions × factor only (conversion rate) |
| `tracking_outage` | conversions × factor (default 0): tracking broke, spend goes on |
| `learning` | the campaigns' bidding strategy is learning: status reported, conversions noisier and lower |

for all campaigns of the account or the listed ones (a keyword follows its campaign), from `first` to
`last` (inclusive; none: open-ended). A bid-strategy change adds a `learning` event for its campaign.
Events shape days when they are materialised: days already written stay as they were.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from connectors.sandbox.entities import Account, Entities, get_account, put_account
from connectors.sandbox.realism import Simulation, log_walk, shock

EventKind = Literal["shift", "conversion_shift", "tracking_outage", "learning"]
EVENT_KINDS: tuple[str, ...] = ("shift", "conversion_shift", "tracking_outage", "learning")
LEARNING_STATUSES = ("LEARNING_NEW", "LEARNING_SETTING_CHANGE", "LEARNING_BUDGET_CHANGE",
                     "LEARNING_COMPOSITION_CHANGE", "LEARNING_CONVERSION_TYPE_CHANGE",
                     "LEARNING_CONVERSION_SETTING_CHANGE")


@dataclass(frozen=True)
class Event:
    kind: str
    first: date
    last: date | None = None
    factor: float = 1.0
    campaigns: tuple[str, ...] | None = None
    status: str = "LEARNING_SETTING_CHANGE"  # learning only
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r} (one of {', '.join(EVENT_KINDS)})")
        if self.last is not None and self.last < self.first:
            raise ValueError("an event must not end before it starts")
        if not math.isfinite(self.factor) or self.factor < 0:
            raise ValueError("an event's factor must be a finite number >= 0")
        if self.kind == "learning" and self.status not in LEARNING_STATUSES:
            raise ValueError(f"learning status must be one of {', '.join(LEARNING_STATUSES)}")

    def covers(self, day: date, campaign_id: str | None) -> bool:
        if day < self.first or (self.last is not None and day > self.last):
            return False
        return self.campaigns is None or campaign_id in self.campaigns

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "first": self.first.isoformat(),
                "last": self.last.isoformat() if self.last else None, "factor": self.factor,
                "campaigns": list(self.campaigns) if self.campaigns is not None else None,
                "status": self.status, "note": self.note}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Event:
        campaigns = data.get("campaigns")
        return cls(kind=str(data["kind"]), first=date.fromisoformat(data["first"]),
                   last=date.fromisoformat(data["last"]) if data.get("last") else None,
                   factor=float(data.get("factor", 1.0)),
                   campaigns=tuple(str(c) for c in campaigns) if campaigns is not None else None,
                   status=str(data.get("status") or "LEARNING_SETTING_CHANGE"), note=str(data.get("note", "")))


@dataclass
class AccountModel:
    """The day model of one account: knobs, anchor and events, with the shared (account-wide) parts."""

    account_id: str
    sim: Simulation
    anchor: date
    events: list[Event] = field(default_factory=list)

    @classmethod
    def load(cls, ents: Entities) -> AccountModel:
        account = get_account(ents.conn, ents.platform, ents.account_id)
        data = account.data if account else {}
        anchor = date.fromisoformat(data["anchor"]) if data.get("anchor") else date(2000, 1, 1)
        return cls(ents.account_id, Simulation.from_data(data.get("simulation")), anchor,
                   [Event.from_data(e) for e in data.get("events", ())])

    def entity_key(self, kind: str, entity_id: str) -> str:
        return f"{self.account_id}:{kind}:{entity_id}"

    def volume(self, kind: str, entity_id: str, campaign_id: str | None, days: Sequence[date]) -> dict[date, float]:
        """The expected-volume factor of each day (level × this = the day's expected volume)."""
        market = log_walk(self.sim.seed, self.account_id, self.sim.drift_sd, self.anchor, days)
        own = log_walk(self.sim.seed, self.entity_key(kind, entity_id), self.sim.entity_drift_sd, self.anchor, days)
        out = {}
        for day in days:
            factor = self.sim.weekday_factor(day) * math.exp(market[day] + own[day]) * shock(self.sim,
                                                                                           self.account_id, day)
            for event in self.events:
                if event.kind == "shift" and event.covers(day, campaign_id):
                    factor *= event.factor
            out[day] = factor
        return out

    def conversion_rate(self, day: date, campaign_id: str | None) -> float:
        factor = 1.0
        for event in self.events:
            if event.kind in ("conversion_shift", "tracking_outage") and event.covers(day, campaign_id):
                factor *= event.factor
        return factor

    def learning(self, day: date, campaign_id: str | None) -> Event | None:
        found = [e for e in self.events if e.kind == "learning" and e.covers(day, campaign_id)]
        return found[-1] if found else None


def set_model(ents: Entities, *, simulation: dict[str, Any] | None = None, anchor: date | None = None) -> None:
    """Store the knobs and the anchor on the account row (seeding)."""
    account = get_account(ents.conn, ents.platform, ents.account_id)
    if account is None:
        raise KeyError(f"no {ents.platform} account {ents.account_id}")
    data = dict(account.data)
    if simulation is not None:
        data["simulation"] = simulation
    if anchor is not None:
        data["anchor"] = anchor.isoformat()
    put_account(ents.conn, Account(account.platform, account.account_id, account.organization_id, data))


def add_event(ents: Entities, event: Event) -> None:
    account = get_account(ents.conn, ents.platform, ents.account_id)
    if account is None:
        raise KeyError(f"no {ents.platform} account {ents.account_id}")
    data = {**account.data, "events": [*account.data.get("events", ()), event.to_data()]}
    put_account(ents.conn, Account(account.platform, account.account_id, account.organization_id, data))


def start_learning(ents: Entities, campaign_id: str, today: date,
                   status: str = "LEARNING_SETTING_CHANGE") -> Event:
    """A bid-strategy change: the campaign learns from today for the account's `learning_days`."""
    model = AccountModel.load(ents)
    event = Event(kind="learning", first=today, last=today + timedelta(days=max(1, model.sim.learning_days) - 1),
                  campaigns=(campaign_id,), status=status, note="bidding strategy changed")
    add_event(ents, event)
    return event
