"""Claude as a writer against the Messages-API fake: briefs (links kept only to known pages), subject lines
(checked before use), the `explain` narrative, and template fallbacks when the model fails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from llm_fake_server import FakeMessagesApi, error, message, text, tool_use

from connectors.content import ContentPlatform
from connectors.llm import (
    ClaudeContentWriter,
    ClaudeSubjectLineWriter,
    LlmClient,
    SubjectLineError,
    check_subject_line,
    narrate,
    template_narrative,
)
from connectors.llm.writers import BRIEF_SYSTEM
from connectors.local.store import LocalStore
from schemas.common import Outcome, Platform
from schemas.operations import ApplyOutcome, OpBatch, StoreArtifact
from schemas.verdict import RuleResult, Verdict

URL = "https://acme.example/blog/email-deliverability"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

DRAFT = {
    "title": "Email deliverability: a field guide for SaaS marketers",
    "audience": "Marketing managers at B2B SaaS companies",
    "goal": "Win the featured snippet for 'email deliverability' and move readers to the DMARC guide.",
    "primary_keyword": "Email Deliverability",
    "secondary_keywords": ["inbox placement", "sender reputation"],
    "outline": [{"heading": "What deliverability is", "points": ["Inbox vs. delivered"]},
                {"heading": "Authentication", "points": ["SPF", "DKIM", "DMARC"]},
                {"heading": "Warm-up and volume", "points": []},
                {"heading": "Monitoring", "points": ["Seed tests", "Postmaster tools"]}],
    "internal_links": [{"url": "https://acme.example/guides/dmarc", "anchor": "DMARC setup guide"},
                       {"url": "https://acme.example/pricing", "anchor": "pricing"},
                       {"url": "https://rival.example/deliverability", "anchor": "a rival's guide"}],
}
INPUTS = {"url": URL, "keyword": "email deliverability", "audience": "SaaS marketers",
          "link_candidates": ["https://acme.example/guides/dmarc"]}


@pytest.fixture
def writer(client: LlmClient) -> ClaudeContentWriter:
    return ClaudeContentWriter(client)


def test_claude_brief_is_rendered_through_the_template(fake: FakeMessagesApi, writer: ClaudeContentWriter) -> None:
    fake.push(message([tool_use("submit_brief", DRAFT)]))
    title, body, data = writer.write("content_brief", URL, INPUTS)
    assert title == DRAFT["title"] and data["writer"] == "claude (claude-test)"
    assert data["primary_keyword"] == "email deliverability"
    assert [link["url"] for link in data["internal_links"]] == ["https://acme.example/guides/dmarc",
                                                                "https://acme.example/pricing"]
    assert "rival.example" not in body
    assert "## Outline" in body and "2. **Authentication**" in body and "   - DKIM" in body
    body_sent = fake.requests[0]["body"]
    assert body_sent["system"] == BRIEF_SYSTEM
    assert body_sent["tool_choice"] == {"type": "tool", "name": "submit_brief"}
    assert "https://acme.example/guides/dmarc" in body_sent["messages"][0]["content"]


@pytest.mark.parametrize(("replies", "why"), [
    ([message([tool_use("submit_brief", {**DRAFT, "outline": DRAFT["outline"][:1]})])], "malformed brief"),
    ([message([text("No.")], "refusal")], "refused"),
    ([message([text("Here is a brief: ...")], "end_turn")], "expected one submit_brief call, got 0"),
    ([error(529, "overloaded_error")] * 3, "overloaded"),
])
def test_a_failed_brief_falls_back_to_the_template(fake: FakeMessagesApi, writer: ClaudeContentWriter,
                                                   replies: list, why: str) -> None:  # type: ignore[type-arg]
    fake.push(*replies)
    title, body, data = writer.write("content_brief", URL, INPUTS)
    assert data["writer"] == "template" and why in data["fallback_reason"]
    assert title == "Content brief: email deliverability" and "## Outline" in body


def test_links_and_refresh_need_no_model(fake: FakeMessagesApi, writer: ClaudeContentWriter) -> None:
    links = [{"from_url": URL, "to_url": "https://acme.example/guides/dmarc", "anchor": "DMARC"}]
    assert writer.write("internal_links", URL, {"links": links})[2]["count"] == 1
    assert writer.write("refresh_flag", URL, {"reason": "old prices"})[2]["reason"] == "old prices"
    assert fake.requests == []


def test_content_platform_on_the_sqlite_store_asks_the_model_once(fake: FakeMessagesApi, writer: ClaudeContentWriter,
                                                                  tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path / "operator.sqlite")
    try:
        platform = ContentPlatform(store, writer, mode="SANDBOX", clock=lambda: NOW)
        fake.push(message([tool_use("submit_brief", DRAFT)]))
        op = StoreArtifact(artifact_id="art-1", kind="content_brief", key=URL, title=f"Content brief: {URL}",
                           body="", data=INPUTS)
        batch = OpBatch(key="act-1", organization_id="org-acme", platform=Platform.CONTENT, account_id="content",
                        ops=(op,))
        first, second = platform.apply("content", [batch])[0], platform.apply("content", [batch])[0]
        assert first.outcome == second.outcome == ApplyOutcome.APPLIED
        artifact = store.get_artifact("art-1")
        assert artifact is not None and artifact.data["writer"] == "claude (claude-test)"
        assert "Authentication" in artifact.body and len(fake.requests) == 1
    finally:
        store.close()


def test_claude_subject_lines_are_checked_before_use(fake: FakeMessagesApi, client: LlmClient) -> None:
    proposed = ["FREE MONEY INSIDE", "See https://acme.example", "Hello {first_name}", "Your November update",
                "Three changes worth knowing this month", "What our customers asked for, shipped",
                "three changes worth knowing this month"]
    fake.push(message([tool_use("submit_subject_lines", {"variants": proposed})]))
    subject_writer = ClaudeSubjectLineWriter(client)
    variants = subject_writer.variants("Your November update", "Product news for November.", 3)
    assert variants == ["Your November update", "Three changes worth knowing this month",
                        "What our customers asked for, shipped"]
    assert all(check_subject_line(v) is None for v in variants) and subject_writer.last_source == "claude"
    assert fake.requests[0]["body"]["tool_choice"] == {"type": "tool", "name": "submit_subject_lines"}


def test_too_few_usable_subject_lines_is_an_error(fake: FakeMessagesApi, client: LlmClient) -> None:
    fake.push(message([tool_use("submit_subject_lines", {"variants": ["BUY NOW!!!", "Re: your order"]})]))
    with pytest.raises(SubjectLineError, match="fewer than 2") as caught:
        ClaudeSubjectLineWriter(client).variants(None, "Spring sale announcement.", 2)
    assert set(caught.value.rejected) == {"BUY NOW!!!", "Re: your order"}


def test_unreachable_model_falls_back_to_template_subject_lines(fake: FakeMessagesApi, client: LlmClient) -> None:
    fake.push(*[error(529, "overloaded_error")] * 3)
    subject_writer = ClaudeSubjectLineWriter(client)
    variants = subject_writer.variants("Your November update", "", 2)
    assert variants == ["Your November update", "Inside: Your November update"]
    assert subject_writer.last_source.startswith("template (language model unavailable: overloaded")


BLOCKED = Verdict.from_rules([
    RuleResult(rule_id="daily_spend_cap", outcome=Outcome.BLOCK, message="new daily budget 50000 exceeds the cap 5000"),
    RuleResult(rule_id="confidence", outcome=Outcome.ALLOW, message="ok"),
]).model_dump(mode="json")


def test_narrative_from_claude_keeps_the_verdicts_outcome_first(fake: FakeMessagesApi, client: LlmClient) -> None:
    fake.push(message([text("Looks fine to go ahead!")], "end_turn"))
    narrative = narrate(BLOCKED, client)
    assert narrative == "Blocked. Looks fine to go ahead!"  # wording cannot flip the decision
    sent = fake.requests[0]["body"]
    assert "daily_spend_cap" in sent["messages"][0]["content"] and "tools" not in sent


@pytest.mark.parametrize("reply", [error(529, "overloaded_error"), message([text("")], "end_turn"),
                                   message([text("No.")], "refusal")])
def test_narrative_falls_back_to_the_template(fake: FakeMessagesApi, client: LlmClient, reply: object) -> None:
    fake.push(*[reply] * 3)  # type: ignore[list-item]
    assert narrate(BLOCKED, client) == template_narrative(BLOCKED)


def test_narrative_without_a_client_makes_no_call(fake: FakeMessagesApi) -> None:
    assert narrate(BLOCKED).startswith("The Operator will not take this action, because daily_spend_cap")
    assert fake.requests == []
