"""OpenTelemetry GenAI conventions and their dialects: OpenLLMetry current
(``gen_ai.input.messages`` parts JSON) and legacy (``gen_ai.prompt.N.*``), the GenAI
semconv with content on spans or in log records, litellm's own OTel logger
(``litellm_request``), plus traceloop's decorator spans (workflow/task/agent/tool).
"""

from __future__ import annotations

import re
from typing import Any

from llm_regressions.traces import chat, model
from llm_regressions.traces.chat import clean, spoken
from llm_regressions.traces.reading import request_wanted
from llm_regressions.traces.shapes import (
    documents,
    first_text,
    kwargs_of,
    normalise_finish_reason,
    openai_tool_call,
    openai_tools,
    param_values,
    usage,
)
from llm_regressions.traces.values import as_float, as_int, indexed, maybe_json

_LLM_OPERATIONS = {"chat", "text_completion", "generate_content", "completion"}
_NOT_LLM = {"execute_tool", "invoke_agent", "create_agent", "retrieval", "invoke_workflow"}
_PARAMS = {
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.seed": "seed",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
    "gen_ai.request.presence_penalty": "presence_penalty",
    "gen_ai.request.stop_sequences": "stop",
    "gen_ai.user": "user",
    "llm.user": "user",
}
_RETRIEVAL_NAME = re.compile(r"retriev|vector.?search|similarity.?search", re.IGNORECASE)
LOG_MESSAGES = "llm_regressions.log.messages"
LOG_CHOICES = "llm_regressions.log.choices"


def matches(span: model.Span) -> bool:
    return any(k.startswith(("gen_ai.", "traceloop.", "llm.request.")) for k in span.attributes)


#: Attributes holding JSON text that several readers of the span look at: parsed once,
#: in place (a 10,000-span trace holds thousands of them).
_JSON_TEXT = ("gen_ai.input.messages", "gen_ai.output.messages")


def apply(span: model.Span) -> None:
    a = span.attributes
    request = request_wanted()  # else the input stays as recorded: nobody reads it
    for key in _JSON_TEXT if request else _JSON_TEXT[1:]:
        if isinstance(a.get(key), str):
            a[key] = maybe_json(a[key])
    operation = a.get("gen_ai.operation.name")
    operation = operation if isinstance(operation, str) else None
    traceloop_kind = a.get("traceloop.span.kind")
    given = a.get("traceloop.entity.input", a.get("gen_ai.input.messages"))
    span.input = maybe_json(given) if request else given
    span.output = maybe_json(a.get("traceloop.entity.output", a.get("gen_ai.output.messages")))
    if span.name == "raw_gen_ai_request":
        return
    if _is_llm(span, operation):
        span.kind, span.llm = model.LLM, _llm(a)
    elif operation == "execute_tool" or traceloop_kind == "tool":
        span.kind, span.tool = model.TOOL, _tool(span)
    elif operation == "retrieval" or _RETRIEVAL_NAME.search(span.name):
        span.kind, span.retrieval = model.RETRIEVAL, _retrieval(span)
    elif operation in ("invoke_agent", "create_agent") or traceloop_kind == "agent":
        span.kind = model.AGENT
    elif operation == "invoke_workflow" or traceloop_kind in ("workflow", "task"):
        span.kind = model.CHAIN


def _is_llm(span: model.Span, operation: Any) -> bool:
    a = span.attributes
    kind = str(a.get("traceloop.span.kind") or "").lower()
    if operation in _LLM_OPERATIONS or span.name == "litellm_request" or kind == "llm":
        return True
    if operation in _NOT_LLM or kind:  # a decorator's workflow/task/agent/tool span
        return False
    return "gen_ai.request.model" in a or a.get("llm.request.type") in (
        "chat",
        "completion",
        "response",
    )


def llm_call(a: dict[str, Any]) -> model.LlmCall:
    """The model call these attributes describe (other families that carry ``gen_ai.*``
    keys beside their own start from it)."""
    return _llm(a)


