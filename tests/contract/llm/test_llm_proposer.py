"""ClaudeActionProposer against the Messages-API fake: what the model is given, and every way its answer
can be wrong (malformed input, refusals, text only, several tool calls, unconnected accounts)."""

from __future__ import annotations

import json

import pytest
from llm_fake_server import FakeMessagesApi, error, message, text, tool_use
from llm_inputs import CUSTOMER, opportunity, policy

from connectors.llm import ClaudeActionProposer, LlmClient, LlmUnavailable, ProposalRejected
from connectors.llm.proposer import SYSTEM_PROMPT
from schemas.actions import ACTION_MODELS, parse_action
from schemas.common import Platform

PAUSE = {"target": {"customer_id": CUSTOMER, "campaign_id": "111"}, "params": {}}


@pytest.fixture
def proposer(client: LlmClient) -> ClaudeActionProposer:
    return ClaudeActionProposer(client)


def test_a_tool_call_becomes_a_raw_action(fake: FakeMessagesApi, proposer: ClaudeActionProposer) -> None:
    fake.push(message([text("Pausing it."), tool_use("propose_pause_campaign", PAUSE)]))
    proposal = proposer.propose(opportunity(), policy())
    assert proposal == {"type": "pause_campaign", **PAUSE}
    assert parse_action(proposal).type == "pause_campaign"
    assert proposer.last_reason is None


def test_the_request_offers_schema_tools_and_only_what_is_needed(fake: FakeMessagesApi,
                                                                 proposer: ClaudeActionProposer) -> None:
    fake.push(message([tool_use("propose_pause_campaign", PAUSE)]))
    proposer.propose(opportunity(), policy())
    body = fake.requests[0]["body"]
    assert body["system"] == SYSTEM_PROMPT
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    tools = {tool["name"]: tool for tool in body["tools"]}
    assert set(tools) == {f"propose_{t}" for t in ACTION_MODELS} | {"decline_opportunity"}
    budget_schema = tools["propose_adjust_campaign_budget"]["input_schema"]
    expected = ACTION_MODELS["adjust_campaign_budget"].model_json_schema()
    assert budget_schema["$defs"] == json.loads(json.dumps(expected["$defs"]))
    assert set(budget_schema["properties"]) == {"target", "params"} and budget_schema["additionalProperties"] is False
    [turn] = body["messages"]
    prompt = turn["content"]
    assert "Generic Widgets campaign is wasting spend" in prompt and '"612.40"' in prompt
    for secret_or_foreign in ("ACME_AC_TOKEN", "google-ads", "9999999999", "api-us1", "opp-free-1", "sam@acme"):
        assert secret_or_foreign not in json.dumps(body)


def test_tools_follow_the_connected_platforms(fake: FakeMessagesApi, proposer: ClaudeActionProposer) -> None:
    fake.push(message([tool_use("propose_pause_campaign", PAUSE)]))
    proposer.propose(opportunity(), policy(activecampaign=()))
    names = {tool["name"] for tool in fake.requests[0]["body"]["tools"]}
    assert "propose_pause_email_campaign" not in names and "propose_pause_campaign" in names
    assert "propose_generate_content_brief" in names


def test_the_opportunitys_platform_narrows_the_tools(fake: FakeMessagesApi, proposer: ClaudeActionProposer) -> None:
    fake.push(message([tool_use("propose_flag_content_refresh",
                                {"target": {"url": "https://acme.example/p"}, "params": {"reason": "old"}})]))
    proposer.propose(opportunity(platform="content"), policy())
    names = {tool["name"] for tool in fake.requests[0]["body"]["tools"]}
    assert names == {"propose_generate_content_brief", "propose_suggest_internal_links",
                     "propose_flag_content_refresh", "decline_opportunity"}


def test_no_connected_account_for_the_platform_asks_nothing(fake: FakeMessagesApi,
                                                            proposer: ClaudeActionProposer) -> None:
    with pytest.raises(ProposalRejected, match="no connected account for platform activecampaign"):
        proposer.propose(opportunity(platform=Platform.ACTIVECAMPAIGN.value), policy(activecampaign=()))
    assert fake.requests == []


