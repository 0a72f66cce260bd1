"""Golden tests for the deterministic writers: briefs, link lists, refresh flags, subject lines and the
`operator explain` narrative. Regenerate on purpose with UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors.llm import TemplateContentWriter, TemplateSubjectLineWriter, template_narrative
from schemas.common import Outcome
from schemas.verdict import RuleResult, Verdict

GOLDEN = Path(__file__).parent / "golden"
URL = "https://acme.example/blog/email-deliverability-tips"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {name} (run with UPDATE_GOLDEN=1 once, then review it)"
    assert actual == path.read_text(encoding="utf-8")


@pytest.fixture
def writer() -> TemplateContentWriter:
    return TemplateContentWriter()


def test_brief_for_a_page(writer: TemplateContentWriter) -> None:
    inputs = {"url": URL, "keyword": "Email deliverability", "audience": "Marketing managers at SaaS companies",
              "notes": "Our page ranks 14th; competitors cover DMARC and warm-up.",
              "link_candidates": ["https://acme.example/blog/dmarc-setup",
                                  {"url": "https://acme.example/guides/ip-warmup", "anchor": "IP warm-up guide"},
                                  "javascript:alert(1)"]}
    title, body, data = writer.write("content_brief", URL, inputs)
    assert title == "Content brief: Email deliverability"
    assert data["primary_keyword"] == "email deliverability" and data["writer"] == "template"
    assert data["internal_links"] == [{"url": "https://acme.example/blog/dmarc-setup", "anchor": "dmarc setup"},
                                      {"url": "https://acme.example/guides/ip-warmup", "anchor": "IP warm-up guide"}]
    assert data["outline"][0]["heading"] == "Email deliverability in plain words"
    check_golden("brief_page.md", body)


def test_brief_for_a_topic_with_nothing_else(writer: TemplateContentWriter) -> None:
    title, body, data = writer.write("content_brief", "Cold email subject lines", {"topic": "Cold email subject lines"})
    assert title == "Content brief: Cold email subject lines" and data["page"] == "new page"
    assert "No internal link candidates" in body
    check_golden("brief_topic.md", body)


def test_brief_keyword_comes_from_the_url_slug_when_missing(writer: TemplateContentWriter) -> None:
    _, _, data = writer.write("content_brief", URL, {"url": URL})
    assert data["primary_keyword"] == "email deliverability tips"


def test_hostile_text_cannot_break_the_brief_structure(writer: TemplateContentWriter) -> None:
    inputs = {"keyword": "x\n# Injected heading\n| cell |", "audience": "a | b\n\n## Fake section"}
    _, body, _ = writer.write("content_brief", "topic", inputs)
    headings = [line for line in body.splitlines() if line.startswith("#")]
    assert headings == ["# Content brief: x # Injected heading | cell |", "## Goal", "## Keywords", "## Outline",
                        "## Internal links", "## Before publishing"]
    assert "| Audience | a \\| b ## Fake section |" in body


def test_internal_links(writer: TemplateContentWriter) -> None:
    links = [{"from_url": URL, "to_url": "https://acme.example/blog/dmarc-setup", "anchor": "set up DMARC"},
             {"from_url": URL, "to_url": "https://acme.example/pricing", "anchor": "plans | pricing"}]
    title, body, data = writer.write("internal_links", URL, {"url": URL, "links": links})
    assert title == f"Internal link suggestions: {URL}" and data["count"] == 2
    check_golden("internal_links.md", body)


def test_internal_links_need_links(writer: TemplateContentWriter) -> None:
    with pytest.raises(ValueError, match="at least one"):
        writer.write("internal_links", URL, {"links": []})


def test_refresh_flag(writer: TemplateContentWriter) -> None:
    title, body, data = writer.write("refresh_flag", URL, {"reason": "Pricing section still shows 2024 plans."})
    assert title == f"Refresh: {URL}" and data == {"url": URL, "reason": "Pricing section still shows 2024 plans.",
                                                   "writer": "template"}
    check_golden("refresh_flag.md", body)
    with pytest.raises(ValueError, match="reason"):
        writer.write("refresh_flag", URL, {"reason": "  "})


def test_unknown_kind(writer: TemplateContentWriter) -> None:
    with pytest.raises(ValueError, match="unknown content artifact kind"):
        writer.write("press_release", URL, {})


def test_templates_are_deterministic(writer: TemplateContentWriter) -> None:
    inputs = {"keyword": "lead scoring", "audience": "Sales ops"}
    assert writer.write("content_brief", "lead scoring", inputs) == writer.write("content_brief", "lead scoring", inputs)


def test_subject_lines() -> None:
    subject_writer = TemplateSubjectLineWriter()
    lines = [
        *subject_writer.variants("Your November product update", "", 5),
        *subject_writer.variants(None, "Five ways to cut churn this quarter. Includes a checklist.", 3),
    ]
    check_golden("subject_lines.txt", "\n".join(lines) + "\n")


def _verdict(*rules: tuple[str, Outcome, str], approved_by: str | None = None) -> dict[str, object]:
    results = [RuleResult(rule_id=rid, outcome=outcome, message=msg) for rid, outcome, msg in rules]
    results.append(RuleResult(rule_id="cooldown", outcome=Outcome.ALLOW, message="n/a", applies=False))
    return Verdict.from_rules(results, approved_by=approved_by).model_dump(mode="json")


def test_narratives() -> None:
    ok = ("confidence", Outcome.ALLOW, "confidence 0.92 is at least 0.85")
    budget = ("budget_increase_pct", Outcome.NEEDS_APPROVAL, "budget +30.00% is above the 20% approval threshold")
    cap = ("daily_spend_cap", Outcome.BLOCK, "new daily budget 50000 exceeds the per-campaign cap 5000.")
    texts = [
        template_narrative(_verdict(ok)),
        template_narrative(_verdict(ok, budget)),
        template_narrative(_verdict(ok, budget, approved_by="sam@acme.example")),
        template_narrative(_verdict(ok, budget, cap)),
    ]
    assert texts[0].startswith("Every applicable check passed (1 in all)")
    assert "daily_spend_cap" in texts[3] and "budget_increase_pct" not in texts[3]
    check_golden("narratives.txt", "\n".join(texts) + "\n")