def _llm(a: dict[str, Any]) -> model.LlmCall:
    call = model.LlmCall(
        request_model=a.get("gen_ai.request.model"),
        response_model=a.get("gen_ai.response.model"),
        provider=a.get("gen_ai.provider.name") or a.get("gen_ai.system"),
        usage=usage(
            a.get("gen_ai.usage.input_tokens", a.get("gen_ai.usage.prompt_tokens")),
            a.get("gen_ai.usage.output_tokens", a.get("gen_ai.usage.completion_tokens")),
            a.get("gen_ai.usage.total_tokens", a.get("llm.usage.total_tokens")),
            a.get("gen_ai.usage.reasoning_tokens", a.get("gen_ai.usage.reasoning.output_tokens")),
            a.get(
                "gen_ai.usage.cache_read_input_tokens",
                a.get("gen_ai.usage.cache_read.input_tokens"),
            ),
        ),
        cost_usd=as_float(a.get("gen_ai.cost.total_cost", a.get("gen_ai.usage.cost"))),
        streaming=a.get("gen_ai.is_streaming", a.get("llm.is_streaming")),
    )
    if request_wanted():
        call.params = param_values((name, a.get(key)) for key, name in _PARAMS.items())
        call.messages = _input_messages(a)
        call.tools = openai_tools(a.get("gen_ai.tool.definitions")) or _legacy_tools(a)
        call.response_format = _response_format(a)
    _responses_api_losses(a, call)
    outputs, finish = _output_messages(a)
    call.output, call.tool_calls = spoken(outputs)
    call.finish_reason = normalise_finish_reason(a.get("gen_ai.response.finish_reasons")) or finish
    if call.response_format:
        call.params.pop("response_format", None)
    return call


def _input_messages(a: dict[str, Any]) -> list[dict[str, Any]]:
    messages = chat.messages(a.get("gen_ai.input.messages")).messages
    if not messages:
        messages = [
            _legacy_message(m)
            for m in indexed(a, "gen_ai.prompt")
            if m.get("role") in (None, *chat.ROLES)  # others are listed as not carried
        ]
    if not messages:
        messages = list(a.get(LOG_MESSAGES) or [])
    instructions = maybe_json(a.get("gen_ai.system_instructions"))
    if instructions and not any(m["role"] == "system" for m in messages):
        if isinstance(instructions, list):
            instructions = "".join(
                str(p.get("content", "") if isinstance(p, dict) else p) for p in instructions
            )
        messages.insert(0, {"role": "system", "content": str(instructions)})
    return messages


def _responses_api_losses(a: dict[str, Any], call: model.LlmCall) -> None:
    """OpenLLMetry's ``openai.response`` span: reasoning summaries and computer-use items
    have no chat-completions form."""
    if a.get("gen_ai.completion.0.reasoning") is not None:
        call.lose("reasoning summary")
    if "gen_ai.prompt.0.role" not in a:
        return
    for group in indexed(a, "gen_ai.prompt"):
        if group.get("role") not in (None, *chat.ROLES):
            call.lose(f"message with role {group['role']!r}")


def _legacy_content(value: Any) -> Any:
    """Content recorded as the JSON of content blocks (OpenLLMetry writes the Responses
    API's ``input_text`` blocks so) -> text or OpenAI parts; any other text as it is."""
    blocks = maybe_json(value)
    if (
        isinstance(blocks, list)
        and blocks
        and all(isinstance(b, dict) and b.get("type") for b in blocks)
    ):
        (message, *_) = chat.messages([{"role": "user", "content": blocks}]).messages or [{}]
        return message.get("content", value)
    return value


def _legacy_message(group: dict[str, Any]) -> dict[str, Any]:
    calls = [
        openai_tool_call(c.get("id"), c.get("name"), c.get("arguments"))
        for c in indexed(group, "tool_calls")
    ]
    function = {k.split(".", 1)[1]: v for k, v in group.items() if k.startswith("function_call.")}
    if function.get("name"):
        calls.append(
            openai_tool_call(function.get("id"), function["name"], function.get("arguments"))
        )
    content = _legacy_content(group.get("content"))
    return clean({**group, "content": content, "tool_calls": calls})


