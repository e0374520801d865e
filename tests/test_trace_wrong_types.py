"""Wrong-typed values in a trace never crash --llm-inspect-trace or --promote-trace: each
is refused with one line naming the span and the field (exit code 1, nothing written),
or, where it can safely be ignored, read without harm."""

from __future__ import annotations

import copy
import json
import math

import pytest

from trace_support import chat_span, otlp, written_cases

CHECK = ["--promote-check", "max_chars: 1"]
NAN, INF = math.nan, math.inf
TRACE_ID = "ab" * 16
START = 1_795_000_000_000_000_000

NATIVE = {
    "llm_regressions_trace": 1,
    "spans": [
        {
            "trace_id": TRACE_ID,
            "span_id": "00000000000000a1",
            "name": "chat",
            "kind": "llm",
            "start_ns": START + 30_000_000,
            "end_ns": START + 70_000_000,
            "status": "ok",
            "llm": {
                "request_model": "openai/gpt-4o-mini",
                "params": {"temperature": 0, "max_tokens": 50},
                "messages": [{"role": "user", "content": "Hi"}],
                "output": "Hello",
                "finish_reason": "stop",
                "usage": {"prompt_tokens": 3, "completion_tokens": 2},
                "tool_calls": [],
            },
        },
        {
            "trace_id": TRACE_ID,
            "span_id": "00000000000000b2",
            "name": "search",
            "kind": "retrieval",
            "start_ns": START,
            "end_ns": START + 10_000_000,
            "retrieval": {
                "query": "hi",
                "documents": [{"id": "d1", "content": "c", "score": 0.5, "metadata": {}}],
            },
        },
        {
            "trace_id": TRACE_ID,
            "span_id": "00000000000000c3",
            "name": "lookup",
            "kind": "tool",
            "start_ns": START + 10_000_000,
            "end_ns": START + 20_000_000,
            "tool": {"name": "lookup", "arguments": {"q": 1}, "result": "ok"},
        },
    ],
}

#: (where, value, the field the refusal must name); where is a path into NATIVE.
WRONG = {
    "spans-a-string": (("spans",), "abc", "spans"),
    "span-a-string": (("spans", 0), "chat", "spans[0]"),
    "span-id-a-number": (("spans", 0, "span_id"), 123, "span_id"),
    "trace-id-a-list": (("spans", 0, "trace_id"), ["ab"], "trace_id"),
    "span-id-null": (("spans", 0, "span_id"), None, "span_id"),
    "name-null": (("spans", 0, "name"), None, "name"),
    "parent-id-a-number": (("spans", 1, "parent_id"), 5, "parent_id"),
    "kind-a-number": (("spans", 0, "kind"), 7, "kind"),
    "status-unknown": (("spans", 0, "status"), "bogus", "status"),
    "status-message-a-number": (("spans", 0, "status_message"), 5, "status_message"),
    "start-a-string": (("spans", 0, "start_ns"), "yesterday", "start_ns"),
    "start-true": (("spans", 0, "start_ns"), True, "start_ns"),
    "start-nan": (("spans", 0, "start_ns"), NAN, "start_ns"),
    "attributes-a-string": (("spans", 0, "attributes"), "x", "attributes"),
    "events-a-string": (("spans", 0, "events"), "x", "events"),
    "session-a-number": (("spans", 0, "session_id"), 42, "session_id"),
    "llm-a-string": (("spans", 0, "llm"), "gpt", "llm"),
    "llm-a-list": (("spans", 0, "llm"), [], "llm"),
    "model-a-number": (("spans", 0, "llm", "request_model"), 5, "llm.request_model"),
    "served-model-a-list": (("spans", 0, "llm", "response_model"), ["a"], "llm.response_model"),
    "messages-a-string": (("spans", 0, "llm", "messages"), "Hi", "llm.messages"),
    "message-a-string": (("spans", 0, "llm", "messages"), ["Hi"], "llm.messages[0]"),
    "role-a-number": (
        ("spans", 0, "llm", "messages"),
        [{"role": 5, "content": "Hi"}],
        "llm.messages[0].role",
    ),
    "role-missing": (("spans", 0, "llm", "messages"), [{"content": "Hi"}], "llm.messages[0].role"),
    "content-a-number": (
        ("spans", 0, "llm", "messages"),
        [{"role": "user", "content": 5}],
        "llm.messages[0].content",
    ),
    "usage-strings": (
        ("spans", 0, "llm", "usage", "prompt_tokens"),
        "3",
        "llm.usage.prompt_tokens",
    ),
    "usage-a-list": (("spans", 0, "llm", "usage"), [3, 2], "llm.usage"),
    "usage-infinity": (
        ("spans", 0, "llm", "usage", "prompt_tokens"),
        INF,
        "llm.usage.prompt_tokens",
    ),
    "tool-calls-a-string": (("spans", 0, "llm", "tool_calls"), "x", "llm.tool_calls"),
    "tool-call-a-string": (("spans", 0, "llm", "tool_calls"), ["x"], "llm.tool_calls[0]"),
    "tool-call-function-a-string": (
        ("spans", 0, "llm", "tool_calls"),
        [{"id": "c1", "type": "function", "function": "lookup"}],
        "llm.tool_calls[0].function",
    ),
    "params-a-list": (("spans", 0, "llm", "params"), [0.2], "llm.params"),
    "temperature-a-string": (("spans", 0, "llm", "params", "temperature"), "hot", "temperature"),
    "temperature-nan": (("spans", 0, "llm", "params", "temperature"), NAN, "temperature"),
    "max-tokens-a-string": (("spans", 0, "llm", "params", "max_tokens"), "50", "max_tokens"),
    "output-a-number": (("spans", 0, "llm", "output"), 42, "llm.output"),
    "finish-reason-a-list": (("spans", 0, "llm", "finish_reason"), ["stop"], "llm.finish_reason"),
    "tools-a-string": (("spans", 0, "llm", "tools"), "x", "llm.tools"),
    "tool-function-a-string": (
        ("spans", 0, "llm", "tools"),
        [{"type": "function", "function": "lookup"}],
        "llm.tools[0].function",
    ),
    "response-format-a-string": (("spans", 0, "llm", "response_format"), "json", "response_format"),
    "cost-nan": (("spans", 0, "llm", "cost_usd"), NAN, "llm.cost_usd"),
    "cost-a-string": (("spans", 0, "llm", "cost_usd"), "free", "llm.cost_usd"),
    "tool-a-string": (("spans", 2, "tool"), "lookup", "tool"),
    "tool-without-name": (("spans", 2, "tool"), {"arguments": {}}, "tool.name"),
    "documents-a-string": (("spans", 1, "retrieval", "documents"), "x", "retrieval.documents"),
    "document-a-string": (("spans", 1, "retrieval", "documents"), ["x"], "documents[0]"),
    "document-metadata-a-string": (
        ("spans", 1, "retrieval", "documents"),
        [{"id": "d1", "content": "c", "metadata": "x"}],
        "documents[0].metadata",
    ),
}

