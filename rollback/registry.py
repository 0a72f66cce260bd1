"""The action registry: the one place that maps an action type to the spec that knows it.

Everything per-type (snapshot parts, validation, facts, operations, inverse) is asked of
`spec_for(action)`; nothing else branches on the type string.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from guardrails.limits import Limits
from rollback.spec import ActionSpec
from rollback.specs.activecampaign import activecampaign_specs
from rollback.specs.content import CONTENT_SPECS
from rollback.specs.google_ads import GOOGLE_ADS_SPECS
from schemas.actions import Action

# A send time this close to now races the platform's sending engine (the default limit; policies
# may only raise it, which the guardrails judge).
SEND_TIME_MARGIN = timedelta(minutes=int(Limits().send_time_margin_minutes))

ALL_SPECS: tuple[ActionSpec, ...] = (*GOOGLE_ADS_SPECS, *activecampaign_specs(SEND_TIME_MARGIN), *CONTENT_SPECS)

SPECS: Mapping[str, ActionSpec] = MappingProxyType({spec.action_type: spec for spec in ALL_SPECS})
if len(SPECS) != len(ALL_SPECS):  # two specs for one type would make dispatch depend on order
    raise RuntimeError("action registry: more than one spec for an action type")


class UnknownActionTypeError(KeyError):
    """No spec for this type: the action cannot be planned (a REJECTED_INPUT, not a crash)."""


def spec_for(action_or_type: Action | str) -> ActionSpec:
    action_type = action_or_type if isinstance(action_or_type, str) else action_or_type.type
    try:
        return SPECS[action_type]
    except KeyError:
        raise UnknownActionTypeError(f"no action spec for type {action_type!r}") from None