def _output_messages(a: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    raw = maybe_json(a.get("gen_ai.output.messages"))
    messages = chat.messages(raw).messages
    legacy = indexed(a, "gen_ai.completion")
    finish = None
    if isinstance(raw, list):
        finish = next((m.get("finish_reason") for m in raw if isinstance(m, dict)), None)
    if legacy:
        finish = finish or next((g.get("finish_reason") for g in legacy), None)
        legacy_messages = [_legacy_message({"role": "assistant", **g}) for g in legacy]
        if not messages:
            messages = legacy_messages
        elif not any(m.get("tool_calls") for m in messages):  # litellm: calls only here
            messages += [m for m in legacy_messages if m.get("tool_calls")]
    choices = a.get(LOG_CHOICES) or []
    if not messages and choices:
        messages = [clean({"role": "assistant", **(c.get("message") or {})}) for c in choices]
        finish = next((c.get("finish_reason") for c in choices), None)
    return messages, normalise_finish_reason(finish)


def _legacy_tools(a: dict[str, Any]) -> list[dict[str, Any]]:
    return openai_tools(indexed(a, "llm.request.functions"))


def _response_format(a: dict[str, Any]) -> dict[str, Any] | None:
    schema = maybe_json(a.get("gen_ai.request.structured_output_schema"))
    if isinstance(schema, dict):
        if schema.get("type") in ("json_object", "json_schema", "text"):
            return schema
        return {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    named = a.get("gen_ai.openai.request.response_format")
    if isinstance(named, str) and named:
        return {"type": named}
    if a.get("gen_ai.output.type") == "json":
        return {"type": "json_object"}
    return None


def _tool(span: model.Span) -> model.ToolUse:
    a = span.attributes
    arguments = a.get("gen_ai.tool.call.arguments")
    result = a.get("gen_ai.tool.call.result")
    return model.ToolUse(
        name=str(a.get("gen_ai.tool.name") or a.get("traceloop.entity.name") or span.name),
        arguments=maybe_json(arguments) if arguments is not None else kwargs_of(span.input),
        result=maybe_json(result) if result is not None else span.output,
        call_id=a.get("gen_ai.tool.call.id"),
    )


def _retrieval(span: model.Span) -> model.Retrieval:
    a = span.attributes
    query = a.get("gen_ai.retrieval.query.text") or first_text(span.input)
    found = documents(a.get("gen_ai.retrieval.documents"))
    texts = documents(span.output) or next(
        (
            documents(v)
            for k, v in a.items()
            if k.endswith("retrieval.documents") and k != "gen_ai.retrieval.documents"
        ),
        None,
    )
    if found and texts:  # ids+scores from the convention, text from the app
        by_id = {d["id"]: d for d in texts}
        for doc in found:
            extra = by_id.get(doc["id"])
            if extra:
                doc["content"] = doc["content"] or extra["content"]
                doc["metadata"] = {**extra["metadata"], **doc["metadata"]}
    return model.Retrieval(query=query, documents=found or texts)


def attach_logs(span: model.Span, records: list[dict[str, Any]]) -> None:
    """GenAI event mode: the latest conventions put the content as structured attributes
    of one ``...inference.operation.details`` record; the v1.30 ones use one record per
    message (``gen_ai.user.message``, ``gen_ai.choice``...)."""
    a = span.attributes
    messages, choices = [], []
    for record in records:
        event = record.get("event") or ""
        body = record.get("body") if isinstance(record.get("body"), dict) else {}
        if event.endswith("operation.details"):
            for key, value in record["attributes"].items():
                a.setdefault(key, value)
        elif event == "gen_ai.choice":
            choices.append(body)
        elif event.startswith("gen_ai.") and event.endswith(".message"):
            role = event[len("gen_ai.") : -len(".message")]
            message = {"role": role, **body}
            if role == "tool" and "id" in body:
                message["tool_call_id"] = message.pop("id")
            messages.append(clean(message))
    if messages:
        a[LOG_MESSAGES] = messages
    if choices:
        a[LOG_CHOICES] = choices


def link(spans: list[model.Span]) -> None:
    """litellm's OTel logger records the seed only on the ``raw_gen_ai_request`` child
    (as a Python repr string): give it to the parent LLM span."""
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    for span in spans:
        if span.name != "raw_gen_ai_request" or not span.parent_id:
            continue
        parent = by_id.get((span.trace_id, span.parent_id))
        seed = as_int(span.attributes.get("llm.openai.seed"))
        if parent is not None and parent.llm is not None and seed is not None:
            parent.llm.params.setdefault("seed", seed)