@pytest.mark.parametrize(("reply", "reason"), [
    (message([tool_use("propose_pause_campaign", {"target": {"customer_id": "12", "campaign_id": "111"}})]),
     "invalid pause_campaign proposal: target.customer_id: String should match pattern"),
    (message([tool_use("propose_adjust_campaign_budget",
                       {"target": PAUSE["target"], "params": {"new_daily_budget": "NaN"}})]),
     "invalid adjust_campaign_budget proposal: params.new_daily_budget: Input should be a finite number"),
    (message([tool_use("propose_adjust_campaign_budget",
                       {"target": PAUSE["target"], "params": {"new_daily_budget": "10", "change_pct": 5}})]),
     "give exactly one of new_daily_budget or change_pct"),
    (message([tool_use("propose_pause_campaign", "pause it please")]), "the tool input is not an object"),
    (message([tool_use("propose_pause_campaign", {**PAUSE, "approved": True})]), "unexpected fields ['approved']"),
    (message([tool_use("propose_pause_campaign", {**PAUSE, "type": "adjust_campaign_budget"})]),
     "type does not match the tool"),
    (message([tool_use("execute_now", PAUSE)]), "a tool it was not offered: 'execute_now'"),
    (message([tool_use("propose_pause_campaign", PAUSE), tool_use("propose_pause_campaign", PAUSE, "toolu_2")]),
     "ambiguous: the model proposed 2 actions"),
    (message([text("I can't help with that.")], "refusal",
             stop_details={"type": "refusal", "category": None, "explanation": "Policy."}),
     "the model refused to plan it: Policy."),
    (message([text("Not sure this needs an action.")], "end_turn"),
     "the model proposed no action: Not sure this needs an action."),
    (message([tool_use("propose_pause_campaign", {"target": {"customer_id": CUSTOMER}})], "max_tokens"),
     "cut off"),
    (message([tool_use("decline_opportunity", {"reason": "The evidence names no campaign."})]),
     "the model declined: The evidence names no campaign."),
    (message([tool_use("propose_pause_campaign", {"target": {"customer_id": "5555555555", "campaign_id": "1"}})]),
     "proposed account 5555555555 is not connected"),
    (message([tool_use("propose_flag_content_refresh",
                       {"target": {"url": "https://rival.example/p"}, "params": {"reason": "old"}})]),
     "'rival.example' is not one of the organization's sites"),
])
def test_bad_answers_are_rejected_with_a_reason(fake: FakeMessagesApi, proposer: ClaudeActionProposer,
                                                reply: object, reason: str) -> None:
    fake.push(reply)  # type: ignore[arg-type]
    with pytest.raises(ProposalRejected) as caught:
        proposer.propose(opportunity(), policy())
    assert reason in caught.value.reason
    assert proposer.last_reason == caught.value.reason


def test_an_overloaded_model_is_unavailable_not_a_rejection(fake: FakeMessagesApi,
                                                            proposer: ClaudeActionProposer) -> None:
    fake.push(*[error(529, "overloaded_error")] * 3)
    with pytest.raises(LlmUnavailable, match="overloaded"):
        proposer.propose(opportunity(), policy())
    assert len(fake.requests) == 3


def test_a_rate_limit_then_success(fake: FakeMessagesApi, proposer: ClaudeActionProposer) -> None:
    fake.push(error(429, "rate_limit_error"), message([tool_use("propose_pause_campaign", PAUSE)]))
    assert proposer.propose(opportunity(), policy())["type"] == "pause_campaign"  # type: ignore[index]


def test_evidence_is_bounded(fake: FakeMessagesApi, proposer: ClaudeActionProposer) -> None:
    fake.push(message([tool_use("propose_pause_campaign", PAUSE)]))
    big = {"customer_id": CUSTOMER, "rows": ["x" * 100] * 200, "campaign_id": "111"}
    proposer.propose(opportunity(evidence=big), policy())
    prompt = fake.requests[0]["body"]["messages"][0]["content"]
    assert '"campaign_id": "111"' in prompt and "xxxxx" not in prompt and len(prompt) < 12000
