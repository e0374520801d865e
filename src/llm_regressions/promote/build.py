"""One LLM span (plus the spans around it) -> the plain data of a version-1 case.

Only what the trace recorded goes in; what it did not record is listed in
``context.notes`` instead of being filled in.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from llm_regressions.casefile.model import FORMAT_VERSION
from llm_regressions.traces import providers
from llm_regressions.traces.model import LlmCall, Span, ToolUse, Trace
from llm_regressions.traces.values import maybe_json, ns_to_iso

MAX_CONTEXT_ITEMS = 20
#: How a reader's losses are listed, in the case's notes and in the command's output.
NOT_CARRIED = "not carried: "


def pinned_model(call: LlmCall) -> tuple[str, str | None]:
    """The litellm model string to replay with, and a note when it differs from the
    request (an alias pinned to the snapshot the provider served)."""
    asked, served = call.request_model, call.response_model
    name = served or asked or ""
    note = None
    if served and asked and _bare(served) != _bare(asked):
        note = f"pinned to the served snapshot {served!r}; the request asked for {asked!r}"
    if name and providers.split(name)[0] is None:  # no prefix yet (an ARN holds "/" too)
        head = asked.split("/", 1)[0] if asked and "/" in asked else None
        prefix = providers.litellm_prefix(head) or providers.litellm_prefix(call.provider)
        if prefix:
            name = f"{prefix}/{name}"
    return name, note


def _bare(model: str) -> str:
    """``model`` without its litellm provider prefix."""
    return providers.split(model)[1]


def content_hash(trace_id: str, span_id: str, request: dict, observed: dict) -> str:
    """Identifies a promoted span by its content, so promoting it twice is caught."""
    text = json.dumps([trace_id, span_id, request, observed], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def build_case(
    trace: Trace, span: Span, file_name: str, label: str, golden: bool
) -> tuple[dict[str, Any], list[str]]:
    """The case data (without checks/id) and the notes printed to the user."""
    call = span.llm
    model, pin_note = pinned_model(call)
    request: dict[str, Any] = {"messages": call.messages, "tools": call.tools}
    if call.tool_choice is not None:
        request["tool_choice"] = call.tool_choice
    if call.response_format is not None:
        request["response_format"] = call.response_format
    observed = _observed(span)
    missing = _missing(call)
    context, textless = _context(trace, span)
    session = _ancestry_value(trace, span, "session_id")
    user = _ancestry_value(trace, span, "user_id")
    notes = [n for n in (pin_note,) if n]
    if missing:
        notes.append("not recorded in the trace: " + ", ".join(missing))
    if session or user:
        notes.append(f"session {session or '-'}, user {user or '-'}")
    if textless:
        notes.append(f"no text recorded for retrieved document(s): {', '.join(textless[:5])}")
    if call.not_carried:
        notes.append(NOT_CARRIED + ", ".join(call.not_carried))
    if notes:
        context["notes"] = "\n".join(notes)
    digest = content_hash(span.trace_id, span.span_id, request, observed)
    data: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "id": f"{label.replace('_', '-')}-{digest[:8]}",
        "label": label,
        "golden": golden,
        "status": "open",
        "description": f"Promoted from {file_name} ({trace.format}), span {span.name!r}.",
        "source": _present(
            {
                "format": trace.format,
                "file": file_name,
                "trace_id": span.trace_id,
                "span_id": span.span_id,
                "captured_at": ns_to_iso(span.start_ns),
                "stream": True if call.streaming else None,
                "content_hash": digest,
            }
        ),
        "model": {"name": model, "params": dict(call.params)},
        "request": request,
        "context": context or None,
        "observed": observed,
    }
    return _present(data), notes


def _present(data: dict[str, Any]) -> dict[str, Any]:
    """The keys that have a value (a case leaves unrecorded fields out)."""
    return {k: v for k, v in data.items() if v is not None}


def _observed(span: Span) -> dict[str, Any]:
    call = span.llm
    observed = {
        "output": call.output,
        "tool_calls": [recorded_call(c) for c in call.tool_calls],
        "finish_reason": call.finish_reason,
        "usage": call.usage,
        "latency_ms": round(span.latency_ms, 1) if span.latency_ms is not None else None,
        "cost_usd": call.cost_usd,
        "model": call.response_model,
    }
    return {k: v for k, v in observed.items() if v is not None and v != []}


def recorded_call(call: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-shaped tool call of a trace -> the case format's recorded tool call
    (``{id, name, arguments}``; arguments parsed from JSON when they are)."""
    function = call.get("function") or {}
    arguments = maybe_json(function.get("arguments"))
    recorded = {"name": function.get("name") or "?", "arguments": arguments}
    if call.get("id"):
        recorded = {"id": call["id"], **recorded}
    if not isinstance(arguments, (dict, str)):
        recorded["arguments"] = json.dumps(arguments)
    return recorded


def _missing(call: LlmCall) -> list[str]:
    checks = {
        "request model": call.request_model,
        "served model": call.response_model,
        "seed": call.params.get("seed"),
        "finish reason": call.finish_reason,
        "token usage": call.usage,
        "output text": call.output if not call.tool_calls else "",
        "tool definitions": (call.tools or None) if _uses_tools(call) else [],
    }
    return [name for name, value in checks.items() if value is None]


def _uses_tools(call: LlmCall) -> bool:
    return bool(call.tool_calls) or any(m.get("role") == "tool" for m in call.messages)


def _context(trace: Trace, span: Span) -> tuple[dict[str, Any], list[str]]:
    """Retrieval documents and tool executions of the same trace that started before
    this span, and the ids of documents whose text was not recorded."""
    before = trace.before(span)
    documents, textless = [], []
    for other in before:
        for doc in (other.retrieval.documents or []) if other.retrieval else []:
            if doc.get("content") is None:
                textless.append(doc.get("id") or "?")
            else:
                documents.append({k: v for k, v in doc.items() if v not in (None, {})})
    tool_calls = [recorded_tool(o.tool) for o in before if o.tool is not None]
    context = {
        "retrieval": documents[:MAX_CONTEXT_ITEMS],
        "tool_calls": tool_calls[-MAX_CONTEXT_ITEMS:],
    }
    return {k: v for k, v in context.items() if v}, textless


def recorded_tool(tool: ToolUse) -> dict[str, Any]:
    arguments = tool.arguments
    if not isinstance(arguments, (dict, str)):
        arguments = json.dumps(arguments, default=str)
    recorded = {
        "id": tool.call_id,
        "name": tool.name,
        "arguments": arguments,
        "result": tool.result,
    }
    return {k: v for k, v in recorded.items() if v is not None}


def _ancestry_value(trace: Trace, span: Span, attribute: str) -> str | None:
    """The span's own value, else the nearest ancestor's (sessions sit on agent spans)."""
    return next(
        (getattr(n, attribute) for n in (span, *trace.ancestors(span)) if getattr(n, attribute)),
        None,
    )
