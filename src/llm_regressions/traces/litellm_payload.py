"""litellm ``StandardLoggingPayload`` JSON (one object per LLM call, or an array).

Every payload is one LLM span; there are no parent or tool spans, so a file holds the
model calls of a session in call order (``trace_id`` is litellm's session/trace id).
"""

from __future__ import annotations

from typing import Any

from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import ERROR, LLM, OK, Span, Trace
from llm_regressions.traces.openai_call import llm_call
from llm_regressions.traces.shapes import usage
from llm_regressions.traces.values import as_float, as_int, seconds_to_ns

FORMAT = "litellm-payload"
_REQUIRED = ("call_type", "messages", "model")


def read(documents: list[Any]) -> Trace:
    payloads = []
    for doc in documents:
        payloads.extend(doc if isinstance(doc, list) else [doc])
    if not payloads:
        raise Declined("empty")
    for payload in payloads:
        if not isinstance(payload, dict) or not all(k in payload for k in _REQUIRED):
            raise Declined(f"not StandardLoggingPayload objects (need {', '.join(_REQUIRED)})")
    return Trace(FORMAT, [_span(p, index) for index, p in enumerate(payloads)])


def _span(payload: dict[str, Any], index: int) -> Span:
    params = payload.get("model_parameters") or {}
    request = {**params, "messages": payload.get("messages") or []}
    call = llm_call(request, payload.get("response"), payload.get("model"))
    call.provider = payload.get("custom_llm_provider")
    call.cost_usd = as_float(payload.get("response_cost"))
    call.usage = call.usage or usage(
        payload.get("prompt_tokens"), payload.get("completion_tokens"), payload.get("total_tokens")
    )
    model_info = (payload.get("model_map_information") or {}).get("model_map_value") or {}
    call.context_window = as_int(model_info.get("max_input_tokens"))
    call.streaming = payload.get("stream")
    failed = payload.get("status") == "failure"
    if failed:
        call.usage = None if not payload.get("response") else call.usage
    error = payload.get("error_information") or {}
    metadata = payload.get("metadata") or {}
    return Span(
        trace_id=str(payload.get("trace_id") or "litellm"),
        span_id=str(payload.get("id") or f"call-{index}"),
        name=f"{payload.get('call_type')} {payload.get('model')}",
        kind=LLM,
        start_ns=seconds_to_ns(payload.get("startTime")),
        end_ns=seconds_to_ns(payload.get("endTime")),
        status=ERROR if failed else OK,
        status_message=(error.get("error_message") or payload.get("error_str")) if failed else None,
        error_type=(error.get("error_class") or None) if failed else None,
        session_id=metadata.get("session_id") or payload.get("trace_id"),
        user_id=payload.get("end_user") or params.get("user") or None,
        llm=call,
    )
