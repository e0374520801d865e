"""The plugin's own trace JSON: the neutral model written out as-is.

``{"llm_regressions_trace": 1, "format": ..., "spans": [...]}``. It is what other
tools can emit when no instrumentation format fits, and a lossless fixture format.
Once the marker is there the file is this format, so a wrong value is refused with
its span and field (:class:`BadTrace`) rather than passed on to the other readers.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from llm_regressions.traces.errors import BadTrace, Declined
from llm_regressions.traces.model import LlmCall, Retrieval, Span, ToolUse, Trace
from llm_regressions.traces.typecheck import check_spans, describe

FORMAT = "llm-regressions"
MARKER = "llm_regressions_trace"
_PARTS = {"llm": LlmCall, "tool": ToolUse, "retrieval": Retrieval}
_FIELDS = {f.name for f in dataclasses.fields(Span)}


def dump(trace: Trace) -> dict[str, Any]:
    return {
        MARKER: 1,
        "format": trace.format,
        "spans": [dataclasses.asdict(s) for s in trace.spans],
    }


def read(documents: list[Any]) -> Trace:
    if len(documents) != 1 or not isinstance(documents[0], dict) or MARKER not in documents[0]:
        raise Declined(f"no top-level '{MARKER}' key")
    doc = documents[0]
    if doc[MARKER] != 1:
        raise BadTrace(f"'{MARKER}' version {doc[MARKER]!r} is not supported (want 1)")
    raw = doc.get("spans")
    if not isinstance(raw, list):
        raise BadTrace(f"spans: expected a list, got {describe(raw)}")
    if not raw:
        raise BadTrace("'spans' is empty")
    check_spans(raw)  # every field has its declared type: constructing cannot fail
    return Trace(FORMAT, [_span(fields) for fields in raw])


def _span(raw: dict[str, Any]) -> Span:
    fields = {k: v for k, v in raw.items() if k in _FIELDS}
    for key, cls in _PARTS.items():
        if fields.get(key) is not None:
            known = {f.name for f in dataclasses.fields(cls)}
            fields[key] = cls(**{k: v for k, v in fields[key].items() if k in known})
    fields.setdefault("name", "?")
    return Span(**fields)
