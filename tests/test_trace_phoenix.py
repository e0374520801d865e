"""Arize Phoenix span JSON and OpenInference attributes: every real sample in
tests/data/traces/phoenix/ (see its PROVENANCE.md) promoted through pytest, with a golden
view of the written case and its recorded replay; the layouts Phoenix writes attributes
in; and refusals that name what they looked for without contradicting themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_regressions.traces import TraceError, read_trace
from trace_support import (
    TRACES,
    golden_view,
    inspected,
    otlp,
    otlp_span,
    promote,
    promoted,
    promoted_view,
    sample,
    written_cases,
)

PHOENIX = TRACES / "phoenix"
SHAKESPEARE = "You are a Shakespearean writing assistan"
NESTED = "synthetic-rest-envelope-nested-attributes"


def test_spec_span_json_answer_after_a_tool_call(pytester):
    path = sample(pytester, "phoenix", "oi-spec-llm-spans-toolcall-pair")
    case, output = promoted(pytester, path, "--promote-check", 'not_contains: "2001"')
    assert "read as phoenix-json (OpenInference)" in output
    assert golden_view(case) == {
        "model": "gpt-3.5-turbo-0613",
        "params": {"temperature": 0.1},
        "messages": [
            ("system", SHAKESPEARE, [], None),
            ("user", "what is 23 times 87", [], None),
            ("assistant", None, ["multiply"], None),
            ("tool", "2001", [], None),
        ],
        "tools": [],
        "tool_calls": [],
        "output": "The product of 23 times 87 is 2001.",
        "finish_reason": None,
        "usage": {"prompt_tokens": 259, "completion_tokens": 14, "total_tokens": 273},
        "not_carried": None,
    }
    assert case["source"]["trace_id"] == "409df945-e058-4829-b240-cfbdd2ff4488"
    assert case["observed"]["latency_ms"] == 639.7
    assert "not recorded in the trace: served model, seed, finish reason" in output


def test_spec_span_json_tool_call_takes_its_id_from_the_raw_output(pytester):
    span = ("--promote-span", "01fa9612-01b8-4358-85d6-e3e067305ec3", "--promote-check")
    view, _, _, path = promoted_view(
        pytester, "phoenix", "oi-spec-llm-spans-toolcall-pair", *span, "tool_not_called: multiply"
    )
    assert view["messages"] == [
        ("system", SHAKESPEARE, [], None),
        ("user", "what is 23 times 87", [], None),
    ]
    assert view["tool_calls"] == [("multiply", {"a": 23, "b": 87}, "call_Re47Qyh8AggDGEEzlhb4fu7h")]
    assert view["output"] is None and view["finish_reason"] is None
    assert view["usage"] == {"prompt_tokens": 229, "completion_tokens": 21, "total_tokens": 250}
    text = inspected(pytester, path)
    assert (
        "[empty_output]" not in text and "2 span(s) name a parent that is not in the file" in text
    )


def test_spec_llm_span_without_a_model_is_refused_clearly(pytester):
    path = sample(pytester, "phoenix", "oi-spec-traces-chain-root-plus-llm")
    result = promote(pytester, path, "--promote-check", "contains: hello")
    assert result.ret == 1 and written_cases(pytester) == []
    result.stdout.fnmatch_lines(["*span 'llm' (ad67332a-*) records no model name*"])
    text = inspected(pytester, path)
    assert "chain      query" in text and "llm          llm" in text


def test_genai_fixture_attributes_only_with_multi_part_contents(pytester):
    path = sample(pytester, "phoenix", "oi-genai-fixture-flat-attrs-toolcalls")
    case, output = promoted(pytester, path, "--promote-check", "not_contains: rainy")
    assert golden_view(case) == {
        "model": "openai/gpt-4-0613",
        "params": {"temperature": 0.5, "top_p": 0.9, "max_completion_tokens": 200},
        "messages": [
            ("user", "Weather in Paris?", [], None),
            ("assistant", "Absolutely! Let me check the weather for", ["get_weather"], None),
            ("tool", "rainy, 57°F", [], "1234"),
        ],
        "tools": [],
        "tool_calls": [],
        "output": "The weather in Paris is currently rainy ",
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 97, "completion_tokens": 52, "total_tokens": 149},
        "not_carried": None,
    }
    note = "note: the file holds one span's attributes without the span around them"
    assert note in inspected(pytester, path)
    assert "not recorded in the trace: seed, tool definitions" in output


def test_genai_fixture_input_and_output_values_only(pytester):
    """No llm.input_messages: the GenAI "parts" request in input.value is the input and
    the ``{"text", "finish_reason"}`` in output.value the answer."""
    path = sample(pytester, "phoenix", "oi-genai-fixture-input-output-only")
    case, _ = promoted(pytester, path, "--promote-check", "not_contains: rainy")
    view = golden_view(case)
    assert view["messages"] == [
        ("user", "Weather in Paris?", [], None),
        ("assistant", "Absolutely! Let me check the weather for", ["get_weather"], None),
        ("tool", "rainy, 57°F", [], "1234"),
    ]
    assert (view["model"], view["output"], view["finish_reason"]) == (
        "openai/gpt-4-0613",
        "The weather in Paris is currently rainy ",
        "stop",
    )
    assert case["request"]["messages"][1]["tool_calls"][0]["id"] == "1234"


def test_js_openai_cached_prompt_tokens(pytester):
    path = sample(pytester, "phoenix", "oi-js-openai-chat-flat-attrs-cache-read")
    case, _ = promoted(pytester, path, "--promote-check", "not_contains: test")
    assert golden_view(case) == {
        "model": "openai/gpt-4o-mini",
        "params": {},
        "messages": [("user", "Say this is a test", [], None)],
        "tools": [],
        "tool_calls": [],
        "output": "This is a test.",
        "finish_reason": "stop",
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 5,
            "total_tokens": 17,
            "cached_tokens": 1,
        },
        "not_carried": None,
    }


def test_js_openai_tool_round_trip(pytester):
    path = sample(pytester, "phoenix", "oi-js-openai-chat-flat-attrs-toolcall-roundtrip")
    case, output = promoted(pytester, path, "--promote-check", "tool_not_called: getWeather")
    assert golden_view(case) == {
        "model": "openai/gpt-3.5-turbo-0613",
        "params": {},
        "messages": [
            ("user", "How is the weather this week?", [], None),
            ("assistant", None, ["getCurrentLocation"], None),
            ("tool", "Boston", [], "call_5ERYvu4iTGSvDlcDQjDP3g3J"),
        ],
        "tools": ["getCurrentLocation", "getWeather"],
        "tool_calls": [("getWeather", {"location": "Boston"}, "call_0LCdYLkdRUt3rV3dawoIFHBf")],
        "output": None,
        "finish_reason": "tool_calls",
        "usage": {"prompt_tokens": 86, "completion_tokens": 15, "total_tokens": 101},
        "not_carried": None,
    }
    assert case["request"]["tool_choice"] == "auto"
    assert "the request asked for 'gpt-3.5-turbo'" in output
    assert "[empty_output]" not in inspected(pytester, path)


def test_rest_envelope_with_only_http_attributes_is_refused_without_contradiction(pytester):
    path = sample(pytester, "phoenix", "phoenix-client-js-getspans-mock-envelope")
    result = promote(pytester, path, "--promote-check", "contains: x")
    assert result.ret == 1 and written_cases(pytester) == []
    text = result.stdout.str()
    assert "read as phoenix-json (1 span(s)), but no span holds the attributes" in text
    assert "Attribute keys in the file: http.method, test.attribute" in text


def test_nested_attributes_in_the_rest_envelope(pytester):
    """Hand-made: Phoenix's fully nested attribute form, in the REST envelope."""
    view, case, _, _ = promoted_view(
        pytester, "phoenix", NESTED, "--promote-check", "not_contains: delivered"
    )
    assert view["messages"] == [
        ("system", "You are Acme's support agent. Use tools.", [], None),
        ("user", "Where is order A-1042?", [], None),
        ("assistant", None, ["get_order"], None),
        ("tool", '{"order_id": "A-1042", "status": "in_tra', [], "call_7Qx"),
    ]
    assert (view["model"], view["tools"], view["finish_reason"]) == (
        "openai/gpt-4.1-mini-2025-04-14",
        ["get_order"],
        "stop",
    )
    assert case["context"]["tool_calls"] == [
        {
            "name": "get_order",
            "arguments": {"order_id": "A-1042"},
            "result": {"order_id": "A-1042", "status": "in_transit"},
        }
    ]
    assert "session sess-77, user cust-9" in case["context"]["notes"]


