"""A thin, observable wrapper over the official `anthropic` SDK.

Why a wrapper at all: every call must leave a small usage/latency record the caller can log, SDK errors
must become one exception the Operator understands (`LlmUnavailable`), and the API key must never reach
a repr, a log line or an error message. Retries and backoff stay the SDK's own policy (408/409/429/5xx/529,
honouring `retry-after-ms`); we only choose `max_retries` and the timeout.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the SDK is imported only when a key is configured (it takes ~1.5 s to import)
    import anthropic
    from anthropic.types import Message

DEFAULT_MODEL = "claude-sonnet-5-5"  # claude-sonnet-4-5 reaches end-of-life on 2026-11-30 (SDK warning)
DEFAULT_MAX_TOKENS = 2048
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 2


@dataclass(frozen=True)
class LlmSettings:
    """Where and how to call the Messages API. `api_key` is kept out of repr (and so out of logs)."""

    api_key: str | None = field(default=None, repr=False)
    model: str = DEFAULT_MODEL
    base_url: str | None = None  # the local fake in tests; None = the SDK's default endpoint
    max_tokens: int = DEFAULT_MAX_TOKENS
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES

    @property
    def available(self) -> bool:
        return bool(self.api_key and self.api_key.strip())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LlmSettings:
        """ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OPERATOR_LLM_MODEL, OPERATOR_LLM_MAX_TOKENS,
        OPERATOR_LLM_TIMEOUT_S, OPERATOR_LLM_MAX_RETRIES."""
        env = os.environ if env is None else env
        return cls(
            api_key=env.get("ANTHROPIC_API_KEY") or None,
            model=env.get("OPERATOR_LLM_MODEL") or DEFAULT_MODEL,
            base_url=env.get("ANTHROPIC_BASE_URL") or None,
            max_tokens=int(env.get("OPERATOR_LLM_MAX_TOKENS") or DEFAULT_MAX_TOKENS),
            timeout_s=float(env.get("OPERATOR_LLM_TIMEOUT_S") or DEFAULT_TIMEOUT_S),
            max_retries=int(env.get("OPERATOR_LLM_MAX_RETRIES") or DEFAULT_MAX_RETRIES),
        )

    @classmethod
    def resolve(cls, settings_like: Any = None, env: Mapping[str, str] | None = None) -> LlmSettings:
        """From an `LlmSettings`, or any settings object (attributes `anthropic_api_key`, `llm_model`,
        `anthropic_base_url`, `llm_max_tokens`, `llm_timeout_s`, `llm_max_retries`, each optional and
        SecretStr-aware), falling back to the environment for whatever it does not carry."""
        if isinstance(settings_like, LlmSettings):
            return settings_like
        base = cls.from_env(env)
        if settings_like is None:
            return base

        def attr(name: str) -> Any:
            value = getattr(settings_like, name, None)
            if value is not None and hasattr(value, "get_secret_value"):
                value = value.get_secret_value()
            return value if value not in (None, "") else None

        return cls(
            api_key=attr("anthropic_api_key") or base.api_key,
            model=attr("llm_model") or base.model,
            base_url=attr("anthropic_base_url") or base.base_url,
            max_tokens=int(attr("llm_max_tokens") or base.max_tokens),
            timeout_s=float(attr("llm_timeout_s") or base.timeout_s),
            max_retries=int(attr("llm_max_retries") if attr("llm_max_retries") is not None else base.max_retries),
        )


@dataclass(frozen=True)
class LlmCall:
    """One Messages-API call, for the caller's log: what it was for, what it cost, how long it took."""

    purpose: str
    model: str
    ok: bool
    latency_ms: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    request_id: str | None = None
    retries: int | None = None
    error: str | None = None  # error kind and HTTP status only; never a message body or the key

    def as_log(self) -> dict[str, Any]:
        return asdict(self)


