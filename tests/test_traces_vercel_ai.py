"""Vercel AI SDK telemetry (``ai.*`` attributes) as users have it: OTLP/JSON exports of
AI SDK 4 and 5 runs, OpenTelemetry JS span JSON of an AI SDK 6 run (tests/data/traces/
vercel-ai, see PROVENANCE.md), plus the SDK's own span snapshots (mock model) wrapped into
OTLP. Golden views of the promoted cases, their recorded replay, and inspect agreeing."""

from __future__ import annotations

import json

import pytest

from golden_support import inspected, not_carried, promoted, refused, roles
from llm_regressions.traces import read_trace
from llm_regressions.traces.conventions.vercel import provider_prefix, tool_choice
from trace_support import TRACES, otlp, otlp_span, sample

FMT = "vercel-ai"
V4 = "agentmark-otlp-v4-streamText-toolcall-gpt4o"
V5 = "agentmark-otlp-v5-streamText-toolcall-gpt4o-responses"
V5_ERROR = "agentmark-otlp-v5-streamText-error-finish-unknown"
V6 = "openinference-v6-all-spans-gpt4o-mini-responses"
SYSTEM = "You are a customer service agent for a company that sells products online."
QUESTION = "I'm having trouble with my order. How long does shipping take?"


def test_v4_stream_text_answer_step(pytester):
    path = sample(pytester, FMT, V4)
    case, output = promoted(pytester, path, "--promote-check", "contains: 30 days")
    assert "read as otlp-json (Vercel AI SDK)" in output
    assert case["source"]["span_id"] == "c3d4e5f6a7b8c9d0" and case["source"]["stream"] is True
    assert case["model"] == {"name": "openai/gpt-4o-2024-08-06", "params": {}}
    messages = case["request"]["messages"]
    assert roles(case) == ["system", "user", "assistant", "tool"]
    assert messages[0]["content"].startswith(SYSTEM) and messages[1]["content"] == QUESTION
    assert messages[2]["tool_calls"] == [
        {
            "id": "call_xyz123abc456def789",
            "type": "function",
            "function": {
                "name": "search_knowledgebase",
                "arguments": '{"query": "shipping times"}',
            },
        }
    ]
    assert messages[3]["tool_call_id"] == "call_xyz123abc456def789"
    assert json.loads(messages[3]["content"])["articles"][0]["topic"] == "shipping"
    (tool,) = case["request"]["tools"]
    assert tool["function"]["name"] == "search_knowledgebase"
    assert tool["function"]["parameters"]["required"] == ["query"]  # v4: "parameters"
    assert case["request"]["tool_choice"] == "auto"
    observed = case["observed"]
    assert observed["output"].startswith(
        "Standard shipping for your order takes 3–5 business days. If you have any more"
    )
    assert observed["finish_reason"] == "stop" and observed["model"] == "gpt-4o-2024-08-06"
    # v4 kept OpenAI's reasoning/cached counts in ai.response.providerMetadata
    assert observed["usage"] == {
        "prompt_tokens": 241,
        "completion_tokens": 30,
        "reasoning_tokens": 0,
        "cached_tokens": 0,
    }
    assert case["context"]["tool_calls"] == [
        {
            "id": "call_xyz123abc456def789",
            "name": "search_knowledgebase",
            "arguments": {"query": "shipping times"},
            "result": json.loads(messages[3]["content"]),
        }
    ]
    assert not_carried(output) is None


@pytest.mark.parametrize(
    ("name", "span_id", "call_id", "query", "usage"),
    [
        (
            V4,
            "b2c3d4e5f6a7b8c9",
            "call_xyz123abc456def789",
            "shipping times",
            {
                "prompt_tokens": 156,
                "completion_tokens": 17,
                "reasoning_tokens": 0,
                "cached_tokens": 0,
            },
        ),
        (
            V5,  # tool-call "input" objects, usage with totalTokens
            "c6cc6f15b00ff2be",
            "test-tool-call-id-1234567890",
            "shipping duration",
            {
                "prompt_tokens": 154,
                "completion_tokens": 18,
                "total_tokens": 172,
                "reasoning_tokens": 0,
                "cached_tokens": 0,
            },
        ),
    ],
)
def test_tool_call_step(pytester, name, span_id, call_id, query, usage):
    path = sample(pytester, FMT, name)
    check = "tool_not_called: search_knowledgebase"
    case, _ = promoted(pytester, path, "--promote-span", span_id, "--promote-check", check)
    assert roles(case) == ["system", "user"]
    observed = case["observed"]
    assert "output" not in observed  # "" beside tool calls: OpenAI's null content
    assert observed["tool_calls"] == [
        {"id": call_id, "name": "search_knowledgebase", "arguments": {"query": query}}
    ]
    assert observed["finish_reason"] == "tool_calls"  # "tool-calls"
    assert observed["usage"] == usage


