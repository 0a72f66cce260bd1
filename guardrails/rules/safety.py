"""Rules about collateral damage: negatives that would hide converters, mass or unwanted email, no undo."""

from __future__ import annotations

from typing import Any

from guardrails.context import GuardrailContext
from guardrails.rules._common import allow, block, needs_approval, not_applicable
from schemas.records import Reversibility
from schemas.snapshots import SearchTermState
from schemas.verdict import RuleResult


def _words(text: str) -> list[str]:
    return text.casefold().split()


def parse_negative(notation: str) -> tuple[str, str]:
    """`ChangeFacts.negative_keywords` uses the Google Ads notation: `[exact]`, `"phrase"`, bare = broad.

    Bare text is read as BROAD, the widest match, so an unannotated keyword errs towards blocking."""
    text = notation.strip()
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        return " ".join(_words(text[1:-1])), "EXACT"
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return " ".join(_words(text[1:-1])), "PHRASE"
    return " ".join(_words(text)), "BROAD"


def negative_matches(keyword: str, match_type: str, term: str) -> bool:
    """Whether a negative keyword would stop ads for a search term (case and spacing ignored).

    EXACT: the same words in the same order and nothing else; PHRASE: the keyword's words appear
    contiguously in the term; BROAD: every keyword word appears somewhere in the term."""
    kw_words, term_words = _words(keyword), _words(term)
    if not kw_words:
        return False
    if match_type == "EXACT":
        return kw_words == term_words
    if match_type == "PHRASE":
        size = len(kw_words)
        return any(term_words[i : i + size] == kw_words for i in range(len(term_words) - size + 1))
    return set(kw_words) <= set(term_words)


def tracking_hold(ctx: GuardrailContext) -> RuleResult:
    """Spend increases wait while the org's conversion tracking looks broken (a tracking hold is on)."""
    holds = [h for h in ctx.tracking_holds if h.active]
    if not holds:
        return allow("tracking_hold", "no tracking hold is on")
    observed = {"accounts": [h.account_id for h in holds], "since": [h.set_at.isoformat() for h in holds]}
    if not ctx.facts.spend_increasing:
        return allow("tracking_hold", "a tracking hold is on, but this action does not increase spend", observed)
    first = holds[0]
    return block("tracking_hold", f"spend increases are held since {first.set_at.isoformat()}: {first.reason}; "
                                  "they resume when conversions come back", observed)


def negatives_protect_converters(ctx: GuardrailContext) -> RuleResult:
    negatives = ctx.facts.negative_keywords
    if not negatives:
        return not_applicable("negatives_protect_converters", "adds no negative keywords")
    terms = ctx.snapshot.search_terms if ctx.snapshot else None
    if terms is None:
        return block(
            "negatives_protect_converters", "search terms were not read: cannot rule out converters (fail closed)", {}
        )
    converting: list[SearchTermState] = [t for t in terms if t.conversions > 0]
    hits: dict[str, list[str]] = {}
    for notation in negatives:
        keyword, match_type = parse_negative(notation)
        matched = [t.text for t in converting if negative_matches(keyword, match_type, t.text)]
        if matched:
            hits[notation] = matched
    observed: dict[str, Any] = {
        "negatives": negatives,
        "converting_terms": {t.text: t.conversions for t in converting},
        "would_block": hits,
    }
    if hits:
        named = "; ".join(f"{kw} matches {', '.join(repr(t) for t in matched)}" for kw, matched in hits.items())
        return block("negatives_protect_converters", f"negatives would hide converting search terms: {named}", observed)
    return allow("negatives_protect_converters", f"no converting search term among {len(terms)} is matched", observed)


def automation_volume(ctx: GuardrailContext) -> RuleResult:
    count = ctx.facts.contact_count
    if count <= 0:
        return not_applicable("automation_volume", "enrols no contacts")
    limit = ctx.limits.automation_contacts_approval_above
    automation = ctx.snapshot.automation if ctx.snapshot else None
    observed: dict[str, Any] = {"contact_count": count, "approval_above": limit}
    if automation is None:
        return block("automation_volume", "contacts were not read: cannot check subscriptions (fail closed)", observed)
    unsubscribed = [c.contact_id for c in automation.contacts if not c.subscribed]
    observed["unsubscribed"] = unsubscribed
    if unsubscribed:
        return block(
            "automation_volume", f"{len(unsubscribed)} contact(s) unsubscribed: {', '.join(unsubscribed)}", observed
        )
    if count > limit:
        return needs_approval("automation_volume", f"{count} contacts is more than {limit}", observed)
    return allow("automation_volume", f"{count} subscribed contact(s)", observed)


def irreversible(ctx: GuardrailContext) -> RuleResult:
    facts = ctx.facts
    observed = {"reversibility": facts.reversibility, "irreversible_parts": facts.irreversible_parts}
    if facts.reversibility == Reversibility.NONE:
        return needs_approval("irreversible", "this action cannot be undone", observed)
    if facts.reversibility == Reversibility.PARTIAL:
        parts = ", ".join(facts.irreversible_parts) or "some effects"
        return allow("irreversible", f"partially reversible: {parts} cannot be undone", observed)
    return allow("irreversible", "fully reversible", observed)
