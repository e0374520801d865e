"""Vercel AI SDK telemetry (``ai.*`` attributes, AI SDK 4 to 6).

``ai.generateText`` / ``ai.streamText`` / ``ai.generateObject`` / ``ai.streamObject``
are what the app called (CHAIN spans); each request to the model is a child
``*.doGenerate`` / ``*.doStream`` span (LLM) holding the prompt as sent
(``ai.prompt.messages``), the tools offered, the answer (``ai.response.text``,
``.toolCalls``, ``.object``), the finish reason and the usage; ``ai.toolCall`` spans are
tool executions. The spans also carry a few ``gen_ai.*`` keys, so this family is tried
before the GenAI one. Vocabulary changed between versions (``maxTokens`` ->
``maxOutputTokens``, ``promptTokens`` -> ``inputTokens``, tool ``parameters`` ->
``inputSchema``, tool-call ``args`` -> ``input``): each is read.
"""

from __future__ import annotations

import json
from typing import Any

from llm_regressions.traces import chat, model
from llm_regressions.traces.providers import litellm_prefix
from llm_regressions.traces.shapes import normalise_finish_reason, openai_tool, usage_from
from llm_regressions.traces.values import maybe_json

_CALLS = ("ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject")
#: ``ai.settings.*`` -> OpenAI request parameters.
_SETTINGS = {
    "temperature": "temperature",
    "maxTokens": "max_tokens",
    "maxOutputTokens": "max_tokens",
    "topP": "top_p",
    "seed": "seed",
    "stopSequences": "stop",
    "frequencyPenalty": "frequency_penalty",
    "presencePenalty": "presence_penalty",
}
#: Settings of the SDK's own loop, not of the model request (or read elsewhere).
_CLIENT_SETTINGS = {"maxRetries", "maxSteps", "output", "mode", "topK"}
_NO_TOP_K = {"openai", "azure"}
_NOT_A_FINISH_REASON = {"unknown", "other"}
SCHEMA_WANTED = "llm_regressions.vercel.schema_wanted"


def matches(span: model.Span) -> bool:
    a = span.attributes
    return "ai.operationId" in a or (
        span.name.startswith("ai.") and any(k.startswith("ai.") for k in a)
    )


def apply(span: model.Span) -> None:
    a = span.attributes
    operation = str(a.get("ai.operationId") or span.name)
    span.input = maybe_json(a.get("ai.prompt.messages", a.get("ai.prompt")))
    span.output = maybe_json(
        a.get("ai.response.object", a.get("ai.response.text", a.get("ai.response.toolCalls")))
    )
    if operation == "ai.toolCall":
        span.kind, span.tool = model.TOOL, _tool(a, span.name)
    elif operation.endswith((".doGenerate", ".doStream")) and operation.startswith(_CALLS):
        span.kind, span.llm = model.LLM, _llm(a, operation)
    elif operation.startswith(_CALLS):
        span.kind = model.CHAIN


def _tool(a: dict[str, Any], name: str) -> model.ToolUse:
    arguments = a.get("ai.toolCall.args", a.get("ai.toolCall.input"))
    result = a.get("ai.toolCall.result", a.get("ai.toolCall.output"))
    return model.ToolUse(
        name=str(a.get("ai.toolCall.name") or name),
        arguments=maybe_json(arguments),
        result=maybe_json(result),
        call_id=a.get("ai.toolCall.id"),
    )


def _llm(a: dict[str, Any], operation: str) -> model.LlmCall:
    call = model.LlmCall(
        request_model=_name(a.get("ai.model.id")),
        response_model=_name(a.get("ai.response.model")),
        streaming=operation.endswith(".doStream"),
        usage=_usage(a),
    )
    call.provider = provider_prefix(a.get("ai.model.provider"), call.lose)
    call.params = _params(a, call)
    call.messages = chat.messages(json_list(a, "ai.prompt.messages", call), call.lose).messages
    call.tools = _tools(json_list(a, "ai.prompt.tools", call), call.lose)
    call.tool_choice = tool_choice(a.get("ai.prompt.toolChoice"))
    _answer(a, call)
    _finish(a.get("ai.response.finishReason"), call)
    if operation.startswith(("ai.generateObject", "ai.streamObject")):
        _object_format(a, call)
    for key in ("ai.response.reasoning", "ai.response.reasoningText", "ai.response.files"):
        if a.get(key):
            call.lose(key.removeprefix("ai.response.") + " output")
    return call


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def json_list(a: dict[str, Any], key: str, call: model.LlmCall) -> list[Any] | None:
    """A JSON-array attribute. One that does not parse (cut off by an attribute length
    limit) is listed as not carried, never read as text."""
    value = maybe_json(a.get(key))
    if isinstance(value, list):
        return [maybe_json(v) for v in value]
    if value is not None:
        call.lose(f"{key} (not a JSON array: cut off?)")
    return None


