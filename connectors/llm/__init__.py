"""Claude as proposer and writer, never the judge (see docs/llm.md).

With an API key (ANTHROPIC_API_KEY) the helpers call the Messages API through the official SDK; without
one, everything runs on deterministic templates and `llm_status` says so. Whatever a model produces is a
proposal or copy: actions are validated by pydantic and judged by the guardrails like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import ActionProposer, ContentWriter, SubjectLineWriter
from connectors.llm.client import LlmCall, LlmClient, LlmSettings, LlmUnavailable
from connectors.llm.narrative import narrate, template_narrative
from connectors.llm.proposer import ClaudeActionProposer, ProposalRejected
from connectors.llm.subject_lines import (
    ClaudeSubjectLineWriter,
    SubjectLineError,
    TemplateSubjectLineWriter,
    check_subject_line,
)
from connectors.llm.templates import TemplateContentWriter, TemplateSet
from connectors.llm.writers import ClaudeContentWriter

__all__ = [
    "ClaudeActionProposer",
    "ClaudeContentWriter",
    "ClaudeSubjectLineWriter",
    "LlmCall",
    "LlmClient",
    "LlmSettings",
    "LlmUnavailable",
    "ProposalRejected",
    "SubjectLineError",
    "TemplateContentWriter",
    "TemplateSet",
    "TemplateSubjectLineWriter",
    "build_llm_client",
    "build_llm_helpers",
    "check_subject_line",
    "llm_available",
    "llm_status",
    "narrate",
    "template_narrative",
]


def llm_available(settings_like: Any = None) -> bool:
    """True when an API key is configured (settings first, then ANTHROPIC_API_KEY)."""
    return LlmSettings.resolve(settings_like).available


def llm_status(settings_like: Any = None) -> str:
    """One line for the CLI and run summaries: which writer and proposer the Operator is using."""
    settings = LlmSettings.resolve(settings_like)
    if not settings.available:
        return "language model: off (no ANTHROPIC_API_KEY) - deterministic templates, no free-text planning"
    where = f" via {settings.base_url}" if settings.base_url else ""
    return f"language model: {settings.model}{where} - proposals are judged by the guardrails"


def build_llm_client(settings_like: Any = None, *, on_call: Callable[[LlmCall], None] | None = None
                     ) -> LlmClient | None:
    """The shared client, or None without a key (e.g. for `narrate(verdict, client)`)."""
    settings = LlmSettings.resolve(settings_like)
    return LlmClient(settings, on_call=on_call) if settings.available else None


def build_llm_helpers(settings_like: Any = None, *, on_call: Callable[[LlmCall], None] | None = None
                      ) -> tuple[ActionProposer | None, ContentWriter, SubjectLineWriter]:
    """(proposer or None, content writer, subject-line writer): Claude-backed with a key, templates without."""
    client = build_llm_client(settings_like, on_call=on_call)
    if client is None:
        return None, TemplateContentWriter(), TemplateSubjectLineWriter()
    return ClaudeActionProposer(client), ClaudeContentWriter(client), ClaudeSubjectLineWriter(client)