#: Values that are odd but can be read: the commands work as usual.
HARMLESS = {
    "unknown-span-field": (("spans", 0, "colour"), "red"),
    "unknown-llm-field": (("spans", 0, "llm", "vendor_extra"), {"a": [1]}),
    "no-times": (("spans", 0, "start_ns"), None),
    "huge-end": (("spans", 0, "end_ns"), 10**30),
    "huge-start": (("spans", 0, "start_ns"), 10**30),
    "negative-start": (("spans", 0, "start_ns"), -(10**30)),
    "negative-latency": (("spans", 0, "end_ns"), START),
    "huge-usage": (("spans", 0, "llm", "usage", "prompt_tokens"), 10**30),
    "huge-cost": (("spans", 0, "llm", "cost_usd"), 1e308),
    "empty-name": (("spans", 0, "name"), ""),
    "empty-query": (("spans", 1, "retrieval", "query"), ""),
    "tool-result-nan": (("spans", 2, "tool", "result"), NAN),
    "document-without-metadata": (("spans", 1, "retrieval", "documents"), [{"content": "c"}]),
    "huge-max-tokens": (("spans", 0, "llm", "params", "max_tokens"), 10**30),
    "tool-schema-no-json-schema": (
        ("spans", 0, "llm"),
        {
            **NATIVE["spans"][0]["llm"],
            "tools": [{"function": {"name": "lookup", "parameters": {"type": "nonsense"}}}],
            "tool_calls": [{"id": "c1", "function": {"name": "lookup", "arguments": "{}"}}],
        },
    ),
}


def native_with(where: tuple, value: object) -> dict:
    doc = copy.deepcopy(NATIVE)
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    return doc


def write(pytester: pytest.Pytester, name: str, data: object) -> str:
    path = pytester.path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def both_commands(pytester: pytest.Pytester, path: str) -> list[pytest.RunResult]:
    promote = ["--promote-trace", path, "--promote-label", "x_y", *CHECK]
    return [pytester.runpytest("--llm-inspect-trace", path), pytester.runpytest(*promote)]


