"""OpenInference (Arize Phoenix, the OpenInference instrumentations, litellm's
arize/phoenix loggers): ``openinference.span.kind`` plus flattened ``llm.*`` attributes.

Messages are ``llm.input_messages.N.message.*``: text in ``message.content`` or in the
multi-part ``message.contents.M.message_content.*``, tool calls in
``message.tool_calls.K.tool_call.*``. The request parameters only exist as the JSON in
``llm.invocation_parameters``. ``output.value`` is often the provider's raw response: it
is read with :func:`chat.answer` for what the attributes leave out (finish reason, the
served model, tool-call ids), and ``input.value`` stands in for missing input messages.
Spans exported without the kind attribute are LLM spans when they carry
``llm.model_name`` or messages (and no GenAI attributes, which the GenAI family reads).
"""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import chat, model
from llm_regressions.traces.conventions import genai
from llm_regressions.traces.openai_call import sampling_params
from llm_regressions.traces.providers import litellm_prefix
from llm_regressions.traces.shapes import first_text, normalise_finish_reason, openai_tools, usage
from llm_regressions.traces.values import as_float, as_int, indexed, maybe_json

_KINDS = {
    "LLM": model.LLM,
    "TOOL": model.TOOL,
    "RETRIEVER": model.RETRIEVAL,
    "AGENT": model.AGENT,
    "CHAIN": model.CHAIN,
}
#: The OpenInference span kinds (Phoenix shows them as the span's ``span_kind``).
SPAN_KINDS = frozenset(_KINDS) | {
    "EMBEDDING",
    "RERANKER",
    "GUARDRAIL",
    "EVALUATOR",
    "PROMPT",
    "UNKNOWN",
}
KIND = "openinference.span.kind"
_TOKENS = "llm.token_count."
_USAGE_KEYS = (
    "prompt",
    "completion",
    "total",
    "completion_details.reasoning",
    "prompt_details.cache_read",
)


def matches(span: model.Span) -> bool:
    a = span.attributes
    return KIND in a or (not genai.matches(span) and looks_like_llm(a))  # genai's is quicker


def looks_like_llm(a: dict[str, Any]) -> bool:
    return "llm.model_name" in a or any(
        k.startswith(("llm.input_messages.", "llm.output_messages.")) for k in a
    )


def apply(span: model.Span) -> None:
    a = span.attributes
    kind = a.get(KIND)
    span.kind = model.LLM if kind is None else _KINDS.get(str(kind).upper(), model.CHAIN)
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
    invocation = _object(a.get("llm.invocation_parameters"))
    call = model.LlmCall(provider=_provider(a), cost_usd=as_float(a.get("llm.cost.total")))
    call.params = sampling_params(invocation, call.lose)
    if isinstance(invocation.get("stream"), bool):
        call.streaming = invocation["stream"]
    _request(a, invocation, call)
    served = _answer(a, call)
    _models(a, invocation, call, served)
    return call


def _object(value: Any) -> dict[str, Any]:
    value = maybe_json(value)
    return value if isinstance(value, dict) else {}


def _request(a: dict[str, Any], invocation: dict[str, Any], call: model.LlmCall) -> None:
    """Messages, tools, tool choice and response format; ``input.value`` (the request the
    instrumentation saw) fills in what the attributes do not hold."""
    inputs = [_openai_message(m) for m in indexed(a, "llm.input_messages")]
    given = chat.messages(_responses_request(a) or inputs or a.get("input.value"), call.lose)
    request = _object(a.get("input.value"))
    schemas = [t.get("tool.json_schema") for t in indexed(a, "llm.tools")]
    call.messages = given.messages
    call.tools = (
        openai_tools(schemas)
        or openai_tools(invocation.get("tools"))
        or given.tools
        or openai_tools(request.get("tools"))
    )
    if schemas and len(openai_tools(schemas)) < len(schemas):
        call.lose("tool definition(s) in llm.tools not in a known shape")
    call.tool_choice = invocation.get("tool_choice", request.get("tool_choice"))
    response_format = maybe_json(
        invocation.get("response_format") or request.get("response_format")
    )
    call.response_format = response_format if isinstance(response_format, dict) else None


