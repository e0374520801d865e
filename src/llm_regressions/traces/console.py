"""The OpenTelemetry SDK console exporter: pretty-printed span objects, concatenated.

Ids are ``0x``-prefixed hex, kinds and status codes are enum names, times are ISO 8601
and attributes are plain JSON values; the attribute conventions are the OTLP ones.
Logfire's ``exported_spans_as_dict`` has the same shape, with integer ids, Unix
nanosecond times and the parent as ``parent.span_id``.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import conventions
from llm_regressions.traces.model import ERROR, OK, UNSET, Span, Trace
from llm_regressions.traces.values import iso_to_ns

FORMAT = "otel-console"
_STATUS = {"OK": OK, "ERROR": ERROR, "UNSET": UNSET}


def read(documents: list[Any]) -> Trace:
    wanted = "not console-exporter spans (need 'name', 'context.span_id', 'attributes')"
    return conventions.span_list(documents, _is_span, _span, FORMAT, wanted)


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


def _time_ns(value: Any) -> int | None:
    """ISO 8601 text, or Unix nanoseconds (Logfire's ``exported_spans_as_dict``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return iso_to_ns(value)


def _parent(obj: dict[str, Any]) -> str | None:
    parent = obj.get("parent")  # Logfire: {"trace_id", "span_id", "is_remote"}
    return _hex(parent.get("span_id") if isinstance(parent, dict) else obj.get("parent_id"))


def _span(obj: dict[str, Any]) -> Span:
    context = obj["context"]
    status = obj.get("status") or {}
    span = Span(
        trace_id=_hex(context.get("trace_id")) or "",
        span_id=_hex(context.get("span_id")) or "",
        parent_id=_parent(obj),
        name=str(obj.get("name") or "?"),
        start_ns=_time_ns(obj.get("start_time")),
        end_ns=_time_ns(obj.get("end_time")),
        status=_STATUS.get(str(status.get("status_code", "UNSET")).split(".")[-1], UNSET),
        status_message=status.get("description") or None,
        attributes=dict(obj.get("attributes") or {}),
        events=[
            {
                "name": e.get("name"),
                "time_ns": _time_ns(e.get("timestamp", e.get("time"))),
                "attributes": e.get("attributes") or {},
            }
            for e in obj.get("events") or []
        ],
    )
    conventions.interpret(span, (obj.get("resource") or {}).get("attributes") or {})
    return span
