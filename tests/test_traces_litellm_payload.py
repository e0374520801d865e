"""litellm ``StandardLoggingPayload`` files from litellm's own tests (tests/data/traces/
litellm, see PROVENANCE.md): bare payloads and a callback's whole kwargs, string and
float times, a Bedrock ARN model made routable, the request's stream flag."""

from __future__ import annotations

import json

import pytest

from golden_support import inspected, not_carried, promoted, roles
from llm_regressions.traces import read_trace
from llm_regressions.traces.litellm_payload import with_prefix
from llm_regressions.traces.values import time_to_ns
from trace_support import TRACES, sample

FMT = "litellm"
BEDROCK = "otel-captured-kwargs-bedrock-arn-claude37"
ARN = "arn:aws:bedrock:us-west-2:1234567890123:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0"


def test_bedrock_arn_callback_kwargs(pytester):
    path = sample(pytester, FMT, BEDROCK)
    case, output = promoted(pytester, path, "--promote-check", "contains: Lyon")
    assert case["model"] == {"name": f"bedrock/{ARN}", "params": {}}
    assert "pinned to the served snapshot" not in output  # the ARN served is the one asked
    assert case["request"]["messages"] == [
        {"role": "user", "content": "What is the capital of France?"}
    ]
    observed = case["observed"]
    assert observed["output"].startswith(
        "The capital of France is Paris. Paris has been the capital city of France since 987 CE"
    )
    assert observed["finish_reason"] == "stop"
    assert observed["usage"] == {
        "prompt_tokens": 14,
        "completion_tokens": 67,
        "total_tokens": 81,
        "cached_tokens": 0,
    }
    assert observed["latency_ms"] == pytest.approx(236.8, abs=0.1)  # float epoch seconds
    assert observed["cost_usd"] == pytest.approx(0.001047)
    assert "stream" not in case["source"]  # the request said stream: false
    assert case["source"]["trace_id"] == "4c97150b-b1a3-4dec-bd7a-734786b1b3bc"
    assert not_carried(output) is None


def test_bedrock_model_string_routes_with_litellm():
    import litellm

    (span,) = read_trace(TRACES / FMT / f"{BEDROCK}.json").llm_spans()
    from llm_regressions.promote.build import pinned_model

    name, note = pinned_model(span.llm)
    model, provider, _, _ = litellm.get_llm_provider(name)
    assert (model, provider, note) == (ARN, "bedrock", None)


def test_provider_stop_reason_from_the_original_response(tmp_path):
    kwargs = json.loads((TRACES / FMT / f"{BEDROCK}.json").read_text(encoding="utf-8"))
    del kwargs["standard_logging_object"]["response"]["choices"][0]["finish_reason"]
    path = tmp_path / "kwargs.json"
    path.write_text(json.dumps(kwargs), encoding="utf-8")
    (span,) = read_trace(path).llm_spans()
    assert span.llm.finish_reason == "stop"  # Bedrock's stopReason "end_turn"


def test_string_times_and_stream_flag(pytester):
    path = sample(pytester, FMT, "gcs-pubsub-standard-logging-payload-gpt4o-stream")
    case, output = promoted(pytester, path, "--promote-check", "contains: Hello")
    assert case["model"]["name"] == "openai/gpt-4o"
    assert case["source"]["stream"] is True  # no request flag; the payload's stream: true
    assert case["source"]["captured_at"] == "2025-01-24T09:20:46Z"
    assert case["request"]["messages"] == [{"role": "user", "content": "Hello, world!"}]
    observed = case["observed"]
    assert observed["output"] == "hi" and observed["finish_reason"] == "stop"
    assert observed["usage"] == {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}
    assert observed["latency_ms"] == pytest.approx(4.6, abs=0.05)
    assert not_carried(output) is None


def test_openai_compatible_endpoint_and_content_parts(pytester):
    path = sample(pytester, FMT, "gcs-bucket-test-slo-fake-openai-endpoint")
    assert "[model_mismatch]" in inspected(pytester, path)
    case, output = promoted(pytester, path, "--promote-check", "contains: gm")
    assert case["model"] == {
        "name": "openai/gpt-3.5-turbo-0301",
        "params": {"api_base": "https://exampleopenaiendpoint-production.up.railway.app"},
    }
    assert (
        "pinned to the served snapshot 'gpt-3.5-turbo-0301'; the request asked for "
        "'openai/my-fake-model'" in output
    )
    # a parts list with text only becomes the text
    assert case["request"]["messages"] == [{"role": "user", "content": "very gm to u"}]
    assert case["observed"]["output"] == "\n\nHello there, how may I assist you today?"
    assert "stream" not in case["source"]  # model_parameters.stream false wins
    assert case["observed"]["usage"]["total_tokens"] == 21