def test_nested_attributes_reasoning_cache_and_unknown_parameters(pytester):
    span = ("--promote-span", "b2c3d4e5f6071829", "--promote-check")
    view, case, output, path = promoted_view(
        pytester, "phoenix", NESTED, *span, "tool_not_called: get_order"
    )
    assert view["tool_calls"] == [("get_order", {"order_id": "A-1042"}, "call_7Qx")]
    assert view["usage"] == {
        "prompt_tokens": 412,
        "completion_tokens": 58,
        "total_tokens": 470,
        "reasoning_tokens": 32,
        "cached_tokens": 256,
    }
    assert view["not_carried"] == "request parameter 'top_k', reasoning part"
    assert "not carried: request parameter 'top_k', reasoning part" in output
    assert case["model"]["params"] == {"temperature": 0}
    assert "not carried: request parameter 'top_k', reasoning part" in inspected(pytester, path)


def test_spans_dataframe_rows_as_json_lines(pytester):
    """Hand-made: ``get_spans_dataframe()`` rows written as JSON Lines."""
    view, case, _, _ = promoted_view(
        pytester,
        "phoenix",
        "synthetic-spans-dataframe-rows",
        "--promote-check",
        "not_contains: 14 days",
    )
    assert view["messages"] == [
        ("system", "Answer from the policy.", [], None),
        ("user", "What is the refund window?", [], None),
    ]
    assert (view["model"], view["params"], view["usage"]["total_tokens"]) == (
        "gpt-4o-mini-2024-07-18",
        {"max_tokens": 200},
        44,
    )
    assert case["observed"]["latency_ms"] == 1550.0


