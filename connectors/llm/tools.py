"""Tool definitions generated from the pydantic action models, so the model and the validator share one
source of truth: a schema change in `schemas/actions.py` changes what Claude is offered, automatically.

One tool per action type (`propose_<type>`), whose input is the model's `target` and `params`; the type
comes from the tool name. Plus `decline_opportunity`, so "I cannot plan this" is a structured answer.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from schemas.actions import ACTION_MODELS
from schemas.common import Platform

TOOL_PREFIX = "propose_"
DECLINE_TOOL_NAME = "decline_opportunity"

# What each type does, in words the model can act on (facts from spec §2, not instructions to obey).
_DESCRIPTIONS: dict[str, str] = {
    "pause_campaign": "Pause one Google Ads campaign.",
    "adjust_campaign_budget": "Set a Google Ads campaign's daily budget: give exactly one of new_daily_budget "
                              "(decimal string, account currency) or change_pct.",
    "add_negative_keywords": "Add up to 50 negative keywords to a Google Ads campaign.",
    "adjust_keyword_bid": "Set one keyword's max CPC bid: exactly one of new_cpc_bid or change_pct.",
    "change_bid_strategy": "Change a Google Ads campaign's bidding strategy (always needs a person's approval).",
    "create_subject_line_test": "Create an ActiveCampaign subject-line split test (2-5 distinct variants) on a "
                                "draft or scheduled campaign.",
    "adjust_send_time": "Reschedule an ActiveCampaign campaign (send_at with a time zone).",
    "trigger_automation": "Enrol contacts (ids or emails, not both) into an ActiveCampaign automation.",
    "pause_email_campaign": "Pause a sending ActiveCampaign campaign.",
    "generate_content_brief": "Produce a content brief for a topic or a page url (keyword, audience, notes).",
    "suggest_internal_links": "Record internal-link suggestions (from_url, to_url, anchor) for a page.",
    "flag_content_refresh": "Flag a page for a content refresh, with the reason.",
}

DECLINE_TOOL: dict[str, Any] = {
    "name": DECLINE_TOOL_NAME,
    "description": "Use when no single action from the other tools fits the opportunity, or when it would need "
                   "an account that is not listed as connected.",
    "input_schema": {
        "type": "object",
        "properties": {"reason": {"type": "string", "maxLength": 500}},
        "required": ["reason"],
        "additionalProperties": False,
    },
}


@cache
def _tool_for(action_type: str) -> dict[str, Any]:
    model = ACTION_MODELS[action_type]
    schema = copy.deepcopy(model.model_json_schema())
    schema["properties"].pop("type", None)
    schema.pop("title", None)
    schema.pop("description", None)
    schema["additionalProperties"] = False
    return {
        "name": TOOL_PREFIX + action_type,
        "description": f"{_DESCRIPTIONS[action_type]} Platform: {model.platform.value}.",
        "input_schema": schema,
    }


def action_tools(platforms: frozenset[Platform]) -> list[dict[str, Any]]:
    """Tools for every action type on the given platforms (deep copies: callers may not mutate ours)."""
    return [copy.deepcopy(_tool_for(t)) for t, model in ACTION_MODELS.items() if model.platform in platforms]


def action_type_of(tool_name: str) -> str | None:
    """The action type a tool name stands for, or None for anything else."""
    if tool_name.startswith(TOOL_PREFIX) and tool_name[len(TOOL_PREFIX):] in ACTION_MODELS:
        return tool_name[len(TOOL_PREFIX):]
    return None
