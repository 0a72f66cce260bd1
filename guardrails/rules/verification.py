"""Unverified platform calls are not made live until the organization has checked and enabled them.

Every platform operation carries a verification status (`schemas/verification.py`): documented path and
body, documented operation with a guessed path, or undocumented. In live mode an action whose forward or
inverse operations need a call that is not documented, and that the org has not enabled
(`OrgPolicy.enabled_unverified_operations`, recorded with who checked it and how), is planned and explained
but not executed: a block of the dry-run kind, which no approval satisfies. The sandbox is unaffected.
"""

from __future__ import annotations

from guardrails.context import GuardrailContext
from guardrails.rules._common import allow, block
from schemas.verdict import RuleResult
from schemas.verification import unverified_calls

RULE_ID = "verified_operations"


def verified_operations(ctx: GuardrailContext) -> RuleResult:
    enabled = {entry.call for entry in ctx.policy.enabled_unverified_operations}
    missing = unverified_calls(ctx.operations, enabled)
    observed = {"live": ctx.live, "operations": list(ctx.operations),
                "unverified_calls": [{"call": c.key, "method": c.method, "path": c.path, "status": c.status.value,
                                      "source": c.source} for c in missing],
                "enabled": sorted(enabled)}
    if not ctx.live:
        return allow(RULE_ID, "not a live platform: unverified calls are only a concern with real accounts", observed)
    if not missing:
        return allow(RULE_ID, "every platform call this action needs is documented or enabled for the org", observed)
    shown = "; ".join(f"{c.method} {c.path} ({c.status.value.replace('_', ' ')})" for c in missing)
    keys = ", ".join(c.key for c in missing)
    return block(RULE_ID, f"needs platform calls that are not verified: {shown}. Planned, not executed: check them "
                          f"against the account (operator verify {ctx.platform.value} --org "
                          f"{ctx.policy.organization_id}) and enable them in the org's "
                          f"enabled_unverified_operations ({keys})", observed)
