"""Trace file -> :class:`Trace`, naming the format it was read as.

The file is size-checked before it is read, must be UTF-8 text, and is parsed as one
JSON document, JSON Lines, or concatenated JSON objects (console exporter). Each reader
is then asked in turn; a file no reader accepts is refused with every reader's reason.
Nothing is guessed silently and nothing in the file is evaluated.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llm_regressions import jsontext
from llm_regressions.traces import (
    console,
    langfuse,
    langsmith,
    litellm_payload,
    native,
    otel_js,
    otlp,
    phoenix,
    tree,
)
from llm_regressions.traces.conventions import FAMILIES, KNOWN
from llm_regressions.traces.errors import BadTrace, Declined, TraceError
from llm_regressions.traces.model import Trace
from llm_regressions.traces.typecheck import check_spans

#: Larger files are refused before reading: inspect/promote work on one incident.
MAX_TRACE_BYTES = 100 * 1024 * 1024

Reader = Callable[[list[Any]], Trace]
READERS: tuple[tuple[str, Reader], ...] = (
    (native.FORMAT, native.read),
    (otlp.FORMAT, otlp.read),
    (phoenix.FORMAT, phoenix.read),
    (console.FORMAT, console.read),
    (otel_js.FORMAT, otel_js.read),
    (litellm_payload.FORMAT, litellm_payload.read),
    (langsmith.FORMAT, langsmith.read),
    (langfuse.FORMAT, langfuse.read),
)
_CONVENTION_FORMATS = (otlp.FORMAT, phoenix.FORMAT, console.FORMAT, otel_js.FORMAT)


def read_trace(path: Path, logs: Path | None = None) -> Trace:
    """Read, detect and link one trace file (plus an optional OTLP logs file)."""
    display = str(path)
    documents = parse_documents(path)
    log_documents = parse_documents(logs) if logs else None
    try:
        name, trace = _detect(display, documents, log_documents)
        check_spans(trace.spans)
    except BadTrace as exc:
        raise TraceError(f"{display}: {exc}") from None
    if name in _CONVENTION_FORMATS and not any(KNOWN in s.attributes for s in trace.spans):
        raise TraceError(_no_convention(display, name, trace))
    if logs and name != otlp.FORMAT:
        raise TraceError(f"{logs}: a logs file only goes with an OTLP/JSON trace, not {name}")
    tree.check_links(trace, display)
    return trace


def _detect(
    display: str, documents: list[Any], log_documents: list[Any] | None
) -> tuple[str, Trace]:
    """The first reader that accepts the documents, and what it read."""
    declined = []
    for name, reader in READERS:
        try:
            if name == otlp.FORMAT:
                return name, otlp.read(documents, log_documents)
            return name, reader(documents)
        except Declined as exc:
            declined.append(f"  {name}: {exc}")
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            declined.append(f"  {name}: unexpected structure ({type(exc).__name__}: {exc})")
    raise TraceError(
        f"{display}: not a trace format this plugin reads. Formats tried:\n" + "\n".join(declined)
    )


def _no_convention(display: str, name: str, trace: Trace) -> str:
    """The refusal of spans no convention recognised: each convention with the keys that
    identify it (none of which the spans hold), then the keys the spans do hold."""
    keys = sorted({str(k) for s in trace.spans for k in s.attributes})
    shown = ", ".join(keys[:12]) + (f" (and {len(keys) - 12} more)" if len(keys) > 12 else "")
    return (
        f"{display}: read as {name} ({len(trace.spans)} span(s)), but no span holds the "
        "attributes of an LLM convention this plugin reads. Conventions tried, each with "
        "what identifies it: "
        + "; ".join(label for label, _ in FAMILIES)
        + ". "
        + (f"Attribute keys in the file: {shown}" if keys else "The spans hold no attributes.")
    )


def describe_format(trace: Trace) -> str:
    """The format name, plus the attribute conventions its spans used (OTLP formats)."""
    used = sorted(
        {str(s.attributes[KNOWN]).split(" (")[0] for s in trace.spans if KNOWN in s.attributes}
    )
    return f"{trace.format} ({', '.join(used)})" if used else trace.format


def parse_documents(path: Path) -> list[Any]:
    """The JSON values in ``path``: one document, JSON Lines, or concatenated objects."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TraceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size > MAX_TRACE_BYTES:
        raise TraceError(
            f"{path}: file is {size / 1_048_576:.0f} MB; trace files are limited to "
            f"{MAX_TRACE_BYTES // 1_048_576} MB. Export just the incident's trace "
            "(filter by trace id) and try again."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TraceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if b"\x00" in data[:65536]:
        raise TraceError(f"{path}: binary data (NUL bytes), not a JSON trace file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TraceError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "trace files are JSON"
        ) from None
    if not text.strip():
        raise TraceError(f"{path}: file is empty")
    try:
        return _parse(text)
    except RecursionError:
        raise TraceError(
            f"{path}: JSON nested too deeply (lists or objects more than "
            f"{sys.getrecursionlimit()} levels inside each other); no trace is shaped like "
            "that: was the file written by a trace exporter?"
        ) from None
    except ValueError as exc:
        raise TraceError(_json_problem(path, text, exc)) from None


def _parse(text: str) -> list[Any]:
    try:
        return [jsontext.loads(text)]
    except ValueError as exc:
        first_error = exc
    documents = _concatenated(text)
    if documents is not None:
        return documents
    raise first_error


def _concatenated(text: str) -> list[Any] | None:
    """JSON Lines or pretty-printed objects one after another; None if not that."""
    decoder = json.JSONDecoder()
    documents, at, end = [], 0, len(text)
    while True:
        while at < end and text[at].isspace():
            at += 1
        if at >= end:
            return documents if len(documents) > 1 else None
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:
            return None
        documents.append(value)


def _json_problem(path: Path, text: str, exc: ValueError) -> str:
    if not isinstance(exc, json.JSONDecodeError):
        return f"{path}: not JSON: {exc}"
    stripped = len(text.rstrip())
    ends_inside = exc.pos >= stripped - 1 or exc.msg.startswith("Unterminated string")
    if ends_inside and text.lstrip()[:1] in "{[":
        return (
            f"{path}: truncated JSON: the file ends inside a value (line {exc.lineno}); "
            "was the export cut off?"
        )
    return f"{path}: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