def assert_one_line_refusal(result: pytest.RunResult, *fragments: str) -> None:
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, text
    assert "Traceback" not in text
    errors = [line for line in result.stdout.lines if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: "), text
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


@pytest.mark.parametrize(("where", "value", "field"), WRONG.values(), ids=WRONG.keys())
def test_wrong_types_in_the_native_format_are_refused(pytester, where, value, field):
    path = write(pytester, "native.json", native_with(where, value))
    span = f"spans[{where[1]}]" if len(where) > 1 else "native.json"
    for result in both_commands(pytester, path):
        assert_one_line_refusal(result, "native.json", span, field)
    assert written_cases(pytester) == []


@pytest.mark.parametrize(("where", "value"), HARMLESS.values(), ids=HARMLESS.keys())
def test_odd_but_readable_values_are_read(pytester, where, value):
    path = write(pytester, "native.json", native_with(where, value))
    inspect, promote = both_commands(pytester, path)
    for result in (inspect, promote):
        text = result.stdout.str() + result.stderr.str()
        assert result.ret == 0, text
        assert "Traceback" not in text
    assert len(written_cases(pytester)) == 1


@pytest.mark.parametrize(
    ("model", "kind"),
    [({"intValue": "5"}, "an integer"), ({"arrayValue": {"values": []}}, "a list")],
    ids=["int", "array"],
)
def test_otlp_model_name_that_is_not_a_string(pytester, model, kind):
    span = chat_span("00000000000000a1", "Hello")
    for attribute in span["attributes"]:
        if attribute["key"] == "gen_ai.request.model":
            attribute["value"] = model
    path = write(pytester, "otlp.json", otlp(span))
    for result in both_commands(pytester, path):
        assert_one_line_refusal(result, "otlp.json", "00000000000000a1", "llm.request_model", kind)
    assert written_cases(pytester) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("gen_ai.operation.name", {"arrayValue": {"values": [{"stringValue": "chat"}]}}),
        ("gen_ai.input.messages", {"stringValue": '[{"role": "user", "parts": ["Hi?"]}]'}),
        ("gen_ai.system_instructions", {"stringValue": "[1, 2]"}),
    ],
    ids=["operation-a-list", "parts-not-objects", "instructions-not-objects"],
)
def test_otlp_attributes_of_odd_shapes_are_read(pytester, key, value):
    span = chat_span("00000000000000a1", "Hello")
    span["attributes"] = [a for a in span["attributes"] if a["key"] != key]
    span["attributes"].append({"key": key, "value": value})
    inspect = pytester.runpytest("--llm-inspect-trace", write(pytester, "otlp.json", otlp(span)))
    assert inspect.ret == 0, inspect.stdout.str()
    inspect.stdout.fnmatch_lines(["*openai.chat*"])


def test_otlp_non_finite_numbers_are_not_recorded(pytester):
    # protobuf JSON writes NaN/Infinity doubles as strings, Python's json as bare words:
    # either way the value is no usable number, so it counts as not recorded
    extra = {"gen_ai.usage.cost": NAN, "gen_ai.request.temperature": INF}
    span = chat_span("00000000000000a1", "Hello", extra=extra)
    span["attributes"].append({"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1e999"}})
    span["attributes"].append({"key": "gen_ai.request.top_p", "value": {"doubleValue": "NaN"}})
    path = write(pytester, "otlp.json", otlp(span))
    for result in both_commands(pytester, path):
        assert result.ret == 0, result.stdout.str() + result.stderr.str()
    (case,) = written_cases(pytester)
    text = case.read_text(encoding="utf-8")
    for word in ("nan", "inf", "temperature", "top_p", "cost_usd", "prompt_tokens"):
        assert word not in text.lower(), text


def test_json_nested_deeper_than_the_parser_goes(pytester):
    nested = "[" * 5000 + "]" * 5000
    text = json.dumps(native_with(("spans", 2, "tool", "arguments"), "@")).replace('"@"', nested)
    path = write(pytester, "deep.json", text)
    for result in both_commands(pytester, path):
        assert_one_line_refusal(result, "deep.json", "nested", "levels")
    assert written_cases(pytester) == []


def test_a_case_that_would_nest_too_deep_is_not_written(pytester):
    nested = "[" * 600 + "]" * 600
    text = json.dumps(native_with(("spans", 2, "tool", "result"), "@")).replace('"@"', nested)
    path = write(pytester, "deep.json", text)
    inspect, promote = both_commands(pytester, path)
    assert inspect.ret == 0, inspect.stdout.str()
    assert_one_line_refusal(promote, "nested", "levels", "context.tool_calls[0].result")
    assert written_cases(pytester) == []


def test_deeply_nested_json_inside_an_attribute_string(pytester):
    nested = "[" * 5000 + "]" * 5000
    extra = {"gen_ai.tool.definitions": nested, "traceloop.entity.input": nested}
    path = write(pytester, "otlp.json", otlp(chat_span("00000000000000a1", "Hello", extra=extra)))
    for result in both_commands(pytester, path):
        text = result.stdout.str() + result.stderr.str()
        assert result.ret == 0, text
        assert "Traceback" not in text
