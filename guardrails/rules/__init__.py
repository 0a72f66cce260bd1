"""The guardrail rules of spec §3, grouped by concern; `guardrails.engine.RULES` orders them.

Each rule is a pure function `(GuardrailContext) -> RuleResult` named exactly as its rule id.
"""