def test_handwritten_tool_call_payload(pytester):
    path = sample(pytester, FMT, "datadog-llmobs-test-slo-toolcalls-handwritten")
    case, output = promoted(pytester, path, "--promote-check", "tool_not_called: format_response")
    assert roles(case) == ["user", "assistant", "tool"]
    assert case["request"]["messages"][1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert case["model"] == {"name": "openai/gpt-4", "params": {"temperature": 0.7}}
    observed = case["observed"]
    assert observed["output"] == "It's 72°F and sunny in NYC!"
    assert observed["tool_calls"] == [
        {
            "id": "call_456",
            "name": "format_response",
            "arguments": {"temp": 72, "condition": "sunny"},
        }
    ]
    assert observed["cost_usd"] == pytest.approx(0.05)
    assert "finish_reason" not in observed
    assert (
        "not recorded in the trace: served model, seed, finish reason, tool definitions" in output
    )


def test_responses_api_payload(tmp_path):
    """A payload of ``litellm.responses()``: the input items in ``messages``, a Response
    object in ``response`` (the bodies of a real call)."""
    (interaction, _) = json.loads(
        (
            TRACES.parent
            / "provider-bodies"
            / "openllmetry-cassette-responses-tool-calls-gpt41nano.json"
        ).read_text(encoding="utf-8")
    )["interactions"]
    body = interaction["request"]["body"]
    payload = {
        "id": "resp_1",
        "call_type": "aresponses",
        "model": "gpt-4.1-nano",
        "custom_llm_provider": "openai",
        "messages": body["input"],
        "model_parameters": {
            "tools": body["tools"],
            "tool_choice": "auto",
            "max_output_tokens": 50,
        },
        "response": interaction["response"]["body"],
        "startTime": "1751120018.0",
        "endTime": 1751120019.25,
    }
    path = tmp_path / "payload.json"
    path.write_text(json.dumps([payload]), encoding="utf-8")
    (span,) = read_trace(path).llm_spans()
    call = span.llm
    assert call.messages == [{"role": "user", "content": "What's the weather in London?"}]
    assert call.tools[0]["function"]["name"] == "get_weather"
    assert [c["id"] for c in call.tool_calls] == [
        "call_tYDv1bhtioyX33juEGDY4D6H",
        "call_lC079UhGnLJngBlPQO0FS6sv",
    ]
    assert call.finish_reason == "tool_calls" and call.params == {"max_tokens": 50}
    assert call.usage["reasoning_tokens"] == 0 and call.usage["total_tokens"] == 102
    assert span.latency_ms == pytest.approx(1250.0)


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("2025-01-24 09:20:46.847371", 1737710446847371000),
        (1739235379.5, 1739235379500000000),
        ("1739235379.5", 1739235379500000000),
        ("not a time", None),
        (None, None),
    ],
)
def test_times(value, want):
    assert time_to_ns(value) == want


def test_routable_model_strings():
    assert with_prefix(ARN, "bedrock") == f"bedrock/{ARN}"
    assert with_prefix("openai/gpt-4o", "openai") == "openai/gpt-4o"
    assert with_prefix("gpt-4o", None) == "gpt-4o"


def test_wrong_typed_payload_values(tmp_path):
    payload = {
        "call_type": "completion",
        "model": "gpt-4o",
        "custom_llm_provider": 5,
        "messages": "Just a question",
        "startTime": float("nan"),
        "endTime": "yesterday",
        "api_base": "http://[not-a-url",
        "model_parameters": "none",
        "hidden_params": ["x"],
        "response": {"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]},
    }
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(payload).replace("NaN", "NaN"), encoding="utf-8")
    (span,) = read_trace(path).llm_spans()
    assert span.llm.request_model == "gpt-4o" and span.llm.provider is None
    assert span.llm.messages == [{"role": "user", "content": "Just a question"}]
    assert span.llm.output == "ok" and span.start_ns is None and span.end_ns is None
