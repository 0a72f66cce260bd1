"""Changes made to platform entities outside the Operator (a person in the UI, a script, a rule).

Connectors report them with a snapshot that asks for `SnapshotPart.CHANGES` (Google Ads: `change_event`).
`entity_key` is the key the action specs use (`google_ads:<customer>:campaign:<id>`, `...:keyword:<ag>~<crit>`),
so the guardrails can match a change to the entity an action touches: a recent outside change restarts that
entity's cooldown.
"""

from __future__ import annotations

from schemas.common import FrozenModel, Platform, ZonedDatetime


class OutsideChange(FrozenModel):
    platform: Platform
    account_id: str
    entity_key: str
    resource_type: str  # the platform's name, e.g. CAMPAIGN, CAMPAIGN_BUDGET, AD_GROUP_CRITERION
    resource_name: str
    changed_at: ZonedDatetime
    client_type: str  # how it was made, e.g. GOOGLE_ADS_WEB_CLIENT, GOOGLE_ADS_SCRIPTS
    actor: str  # who: the user's email when the platform reports one, else the client type
    operation: str = "UPDATE"  # CREATE / UPDATE / REMOVE
    changed_fields: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """budget | bidding | status | keywords | other (the measurement's EntityChange kinds)."""
        fields = " ".join(self.changed_fields)
        if self.resource_type == "CAMPAIGN_BUDGET" or "amount_micros" in fields:
            return "budget"
        if self.resource_type in ("CAMPAIGN_CRITERION", "AD_GROUP_CRITERION"):
            return "bidding" if "cpc_bid" in fields else "keywords"
        if "status" in fields:
            return "status"
        if any(name in fields for name in ("bidding", "manual_cpc", "maximize_", "target_")):
            return "bidding"
        return "other"
