"""The OpenTelemetry SDK console exporter: pretty-printed span objects, concatenated.

Ids are ``0x``-prefixed hex, kinds and status codes are enum names, times are ISO 8601
and attributes are plain JSON values; the attribute conventions are the OTLP ones.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import conventions
from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import ERROR, OK, UNSET, Span, Trace
from llm_regressions.traces.values import iso_to_ns

FORMAT = "otel-console"
_STATUS = {"OK": OK, "ERROR": ERROR, "UNSET": UNSET}


def read(documents: list[Any]) -> Trace:
    objects = []
    for doc in documents:
        objects.extend(doc if isinstance(doc, list) else [doc])
    if not objects or not all(_is_span(o) for o in objects):
        raise Declined("not console-exporter spans (need 'name', 'context.span_id', 'attributes')")
    spans = [_span(o) for o in objects]
    conventions.link(spans)
    return Trace(FORMAT, spans)


def _is_span(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("context"), dict)
        and "span_id" in obj["context"]
    )


def _hex(value: Any) -> str | None:
    if not value:
        return None
    return str(value).lower().removeprefix("0x")


def _span(obj: dict[str, Any]) -> Span:
    context = obj["context"]
    status = obj.get("status") or {}
    span = Span(
        trace_id=_hex(context.get("trace_id")) or "",
        span_id=_hex(context.get("span_id")) or "",
        parent_id=_hex(obj.get("parent_id")),
        name=str(obj.get("name") or "?"),
        start_ns=iso_to_ns(obj.get("start_time")),
        end_ns=iso_to_ns(obj.get("end_time")),
        status=_STATUS.get(str(status.get("status_code", "UNSET")).split(".")[-1], UNSET),
        status_message=status.get("description") or None,
        attributes=dict(obj.get("attributes") or {}),
        events=[
            {
                "name": e.get("name"),
                "time_ns": iso_to_ns(e.get("timestamp")),
                "attributes": e.get("attributes") or {},
            }
            for e in obj.get("events") or []
        ],
    )
    conventions.interpret(span, (obj.get("resource") or {}).get("attributes") or {})
    return span