def _openai_message(group: dict[str, Any]) -> dict[str, Any]:
    """One ``llm.*_messages.N`` group -> an OpenAI-shaped message for :mod:`chat`."""
    body = {k.removeprefix("message."): v for k, v in group.items()}
    message: dict[str, Any] = {"role": body.get("role"), "content": body.get("content")}
    parts = indexed(body, "contents")
    if parts and message["content"] is None:
        message["content"] = [_part(p) for p in parts]
    calls = [
        {
            "id": c.get("tool_call.id"),
            "function": {
                "name": c.get("tool_call.function.name"),
                "arguments": c.get("tool_call.function.arguments"),
            },
        }
        for c in indexed(body, "tool_calls")
    ]
    if calls:
        message["tool_calls"] = calls
    for key in ("tool_call_id", "name"):
        if body.get(key):
            message[key] = body[key]
    return message


def _part(group: dict[str, Any]) -> dict[str, Any]:
    """``message_content.{type,text,image.image.url}`` -> an OpenAI content part; other
    kinds (reasoning...) keep their type, so :mod:`chat` names them as not carried."""
    body = {k.removeprefix("message_content."): v for k, v in group.items()}
    kind = str(body.get("type") or "unknown")
    if kind == "text":
        return {"type": "text", "text": body.get("text") or ""}
    if kind == "image" and body.get("image.image.url"):
        return {"type": "image_url", "image_url": {"url": body["image.image.url"]}}
    return {"type": kind}


def _answer(a: dict[str, Any], call: model.LlmCall) -> str | None:
    """Output text, tool calls, finish reason and usage; returns the served model the raw
    response names, if any."""
    outputs = [_openai_message(m) for m in indexed(a, "llm.output_messages")]
    if _responses_request(a):
        outputs = []  # the Response object is complete; the attributes skip its reasoning
    raw = chat.answer(a.get("output.value"), _ignore if outputs else call.lose)
    if outputs:
        found = chat.answer(outputs, call.lose)
        call.output, call.tool_calls = found.text, _with_ids(found.tool_calls, raw.tool_calls)
    else:
        call.output, call.tool_calls = raw.text, raw.tool_calls
    call.finish_reason = normalise_finish_reason(a.get("llm.finish_reason")) or raw.finish_reason
    call.usage = _usage(a, call) or raw.usage
    return raw.model if isinstance(raw.model, str) else None


def _responses_request(a: dict[str, Any]) -> dict[str, Any] | None:
    """OpenAI Agents SDK spans: ``output.value`` is a Responses API object and
    ``input.value`` its input items, both complete where the flattened messages skip
    reasoning items, images and files: the request to read instead, or None."""
    raw = a.get("output.value")
    if isinstance(raw, str) and '"response"' not in raw:
        return None  # cheap: most spans hold a chat completion or text
    response = _object(raw)
    items = maybe_json(a.get("input.value"))
    if response.get("object") != "response" or not isinstance(items, (list, str)):
        return None
    return {"input": items, "instructions": response.get("instructions")}


def _ignore(_: str) -> None:
    return None


def _with_ids(calls: list[dict[str, Any]], raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls recorded without ids take them from the raw response's same calls."""
    if len(calls) != len(raw):
        return calls
    return [
        {**c, "id": r.get("id")}
        if not c.get("id") and c["function"]["name"] == r["function"]["name"]
        else c
        for c, r in zip(calls, raw, strict=True)
    ]


def _usage(a: dict[str, Any], call: model.LlmCall) -> dict[str, int] | None:
    counts = {k.removeprefix(_TOKENS): v for k, v in a.items() if k.startswith(_TOKENS)}
    for name in sorted(counts.keys() - set(_USAGE_KEYS)):
        if as_int(counts[name]):
            call.lose(f"token count {name}")
    return usage(*(counts.get(k) for k in _USAGE_KEYS))


def _models(
    a: dict[str, Any], invocation: dict[str, Any], call: model.LlmCall, served: str | None
) -> None:
    """``llm.model_name`` is the served model for openai and the requested one for
    litellm; the invocation parameters (or ``llm.request.model_name``) tell them apart."""
    model_name = _name(a.get("llm.model_name"))
    asked = _name(invocation.get("model")) or _name(a.get("llm.request.model_name"))
    call.request_model = asked
    named = model_name if model_name != asked else None
    call.response_model = _name(a.get("llm.response.model_name")) or named or served


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _provider(a: dict[str, Any]) -> str | None:
    if a.get("llm.system") == "vertexai":
        return "vertex_ai"
    name = _name(a.get("llm.provider")) or _name(a.get("llm.system"))
    return (litellm_prefix(name) or name) if name else None


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