def test_v4_inspect_agrees_with_promotion(pytester):
    text = inspected(pytester, sample(pytester, FMT, V4))
    assert "[empty_output]" not in text  # the first step called a tool: not empty
    assert "no failure signals found" in text
    assert "chain      ai.streamText" in text and "tool         ai.toolCall" in text
    assert text.count("llm          ai.streamText.doStream") == 2
    assert "finish=tool_calls" in text and "not carried" not in text


def test_v5_responses_provider_tool_result_output(pytester):
    path = sample(pytester, FMT, V5)
    case, output = promoted(pytester, path, "--promote-check", "contains: 30 days")
    assert case["source"]["trace_id"] == "test-trace-id-v5-success-abcdef123456"  # not hex
    assert case["model"]["name"] == "openai/gpt-4o-2024-08-06"  # openai.responses -> openai/
    messages = case["request"]["messages"]
    assert roles(case) == ["system", "user", "assistant", "tool"]
    call = messages[2]["tool_calls"][0]
    assert call["id"] == "test-tool-call-id-1234567890"
    assert json.loads(call["function"]["arguments"]) == {"query": "shipping duration"}
    # v5 tool result: output {type: "json", value}
    assert json.loads(messages[3]["content"])["articles"][1]["topic"] == "warranty"
    (tool,) = case["request"]["tools"]
    assert tool["function"]["parameters"]["properties"]["query"]["type"] == "string"
    observed = case["observed"]
    assert observed["output"].startswith("Shipping usually takes 3–5 business days")
    assert observed["finish_reason"] == "stop"
    assert observed["usage"] == {
        "prompt_tokens": 240,
        "completion_tokens": 32,
        "total_tokens": 272,
        "reasoning_tokens": 0,
        "cached_tokens": 0,
    }
    assert not_carried(output) is None


def test_v5_failed_step_with_unknown_finish_reason(pytester):
    path = sample(pytester, FMT, V5_ERROR)
    text = inspected(pytester, path)
    assert "[empty_output]" in text and "not carried: finish reason 'unknown'" in text
    assert "name a parent that is not in the file" in text
    case, output = promoted(pytester, path, "--promote-suggested")
    assert case["observed"]["output"] == ""
    assert "finish_reason" not in case["observed"] and "usage" not in case["observed"]
    assert case["checks"] == [{"not_refusal": True}]
    assert roles(case) == ["system", "user"] and len(case["request"]["tools"]) == 1
    assert not_carried(output) == "finish reason 'unknown'"
    assert "not recorded in the trace: seed, finish reason, token usage" in output


V6_SPANS = {
    # span id -> (roles, start of output, usage, stream)
    "39d6e9b3ddec9996": (
        ["user"],
        "Lines of code align,",
        {"prompt_tokens": 14, "completion_tokens": 20},
        None,
    ),
    "6c0201026326855d": (
        ["system", "user", "assistant", "user"],
        "3 + 3 equals 6.",
        {"prompt_tokens": 50, "completion_tokens": 9},
        None,
    ),
    "5a81ef3ffb5d8603": (
        ["user"],
        "In code’s embrace, where types align,",
        {
            "prompt_tokens": 15,
            "completion_tokens": 112,
            "total_tokens": 127,
            "reasoning_tokens": 0,
            "cached_tokens": 0,
        },
        True,
    ),
}


@pytest.mark.parametrize("span_id", sorted(V6_SPANS))
def test_v6_otel_js_spans(pytester, span_id):
    want_roles, start, usage, stream = V6_SPANS[span_id]
    path = sample(pytester, FMT, V6)
    case, output = promoted(
        pytester, path, "--promote-span", span_id, "--promote-check", "contains: Rust"
    )
    assert "read as otel-js (Vercel AI SDK)" in output
    assert case["model"]["name"] == "openai/gpt-4o-mini-2024-07-18"
    assert roles(case) == want_roles
    assert case["observed"]["output"].startswith(start)
    assert case["observed"]["finish_reason"] == "stop"
    assert case["observed"]["usage"] == usage
    assert case["source"].get("stream") is stream
    assert case["observed"]["latency_ms"] > 1000
    assert not_carried(output) is None


def test_v6_generate_object_without_its_parent(pytester):
    path = sample(pytester, FMT, V6)
    case, output = promoted(
        pytester, path, "--promote-span", "bf098ec12458e605", "--promote-check", "contains: bacon"
    )
    assert json.loads(case["observed"]["output"])["name"] == "Scrambled Eggs"
    assert "response_format" not in case["request"]
    assert not_carried(output) == (
        "response format (the schema is on a generateObject span not in this trace)"
    )


