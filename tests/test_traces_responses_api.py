"""OpenAI Responses API shapes inside traces, read so the case replays through litellm's
chat completions: Logfire's OpenAI Agents spans (a real sample, tests/data/traces/
responses), OpenInference's OpenAI Agents spans and OpenLLMetry's ``openai.response`` span
(attribute sets written from the instrumentations' source, around real API bodies)."""

from __future__ import annotations

import json

from golden_support import inspected, not_carried, promoted, roles
from llm_regressions.traces import read_trace
from trace_support import TRACES, otlp, otlp_span, sample

FMT = "responses"
LOGFIRE = "logfire-openai-agents-test-responses-spans-handoff-toolcall"
BODIES = TRACES.parent / "provider-bodies"


def test_logfire_agents_second_agent_answer(pytester):
    path = sample(pytester, FMT, LOGFIRE)
    case, output = promoted(pytester, path, "--promote-check", "contains: '8'")
    assert "read as otel-console (Logfire OpenAI / OpenAI Agents)" in output
    assert case["source"]["span_id"] == "13"
    assert case["model"] == {"name": "openai/gpt-4o-2024-08-06", "params": {}}
    messages = case["request"]["messages"]
    assert roles(case) == ["system", "user", "assistant", "tool", "tool"]
    assert messages[0]["content"] == "Return double the number"  # the response's instructions
    assert messages[1]["content"] == "Generate a random number then, hand off to agent2."
    assert [c["function"]["name"] for c in messages[2]["tool_calls"]] == [
        "random_number",
        "transfer_to_agent2",
    ]
    assert [m["tool_call_id"] for m in messages[3:]] == [
        "call_vwqy7HyGGnNht9NNfxMnnouY",
        "call_oEA0MnUXCwKevx8txteoopNL",
    ]
    assert messages[3]["content"] == "4" and case["request"]["tools"] == []
    observed = case["observed"]
    assert observed["output"] == (
        "The random number generated is 4, and it's been handed off to agent2."
    )
    assert observed["finish_reason"] == "stop"  # status "completed", no tool call
    assert observed["usage"] == {
        "prompt_tokens": 89,
        "completion_tokens": 18,
        "total_tokens": 107,
        "reasoning_tokens": 0,
        "cached_tokens": 0,
    }
    assert observed["model"] == "gpt-4o-2024-08-06"
    assert case["context"]["tool_calls"] == [
        {"name": "random_number", "arguments": {}, "result": "4"}
    ]
    assert not_carried(output) == "model setting parallel_tool_calls"


def test_logfire_agents_first_agent_tool_calls(pytester):
    path = sample(pytester, FMT, LOGFIRE)
    case, _ = promoted(
        pytester, path, "--promote-span", "5", "--promote-check", "tool_not_called: random_number"
    )
    assert roles(case) == ["user"]
    assert [t["function"]["name"] for t in case["request"]["tools"]] == [
        "random_number",
        "transfer_to_agent2",
    ]
    observed = case["observed"]
    assert [c["name"] for c in observed["tool_calls"]] == ["random_number", "transfer_to_agent2"]
    assert observed["tool_calls"][0]["id"] == "call_vwqy7HyGGnNht9NNfxMnnouY"
    assert observed["finish_reason"] == "tool_calls" and "output" not in observed
    assert observed["usage"]["prompt_tokens"] == 0  # the recording's usage is all zeros


def test_logfire_agents_inspect(pytester):
    text = inspected(pytester, sample(pytester, FMT, LOGFIRE))
    assert "agent        Agent run: 'agent1'" in text
    assert "tool           Function: random_number" in text
    assert "llm            Responses API with 'gpt-4o'" in text
    assert "[empty_output]" not in text and "finish=tool_calls" in text


def _write(tmp_path, *spans):
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(otlp(*spans)), encoding="utf-8")
    return read_trace(path)


def _reasoning_call() -> tuple[dict, dict]:
    (interaction,) = json.loads(
        (BODIES / "openllmetry-cassette-responses-reasoning-gpt5nano.json").read_text()
    )["interactions"]
    return interaction["request"]["body"], interaction["response"]["body"]


