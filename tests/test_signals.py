"""Failure signals that the samples do not show, on small hand-built traces."""

from __future__ import annotations

from llm_regressions.traces.model import ERROR, LlmCall, Retrieval, Span, ToolUse, Trace
from llm_regressions.traces.signals import diagnose

MS = 1_000_000


def span(span_id: str, start: int, end: int, **fields) -> Span:
    return Span(
        trace_id="t", span_id=span_id, name=span_id, start_ns=start * MS, end_ns=end * MS, **fields
    )


def codes(*spans: Span) -> list[str]:
    return [s.code for s in diagnose(Trace("test", list(spans)))]


def test_parser_error_on_valid_raw_output():
    llm = span(
        "llm", 0, 10, llm=LlmCall(output='{"a": 1}', response_format={"type": "json_object"})
    )
    parser = span(
        "parse_answer", 11, 12, status=ERROR, status_message="ValidationError: b is required"
    )
    (signal,) = diagnose(Trace("test", [llm, parser]))
    assert signal.code == "parser_error" and signal.span is parser
    assert "valid JSON" in signal.message


def test_parser_error_after_invalid_output_blames_the_model():
    llm = span("llm", 0, 10, llm=LlmCall(output='{"a": ', response_format={"type": "json_object"}))
    parser = span("parse", 11, 12, status=ERROR, status_message="JSONDecodeError: Expecting value")
    found = diagnose(Trace("test", [llm, parser]))
    assert [s.code for s in found] == ["json_invalid", "error_status"]
    assert found[0].check == {"json_valid": True}
    assert "not valid JSON" in found[1].cause


def test_refusal():
    llm = span("llm", 0, 1, llm=LlmCall(output="I'm sorry, but I can't help with that request."))
    (signal,) = diagnose(Trace("test", [llm]))
    assert signal.code == "refusal" and signal.check == {"not_refusal": True}


def test_context_window_near_limit_and_served_model_mismatch():
    call = LlmCall(
        request_model="gpt-4o",
        response_model="gpt-4o-mini-2024-07-18",
        usage={"prompt_tokens": 120_000},
    )
    assert codes(span("llm", 0, 1, llm=call)) == ["context_near_limit", "model_mismatch"]


def test_alias_resolved_to_its_snapshot_is_not_a_mismatch():
    call = LlmCall(
        request_model="openai/gpt-4o-mini", response_model="gpt-4o-mini-2024-07-18", output="ok"
    )
    assert codes(span("llm", 0, 1, llm=call)) == []


def test_empty_retrieval_and_empty_tool_result():
    retrieval = span("search", 0, 1, retrieval=Retrieval(query="refunds", documents=[]))
    tool = span(
        "lookup",
        2,
        3,
        tool=ToolUse(name="lookup", arguments={"id": 1}, result={"items": [], "total": 0}),
    )
    assert codes(retrieval, tool) == ["retrieval_empty", "tool_empty_success"]


def test_unrecorded_documents_or_results_are_no_signal():
    retrieval = span("search", 0, 1, retrieval=Retrieval(query="refunds", documents=None))
    tool = span("lookup", 2, 3, tool=ToolUse(name="lookup", result=None))
    assert codes(retrieval, tool) == []


def test_repeated_tool_spans_without_model_calls():
    tools = [
        span(
            f"t{i}",
            i * 2,
            i * 2 + 1,
            tool=ToolUse(name="get", arguments={"id": 1}, result={"s": 1}),
        )
        for i in range(3)
    ]
    found = diagnose(Trace("test", tools))
    assert [s.code for s in found] == ["repeated_tool_call"] and found[0].span is tools[2]
    assert found[0].check is None  # a tool span cannot be promoted: no check to suggest


def test_signals_ordered_by_span_end():
    parent = span("agent", 0, 100, status=ERROR, status_message="MaxIterations")
    child = span("llm", 10, 20, llm=LlmCall(output="", finish_reason="stop"))
    assert codes(parent, child) == ["empty_output", "error_status"]


def test_hallucinated_tool_arguments():
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get",
                "parameters": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}},
                    "required": ["id"],
                },
            },
        }
    ]
    bad = {"id": "c1", "type": "function", "function": {"name": "get", "arguments": '{"order": 1}'}}
    (signal,) = diagnose(
        Trace("test", [span("llm", 0, 1, llm=LlmCall(tools=tools, tool_calls=[bad]))])
    )
    assert signal.code == "tool_args_invalid" and signal.check == {"tool_args_valid": True}
    assert "'id' is a required property" in signal.message
