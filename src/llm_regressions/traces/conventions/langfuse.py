"""Langfuse SDK OTLP export: ``langfuse.observation.*`` attributes, JSON strings for
input/output/parameters/usage. The model name is the served model on success and the
requested one on error; non-streaming calls record no finish reason."""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import chat, model
from llm_regressions.traces.chat import spoken
from llm_regressions.traces.shapes import (
    documents,
    first_text,
    kwargs_of,
    normalise_finish_reason,
    openai_tools,
    param_values,
    usage,
)
from llm_regressions.traces.values import as_float, maybe_json

_KINDS = {
    "generation": model.LLM,
    "tool": model.TOOL,
    "retriever": model.RETRIEVAL,
    "agent": model.AGENT,
    "chain": model.CHAIN,
    "span": model.CHAIN,
}
_PARAM_NAMES = ("temperature", "max_tokens", "seed", "top_p", "frequency_penalty")
_PARAM_NAMES += ("presence_penalty", "stop", "user")
_META = "langfuse.observation.metadata."


def matches(span: model.Span) -> bool:
    return "langfuse.observation.type" in span.attributes


def apply(span: model.Span) -> None:
    a = span.attributes
    span.kind = _KINDS.get(str(a.get("langfuse.observation.type")), model.CHAIN)
    span.input = maybe_json(a.get("langfuse.observation.input"))
    span.output = maybe_json(a.get("langfuse.observation.output"))
    if a.get("langfuse.observation.level") == "ERROR" and not span.is_error:
        span.status = "error"
    if span.kind == model.LLM:
        span.llm = _llm(span)
    elif span.kind == model.TOOL:
        span.tool = model.ToolUse(
            name=span.name, arguments=kwargs_of(span.input), result=span.output
        )
    elif span.kind == model.RETRIEVAL:
        span.retrieval = model.Retrieval(
            query=first_text(span.input), documents=documents(span.output)
        )
    span.status_message = span.status_message or a.get("langfuse.observation.status_message")


def metadata(a: dict[str, Any], key: str) -> Any:
    """App metadata is flattened under ``metadata.<key>`` with JSON-quoted values."""
    return maybe_json(a.get(_META + key))


def _llm(span: model.Span) -> model.LlmCall:
    a = span.attributes
    model_name = a.get("langfuse.observation.model.name")
    params = maybe_json(a.get("langfuse.observation.model.parameters"))
    params = params if isinstance(params, dict) else {}
    given = span.input
    tools: list[dict[str, Any]] = []
    if isinstance(given, dict) and "messages" in given:
        tools, given = openai_tools(given.get("tools")), given["messages"]
    answer = span.output
    outputs = chat.messages([answer]).messages if isinstance(answer, dict) else []
    output, calls = spoken(outputs)
    if isinstance(answer, str):
        output = answer
    counts = maybe_json(a.get("langfuse.observation.usage_details"))
    counts = counts if isinstance(counts, dict) else {}
    costs = maybe_json(a.get("langfuse.observation.cost_details"))
    response_format = metadata(a, "response_format")
    return model.LlmCall(
        # served model on success, requested model on error (see module docstring)
        request_model=model_name if span.is_error else None,
        response_model=None if span.is_error else model_name,
        params=param_values((k, params.get(k)) for k in _PARAM_NAMES),
        messages=chat.messages(given).messages,
        tools=tools or openai_tools(metadata(a, "tools")),
        tool_choice=metadata(a, "tool_choice"),
        response_format=response_format if isinstance(response_format, dict) else None,
        output=output,
        tool_calls=calls,
        finish_reason=normalise_finish_reason(metadata(a, "finish_reason")),
        usage=usage(
            counts.get("prompt_tokens", counts.get("input")),
            counts.get("completion_tokens", counts.get("output")),
            counts.get("total_tokens", counts.get("total")),
        ),
        cost_usd=as_float(costs.get("total")) if isinstance(costs, dict) else None,
    )
