"""Organizations as managed data on every backend (SQLite and Firestore): import with who and when, refuse
loosened ceilings and accounts connected to two organizations, show the limits in force."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from operator_ai.orgs import OrgImportError, import_orgs, limits_in_force, read_org_file
from tests.ports.builders import NOW, org_id


def _customer() -> str:
    return str(random.randint(10**9, 10**10 - 1))  # fresh per test: a backend may share one store across tests


def _org(org: str, customer: str, **extra: object) -> dict[str, object]:
    return {"organization_id": org, "name": "Acme", "autonomy": "autonomous", "rollout_phase": "safe",
            "limits": {"budget_increase_block_pct": "30"},
            "connected": {"google_ads_customer_ids": [customer],
                          "activecampaign": [{"account_id": f"mail-{customer}", "base_url": "https://a.example",
                                              "token_ref": "sm:ac-token"}]},
            **extra}


def _file(tmp_path: Path, *orgs: dict[str, object], name: str = "orgs.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"organizations": list(orgs)}), encoding="utf-8")
    return path


def test_import_records_who_and_when_and_an_unchanged_import_writes_nothing(stores, tmp_path: Path) -> None:
    org, customer = org_id(), _customer()
    policies = read_org_file(_file(tmp_path, _org(org, customer)))
    first = import_orgs(stores.state, policies, by="alice@acme.example", now=NOW)
    assert [(r.organization_id, r.change) for r in first] == [(org, "created")]
    assert stores.state.get_org(org).connected.google_ads_customer_ids == (customer,)

    again = import_orgs(stores.state, policies, by="bob@acme.example", now=NOW + timedelta(hours=1))
    assert [r.change for r in again] == ["unchanged"]

    changed = read_org_file(_file(tmp_path, _org(org, customer, autonomy="supervised"), name="v2.yaml"))
    later = NOW + timedelta(hours=2)
    updated = import_orgs(stores.state, changed, by="carol@acme.example", now=later)
    assert [(r.change, r.fields) for r in updated] == [("updated", ("autonomy",))]
    history = stores.state.org_changes(org)
    assert [(c.change, c.changed_by, c.changed_at, c.fields) for c in history] == [
        ("created", "alice@acme.example", NOW, ()),
        ("updated", "carol@acme.example", later, ("autonomy",)),
    ]
    assert stores.state.get_org(org).autonomy.value == "supervised"


def test_an_account_already_connected_to_another_org_refuses_the_whole_import(stores, tmp_path: Path) -> None:
    owner, newcomer, other, customer = org_id(), org_id(), org_id(), _customer()
    import_orgs(stores.state, read_org_file(_file(tmp_path, _org(owner, customer))), by="alice", now=NOW)
    taking = read_org_file(_file(tmp_path, _org(other, _customer()), _org(newcomer, customer), name="b.yaml"))
    with pytest.raises(OrgImportError, match=f"Google Ads customer {customer} is connected to"):
        import_orgs(stores.state, taking, by="mallory", now=NOW)
    assert stores.state.get_org(newcomer) is None and stores.state.get_org(other) is None  # all or nothing
    assert stores.state.org_changes(newcomer) == []


def test_a_loosened_ceiling_never_reaches_the_store(stores, tmp_path: Path) -> None:
    org = org_id()
    loose = _org(org, _customer(), limits={"budget_increase_block_pct": "60", "cooldown_hours": "1"})
    with pytest.raises(OrgImportError) as refused:
        read_org_file(_file(tmp_path, loose))
    message = str(refused.value)
    assert "budget_increase_block_pct" in message and "60" in message and "cooldown_hours" in message
    assert stores.state.get_org(org) is None


def test_limits_in_force_name_what_the_org_tightened(stores, tmp_path: Path) -> None:
    org = org_id()
    import_orgs(stores.state, read_org_file(_file(tmp_path, _org(org, _customer()))), by="alice", now=NOW)
    rows = {r["limit"]: r for r in limits_in_force(stores.state.get_org(org))}
    assert rows["budget_increase_block_pct"]["in_force"] == Decimal(30)
    assert rows["budget_increase_block_pct"]["default"] == Decimal(50)
    assert [name for name, r in rows.items() if r["tightened"]] == ["budget_increase_block_pct"]


def test_the_last_notification_per_org_is_remembered(stores) -> None:
    org = org_id()
    assert stores.state.last_notification(org) is None
    stores.state.put_last_notification(org, "digest-1", NOW)
    stores.state.put_last_notification(org, "digest-2", NOW + timedelta(minutes=15))
    assert stores.state.last_notification(org) == "digest-2"
