"""Langfuse exports of a trace, in every shape a user gets one:

- the UI's "Download trace" JSON, ``{"trace": {...}, "observations": [...]}`` (newer
  downloads repeat the observations in ``trace.observations``; ``scores`` and
  ``corrections`` are not read);
- ``GET /api/public/traces/{id}``: the trace's fields with an ``observations`` list;
- ``GET /api/public/observations`` (v1 and v2): ``{"data": [...], "meta": {...}}``, or a
  bare list / JSON Lines of observations;
- the web app's tRPC responses (``{"result": {"data": {"json": ...}}}``).

Langfuse's tRPC and v2 API return ``input``/``output``/``metadata`` as JSON text, and
downloads sometimes hold JSON text of JSON text: every such field is decoded until it is
no longer JSON text. One GENERATION becomes an LLM span (:mod:`.langfuse_call`), a TOOL a
tool span, a RETRIEVER a retrieval span; session and user come from the trace.
"""

from __future__ import annotations

import re
from typing import Any

from llm_regressions.traces.errors import Declined
from llm_regressions.traces.langfuse_call import Mapping, llm_call, mapping
from llm_regressions.traces.model import (
    AGENT,
    CHAIN,
    ERROR,
    LLM,
    OK,
    RETRIEVAL,
    SPAN,
    TOOL,
    Retrieval,
    Span,
    ToolUse,
    Trace,
)
from llm_regressions.traces.shapes import documents, first_text, kwargs_of
from llm_regressions.traces.values import decoded_json, time_to_ns

FORMAT = "langfuse"
DOWNLOAD = "langfuse-download"
API_TRACE = "langfuse-api-trace"
API_OBSERVATIONS = "langfuse-api-observations"
TRPC = "langfuse-trpc"

#: Langfuse observation types -> span kinds (EVENT, EMBEDDING, GUARDRAIL and EVALUATOR
#: are steps around the model calls, shown as plain spans).
KINDS = {
    "GENERATION": LLM,
    "TOOL": TOOL,
    "RETRIEVER": RETRIEVAL,
    "AGENT": AGENT,
    "CHAIN": CHAIN,
    "SPAN": CHAIN,
    "EVENT": SPAN,
    "EMBEDDING": SPAN,
    "GUARDRAIL": SPAN,
    "EVALUATOR": SPAN,
}
#: Observation fields that may arrive as JSON text.
_JSON_FIELDS = ("input", "output", "metadata", "modelParameters", "usageDetails")
_JSON_FIELDS += ("costDetails", "usage", "toolDefinitions")
_TOOL_NAME = ("gen_ai.tool.name", "tool.name")
_TOOL_ARGUMENTS = ("gen_ai.tool.call.arguments", "tool_arguments", "input.value")
_TOOL_ARGUMENTS += ("gcp.vertex.agent.tool_call_args",)
_TOOL_RESULT = ("gen_ai.tool.call.result", "gcp.vertex.agent.tool_response", "output.value")
_SNAKE = re.compile(r"_([a-z0-9])")
_SHAPES = (
    "the UI download {trace, observations}, a trace with an 'observations' list "
    "(GET /api/public/traces/{id}), {data: [observations]} (GET /api/public/observations) "
    "or a list of observations"
)


def read(documents_: list[Any]) -> Trace:
    doc, trpc = _unwrapped(documents_[0] if len(documents_) == 1 else documents_)
    shape, traces, observations = _envelope(_camelised(doc))
    by_id = {str(t.get("id")): t for t in traces}
    only = traces[0] if len(traces) == 1 else {}
    spans = []
    for index, raw in enumerate(observations):
        obs = dict(raw)
        for key in _JSON_FIELDS:
            if key in obs:
                obs[key] = decoded_json(obs[key])
        spans.append(_span(obs, by_id.get(str(obs.get("traceId")), only), index))
    trace = Trace(TRPC if trpc else shape, spans)
    trace.missing_content = _missing_content(spans, shape)
    if trace.missing_content:
        trace.notes.append(trace.missing_content)
    return trace