def test_openinference_agents_response_span(tmp_path):
    """The OpenAI Agents instrumentation of OpenInference: ``output.value`` is the Response
    object, ``input.value`` the input items; its flattened messages skip reasoning items
    and put text in ``message.contents``."""
    request, response = _reasoning_call()
    response = {**response, "instructions": "Count carefully."}
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.system": "openai",
        "llm.model_name": response["model"],
        "llm.invocation_parameters": json.dumps({"model": response["model"]}),
        "input.value": json.dumps([{"role": "user", "content": request["input"]}]),
        "output.value": json.dumps(response),
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "Count carefully.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.content": request["input"],
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.contents.0.message_content.type": "text",
        "llm.output_messages.0.message.contents.0.message_content.text": "3",
        "llm.token_count.prompt": 11,
        "llm.token_count.completion": 327,
        "llm.token_count.total": 338,
        "llm.token_count.completion_details.reasoning": 320,
        "llm.token_count.prompt_details.cache_read": 0,
    }
    (span,) = _write(tmp_path, otlp_span("response", "c1" * 8, None, attributes)).llm_spans()
    call = span.llm
    assert call.messages == [
        {"role": "system", "content": "Count carefully."},
        {"role": "user", "content": "Count r's in strawberry"},
    ]
    assert call.output == "3" and call.finish_reason == "stop"
    assert call.usage == {
        "prompt_tokens": 11,
        "completion_tokens": 327,
        "total_tokens": 338,
        "reasoning_tokens": 320,
        "cached_tokens": 0,
    }
    assert call.response_model == "gpt-5-nano-2025-08-07"
    assert call.not_carried == ["reasoning item"]


def test_openllmetry_openai_response_span(tmp_path):
    """OpenLLMetry's ``openai.response`` span: instructions as ``gen_ai.prompt.0`` (system),
    content blocks as JSON text, tool calls under ``gen_ai.completion.0.tool_calls``, the
    reasoning summary under ``gen_ai.completion.0.reasoning``."""
    blocks = [{"type": "input_text", "text": "What's the weather in London?"}]
    attributes = {
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4.1-nano",
        "gen_ai.response.model": "gpt-4.1-nano-2025-04-14",
        "gen_ai.response.id": "resp_685ff8928dc4819a",
        "gen_ai.usage.input_tokens": 58,
        "gen_ai.usage.output_tokens": 44,
        "llm.usage.total_tokens": 102,
        "gen_ai.usage.cache_read_input_tokens": 0,
        "gen_ai.usage.reasoning_tokens": 12,
        "llm.request.functions.0.name": "get_weather",
        "llm.request.functions.0.description": "Get the current weather for a location",
        "llm.request.functions.0.parameters": json.dumps(
            {"type": "object", "properties": {"location": {"type": "string"}}}
        ),
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "Answer with tools.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": json.dumps(blocks),
        "gen_ai.prompt.2.role": "computer-call",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.reasoning": json.dumps([]),
        "gen_ai.completion.0.tool_calls.0.id": "fc_685ff89422ec819a",
        "gen_ai.completion.0.tool_calls.0.name": "get_weather",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"location":"London"}',
    }
    (span,) = _write(tmp_path, otlp_span("openai.response", "d1" * 8, None, attributes)).llm_spans()
    call = span.llm
    assert call.messages == [
        {"role": "system", "content": "Answer with tools."},
        {"role": "user", "content": "What's the weather in London?"},
    ]
    assert call.tools[0]["function"]["name"] == "get_weather"
    assert call.tool_calls[0]["function"] == {
        "name": "get_weather",
        "arguments": '{"location":"London"}',  # as the model wrote it
    }
    assert call.usage == {
        "prompt_tokens": 58,
        "completion_tokens": 44,
        "total_tokens": 102,
        "reasoning_tokens": 12,
        "cached_tokens": 0,
    }
    assert call.finish_reason is None  # the Responses API has none; not invented
    assert call.not_carried == ["reasoning summary", "message with role 'computer-call'"]


def test_logfire_instrument_openai_chat_completion(tmp_path):
    """``logfire.instrument_openai()``'s chat span: ``request_data`` holds the request,
    ``response_data`` the message and usage (JSON strings on the wire)."""
    request = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
    }
    response = {
        "message": {"role": "assistant", "content": "Hello!", "tool_calls": None},
        "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14},
    }
    attributes = {
        "logfire.msg_template": "Chat Completion with {request_data[model]!r}",
        "logfire.msg": "Chat Completion with 'gpt-4o-mini'",
        "logfire.span_type": "span",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "request_data": json.dumps(request),
        "response_data": json.dumps(response),
    }
    (span,) = _write(tmp_path, otlp_span("Chat Completion", "e1" * 8, None, attributes)).llm_spans()
    assert span.name == "Chat Completion with 'gpt-4o-mini'"
    call = span.llm
    assert [m["role"] for m in call.messages] == ["system", "user"]
    assert call.tools[0]["function"]["name"] == "lookup"
    assert call.output == "Hello!" and call.tool_calls == []
    assert call.usage == {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14}
    assert call.not_carried == []
