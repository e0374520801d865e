"""The plugin's own trace JSON: the neutral model written out as-is.

``{"llm_regressions_trace": 1, "format": ..., "spans": [...]}``. It is what other
tools can emit when no instrumentation format fits, and a lossless fixture format.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import LlmCall, Retrieval, Span, ToolUse, Trace

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
        raise Declined(f"'{MARKER}' version {doc[MARKER]!r} is not supported (want 1)")
    spans = []
    for index, raw in enumerate(doc.get("spans") or []):
        if not isinstance(raw, dict) or not raw.get("span_id") or not raw.get("trace_id"):
            raise Declined(f"spans[{index}] needs 'trace_id' and 'span_id'")
        fields = {k: v for k, v in raw.items() if k in _FIELDS}
        for key, cls in _PARTS.items():
            if isinstance(fields.get(key), dict):
                known = {f.name for f in dataclasses.fields(cls)}
                fields[key] = cls(**{k: v for k, v in fields[key].items() if k in known})
        fields.setdefault("name", "?")
        spans.append(Span(**fields))
    if not spans:
        raise Declined("'spans' is empty")
    return Trace(FORMAT, spans)
