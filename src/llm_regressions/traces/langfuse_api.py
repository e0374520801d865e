"""Langfuse's public API read shape: ``{"data": [observation, ...], "meta": {...}}``.

Each observation's fields are mapped onto the attributes the Langfuse SDK exports over
OTLP, so one convention module (:mod:`.conventions.langfuse`) interprets both.
"""

from __future__ import annotations

import json
from typing import Any

from llm_regressions.traces import conventions
from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import ERROR, OK, Span, Trace
from llm_regressions.traces.values import iso_to_ns

FORMAT = "langfuse-api"
_PREFIX = "langfuse.observation."
#: API field -> OTLP attribute suffix; values are JSON-encoded like the SDK does.
_FIELDS = {
    "input": "input",
    "output": "output",
    "modelParameters": "model.parameters",
    "usageDetails": "usage_details",
    "costDetails": "cost_details",
}


def read(documents: list[Any]) -> Trace:
    doc = documents[0] if len(documents) == 1 else None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list) or not data:
        raise Declined("no top-level 'data' list of observations")
    if not all(isinstance(o, dict) and "traceId" in o and "type" in o for o in data):
        raise Declined("'data' items are not observations (need 'traceId' and 'type')")
    spans = [_span(o) for o in data]
    return Trace(FORMAT, spans)


def _span(obs: dict[str, Any]) -> Span:
    failed = obs.get("level") == "ERROR"
    attributes: dict[str, Any] = {_PREFIX + "type": str(obs.get("type", "")).lower()}
    for field, suffix in _FIELDS.items():
        if obs.get(field) is not None:
            attributes[_PREFIX + suffix] = json.dumps(obs[field])
    if obs.get("model"):
        attributes[_PREFIX + "model.name"] = obs["model"]
    for key, value in (obs.get("metadata") or {}).items():
        attributes[f"{_PREFIX}metadata.{key}"] = json.dumps(value)
    if obs.get("sessionId"):
        attributes["session.id"] = obs["sessionId"]
    if obs.get("userId"):
        attributes["user.id"] = obs["userId"]
    span = Span(
        trace_id=str(obs["traceId"]),
        span_id=str(obs.get("id")),
        parent_id=str(obs["parentObservationId"]) if obs.get("parentObservationId") else None,
        name=str(obs.get("name") or obs.get("type")),
        start_ns=iso_to_ns(obs.get("startTime")),
        end_ns=iso_to_ns(obs.get("endTime")),
        status=ERROR if failed else OK,
        status_message=obs.get("statusMessage") if failed else None,
        attributes=attributes,
    )
    conventions.interpret(span, {})
    return span