def test_v6_every_span_its_own_trace_is_refused_without_a_choice(pytester):
    path = sample(pytester, FMT, V6)
    text = refused(pytester, path, "--promote-check", "contains: x")
    assert "holds 10 traces; choose one with --promote-trace-id" in text
    outer = refused(
        pytester,
        path,
        "--promote-trace-id",
        "700d5f98fe2420adcf6ab0822f7a323c",
        "--promote-check",
        "contains: x",
    )
    assert "no LLM span in this trace" in outer
    inspect = inspected(pytester, path)
    assert inspect.count("\ntrace ") == 10 and "chain      ai.generateText" in inspect
    assert "span       ai.embed.doEmbed" in inspect  # embeddings are not chat calls


def test_sdk_snapshot_files_are_refused_clearly(pytester):
    path = sample(pytester, FMT, "vercel-ai-latest-otel-integration-snapshots-mock")
    result = pytester.runpytest("--llm-inspect-trace", str(path))
    text = result.stdout.str() + result.stderr.str()
    assert result.ret != 0 and "not a trace format this plugin reads" in text
    assert "otel-js: not OpenTelemetry JS spans" in text and "Traceback" not in text


def _snapshot_trace(tmp_path, file_name: str, snapshot: str):
    """One Vitest snapshot of the SDK's MockTracer spans, as an OTLP file: the first span
    is the root, the others its children (the snapshots record no ids)."""
    spans = json.loads((TRACES / FMT / f"{file_name}.json").read_text(encoding="utf-8"))
    chosen = next(v for k, v in spans.items() if snapshot in k)
    root = "a0" * 8
    wrapped = [
        otlp_span(
            s["name"],
            f"{index:016x}" if index else root,
            root if index else None,
            s["attributes"],
            start_ms=index,
            end_ms=10 + index,
        )
        for index, s in enumerate(chosen)
    ]
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps(otlp(*wrapped)), encoding="utf-8")
    return read_trace(path)


def test_sdk4_snapshot_settings_and_string_tool_arguments(tmp_path):
    trace = _snapshot_trace(
        tmp_path, "vercel-ai-v4-generate-text-telemetry-snapshots-mock", "successful tool call"
    )
    (span,) = trace.llm_spans()
    call = span.llm
    assert call.streaming is False and call.messages == [{"role": "user", "content": "test-input"}]
    assert call.tool_calls == [
        {
            "id": "call-1",
            "type": "function",
            "function": {"name": "tool1", "arguments": '{ "value": "value" }'},
        }
    ]
    assert call.output is None and call.finish_reason == "stop"
    assert call.tools[0]["function"]["parameters"]["required"] == ["value"]
    assert call.tool_choice == "auto"
    assert call.usage == {"prompt_tokens": 10, "completion_tokens": 20}
    assert call.not_carried == ["provider 'mock-provider' (no litellm prefix known for it)"]
    tool = next(s.tool for s in trace.spans if s.tool)
    assert (tool.name, tool.arguments, tool.result) == ("tool1", {"value": "value"}, "result1")

    enabled = _snapshot_trace(
        tmp_path, "vercel-ai-v4-generate-text-telemetry-snapshots-mock", "when enabled"
    )
    (span,) = enabled.llm_spans()
    assert span.llm.params == {
        "frequency_penalty": 0.3,
        "presence_penalty": 0.4,
        "stop": ["stop"],
        "temperature": 0.5,
        "top_k": 0.1,
        "top_p": 0.2,
    }
    assert span.llm.output == "Hello, world!"
    assert span.llm.response_model == "test-response-model-id"


def test_latest_sdk_snapshot_usage_and_input_schema(tmp_path):
    trace = _snapshot_trace(
        tmp_path,
        "vercel-ai-latest-otel-integration-snapshots-mock",
        "streamText > should record successful",
    )
    (span,) = trace.llm_spans()
    call = span.llm
    assert call.streaming is True
    assert call.tools[0]["function"]["parameters"]["properties"] == {"value": {"type": "string"}}
    assert call.tool_calls[0]["function"]["arguments"] == '{"value": "value"}'
    assert call.usage == {"prompt_tokens": 3, "completion_tokens": 10, "total_tokens": 13}
    assert next(s.tool for s in trace.spans if s.tool).result == "value-result"
    outer = next(s for s in trace.spans if s.name == "ai.streamText")
    assert outer.kind == "chain" and outer.input == {"prompt": "test-input"}


@pytest.mark.parametrize(
    ("provider", "prefix"),
    [
        ("openai.chat", "openai"),
        ("openai.responses", "openai"),
        ("anthropic.messages", "anthropic"),
        ("google.generative-ai", "gemini"),
        ("google.vertex.chat", "vertex_ai"),
        ("amazon-bedrock", "bedrock"),
        ("azure-openai.chat", "azure"),
        ("mistral.chat", "mistral"),
    ],
)
def test_provider_prefixes(provider, prefix):
    assert provider_prefix(provider, [].append) == prefix


