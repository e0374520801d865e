"""Readers for the formats that have no sample folder: built from the field reference
(../shared/traces/README.md) and checked field by field after normalisation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_regressions.traces import TraceError, read_trace
from llm_regressions.traces.shapes import normalise_finish_reason
from trace_support import (
    TRACES,
    event_mode_chat_span,
    log_record,
    operation_details,
    otlp,
    otlp_logs,
    otlp_span,
    promoted,
    sample,
)


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def only_llm(trace):
    (span,) = trace.llm_spans()
    return span.llm


def test_openllmetry_legacy_flattened_attributes(tmp_path):
    attributes = {
        "llm.request.type": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.request.max_tokens": 200,
        "llm.user": "cust_1",
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "Be brief.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Where is A-1?",
        "gen_ai.prompt.2.role": "assistant",
        "gen_ai.prompt.2.tool_calls.0.id": "call_1",
        "gen_ai.prompt.2.tool_calls.0.name": "lookup",
        "gen_ai.prompt.2.tool_calls.0.arguments": '{"id": "A-1"}',
        "gen_ai.prompt.3.role": "tool",
        "gen_ai.prompt.3.tool_call_id": "call_1",
        "gen_ai.prompt.3.content": '{"status": "late"}',
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.id": "call_2",
        "gen_ai.completion.0.tool_calls.0.name": "lookup",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"id": "A-1"}',
        "llm.request.functions.0.name": "lookup",
        "llm.request.functions.0.description": "Find an order.",
        "llm.request.functions.0.parameters": '{"type": "object"}',
        "gen_ai.usage.input_tokens": 50,
        "gen_ai.usage.output_tokens": 9,
        "llm.usage.total_tokens": 59,
    }
    trace = read_trace(
        write(tmp_path, "t.json", otlp(otlp_span("openai.chat", "a1", None, attributes)))
    )
    call = only_llm(trace)
    assert [m["role"] for m in call.messages] == ["system", "user", "assistant", "tool"]
    assert call.messages[2]["tool_calls"][0]["function"] == {
        "name": "lookup",
        "arguments": '{"id": "A-1"}',
    }
    assert call.messages[3]["tool_call_id"] == "call_1"
    assert call.tool_calls[0]["id"] == "call_2" and call.output is None
    assert call.finish_reason == "tool_calls"
    assert call.tools == [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "description": "Find an order.",
                "parameters": {"type": "object"},
            },
        }
    ]
    assert call.usage == {"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59}
    assert call.params == {"max_tokens": 200, "user": "cust_1"}
    assert "seed" not in call.params  # not recorded: never invented


def test_litellm_otel_logger(tmp_path):
    attributes = {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.system": "openai",
        "gen_ai.input.messages": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "Stock?"}]}]
        ),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": []}]),
        "gen_ai.completion.0.function_call.name": "check_inventory",
        "gen_ai.completion.0.function_call.arguments": '{"sku": "X"}',
        "gen_ai.response.finish_reasons": '["tool_calls"]',
        "gen_ai.cost.total_cost": 0.0012,
    }
    spans = [
        otlp_span("litellm_request", "a1", None, attributes),
        otlp_span(
            "raw_gen_ai_request", "a2", "a1", {"llm.openai.seed": "7", "gen_ai.system": "openai"}
        ),
    ]
    call = only_llm(read_trace(write(tmp_path, "t.json", otlp(*spans))))
    assert call.tool_calls[0]["function"]["name"] == "check_inventory"
    assert call.finish_reason == "tool_calls" and call.cost_usd == 0.0012
    assert call.params == {"seed": 7}  # from the raw_gen_ai_request child


def test_genai_v130_content_in_log_records(tmp_path):
    span = event_mode_chat_span("a1")

    logs = otlp_logs(
        log_record("a1", "gen_ai.system.message", {"content": "Be brief."}),
        log_record("a1", "gen_ai.user.message", {"content": "Hi"}),
        log_record(
            "a1",
            "gen_ai.choice",
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hello!"},
            },
        ),
    )
    spans_path = write(tmp_path, "spans.json", otlp(span))
    call = only_llm(read_trace(spans_path, write(tmp_path, "logs.json", logs)))
    assert [m["role"] for m in call.messages] == ["system", "user"]
    assert call.output == "Hello!" and call.finish_reason == "stop"
    assert (
        only_llm(read_trace(spans_path)).messages == []
    )  # without the logs: missing, not invented


def test_genai_latest_operation_details_record(tmp_path):
    span = event_mode_chat_span("a1")
    logs = otlp_logs(operation_details("a1", "Hi", "Hey"))
    call = only_llm(
        read_trace(write(tmp_path, "s.json", otlp(span)), write(tmp_path, "l.json", logs))
    )
    assert call.messages == [{"role": "user", "content": "Hi"}]
    assert call.output == "Hey" and call.finish_reason == "stop"


def test_langsmith_runs(tmp_path):
    runs = {
        "runs": [
            {
                "id": "r1",
                "trace_id": "r1",
                "name": "agent",
                "run_type": "chain",
                "start_time": "2026-01-01T10:00:00+00:00",
                "end_time": "2026-01-01T10:00:02+00:00",
                "inputs": {"q": "Hi"},
                "outputs": {"output": "x"},
            },
            {
                "id": "r2",
                "trace_id": "r1",
                "parent_run_id": "r1",
                "name": "search",
                "run_type": "retriever",
                "start_time": "2026-01-01T10:00:00.100000+00:00",
                "end_time": "2026-01-01T10:00:00.200000+00:00",
                "inputs": {"query": "refunds"},
                "outputs": {
                    "documents": [
                        {"page_content": "14 days", "metadata": {"id": "kb-1"}, "type": "Document"}
                    ]
                },
            },
            {
                "id": "r3",
                "trace_id": "r1",
                "parent_run_id": "r1",
                "name": "ChatOpenAI",
                "run_type": "llm",
                "start_time": "2026-01-01T10:00:01+00:00",
                "end_time": "2026-01-01T10:00:01.500000+00:00",
                "inputs": {
                    "messages": [{"role": "user", "content": "Refund?"}],
                    "model": "gpt-4o-mini",
                    "temperature": 0,
                    "seed": 3,
                },
                "outputs": {
                    "model": "gpt-4o-mini-2024-07-18",
                    "choices": [
                        {
                            "message": {"role": "assistant", "content": "14 days"},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage_metadata": {"input_tokens": 10, "output_tokens": 3, "total_tokens": 13},
                },
                "extra": {"metadata": {"session_id": "s-1", "ls_provider": "openai"}},
            },
            {
                "id": "r4",
                "trace_id": "r1",
                "parent_run_id": "r1",
                "name": "lookup",
                "run_type": "tool",
                "start_time": "2026-01-01T10:00:01.600000+00:00",
                "end_time": "2026-01-01T10:00:01.700000+00:00",
                "inputs": {"id": "A-1"},
                "outputs": {"output": []},
                "error": "ValueError('boom')\nTraceback...",
            },
        ]
    }
    trace = read_trace(write(tmp_path, "runs.json", runs))
    assert trace.format == "langsmith"
    span = trace.find("r3")
    assert span.parent_id == "r1" and span.session_id == "s-1"
    assert span.llm.params == {"temperature": 0, "seed": 3}
    assert span.llm.usage == {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
    assert span.llm.output == "14 days" and span.llm.response_model == "gpt-4o-mini-2024-07-18"
    assert trace.find("r2").retrieval.documents[0]["content"] == "14 days"
    tool = trace.find("r4")
    assert tool.is_error and tool.status_message == "ValueError('boom')" and tool.tool.result == []


def test_console_exporter_concatenated_objects(tmp_path):
    def span(name, span_id, parent, attributes, status="OK"):
        return {
            "name": name,
            "context": {"trace_id": "0x" + "ab" * 16, "span_id": span_id, "trace_state": "[]"},
            "kind": "SpanKind.INTERNAL",
            "parent_id": parent,
            "start_time": "2026-01-01T10:00:00.123456789Z",
            "end_time": "2026-01-01T10:00:01.000000Z",
            "status": {"status_code": status},
            "attributes": attributes,
            "events": [],
            "links": [],
            "resource": {"attributes": {"service.name": "bot"}, "schema_url": ""},
        }

    root = span("agent", "0x00000000000000a1", None, {"openinference.span.kind": "AGENT"})
    llm = span(
        "ChatCompletion",
        "0x00000000000000a2",
        "0x00000000000000a1",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini-2024-07-18",
            "llm.invocation_parameters": '{"model": "gpt-4o-mini", "seed": 1}',
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "Hi",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "Hello",
            "llm.finish_reason": "stop",
        },
    )
    text = json.dumps(root, indent=4) + "\n" + json.dumps(llm, indent=4) + "\n"
    trace = read_trace(write(tmp_path, "console.txt", text))
    assert trace.format == "otel-console"
    child = trace.find("00000000000000a2")
    assert child.parent_id == "00000000000000a1" and child.latency_ms == pytest.approx(
        876.5, abs=0.1
    )
    assert child.llm.request_model == "gpt-4o-mini" and child.llm.params == {"seed": 1}


def test_collector_json_lines_equal_the_single_document():
    lines = read_trace(TRACES / "openllmetry" / "rag_stale_retrieval.collector.jsonl")
    (llm,) = lines.llm_spans()
    assert lines.format == "otlp-json" and llm.llm.response_format == {"type": "json_object"}
    assert any(s.retrieval and s.retrieval.documents for s in lines.spans)


def test_litellm_payload_single_object(tmp_path):
    (payload,) = json.loads(
        (TRACES / "litellm-standard-logging-payload" / "truncated_length.json").read_text()
    )
    trace = read_trace(write(tmp_path, "one.json", payload))
    call = only_llm(trace)
    assert trace.format == "litellm-payload" and call.finish_reason == "length"
    assert call.context_window == 128000 and call.cost_usd == pytest.approx(6.9e-05)


def test_native_round_trip(tmp_path):
    from llm_regressions.traces import native

    original = read_trace(TRACES / "openinference" / "agent_tool_loop.json")
    again = read_trace(write(tmp_path, "native.json", native.dump(original)))
    assert again.format == "llm-regressions"
    assert [s.llm for s in again.llm_spans()] == [s.llm for s in original.llm_spans()]


def test_openinference_tool_calls_and_tool_messages():
    trace = read_trace(TRACES / "openinference" / "agent_tool_loop.json")
    last = sorted(trace.llm_spans(), key=lambda s: s.sort_key)[-1].llm
    assistant = [m for m in last.messages if m["role"] == "assistant"]
    tools = [m for m in last.messages if m["role"] == "tool"]
    assert len(assistant) == 3 and len(tools) == 3
    assert assistant[0]["tool_calls"][0]["id"] == "call_loop1A1042xyz"
    assert tools[0]["tool_call_id"] == "call_loop1A1042xyz"
    assert last.tools[0]["function"]["name"] == "get_order_status"


def test_openllmetry_parts_tool_messages():
    trace = read_trace(TRACES / "openllmetry" / "agent_tool_loop.json")
    last = sorted(trace.llm_spans(), key=lambda s: s.sort_key)[-1].llm
    tool = next(m for m in last.messages if m["role"] == "tool")
    assert tool["tool_call_id"] == "call_loop1A1042xyz" and "processing" in tool["content"]
    assert last.finish_reason == "tool_calls"  # OpenLLMetry writes tool_call


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("tool_call", "tool_calls"),
        ('["length"]', "length"),
        (["stop"], "stop"),
        ("", None),
        (None, None),
    ],
)
def test_finish_reason_normalisation(raw, want):
    assert normalise_finish_reason(raw) == want


def test_logs_only_go_with_otlp(tmp_path):
    payload = TRACES / "litellm-standard-logging-payload" / "empty_completion.json"
    with pytest.raises(TraceError, match="logs file only goes with an OTLP/JSON trace"):
        read_trace(payload, write(tmp_path, "logs.json", {"resourceLogs": []}))


def test_openinference_over_litellm_keeps_the_provider_prefix(tmp_path):
    raw = {
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
    }
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.provider": "openai",
        "llm.model_name": "openai/gpt-4o-mini",
        "llm.invocation_parameters": json.dumps(
            {"model": "openai/gpt-4o-mini", "api_base": "http://x"}
        ),
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "Hi",
        "output.value": json.dumps(raw),
        "llm.cost.total": 0.5,
    }
    call = only_llm(
        read_trace(write(tmp_path, "t.json", otlp(otlp_span("completion", "a1", None, attributes))))
    )
    assert (call.request_model, call.response_model) == (
        "openai/gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    )
    assert call.output == "ok" and call.cost_usd == 0.5 and call.params == {}

    from llm_regressions.promote.build import pinned_model

    name, note = pinned_model(call)
    assert name == "openai/gpt-4o-mini-2024-07-18"
    assert "the request asked for 'openai/gpt-4o-mini'" in note


def test_langfuse_api_observations(tmp_path):
    def obs(id_, type_, parent=None, **fields):
        return {
            "id": id_,
            "traceId": "t-1",
            "parentObservationId": parent,
            "type": type_,
            "name": id_,
            "startTime": "2026-01-01T10:00:00.000Z",
            "endTime": "2026-01-01T10:00:01.250Z",
            **fields,
        }

    data = {
        "data": [
            obs("root", "SPAN", sessionId="s-9"),
            obs(
                "gen",
                "GENERATION",
                "root",
                model="gpt-4o-mini-2024-07-18",
                modelParameters={"temperature": 0, "max_tokens": 50},
                input=[{"role": "user", "content": "Hi"}],
                output={"role": "assistant", "content": "Hello"},
                usageDetails={"input": 5, "output": 1, "total": 6},
                metadata={"response_format": {"type": "json_object"}},
                sessionId="s-9",
            ),
        ],
        "meta": {"cursor": None},
    }
    trace = read_trace(write(tmp_path, "api.json", data))
    span = trace.find("gen")
    assert (
        trace.format == "langfuse-api-observations"
        and span.parent_id == "root"
        and span.session_id == "s-9"
    )
    assert span.llm.output == "Hello" and span.llm.params == {"temperature": 0, "max_tokens": 50}
    assert span.llm.usage == {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    assert span.llm.response_format == {"type": "json_object"} and span.latency_ms == 1250


def test_older_openllmetry_flattened_attributes_mock(pytester):
    """OpenLLMetry 0.33's flattened ``gen_ai.prompt.N`` / ``gen_ai.completion.N`` and old
    usage names, on a span that says ``traceloop.span.kind: LLM`` (a hand-written mock
    of another project's tests: tests/data/traces/agentmark-mocks/PROVENANCE.md)."""
    path = sample(
        pytester, "agentmark-mocks", "agentmark-mock-otlp-openllmetry-openai-chat-flattened"
    )
    case, _ = promoted(pytester, path, "--promote-check", "contains: Hello")
    assert case["model"] == {
        "name": "openai/gpt-4o-mini-2024-07-18",
        "params": {"temperature": 0.7},
    }
    assert case["request"]["messages"] == [
        {"role": "system", "content": "You are concise."},
        {"role": "user", "content": "Say hi in one word."},
    ]
    assert case["observed"]["output"] == "Hi" and case["observed"]["finish_reason"] == "stop"
    assert case["observed"]["usage"] == {
        "prompt_tokens": 18,
        "completion_tokens": 9,
        "total_tokens": 27,
    }


def test_openinference_langchain_attributes_mock(pytester):
    path = sample(
        pytester, "agentmark-mocks", "agentmark-mock-otlp-openinference-langchain-flattened"
    )
    case, _ = promoted(pytester, path, "--promote-check", "contains: Lyon")
    assert case["model"]["name"] == "openai/gpt-4o"
    assert [m["role"] for m in case["request"]["messages"]] == ["system", "user"]
    assert case["observed"]["output"] == "The capital of France is Paris."
    assert case["observed"]["usage"] == {
        "prompt_tokens": 11,
        "completion_tokens": 5,
        "total_tokens": 16,
    }