def provider_prefix(provider: Any, lose: chat.Lose) -> str | None:
    """``openai.responses`` -> ``openai``; ``google.vertex.chat`` -> ``vertex_ai``; a
    provider litellm has no prefix for (a mock) is named as not carried."""
    if not isinstance(provider, str) or not provider:
        return None
    found = litellm_prefix(provider)
    if found is None:
        lose(f"provider {provider!r} (no litellm prefix known for it)")
    return found


def _params(a: dict[str, Any], call: model.LlmCall) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in a.items():
        if not key.startswith("ai.settings.") or value in (None, ""):
            continue
        name = key.removeprefix("ai.settings.")
        if name in _SETTINGS:
            params[_SETTINGS[name]] = value
        elif name == "topK" and call.provider not in _NO_TOP_K:
            params["top_k"] = value
        elif name == "topK":
            call.lose("topK setting (not an OpenAI parameter)")
        elif name not in _CLIENT_SETTINGS:
            call.lose(f"setting {name}")
    return params


def _tools(value: list[Any] | None, lose: chat.Lose) -> list[dict[str, Any]]:
    """``ai.prompt.tools``: a list of JSON strings; provider-defined tools (web search,
    code execution...) have no OpenAI function form."""
    found = []
    for tool in value or []:
        if not isinstance(tool, dict):
            lose("a tool definition that is not a JSON object")
            continue
        kind = tool.get("type")
        converted = openai_tool(tool) if kind in ("function", None) else None
        if converted is None:
            lose(f"tool {tool.get('id') or tool.get('name')!r} of type {kind!r}")
        else:
            found.append(converted)
    return found


def tool_choice(value: Any) -> Any:
    """``{"type": "auto"}`` -> ``"auto"``; ``{"type": "tool", "toolName": "x"}`` -> OpenAI's
    named-function choice."""
    value = maybe_json(value)
    if isinstance(value, dict) and value.get("type") == "tool":
        return {"type": "function", "function": {"name": value.get("toolName")}}
    if isinstance(value, dict):
        return value.get("type")
    return value


def _usage(a: dict[str, Any]) -> dict[str, int] | None:
    """``ai.usage.*`` in any version's names; AI SDK 4 kept OpenAI's reasoning and cached
    counts (and Anthropic's cache reads) in ``ai.response.providerMetadata``."""
    counts = {k.removeprefix("ai.usage."): v for k, v in a.items() if k.startswith("ai.usage.")}
    metadata = maybe_json(a.get("ai.response.providerMetadata"))
    for vendor in metadata.values() if isinstance(metadata, dict) else []:
        if not isinstance(vendor, dict):
            continue
        if "reasoningTokens" in vendor:
            counts.setdefault("reasoningTokens", vendor["reasoningTokens"])
        for name in ("cachedPromptTokens", "cacheReadInputTokens"):
            if name in vendor:
                counts.setdefault("cachedInputTokens", vendor[name])
    return usage_from(counts)


def _answer(a: dict[str, Any], call: model.LlmCall) -> None:
    calls = json_list(a, "ai.response.toolCalls", call)
    if calls:
        call.tool_calls = chat.answer(calls, call.lose).tool_calls
    text = a.get("ai.response.object", a.get("ai.response.text"))
    if text is not None and not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False)
    # the SDK records "" beside tool calls; OpenAI's answer then has no content
    call.output = None if text == "" and call.tool_calls else text


def _finish(raw: Any, call: model.LlmCall) -> None:
    """``tool-calls`` -> ``tool_calls``...; ``unknown`` and ``other`` name no reason."""
    if isinstance(raw, str) and raw.lower() in _NOT_A_FINISH_REASON:
        call.lose(f"finish reason {raw!r}")
        return
    call.finish_reason = normalise_finish_reason(raw)


def _object_format(a: dict[str, Any], call: model.LlmCall) -> None:
    """generateObject's schema is recorded on the call's span (the parent); ``link``
    looks there when this span has none."""
    schema = maybe_json(a.get("ai.schema"))
    if isinstance(schema, dict):
        call.response_format = json_schema_format(a, schema)
    elif a.get("ai.settings.output") == "no-schema":
        call.response_format = {"type": "json_object"}
    else:
        a[SCHEMA_WANTED] = True


def json_schema_format(a: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": str(a.get("ai.schema.name") or "output"), "schema": schema}
    if a.get("ai.schema.description"):
        body["description"] = a["ai.schema.description"]
    return {"type": "json_schema", "json_schema": body}


def link(spans: list[model.Span]) -> None:
    """Give a generateObject model request the schema its parent span recorded."""
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    for span in spans:
        if span.llm is None or not span.attributes.pop(SCHEMA_WANTED, False):
            continue
        parent = by_id.get((span.trace_id, span.parent_id)) if span.parent_id else None
        found = parent.attributes if parent is not None else {}
        schema = maybe_json(found.get("ai.schema"))
        if isinstance(schema, dict):
            span.llm.response_format = json_schema_format(found, schema)
        elif found.get("ai.settings.output") == "no-schema":
            span.llm.response_format = {"type": "json_object"}
        else:
            span.llm.lose(
                "response format (the schema is on a generateObject span not in this trace)"
            )