def _unwrapped(doc: Any) -> tuple[Any, bool]:
    """A tRPC response (``[{"result": {"data": {"json": X}}}]``, superjson) -> X."""
    if isinstance(doc, list) and len(doc) == 1 and isinstance(doc[0], dict):
        doc = doc[0] if "result" in doc[0] else doc
    result = doc.get("result") if isinstance(doc, dict) else None
    data = result.get("data") if isinstance(result, dict) else None
    if isinstance(data, dict):
        return (data["json"] if "json" in data else data), True
    if isinstance(doc, dict) and "json" in doc and set(doc) <= {"json", "meta"}:
        return doc["json"], True
    return doc, False


def _camelised(doc: Any) -> Any:
    """The Python SDK's objects dumped with their attribute names (``start_time``,
    ``parent_observation_id``...) -> the API's field names, at every level that holds
    traces or observations (never inside input, output or metadata)."""
    if isinstance(doc, list):
        return [_camelised(item) for item in doc]
    if not isinstance(doc, dict):
        return doc
    doc = {_SNAKE.sub(_upper, k) if "_" in k and k.islower() else k: v for k, v in doc.items()}
    for key in ("trace", "data", "observations"):
        if isinstance(doc.get(key), (dict, list)):
            doc[key] = _camelised(doc[key])
    return doc


def _upper(match: re.Match) -> str:
    return match.group(1).upper()


def _envelope(doc: Any) -> tuple[str, list[Mapping], list[Mapping]]:
    """(shape, trace objects, observations) of one export; Declined when not Langfuse's."""
    if isinstance(doc, dict) and isinstance(doc.get("trace"), dict):
        trace = doc["trace"]
        inner = [o for o in _listed(trace.get("observations")) if isinstance(o, dict)]
        outer = _observations(doc.get("observations"), "observations")
        return DOWNLOAD, [trace], _merged(outer, _observations(inner, "trace.observations"))
    if isinstance(doc, dict) and "data" in doc:
        return _data(doc["data"])
    if isinstance(doc, dict) and "observations" in doc and "type" not in doc:
        return API_TRACE, [doc], _observations(doc["observations"], "observations")
    found = doc if isinstance(doc, list) else [doc]
    if found and all(_is_observation(o) for o in found):
        return API_OBSERVATIONS, [], _observations(found, "observations")
    raise Declined(f"not a Langfuse export: expected {_SHAPES}")


def _data(data: Any) -> tuple[str, list[Mapping], list[Mapping]]:
    """``data`` of an API response: observations, or traces that hold them."""
    if isinstance(data, dict):
        return _envelope(data)
    if not isinstance(data, list) or not data:
        raise Declined("'data' is not a list of Langfuse observations (or it is empty)")
    if all(isinstance(t, dict) and "observations" in t and "type" not in t for t in data):
        observations = [o for t in data for o in _observations(t["observations"], "observations")]
        return API_TRACE, data, observations
    if not all(_is_observation(o) for o in data):
        raise Declined("'data' items are not Langfuse observations (need 'id' and 'type')")
    return API_OBSERVATIONS, [], _observations(data, "data")


def _listed(value: Any) -> list[Any]:
    value = decoded_json(value)
    return value if isinstance(value, list) else []


def _observations(value: Any, where: str) -> list[Mapping]:
    """The observation objects of ``where``; a list of ids is refused with the fix."""
    value = decoded_json(value)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Declined(f"'{where}' is not a list of observations")
    for index, obs in enumerate(value):
        if isinstance(obs, str):
            raise Declined(
                f"'{where}' lists observation ids, not observations (GET /api/public/traces "
                "lists traces that way): fetch the trace with GET /api/public/traces/<id> "
                "or its observations with GET /api/public/observations?traceId=<id>"
            )
        if not isinstance(obs, dict) or obs.get("id") in (None, "") or "type" not in obs:
            raise Declined(f"{where}[{index}] is not an observation (needs 'id' and 'type')")
    return value


def _is_observation(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and str(value.get("type") or "").upper() in KINDS
        and "id" in value
        and ("startTime" in value or "traceId" in value)
    )


def _merged(outer: list[Mapping], inner: list[Mapping]) -> list[Mapping]:
    """Observations listed twice (top level and ``trace.observations``) -> once each,
    the fields either copy recorded."""
    by_id = {str(o["id"]): o for o in inner}
    merged = [{**by_id.pop(str(o["id"]), {}), **_recorded(o)} for o in outer]
    return merged + list(by_id.values())


