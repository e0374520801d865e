"""Attribute conventions on top of OTLP: which spans are LLM/tool/retrieval spans and
where their fields live. One module per family, tried most specific first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_regressions.traces.conventions import genai, langfuse, logfire, openinference, vercel
from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import Span, Trace
from llm_regressions.traces.values import objects_of

#: (name shown when a file is refused, module); the first whose ``matches`` is True wins.
FAMILIES = (
    ("Langfuse (langfuse.observation.type)", langfuse),
    ("Vercel AI SDK (ai.operationId, or an ai.* span with ai.* keys)", vercel),
    ("Logfire OpenAI / OpenAI Agents (logfire.msg_template with its content keys)", logfire),
    (
        "OpenInference (openinference.span.kind, or llm.model_name / llm.input_messages.*"
        " / llm.output_messages.*)",
        openinference,
    ),
    (
        "OpenTelemetry GenAI / OpenLLMetry / litellm (gen_ai.*, traceloop.*, llm.request.*)",
        genai,
    ),
)
KNOWN = "llm_regressions.convention"

_SESSION_KEYS = (
    "session.id",
    "traceloop.association.properties.session_id",
    "gen_ai.conversation.id",
    "langfuse.session.id",
    "ai.telemetry.metadata.sessionId",
    "ai.telemetry.metadata.session_id",
)
_USER_KEYS = (
    "user.id",
    "traceloop.association.properties.user_id",
    "langfuse.user.id",
    "ai.telemetry.metadata.userId",
    "ai.telemetry.metadata.user_id",
)


def interpret(span: Span, resource: dict[str, Any]) -> None:
    """Fill ``span``'s kind and LLM/tool/retrieval data from its attributes."""
    attributes = span.attributes
    for name, family in FAMILIES:
        if family.matches(span):
            family.apply(span)
            span.attributes[KNOWN] = name
            break
    span.session_id = _first(attributes, _SESSION_KEYS)
    span.user_id = _first(attributes, _USER_KEYS)
    if span.is_error:
        _error_details(span)


def span_list(
    documents: list[Any],
    is_span: Callable[[Any], Any],
    make_span: Callable[[Any], Span],
    trace_format: str,
    wanted: str,
) -> Trace:
    """A file of an OTel SDK's span objects (the console exporter, the JS SDK): every
    object must be a span (else ``Declined``, saying what was ``wanted``); each is made
    a Span with its attributes interpreted, then the spans are linked."""
    objects = objects_of(documents)
    if not objects or not all(is_span(o) for o in objects):
        raise Declined(wanted)
    spans = [make_span(o) for o in objects]
    link(spans)
    return Trace(trace_format, spans)


def link(spans: list[Span]) -> None:
    """Cross-span fix-ups, once every span is interpreted."""
    genai.link(spans)
    vercel.link(spans)


def attach_logs(span: Span, records: list[dict[str, Any]]) -> None:
    """Content recorded in log records (GenAI event mode) -> span attributes."""
    genai.attach_logs(span, records)


def _first(attributes: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def _error_details(span: Span) -> None:
    attributes = span.attributes
    exception = next((e for e in span.events if e.get("name") == "exception"), None)
    exc_attrs = exception["attributes"] if exception else {}
    span.error_type = (
        attributes.get("error.type") or exc_attrs.get("exception.type") or span.error_type
    )
    if not span.status_message:
        message = exc_attrs.get("exception.message") or attributes.get("error.message")
        span.status_message = str(message) if message else span.error_type