def _layouts() -> dict[str, object]:
    """One real span's attributes in every layout and container Phoenix writes."""
    flat = json.loads(
        (PHOENIX / "oi-js-openai-chat-flat-attrs-toolcall-roundtrip.json").read_text()
    )
    nested: dict = {}
    for key, value in flat.items():
        node, parts = nested, key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    nested = _lists(nested)

    def span(attributes, **extra):
        return {
            "name": "OpenAI Chat Completions",
            "context": {"trace_id": "ab" * 16, "span_id": "cd" * 8},
            "span_kind": "LLM",
            "parent_id": None,
            "start_time": "2025-01-01T00:00:00Z",
            "end_time": "2025-01-01T00:00:01.5Z",
            "status_code": "OK",
            "attributes": attributes,
            **extra,
        }

    partly = {
        k: v for k, v in flat.items() if not k.startswith(("llm.input_messages", "llm.tools"))
    }
    partly["llm.input_messages"] = [
        {k.split(".", 3)[3]: v for k, v in flat.items() if k.startswith(f"llm.input_messages.{i}.")}
        for i in range(3)
    ]
    partly["llm.tools"] = nested["llm"]["tools"]
    without_kind = {k: v for k, v in flat.items() if k != "openinference.span.kind"}
    return {
        "flat": span(flat),
        "partly nested": span(partly),
        "fully nested": span(nested),
        "kind only as span_kind": span(without_kind),
        "envelope": {"data": [span(nested)], "next_cursor": None},
        "list": [span(flat)],
        "attributes only, nested": nested,
    }


def _lists(node):
    """Objects whose keys are all numbers become lists (Phoenix's own unflattening)."""
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[k]) for k in sorted(node, key=int)]
    return {k: _lists(v) for k, v in node.items()}


@pytest.mark.parametrize("layout", sorted(_layouts()))
def test_every_attribute_layout_reads_the_same_call(tmp_path, layout):
    path = tmp_path / "spans.json"
    path.write_text(json.dumps(_layouts()[layout]), encoding="utf-8")
    trace = read_trace(path)
    (span,) = trace.llm_spans()
    call = span.llm
    assert trace.format == "phoenix-json"
    assert [m["role"] for m in call.messages] == ["user", "assistant", "tool"]
    assert [t["function"]["name"] for t in call.tools] == ["getCurrentLocation", "getWeather"]
    assert call.tool_calls[0]["id"] == "call_0LCdYLkdRUt3rV3dawoIFHBf"
    assert (call.request_model, call.response_model) == ("gpt-3.5-turbo", "gpt-3.5-turbo-0613")
    assert (call.finish_reason, call.usage["total_tokens"]) == ("tool_calls", 101)
    if "attributes only" not in layout:
        assert span.latency_ms == 1500 and span.span_id == "cd" * 8


