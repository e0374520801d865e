"""Langfuse SDK OTLP export: ``langfuse.observation.*`` attributes, JSON strings for
input/output/parameters/usage. A generation is read by :mod:`..langfuse_call`, like the
observations of Langfuse's own exports: the model name is the served model on success
and the requested one on error; non-streaming calls record no finish reason."""

from __future__ import annotations

from llm_regressions.traces import model
from llm_regressions.traces.langfuse import KINDS
from llm_regressions.traces.langfuse_call import llm_call
from llm_regressions.traces.shapes import documents, first_text, kwargs_of
from llm_regressions.traces.values import maybe_json

_META = "langfuse.observation.metadata."


def matches(span: model.Span) -> bool:
    return "langfuse.observation.type" in span.attributes


def apply(span: model.Span) -> None:
    a = span.attributes
    span.kind = KINDS.get(str(a.get("langfuse.observation.type")).upper(), model.CHAIN)
    span.input = maybe_json(a.get("langfuse.observation.input"))
    span.output = maybe_json(a.get("langfuse.observation.output"))
    if a.get("langfuse.observation.level") == "ERROR" and not span.is_error:
        span.status = "error"
    if span.kind == model.LLM:
        span.llm = _llm(span)
    elif span.kind == model.TOOL:
        span.tool = model.ToolUse(
            name=span.name, arguments=kwargs_of(span.input), result=span.output
        )
    elif span.kind == model.RETRIEVAL:
        span.retrieval = model.Retrieval(
            query=first_text(span.input), documents=documents(span.output)
        )
    span.status_message = span.status_message or a.get("langfuse.observation.status_message")


def _llm(span: model.Span) -> model.LlmCall:
    """The observation these attributes flatten, read like an exported one (the SDK
    quotes metadata values as JSON under ``metadata.<key>``); the span's other
    attributes stand in for the OTel attributes Langfuse keeps in the metadata."""
    a = span.attributes
    metadata = {k[len(_META) :]: maybe_json(v) for k, v in a.items() if k.startswith(_META)}
    observation = {
        "input": span.input,
        "output": span.output,
        "model": a.get("langfuse.observation.model.name"),
        "modelParameters": a.get("langfuse.observation.model.parameters"),
        "usageDetails": a.get("langfuse.observation.usage_details"),
        "costDetails": a.get("langfuse.observation.cost_details"),
        "metadata": {"attributes": a, **metadata},
    }
    return llm_call(observation, span.is_error)