def test_tool_choice_shapes():
    assert tool_choice('{"type":"required"}') == "required"
    assert tool_choice({"type": "tool", "toolName": "lookup"}) == {
        "type": "function",
        "function": {"name": "lookup"},
    }


SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}}


def _object_call(tmp_path):
    """A generateObject span (the schema) and its model request (media parts, a
    provider-defined tool, finish reason "other", topK for an OpenAI model)."""
    parent = otlp_span(
        "ai.generateObject",
        "b0" * 8,
        None,
        {
            "ai.operationId": "ai.generateObject",
            "ai.schema": json.dumps(SCHEMA),
            "ai.schema.name": "recipe",
            "ai.settings.output": "object",
        },
    )
    prompt = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in it?"},
                {"type": "file", "mediaType": "image/png", "data": "iVBORw0KGgo="},
                {"type": "image", "image": "https://example.com/a.png"},
                {"type": "reasoning", "text": "thinking"},
            ],
        },
    ]
    child = otlp_span(
        "ai.generateObject.doGenerate",
        "b1" * 8,
        "b0" * 8,
        {
            "ai.operationId": "ai.generateObject.doGenerate",
            "ai.model.provider": "openai.chat",
            "ai.model.id": "gpt-4o-mini",
            "ai.prompt.messages": json.dumps(prompt),
            "ai.prompt.tools": [
                json.dumps({"type": "provider-defined", "id": "openai.web_search"})
            ],
            "ai.response.object": '{"name": "soup"}',
            "ai.response.finishReason": "other",
            "ai.settings.maxOutputTokens": 100,
            "ai.settings.topK": 3,
        },
    )
    path = tmp_path / "object.json"
    path.write_text(json.dumps(otlp(parent, child)), encoding="utf-8")
    (span,) = read_trace(path).llm_spans()
    return span.llm


def test_generate_object_schema_from_the_parent_and_media_parts(tmp_path):
    call = _object_call(tmp_path)
    assert call.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "recipe", "schema": SCHEMA},
    }
    assert call.messages[0]["content"] == [
        {"type": "text", "text": "What is in it?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    assert call.output == '{"name": "soup"}' and call.finish_reason is None
    assert call.params == {"max_tokens": 100} and call.tools == []
    assert call.not_carried == [
        "topK setting (not an OpenAI parameter)",
        "reasoning part",
        "tool 'openai.web_search' of type 'provider-defined'",
        "finish reason 'other'",
    ]


def test_cut_off_and_wrong_typed_attributes_are_named(tmp_path):
    """Attribute length limits cut long JSON; wrong types must not break the reader."""
    attributes = {
        "ai.operationId": "ai.streamText.doStream",
        "ai.model.id": 42,
        "ai.model.provider": "openai.chat",
        "ai.prompt.messages": '[{"role":"user","content":[{"type":"text","text":"Long que',
        "ai.prompt.tools": 7,
        "ai.response.toolCalls": '[{"toolCallId":"c1","toolName":"f","input":{"a"',
        "ai.response.text": "partial",
        "ai.usage.inputTokens": "n/a",
    }
    path = tmp_path / "cut.json"
    path.write_text(
        json.dumps(otlp(otlp_span("ai.streamText.doStream", "c0" * 8, None, attributes)))
    )
    (span,) = read_trace(path).llm_spans()
    call = span.llm
    assert call.messages == [] and call.tools == [] and call.tool_calls == []
    assert call.request_model is None and call.usage is None and call.output == "partial"
    assert call.not_carried == [
        "ai.prompt.messages (not a JSON array: cut off?)",
        "ai.prompt.tools (not a JSON array: cut off?)",
        "ai.response.toolCalls (not a JSON array: cut off?)",
    ]


def test_otel_js_spans_with_odd_values(tmp_path):
    spans = [
        {
            "name": "ai.generateText.doGenerate",
            "_spanContext": {"traceId": "T-1", "spanId": 15},
            "parentSpanContext": {"spanId": "p"},
            "startTime": ["x", 1],
            "status": {"code": "2"},
            "attributes": ["not", "a", "dict"],
            "events": [{"name": "exception", "attributes": ["x"]}, "junk"],
        }
    ]
    path = tmp_path / "js.json"
    path.write_text(json.dumps(spans), encoding="utf-8")
    from llm_regressions.traces import TraceError

    with pytest.raises(
        TraceError, match=r"read as otel-js \(1 span\(s\)\), but no span holds the attributes"
    ):
        read_trace(path)