class LlmUnavailable(Exception):
    """The model could not be reached or answered with an error after the SDK's own retries.

    Transient (`kind` rate_limited / overloaded / timeout / connection / server) or configuration
    (`auth` / `bad_request`): either way the opportunity itself is not at fault."""

    def __init__(self, kind: str, status: int | None = None):
        super().__init__(f"language model unavailable: {kind}" + (f" (HTTP {status})" if status else ""))
        self.kind = kind
        self.status = status


def _error_kind(error: anthropic.APIError) -> tuple[str, int | None]:
    import anthropic

    if isinstance(error, anthropic.APITimeoutError):
        return "timeout", None
    if isinstance(error, anthropic.APIConnectionError):
        return "connection", None
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        kinds = {401: "auth", 403: "auth", 429: "rate_limited", 529: "overloaded"}
        if status in kinds:
            return kinds[status], status
        return ("server" if status >= 500 else "bad_request"), status
    return "invalid_response", None


class LlmClient:
    """Calls `messages.create` and records an `LlmCall` for each call (kept in `calls`, and handed to
    `on_call` when given). Thread-safe: the orchestrator may plan several organizations at once."""

    def __init__(self, settings: LlmSettings, *, on_call: Callable[[LlmCall], None] | None = None,
                 keep: int = 100):
        if not settings.available:
            raise ValueError("LlmClient needs an API key (use llm_available() / the template helpers)")
        import anthropic

        self.settings = settings
        self._sdk = anthropic.Anthropic(api_key=settings.api_key, base_url=settings.base_url,
                                        timeout=settings.timeout_s, max_retries=settings.max_retries)
        self._on_call = on_call
        self._lock = threading.Lock()
        self.calls: deque[LlmCall] = deque(maxlen=keep)

    @property
    def model(self) -> str:
        return self.settings.model

    def create(self, *, purpose: str, system: str, user: str, tools: Sequence[dict[str, Any]] = (),
               tool_choice: dict[str, Any] | None = None, max_tokens: int | None = None) -> Message:
        """One user turn under a fixed system prompt. Raises `LlmUnavailable` on any API failure."""
        kwargs: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": max_tokens or self.settings.max_tokens,
            "system": system,
            "messages": [{"role": "user", "content": user}],
        }
        if tools:
            kwargs["tools"] = list(tools)
        if tool_choice:
            kwargs["tool_choice"] = tool_choice
        import anthropic

        started = time.monotonic()
        try:
            raw = self._sdk.messages.with_raw_response.create(**kwargs)
            message: Message = raw.parse()
        except anthropic.APIError as error:
            kind, status = _error_kind(error)
            self._record(LlmCall(purpose, self.settings.model, False, _ms(started),
                                 request_id=getattr(error, "request_id", None),
                                 error=kind + (f":{status}" if status else "")))
            raise LlmUnavailable(kind, status) from None
        usage = getattr(message, "usage", None)
        self._record(LlmCall(
            purpose, getattr(message, "model", None) or self.settings.model, True, _ms(started),
            input_tokens=getattr(usage, "input_tokens", None), output_tokens=getattr(usage, "output_tokens", None),
            stop_reason=getattr(message, "stop_reason", None), request_id=getattr(message, "_request_id", None),
            retries=getattr(raw, "retries_taken", None)))
        return message

    def _record(self, call: LlmCall) -> None:
        with self._lock:
            self.calls.append(call)
        if self._on_call is not None:
            self._on_call(call)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def text_of(message: Message) -> str:
    """The concatenated text blocks of a reply (refusal explanations, declined answers)."""
    return " ".join(getattr(block, "text", "") for block in message.content if block.type == "text").strip()


def tool_uses(message: Message) -> list[tuple[str, Any]]:
    """(tool name, raw input) for every tool_use block of a reply."""
    return [(block.name, block.input) for block in message.content if block.type == "tool_use"]


def data_block(tag: str, value: Any) -> str:
    """Untrusted data for a prompt: JSON inside a tag, with `<` and `>` escaped so that nothing in the data
    can close the tag early or open a new one."""
    text = json.dumps(value, indent=1, ensure_ascii=False, default=str)
    return f"<{tag}>\n" + text.replace("<", "\\u003c").replace(">", "\\u003e") + f"\n</{tag}>"
