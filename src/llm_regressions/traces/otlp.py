"""OTLP/JSON (Collector file exporter, OTLP HTTP JSON) -> neutral spans.

Decodes the protobuf-JSON encoding only (hex ids, integer or enum-name kinds and
status codes, 64-bit integers as strings, AnyValue attributes). What the attributes
mean is left to :mod:`llm_regressions.traces.conventions`.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import conventions
from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import ERROR, OK, UNSET, Span, Trace
from llm_regressions.traces.values import as_float, as_int

FORMAT = "otlp-json"
_STATUS = {0: UNSET, 1: OK, 2: ERROR, "STATUS_CODE_UNSET": UNSET, "STATUS_CODE_OK": OK}
_STATUS["STATUS_CODE_ERROR"] = ERROR


def any_value(value: Any) -> Any:
    """Decode one OTLP AnyValue into a plain Python value."""
    if not isinstance(value, dict) or not value:
        return None
    kind, inner = next(iter(value.items()))  # the first entry, without a list of all
    if kind == "stringValue":
        return inner
    if kind == "intValue":
        return as_int(inner)
    if kind == "doubleValue":
        return as_float(inner)  # protobuf JSON writes NaN and infinities as text
    if kind == "boolValue":
        return bool(inner)
    if kind == "arrayValue":
        return [any_value(v) for v in (inner or {}).get("values", [])]
    if kind == "kvlistValue":
        return key_values((inner or {}).get("values", []))
    return inner  # bytesValue stays base64 text


def key_values(items: Any) -> dict[str, Any]:
    found = {}
    for kv in items or ():
        if type(kv) is dict or isinstance(kv, dict):
            value = kv.get("value")
            # most values are strings: taken without a call
            text = value.get("stringValue") if type(value) is dict and len(value) == 1 else None
            found[kv.get("key")] = any_value(value) if text is None else text
    return found


def _batches(documents: list[Any], key: str) -> list[dict[str, Any]]:
    found = []
    for doc in documents:
        if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
            raise Declined(f"no top-level '{key}' list")
        found.extend(b for b in doc[key] if isinstance(b, dict))
    return found


def read(documents: list[Any], logs: list[Any] | None = None) -> Trace:
    """Spans of every ``resourceSpans`` batch, with log records joined by trace+span id."""
    batches = _batches(documents, "resourceSpans")
    records = index_logs(_batches(logs, "resourceLogs")) if logs else {}
    spans = []
    for batch in batches:
        resource = key_values((batch.get("resource") or {}).get("attributes"))
        for scoped in batch.get("scopeSpans") or batch.get("instrumentationLibrarySpans") or []:
            scope = (scoped.get("scope") or scoped.get("instrumentationLibrary") or {}).get("name")
            for raw in scoped.get("spans") or []:
                spans.append(_span(raw, scope, resource, records))
    if not spans:
        raise Declined("'resourceSpans' holds no spans")
    conventions.link(spans)
    return Trace(FORMAT, spans)


def _span(raw: dict, scope: str | None, resource: dict, records: dict) -> Span:
    if not raw.get("traceId") or not raw.get("spanId"):
        raise Declined("a span has no 'traceId'/'spanId'")
    status = raw.get("status") or {}
    span = Span(
        trace_id=str(raw["traceId"]).lower(),
        span_id=str(raw["spanId"]).lower(),
        parent_id=str(raw["parentSpanId"]).lower() if raw.get("parentSpanId") else None,
        name=str(raw.get("name") or "?"),
        start_ns=as_int(raw.get("startTimeUnixNano")),
        end_ns=as_int(raw.get("endTimeUnixNano")),
        status=_STATUS.get(status.get("code", 0), UNSET),
        status_message=status.get("message") or None,
        attributes=key_values(raw.get("attributes")),
        events=[
            {
                "name": e.get("name"),
                "time_ns": as_int(e.get("timeUnixNano")),
                "attributes": key_values(e.get("attributes")),
            }
            for e in raw.get("events") or []
        ],
        scope=scope,
    )
    logs = records.get((span.trace_id, span.span_id))
    if logs:
        conventions.attach_logs(span, logs)
    conventions.interpret(span, resource)
    return span


def index_logs(batches: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Log records keyed by (trace id, span id), in file order."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for batch in batches:
        for scoped in batch.get("scopeLogs") or []:
            for record in scoped.get("logRecords") or []:
                key = (
                    str(record.get("traceId", "")).lower(),
                    str(record.get("spanId", "")).lower(),
                )
                attributes = key_values(record.get("attributes"))
                found.setdefault(key, []).append(
                    {
                        "event": record.get("eventName") or attributes.get("event.name"),
                        "body": any_value(record.get("body")),
                        "attributes": attributes,
                    }
                )
    return found
