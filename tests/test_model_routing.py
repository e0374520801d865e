"""A model string litellm cannot route is refused at promotion (it would only fail
live), by a static rule that must agree with the installed litellm."""

from __future__ import annotations

import contextlib
import io
import json
from importlib.metadata import version

import pytest

from llm_regressions.traces.providers import ALIASES, PROVIDERS, PROVIDERS_AS_OF, routable
from replay_support import live_case
from trace_support import chat_span, otlp, promote, written_cases

#: Names the rule and litellm agree on (not retired snapshots, where the rule, which
#: cannot know what litellm's model list dropped, accepts more than litellm does).
EXAMPLES = {
    "gpt-4o-mini": True,
    "gpt-4o-mini-2024-07-18": True,
    "gpt-4.1-mini-2025-04-14": True,
    "gpt-5": True,
    "o1": True,
    "o3-mini": True,
    "o4-mini": True,
    "ft:gpt-4o-mini-2024-07-18:acme::abc123": True,
    "claude-sonnet-4-5": True,
    "claude-haiku-4-5-20251001": True,
    "gemini-2.5-flash": True,
    "jamba-1.5-mini": True,
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0": True,
    "amazon.nova-pro-v1:0": True,
    "openai/my-finetune-v2": True,
    "hosted_vllm/my-finetune-v2": True,
    "anthropic/claude-sonnet-4-5": True,
    "ollama/llama3": True,
    "azure/my-deployment": True,
    "openrouter/meta-llama/llama-3-70b": True,
    "my-finetune-v2": False,
    "acme/unknown-provider-model": False,
    "llama3": False,
    "mistral-large-latest": False,
    "o5x": False,
    "models/gemini-pro": False,
    "fine-tuned-gpt-4o": False,
}


def litellm_routes(model: str) -> bool:
    from llm_regressions.replay import client

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # litellm prints a provider list
            client.litellm().get_llm_provider(model)
    except Exception:  # noqa: BLE001 - litellm raises its own BadRequestError
        return False
    return True


def test_every_provider_prefix_is_one_of_litellms():
    from llm_regressions.replay import client

    litellm = client.litellm()
    installed = tuple(int(part) for part in version("litellm").split(".")[:2])
    if installed < PROVIDERS_AS_OF:
        pytest.skip(f"the table lists litellm {PROVIDERS_AS_OF}'s prefixes; {installed} lacks some")
    listed = {getattr(p, "value", p) for p in litellm.provider_list}
    # litellm's JSON-configured providers are not in provider_list; they route like one
    others = sorted(PROVIDERS - listed)
    assert all(litellm_routes(f"{p}/some-model") for p in others), others
    assert set(ALIASES.values()) <= PROVIDERS  # every spelling maps to a real prefix


@pytest.mark.parametrize(("model", "routes"), EXAMPLES.items())
def test_the_bare_name_rule_agrees_with_litellm(model, routes):
    assert routable(model) is routes
    assert litellm_routes(model) is routes


@pytest.mark.parametrize(
    ("model", "provider", "message"),
    [
        ("my-finetune-v2", None, "the trace records no provider"),
        ("my-finetune-v2", "acme-cloud", "names the provider 'acme-cloud'"),
        ("acme/unknown-provider-model", None, "'acme' is not a litellm provider"),
    ],
)
def test_a_model_litellm_cannot_route_is_refused(pytester, model, provider, message):
    extra = {"gen_ai.request.model": model, "gen_ai.response.model": model}
    span = chat_span("00000000000000a1", "Hello", extra=extra)
    span["attributes"] = [a for a in span["attributes"] if a["key"] != "gen_ai.provider.name"]
    if provider:
        span["attributes"].append(
            {"key": "gen_ai.provider.name", "value": {"stringValue": provider}}
        )
    path = pytester.path / "finetune.json"
    path.write_text(json.dumps(otlp(span)), encoding="utf-8")
    result = promote(pytester, path, "--promote-check", "not_contains: Hello")
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(
        [f"ERROR: model '{model}' cannot be replayed: *{message}*'openai/{model}'*--llm-api-base*"]
    )
    assert written_cases(pytester) == []


@pytest.mark.parametrize(
    ("provider", "pinned"),
    [("openai", "openai/my-finetune-v2"), ("aws.bedrock", "bedrock/my-finetune-v2")],
)
def test_the_provider_a_trace_names_becomes_the_prefix(pytester, provider, pinned):
    extra = {
        "gen_ai.request.model": "my-finetune-v2",
        "gen_ai.response.model": "my-finetune-v2",
        "gen_ai.provider.name": provider,
    }
    path = pytester.path / "finetune.json"
    path.write_text(json.dumps(otlp(chat_span("00000000000000a1", "Hello", extra=extra))))
    assert promote(pytester, path, "--promote-check", "not_contains: Hello").ret == 0
    (case,) = written_cases(pytester)
    assert f"name: {pinned}\n" in case.read_text(encoding="utf-8")


def test_a_case_on_a_model_litellm_cannot_route_is_a_collection_error(
    pytester, write_case, llm_stub
):
    write_case("ok.yaml", live_case("ok", checks=[{"contains": "ok"}]))
    write_case("bare.yaml", live_case("bare", model="my-finetune-v2"))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*regressions/bare.yaml:6: model.name: 'my-finetune-v2' cannot be sent through "
            "litellm: it has no provider prefix*'openai/my-finetune-v2'*--llm-api-base*"
        ]
    )
    assert llm_stub.received("bare") == []  # refused before anything is sent
    # a recorded run sends nothing: the same case is not refused
    assert (
        "cannot be sent"
        not in pytester.runpytest("--llm-regressions", "--llm-replay=recorded").stdout.str()
    )


def test_an_unroutable_llm_model_is_refused_at_collection(pytester, write_case, llm_stub):
    write_case("ok.yaml", live_case("ok"))
    result = pytester.runpytest(*llm_stub.args("--llm-model=acme/model-x"))
    result.stdout.fnmatch_lines(["*--llm-model: 'acme/model-x' cannot be sent*not a litellm*"])
    assert llm_stub.received() == []
