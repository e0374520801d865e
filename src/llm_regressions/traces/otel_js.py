"""OpenTelemetry JS SDK spans written out as JSON: ``ReadableSpan`` objects from an
``InMemorySpanExporter`` (or ``JSON.stringify`` of SDK spans), a list or one per line.

``spanContext`` (``_spanContext`` when stringified) holds the ids, the parent is
``parentSpanId`` (SDK 1.x) or ``parentSpanContext.spanId`` (2.x), times are hrtime
pairs ``[seconds, nanoseconds]`` and attributes are plain JSON values; the attribute
conventions are the OTLP ones. Captures made span by span may give every span its own
trace id and no parent: each is then its own trace, as the ids say.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import conventions
from llm_regressions.traces.model import ERROR, OK, UNSET, Span, Trace
from llm_regressions.traces.values import as_int

FORMAT = "otel-js"
_STATUS = {0: UNSET, 1: OK, 2: ERROR}


def read(documents: list[Any]) -> Trace:
    wanted = "not OpenTelemetry JS spans (need 'name' and 'spanContext.traceId/spanId')"
    return conventions.span_list(documents, _context, _span, FORMAT, wanted)


def _context(obj: Any) -> dict[str, Any] | None:
    if not isinstance(obj, dict) or "name" not in obj:
        return None
    context = obj.get("spanContext", obj.get("_spanContext"))
    if isinstance(context, dict) and context.get("traceId") and context.get("spanId"):
        return context
    return None


def _parent(obj: dict[str, Any]) -> str | None:
    parent = obj.get("parentSpanContext")
    value = parent.get("spanId") if isinstance(parent, dict) else obj.get("parentSpanId")
    return str(value).lower() if value else None


def hrtime_ns(value: Any) -> int | None:
    """``[seconds, nanoseconds]`` (the JS SDK's HrTime) -> Unix nanoseconds."""
    if isinstance(value, list) and len(value) == 2:
        seconds, nanos = as_int(value[0]), as_int(value[1])
        if seconds is not None and nanos is not None:
            return seconds * 1_000_000_000 + nanos
    return None


def _span(obj: dict[str, Any]) -> Span:
    context = _context(obj) or {}
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    attributes = obj.get("attributes")
    span = Span(
        trace_id=str(context["traceId"]).lower(),
        span_id=str(context["spanId"]).lower(),
        parent_id=_parent(obj),
        name=str(obj.get("name") or "?"),
        start_ns=hrtime_ns(obj.get("startTime")),
        end_ns=hrtime_ns(obj.get("endTime")),
        status=_STATUS.get(as_int(status.get("code")) or 0, UNSET),
        status_message=status.get("message") or None,
        attributes=dict(attributes) if isinstance(attributes, dict) else {},
        events=[
            {
                "name": e.get("name"),
                "time_ns": hrtime_ns(e.get("time")),
                "attributes": e["attributes"] if isinstance(e.get("attributes"), dict) else {},
            }
            for e in obj.get("events") or []
            if isinstance(e, dict)
        ],
    )
    resource = obj.get("resource") if isinstance(obj.get("resource"), dict) else {}
    conventions.interpret(span, resource.get("attributes") or {})
    return span
