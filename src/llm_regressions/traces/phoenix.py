"""Arize Phoenix span JSON -> neutral spans.

What Phoenix's clients and REST API (``GET /v1/projects/{id}/spans``) return: spans with
``name``, ``context.{trace_id,span_id}``, ``parent_id``, a top-level ``span_kind``,
``start_time``/``end_time`` (ISO 8601), ``status_code``/``status_message``, ``events`` and
``attributes``. Also the rows of the client's spans DataFrame written as JSON (flat
``context.span_id`` and ``attributes.llm.*`` columns, epoch-millisecond times), and one
span's attributes alone (what the UI's attributes pane copies). A file holds a list, one
span, JSON Lines, or the REST envelope ``{"data": [...], "next_cursor": ...}``.

Attributes come flat (``llm.input_messages.0.message.role``), partly nested (the
OpenInference spec's ``"llm.input_messages": [{"message.role": ...}]``) or fully nested
(``{"llm": {"input_messages": [{"message": {"role": ...}}]}}``); all three are flattened
to the dotted keys :mod:`.conventions.openinference` reads.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import conventions
from llm_regressions.traces.conventions.openinference import KIND, SPAN_KINDS, looks_like_llm
from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import ERROR, OK, UNSET, Span, Trace
from llm_regressions.traces.values import maybe_json, time_to_ns

FORMAT = "phoenix-json"
_STATUS = {"OK": OK, "ERROR": ERROR, "UNSET": UNSET}
#: Attributes whose value is one JSON object of its own, never a nest of attributes.
_OPAQUE = (
    "metadata",
    "llm.invocation_parameters",
    "llm.prompt_template.variables",
    "tool.parameters",
    "tool.json_schema",
    "input.value",
    "output.value",
)
#: Nesting deeper than this is kept as the value it is (no recursion without end).
_MAX_DEPTH = 24
ATTRIBUTES_ONLY = "attributes-only"


def read(documents: list[Any]) -> Trace:
    records = _records(documents)
    if records and all(map(_is_span, records)) and any(map(_is_phoenix, records)):
        spans, notes = [_span(r) for r in records], []
    elif len(records) == 1 and isinstance(records[0], dict) and _is_attribute_map(records[0]):
        spans = [_attributes_only(records[0])]
        notes = [
            "the file holds one span's attributes without the span around them: "
            "its ids, times and status are not recorded"
        ]
    else:
        raise Declined(
            "not Phoenix span JSON (need spans with 'context.span_id' and 'span_kind' or "
            "'status_code', or one span's OpenInference attributes)"
        )
    conventions.link(spans)
    return Trace(FORMAT, spans, notes)


def _records(documents: list[Any]) -> list[Any]:
    """The span objects of every document: the REST envelope's ``data``, a list, or one."""
    found: list[Any] = []
    for doc in documents:
        data = doc.get("data") if isinstance(doc, dict) else None
        if isinstance(data, list) and ("next_cursor" in doc or all(map(_is_span, data))):
            found.extend(data)
        elif isinstance(doc, list):
            found.extend(doc)
        else:
            found.append(doc)
    return found


def _is_span(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    context = obj.get("context")
    return bool(context.get("span_id") if isinstance(context, dict) else obj.get("context.span_id"))


def _is_phoenix(obj: dict[str, Any]) -> bool:
    """Phoenix's own fields (the OTel console exporter has ``kind`` and ``status``)."""
    return "span_kind" in obj or "status_code" in obj or "context.span_id" in obj


def _is_attribute_map(obj: dict[str, Any]) -> bool:
    attributes = flatten(obj)
    return KIND in attributes or looks_like_llm(attributes)


def _span(obj: dict[str, Any]) -> Span:
    context = obj["context"] if isinstance(obj.get("context"), dict) else {}
    attributes = flatten(_attributes(obj))
    kind = obj.get("span_kind")
    if isinstance(kind, str) and kind.upper() in SPAN_KINDS:
        attributes.setdefault(KIND, kind.upper())
    status = str(obj.get("status_code") or "UNSET").upper()
    span = Span(
        trace_id=_id(context.get("trace_id", obj.get("context.trace_id"))) or "",
        span_id=_id(context.get("span_id", obj.get("context.span_id"))) or "",
        parent_id=_id(obj.get("parent_id")),
        name=str(obj.get("name") or "?"),
        start_ns=time_to_ns(obj.get("start_time")),
        end_ns=time_to_ns(obj.get("end_time")),
        status=_STATUS.get(status.removeprefix("STATUS_CODE_"), UNSET),
        status_message=str(obj["status_message"]) if obj.get("status_message") else None,
        attributes=attributes,
        events=[_event(e) for e in _list(obj.get("events")) if isinstance(e, dict)],
    )
    _interpret(span)
    return span


def _interpret(span: Span) -> None:
    """The attribute conventions; a value of the wrong type refuses the file with the span
    named, not a traceback."""
    try:
        conventions.interpret(span, {})
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise Declined(
            f"span {span.span_id} ({span.name!r}): an attribute holds a value of an "
            f"unexpected type ({type(exc).__name__}: {exc})"
        ) from None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _attributes(obj: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` (an object or its JSON), plus a DataFrame row's ``attributes.*``
    columns (absent ones are null or NaN there)."""
    found = maybe_json(obj.get("attributes"))
    found = dict(found) if isinstance(found, dict) else {}
    for key, value in obj.items():
        if key.startswith("attributes.") and value is not None and value == value:
            found[key.removeprefix("attributes.")] = value
    return found


def _attributes_only(obj: dict[str, Any]) -> Span:
    attributes = flatten(obj)
    span = Span(
        trace_id=ATTRIBUTES_ONLY,
        span_id=ATTRIBUTES_ONLY,
        name=f"{str(attributes.get(KIND) or 'llm').lower()} (attributes only)",
        attributes=attributes,
    )
    _interpret(span)
    return span


def _event(event: dict[str, Any]) -> dict[str, Any]:
    attributes = maybe_json(event.get("attributes"))
    return {
        "name": event.get("name"),
        "time_ns": time_to_ns(event.get("timestamp")),
        "attributes": flatten(attributes) if isinstance(attributes, dict) else {},
    }


def _id(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return str(value).lower().removeprefix("0x")


def flatten(value: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested attributes (objects, and lists of objects) -> OTel's dotted keys, list
    items numbered: ``{"llm": {"input_messages": [{"message": {"role": "user"}}]}}`` ->
    ``{"llm.input_messages.0.message.role": "user"}``. Lists of plain values stay lists."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if depth >= _MAX_DEPTH or _opaque(name):
            flat[name] = item
        elif isinstance(item, dict) and item:
            flat.update(flatten(item, name + ".", depth + 1))
        elif isinstance(item, list) and item and all(isinstance(i, dict) for i in item):
            for index, element in enumerate(item):
                flat.update(flatten(element, f"{name}.{index}.", depth + 1))
        else:
            flat[name] = item
    return flat


def _opaque(name: str) -> bool:
    return any(name == o or name.endswith("." + o) for o in _OPAQUE)