def test_json_lines_of_spans(tmp_path):
    spans = _layouts()["list"] * 1
    second = json.loads(json.dumps(spans[0]))
    second["context"]["span_id"] = "ef" * 8
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in (spans[0], second)), encoding="utf-8")
    assert len(read_trace(path).llm_spans()) == 2


def _console_span(attributes: dict) -> dict:
    return {
        "name": "ChatCompletion",
        "context": {"trace_id": "0x" + "ab" * 16, "span_id": "0x" + "cd" * 8},
        "kind": "SpanKind.INTERNAL",
        "parent_id": None,
        "start_time": "2025-01-01T00:00:00.000000Z",
        "end_time": "2025-01-01T00:00:01.000000Z",
        "status": {"status_code": "OK"},
        "attributes": attributes,
        "events": [],
        "resource": {"attributes": {}},
    }


def test_openinference_spans_exported_without_the_kind_attribute(tmp_path):
    """Console or OTLP spans with llm.* keys but no openinference.span.kind are LLM spans
    (the refusal used to cite the very llm.* keys it said it recognised)."""
    attributes = {
        "llm.model_name": "gpt-4o-mini",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Hi",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "Hello",
        "llm.finish_reason": "STOP",
    }
    console = tmp_path / "console.json"
    console.write_text(json.dumps(_console_span(attributes)), encoding="utf-8")
    collector = tmp_path / "otlp.json"
    collector.write_text(json.dumps(otlp(otlp_span("chat", "a1", None, attributes))))
    for path, fmt in ((console, "otel-console"), (collector, "otlp-json")):
        trace = read_trace(path)
        call = trace.llm_spans()[0].llm
        assert trace.format == fmt and (call.output, call.finish_reason) == ("Hello", "stop")


def test_refusal_names_what_identifies_each_convention(tmp_path):
    path = tmp_path / "console.json"
    path.write_text(json.dumps(_console_span({"llm.token_count.total": 5})), encoding="utf-8")
    with pytest.raises(TraceError) as refused:
        read_trace(path)
    message = str(refused.value)
    assert "read as otel-console (1 span(s)), but no span holds the attributes" in message
    assert "OpenInference (openinference.span.kind, or llm.model_name / llm.input_messages.*" in (
        message
    )
    assert message.endswith("Attribute keys in the file: llm.token_count.total")
    assert "llm.*)" not in message


def test_provider_names_become_litellm_prefixes(tmp_path):
    base = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "claude-sonnet-4",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Hi",
        "output.value": "Hello",
    }
    for extra, provider in (
        ({"llm.provider": "mistralai"}, "mistral"),
        ({"llm.provider": "google", "llm.system": "vertexai"}, "vertex_ai"),
        ({"llm.provider": "aws"}, "bedrock"),
        ({"llm.system": "anthropic"}, "anthropic"),
    ):
        path = tmp_path / "attributes.json"
        path.write_text(json.dumps({**base, **extra}), encoding="utf-8")
        call = read_trace(path).llm_spans()[0].llm
        assert (call.provider, call.output) == (provider, "Hello")


def test_raw_response_in_output_value_fills_finish_reason_and_served_model(tmp_path):
    raw = {
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"message": {"content": "ok"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.invocation_parameters": json.dumps({"model": "gpt-4o-mini", "stream": True}),
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Hi",
        "output.value": json.dumps(raw),
        "llm.token_count.prompt_details.audio": 7,
    }
    path = tmp_path / "attributes.json"
    path.write_text(json.dumps(attributes), encoding="utf-8")
    call = read_trace(path).llm_spans()[0].llm
    assert (call.output, call.finish_reason, call.response_model) == (
        "ok",
        "length",
        "gpt-4o-mini-2024-07-18",
    )
    assert call.usage["total_tokens"] == 4 and call.streaming is True
    assert call.not_carried == ["token count prompt_details.audio"]


def test_samples_are_listed_in_the_provenance_file():
    provenance = (PHOENIX / "PROVENANCE.md").read_text(encoding="utf-8")
    for path in sorted(Path(PHOENIX).glob("*.json")):
        assert f"## {path.name}" in provenance


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in PHOENIX.glob("*.json") if "mock-envelope" not in p.stem)
)
def test_inspect_reads_every_sample_without_a_false_signal(pytester, name):
    text = inspected(pytester, sample(pytester, "phoenix", name))
    assert "read as phoenix-json (OpenInference)" in text
    assert "[empty_output]" not in text and "Traceback" not in text