def _recorded(obs: Mapping) -> Mapping:
    return {k: v for k, v in obs.items() if v is not None}


# -- one observation -> one span --------------------------------------------------------


def _span(obs: Mapping, trace: Mapping, index: int) -> Span:
    kind_name = str(obs.get("type") or "SPAN").upper()
    attributes = mapping(mapping(obs.get("metadata")).get("attributes"))
    failed = obs.get("level") == "ERROR"
    trace_id = obs.get("traceId") or trace.get("id")
    if trace_id in (None, ""):
        raise Declined(f"observation {obs.get('id')} ({index}) has no 'traceId'")
    span = Span(
        trace_id=str(trace_id),
        span_id=str(obs["id"]),
        parent_id=_text(obs.get("parentObservationId")),
        name=_text(obs.get("name")) or kind_name.lower(),
        kind=_kind(kind_name, attributes),
        start_ns=time_to_ns(obs.get("startTime")),
        end_ns=time_to_ns(obs.get("endTime")),
        status=ERROR if failed else OK,
        status_message=_text(obs.get("statusMessage")) if failed else None,
        session_id=_text(obs.get("sessionId") or trace.get("sessionId")),
        user_id=_text(obs.get("userId") or trace.get("userId")),
        input=obs.get("input"),
        output=obs.get("output"),
        attributes={"langfuse.observation.type": kind_name},
    )
    if span.kind == LLM:
        span.llm = llm_call(obs, failed)
    elif span.kind == TOOL:
        span.tool = _tool(span, attributes)
    elif span.kind == RETRIEVAL:
        span.retrieval = Retrieval(query=first_text(span.input), documents=documents(span.output))
    return span


def _kind(kind_name: str, attributes: Mapping) -> str:
    """The type's kind; a SPAN whose OTel attributes describe a tool run is a tool."""
    kind = KINDS.get(kind_name, CHAIN)
    if kind == CHAIN and (
        attributes.get("gen_ai.operation.name") == "execute_tool"
        or attributes.get("openinference.span.kind") == "TOOL"
        or "gen_ai.tool.name" in attributes
    ):
        return TOOL
    return kind


def _tool(span: Span, attributes: Mapping) -> ToolUse:
    """Arguments and result from the observation's IO, else from its OTel attributes
    (Google ADK records ``{}`` as IO and the real values in the attributes)."""
    arguments, result = span.input, span.output
    if arguments in (None, "", {}):
        arguments = _attribute(attributes, _TOOL_ARGUMENTS, arguments)
    if result in (None, "", {}):
        result = _attribute(attributes, _TOOL_RESULT, result)
    call_id = attributes.get("gen_ai.tool.call.id")
    if isinstance(call_id, list):  # Microsoft Agent Framework: [run id, call id]
        call_id = call_id[-1] if call_id else None
    return ToolUse(
        name=str(_attribute(attributes, _TOOL_NAME, None) or span.name),
        arguments=kwargs_of(decoded_json(arguments)),
        result=decoded_json(result),
        call_id=_text(call_id),
    )


def _attribute(attributes: Mapping, keys: tuple[str, ...], default: Any) -> Any:
    return next((attributes[k] for k in keys if attributes.get(k) not in (None, "")), default)


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _missing_content(spans: list[Span], shape: str) -> str | None:
    """Why the GENERATIONs carry no input or output, when the export left them out."""
    empty = [s for s in spans if s.llm is not None and s.input is None and s.output is None]
    if not empty:
        return None
    where = ", ".join(f"{s.name!r} ({s.span_id})" for s in empty[:3])
    more = f" and {len(empty) - 3} more" if len(empty) > 3 else ""
    trace_id = empty[0].trace_id
    cause = (
        'Langfuse\'s "Download trace" button leaves observation input, output and '
        "metadata out of its file"
        if shape == DOWNLOAD
        else "the export did not include observation input and output"
    )
    return (
        f"this Langfuse export holds no input or output for GENERATION {where}{more}: "
        f'{cause}. Get them from the trace\'s "Log View" in the Langfuse UI (its JSON), '
        f"or from the API: GET /api/public/traces/{trace_id} (or "
        f"GET /api/public/v2/observations?traceId={trace_id}&fields=core,basic,time,io,"
        "metadata,model,usage), then use that file instead"
    )
