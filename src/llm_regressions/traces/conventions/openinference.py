"""OpenInference (Arize/Phoenix): ``openinference.span.kind`` plus flattened
``llm.input_messages.N.message.*``; the request parameters only exist as the JSON in
``llm.invocation_parameters`` (the request model included)."""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import model
from llm_regressions.traces.chat import clean, spoken
from llm_regressions.traces.shapes import (
    PARAM_NAMES,
    first_text,
    normalise_finish_reason,
    openai_tool_call,
    openai_tools,
    sampling_params,
    usage,
)
from llm_regressions.traces.values import as_float, indexed, maybe_json

_KINDS = {
    "LLM": model.LLM,
    "TOOL": model.TOOL,
    "RETRIEVER": model.RETRIEVAL,
    "AGENT": model.AGENT,
    "CHAIN": model.CHAIN,
}


def matches(span: model.Span) -> bool:
    return "openinference.span.kind" in span.attributes


def apply(span: model.Span) -> None:
    a = span.attributes
    span.kind = _KINDS.get(str(a.get("openinference.span.kind")).upper(), model.CHAIN)
    span.input = maybe_json(a.get("input.value"))
    span.output = maybe_json(a.get("output.value"))
    if span.kind == model.LLM:
        span.llm = _llm(a)
    elif span.kind == model.TOOL:
        span.tool = model.ToolUse(
            name=str(a.get("tool.name") or span.name), arguments=span.input, result=span.output
        )
    elif span.kind == model.RETRIEVAL:
        span.retrieval = model.Retrieval(query=first_text(span.input), documents=_documents(a))


def _llm(a: dict[str, Any]) -> model.LlmCall:
    invocation = maybe_json(a.get("llm.invocation_parameters"))
    invocation = invocation if isinstance(invocation, dict) else {}
    model_name = a.get("llm.model_name")
    request_model = invocation.get("model") or None
    outputs = [_message(m) for m in indexed(a, "llm.output_messages")]
    output, calls = spoken(outputs)
    if outputs and output is None and not calls:
        output = None  # an empty answer has no content key: the text is not recorded
    raw = a.get("output.value")
    call = model.LlmCall(
        request_model=request_model,
        response_model=model_name if model_name != request_model else _raw_model(raw),
        provider=a.get("llm.provider") or a.get("llm.system"),
        params=sampling_params((k, invocation.get(k)) for k in PARAM_NAMES),
        messages=[_message(m) for m in indexed(a, "llm.input_messages")],
        tools=openai_tools([t.get("tool.json_schema") for t in indexed(a, "llm.tools")])
        or openai_tools(invocation.get("tools")),
        tool_choice=invocation.get("tool_choice"),
        response_format=maybe_json(invocation.get("response_format")) or None,
        output=output if output is not None else _raw_text(raw),
        tool_calls=calls,
        finish_reason=normalise_finish_reason(a.get("llm.finish_reason")) or _raw_finish(raw),
        usage=usage(
            a.get("llm.token_count.prompt"),
            a.get("llm.token_count.completion"),
            a.get("llm.token_count.total"),
        ),
        cost_usd=as_float(a.get("llm.cost.total")),
    )
    if not isinstance(call.response_format, dict):
        call.response_format = None
    if request_model is None and model_name:
        # llm.model_name is the served model for openai and the requested one for
        # litellm; without invocation parameters it cannot be told apart.
        call.response_model = model_name
    return call


def _message(group: dict[str, Any]) -> dict[str, Any]:
    body = {k.removeprefix("message."): v for k, v in group.items()}
    calls = [
        openai_tool_call(
            c.get("tool_call.id"),
            c.get("tool_call.function.name"),
            c.get("tool_call.function.arguments"),
        )
        for c in indexed(body, "tool_calls")
    ]
    return clean({**body, "tool_calls": calls})


def _raw_response(raw: Any) -> dict[str, Any]:
    value = maybe_json(raw)
    return value if isinstance(value, dict) and isinstance(value.get("choices"), list) else {}


def _raw_model(raw: Any) -> str | None:
    return _raw_response(raw).get("model")


def _raw_choice(raw: Any) -> dict[str, Any]:
    choices = _raw_response(raw).get("choices") or [{}]
    return choices[0] if isinstance(choices[0], dict) else {}


def _raw_text(raw: Any) -> str | None:
    content = (_raw_choice(raw).get("message") or {}).get("content")
    return content if isinstance(content, str) else None


def _raw_finish(raw: Any) -> str | None:
    return normalise_finish_reason(_raw_choice(raw).get("finish_reason"))


def _documents(a: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for group in indexed(a, "retrieval.documents"):
        metadata = maybe_json(group.get("document.metadata"))
        found.append(
            {
                "id": None if group.get("document.id") is None else str(group["document.id"]),
                "content": group.get("document.content"),
                "score": as_float(group.get("document.score")),
                "metadata": metadata if isinstance(metadata, dict) else {},
            }
        )
    return found
