"""LangSmith runs: ``{"runs": [...]}``, a list of runs, a single run, or an ingest batch
``{"post": [...], "patch": [...]}``. Runs carry ``run_type``, ``inputs``/``outputs``
and ``parent_run_id``; LLM runs hold OpenAI request kwargs and the OpenAI response."""

from __future__ import annotations

from typing import Any

from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import (
    CHAIN,
    ERROR,
    LLM,
    OK,
    RETRIEVAL,
    TOOL,
    Retrieval,
    Span,
    ToolUse,
    Trace,
)
from llm_regressions.traces.openai_call import llm_call
from llm_regressions.traces.shapes import documents, first_text, usage
from llm_regressions.traces.values import iso_to_ns

FORMAT = "langsmith"
_KINDS = {"llm": LLM, "tool": TOOL, "retriever": RETRIEVAL}


def read(documents_: list[Any]) -> Trace:
    runs: dict[str, dict[str, Any]] = {}
    for doc in documents_:
        for run in _runs(doc):
            runs.setdefault(str(run["id"]), {}).update(
                {k: v for k, v in run.items() if v is not None}
            )
    if not runs:
        raise Declined("no runs (need 'runs', 'post' or objects with id, run_type)")
    return Trace(FORMAT, [_span(run) for run in runs.values()])


def _runs(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and ("runs" in doc or "post" in doc):
        found = (
            list(doc.get("runs") or []) + list(doc.get("post") or []) + list(doc.get("patch") or [])
        )
    else:
        found = doc if isinstance(doc, list) else [doc]
    for run in found:
        if (
            not isinstance(run, dict)
            or "id" not in run
            or not ("run_type" in run or "inputs" in run or "outputs" in run)
        ):
            raise Declined("not LangSmith runs (each needs 'id' and 'run_type')")
    return found


def _span(run: dict[str, Any]) -> Span:
    kind = _KINDS.get(run.get("run_type"), CHAIN)
    error = run.get("error")
    extra = (run.get("extra") or {}).get("metadata") or {}
    span = Span(
        trace_id=str(run.get("trace_id") or run["id"]),
        span_id=str(run["id"]),
        parent_id=str(run["parent_run_id"]) if run.get("parent_run_id") else None,
        name=str(run.get("name") or run.get("run_type") or "run"),
        kind=kind,
        start_ns=iso_to_ns(run.get("start_time")),
        end_ns=iso_to_ns(run.get("end_time")),
        status=ERROR if error or run.get("status") == "error" else OK,
        status_message=str(error).splitlines()[0] if error else None,
        session_id=extra.get("session_id"),
        user_id=extra.get("user_id"),
        input=run.get("inputs"),
        output=_unwrap(run.get("outputs")),
    )
    if kind == LLM:
        span.llm = _llm(run, extra)
    elif kind == TOOL:
        span.tool = ToolUse(name=span.name, arguments=span.input, result=span.output)
    elif kind == RETRIEVAL:
        span.retrieval = Retrieval(
            query=first_text(span.input), documents=documents(run.get("outputs"))
        )
    return span


def _unwrap(outputs: Any) -> Any:
    if isinstance(outputs, dict) and set(outputs) == {"output"}:
        return outputs["output"]
    return outputs


def _llm(run: dict[str, Any], extra: dict[str, Any]) -> Any:
    inputs = run.get("inputs") if isinstance(run.get("inputs"), dict) else {}
    invocation = extra.get("ls_invocation_params") or {}
    request = {**invocation, **inputs}
    outputs = run.get("outputs") if isinstance(run.get("outputs"), dict) else {}
    call = llm_call(request, outputs, inputs.get("model") or extra.get("ls_model_name"))
    call.provider = extra.get("ls_provider")
    counts = outputs.get("usage_metadata") or extra.get("usage_metadata") or {}
    if counts and not call.usage:
        call.usage = usage(
            counts.get("input_tokens"), counts.get("output_tokens"), counts.get("total_tokens")
        )
    return call
