"""Pure pieces of replay: request keys, pin detection, drift, error lines, settings."""

from __future__ import annotations

import pytest

from llm_regressions.replay.classify import classify, provider_of
from llm_regressions.replay.pins import drift, is_pinned
from llm_regressions.replay.request import ProviderRequest

BASE = ProviderRequest(
    model="openai/gpt-4o-mini-2024-07-18",
    messages=[{"role": "user", "content": "hi"}],
    params={"temperature": 0},
)


@pytest.mark.parametrize(
    "change",
    [
        {"model": "openai/gpt-4o-2024-08-06"},
        {"messages": [{"role": "user", "content": "hi!"}]},
        {"params": {"temperature": 0.2}},
        {"tools": [{"type": "function", "function": {"name": "f"}}]},
        {"tool_choice": "required"},
        {"response_format": {"type": "json_object"}},
        {"run": 1},
    ],
)
def test_every_part_of_the_request_is_in_the_cache_key(change):
    changed = ProviderRequest(**{**BASE.__dict__, **change})
    assert changed.cache_key() != BASE.cache_key()


def test_transport_settings_are_not_in_the_cache_key():
    moved = ProviderRequest(**{**BASE.__dict__, "params": {"temperature": 0, "api_base": "x"}})
    assert moved.cache_key() == BASE.cache_key()
    assert moved.call_kwargs()["api_base"] == "x"


@pytest.mark.parametrize(
    ("model", "pinned"),
    [
        ("openai/gpt-4o-2024-08-06", True),
        ("anthropic/claude-3-5-sonnet-20241022", True),
        ("vertex_ai/gemini-1.5-pro-002", True),
        ("bedrock/anthropic.claude-3-haiku-20240307-v1:0", True),
        ("ollama/llama3.1:8b-instruct-q4_0", True),
        ("openai/gpt-4o", False),
        ("gpt-4o-mini", False),
        ("anthropic/claude-3-5-sonnet-latest", False),
        ("ollama/llama3:latest", False),
    ],
)
def test_is_pinned(model, pinned):
    assert is_pinned(model) is pinned


def test_allow_list_globs():
    assert is_pinned("ollama/llama3", ("ollama/*",))
    assert not is_pinned("openai/gpt-4o", ("ollama/*",))


@pytest.mark.parametrize(
    ("requested", "served", "drifted"),
    [
        ("openai/gpt-4o-2024-08-06", "gpt-4o-2024-08-06", False),
        ("openai/gpt-4o", "gpt-4o-2024-08-06", False),  # an alias resolving is not drift
        ("openai/gpt-4o-2024-08-06", "gpt-4o-2024-11-20", True),
        ("openai/gpt-4o-2024-08-06", None, False),
    ],
)
def test_drift(requested, served, drifted):
    assert (drift(requested, served) is not None) is drifted


def test_provider_of():
    assert provider_of("anthropic/claude-3-5-sonnet-20241022") == "anthropic"
    assert provider_of("gpt-4o") == "openai"
    assert provider_of("claude-3-opus-20240229") == "anthropic"


class FakeProviderError(Exception):
    """Shaped like litellm's exceptions: status_code, llm_provider, message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status
        self.llm_provider = "anthropic"
        self.message = message


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, "credentials rejected"),
        (403, "access denied"),
        (404, "model not found"),
        (429, "rate limited"),
        (503, "server error"),
        (400, "request refused"),
    ],
)
def test_classify_by_status(status, kind):
    exc = FakeProviderError(
        status, "litellm.SomeError: AnthropicException - boom LiteLLM Retried: 2 times"
    )
    trouble = classify(exc, "anthropic/claude-3-5-sonnet-20241022", timeout=5, retries=2)
    assert trouble.kind == kind
    assert trouble.provider == "anthropic"
    assert "boom" in str(trouble) and "LiteLLM Retried" not in str(trouble)
    assert "\n" not in str(trouble)


def test_classify_timeout_and_unknown():
    assert classify(TimeoutError(), "openai/x", timeout=5, retries=0).kind == "timeout"
    other = classify(ValueError("odd"), "openai/x", timeout=5, retries=0)
    assert other.kind == "call failed" and "ValueError: odd" in str(other)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-concurrency=0"], "*must be >= 1*"),
        (["--llm-repeat=0"], "*--llm-repeat must be 1 or more*"),
        (["--llm-max-cost=-1"], "*must be >= 0*"),
        (
            ["--llm-api-base=localhost:8000/v1"],
            "*'localhost:8000/v1' has no scheme: write http://localhost:8000/v1 (or https://)",
        ),
    ],
)
def test_bad_option_values_are_usage_errors(pytester, args, message):
    result = pytester.runpytest("--llm-regressions", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_bad_ini_value_is_a_usage_error(pytester):
    pytester.makeini("[pytest]\nllm_regressions_timeout = soon\n")
    result = pytester.runpytest("--llm-regressions")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*llm_regressions_timeout = 'soon' is not a valid float*"])


def test_every_replay_option_is_documented_in_the_group(pytester):
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    for flag in (
        "--llm-concurrency",
        "--llm-model",
        "--llm-api-base",
        "--llm-strict-pins",
        "--llm-repeat",
        "--llm-judge-repeat",
        "--llm-timeout",
        "--llm-retries",
        "--llm-max-cost",
    ):
        assert flag in text
    for ini in (
        "llm_regressions_concurrency",
        "llm_regressions_judge_model",
        "llm_regressions_unpinned_models",
        "llm_regressions_cache_dir",
    ):
        assert ini in text
