"""The real `anthropic` SDK against the local Messages-API fake: usage and latency records, the SDK's own
retries on 429/529, errors mapped to `LlmUnavailable`, configuration, and no key in any record."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from llm_fake_server import FakeMessagesApi, error, message, text, tool_use
from llm_inputs import TEST_KEY
from pydantic import SecretStr

from connectors.llm import (
    ClaudeActionProposer,
    ClaudeContentWriter,
    ClaudeSubjectLineWriter,
    LlmCall,
    LlmClient,
    LlmSettings,
    LlmUnavailable,
    TemplateContentWriter,
    TemplateSubjectLineWriter,
    build_llm_helpers,
    llm_available,
    llm_status,
)


def ask(client: LlmClient) -> object:
    return client.create(purpose="test", system="You are a test.", user="Hello")


def test_a_call_is_recorded_with_usage_latency_and_request_id(fake: FakeMessagesApi, client: LlmClient) -> None:
    fake.push(message([text("thinking"), tool_use("propose_pause_campaign", {"target": {}})]))
    reply = client.create(purpose="propose_action", system="SYS", user="Hello", max_tokens=77,
                          tools=[{"name": "t", "description": "d", "input_schema": {"type": "object"}}],
                          tool_choice={"type": "any"})
    assert [b.type for b in reply.content] == ["text", "tool_use"]  # type: ignore[attr-defined]
    [call] = client.calls
    assert call == LlmCall(purpose="propose_action", model="claude-fake", ok=True, latency_ms=call.latency_ms,
                           input_tokens=321, output_tokens=45, stop_reason="tool_use", request_id="req_fake_1",
                           retries=0)
    assert call.latency_ms > 0
    [request] = fake.requests
    assert request["path"] == "/v1/messages"
    body = request["body"]
    assert (body["model"], body["max_tokens"], body["system"]) == ("claude-test", 77, "SYS")
    assert body["messages"] == [{"role": "user", "content": "Hello"}]
    assert body["tool_choice"] == {"type": "any"}


def test_429_then_529_are_retried_by_the_sdk(fake: FakeMessagesApi, client: LlmClient) -> None:
    fake.push(error(429, "rate_limit_error"), error(529, "overloaded_error"), message([text("ok")], "end_turn"))
    ask(client)
    assert [r["headers"].get("x-stainless-retry-count") for r in fake.requests] == ["0", "1", "2"]
    assert client.calls[-1].ok and client.calls[-1].retries == 2


@pytest.mark.parametrize(("status", "kind", "attempts"), [
    (529, "overloaded", 3), (429, "rate_limited", 3), (500, "server", 3),
    (400, "bad_request", 1), (401, "auth", 1), (403, "auth", 1),
])
def test_failures_become_llm_unavailable(fake: FakeMessagesApi, client: LlmClient, status: int, kind: str,
                                         attempts: int) -> None:
    fake.push(*[error(status, "some_error")] * 3)
    with pytest.raises(LlmUnavailable) as caught:
        ask(client)
    assert (caught.value.kind, caught.value.status) == (kind, status)
    assert len(fake.requests) == attempts
    call = client.calls[-1]
    assert not call.ok and call.error == f"{kind}:{status}"
    assert TEST_KEY not in str(caught.value) and TEST_KEY not in repr(call.as_log())


def test_no_server_is_a_connection_failure() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = LlmClient(LlmSettings(api_key="k", base_url=f"http://127.0.0.1:{port}", max_retries=0, timeout_s=2))
    with pytest.raises(LlmUnavailable) as caught:
        ask(client)
    assert caught.value.kind == "connection"


def test_on_call_hook_sees_every_call(fake: FakeMessagesApi, settings: LlmSettings) -> None:
    seen: list[LlmCall] = []
    client = LlmClient(settings, on_call=seen.append)
    fake.push(message([text("a")], "end_turn"), *[error(529, "overloaded_error")] * 3)
    ask(client)
    with pytest.raises(LlmUnavailable):
        ask(client)
    assert [c.ok for c in seen] == [True, False] and list(client.calls) == seen


def test_the_key_never_appears_in_reprs_or_records(fake: FakeMessagesApi, client: LlmClient,
                                                   settings: LlmSettings) -> None:
    fake.push(message([text("a")], "end_turn"))
    ask(client)
    assert fake.requests[0]["headers"].get("Authorization") == f"Bearer {TEST_KEY}"  # it is sent, of course
    for shown in (repr(settings), str(settings), repr(client.calls[0]), str(client.calls[0].as_log()),
                  llm_status(settings)):
        assert TEST_KEY not in shown


def test_settings_from_env_and_settings_objects() -> None:
    env = {"ANTHROPIC_API_KEY": "k1", "ANTHROPIC_BASE_URL": "http://127.0.0.1:1", "OPERATOR_LLM_MODEL": "m1",
           "OPERATOR_LLM_TIMEOUT_S": "5", "OPERATOR_LLM_MAX_RETRIES": "0"}
    from_env = LlmSettings.from_env(env)
    assert (from_env.api_key, from_env.base_url, from_env.model, from_env.timeout_s, from_env.max_retries) == (
        "k1", "http://127.0.0.1:1", "m1", 5.0, 0)
    obj = SimpleNamespace(anthropic_api_key=SecretStr("k2"), llm_model="m2", anthropic_base_url=None)
    resolved = LlmSettings.resolve(obj, env)
    assert (resolved.api_key, resolved.model, resolved.base_url, resolved.max_retries) == (
        "k2", "m2", "http://127.0.0.1:1", 0)
    assert not LlmSettings.resolve(SimpleNamespace(llm_model="m"), {}).available
    assert LlmSettings.resolve(None, {"ANTHROPIC_API_KEY": "  "}).available is False


def test_without_a_key_everything_is_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert not llm_available()
    proposer, writer, subject_writer = build_llm_helpers(SimpleNamespace(llm_model="claude-sonnet-4-5"))
    assert proposer is None
    assert isinstance(writer, TemplateContentWriter) and isinstance(subject_writer, TemplateSubjectLineWriter)
    assert "off" in llm_status() and "templates" in llm_status()
    with pytest.raises(ValueError, match="API key"):
        LlmClient(LlmSettings())


def test_with_a_key_the_helpers_use_claude(settings: LlmSettings) -> None:
    assert llm_available(settings)
    proposer, writer, subject_writer = build_llm_helpers(settings)
    assert isinstance(proposer, ClaudeActionProposer)
    assert isinstance(writer, ClaudeContentWriter) and isinstance(subject_writer, ClaudeSubjectLineWriter)
    assert "claude-test" in llm_status(settings)
