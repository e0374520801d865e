"""LangSmith runs -> neutral spans.

Read: run exports (``{"runs": [...]}``, a list of runs, one run, run trees with
``child_runs``) and the SDKs' ingest batches ``{"post": [...], "patch": [...]}`` (alone, in
a list, or one per line), from the Python and the JS SDK. A run's ``post`` and ``patch``
entries are merged by run id; JS patch entries carry no ``id`` and are identified by
``dotted_order``, whose last segment (``<YYYYMMDDTHHMMSSffffff>Z<uuid>``) ends in the
run's id. Times are ISO strings or epoch milliseconds.

An LLM run's inputs are the request (wrap_openai's chat.completions kwargs, LangChain's
``messages`` batch or ``prompts``), its outputs the answer (a ChatCompletion, aggregated
stream chunks, a LangChain ``LLMResult``, an AIMessage): both read with :mod:`chat`.
``extra.metadata`` names the provider and model (``ls_provider``, ``ls_model_name``),
``extra.invocation_params`` LangChain's request parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_regressions.traces import chat
from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import (
    CHAIN,
    ERROR,
    LLM,
    OK,
    RETRIEVAL,
    TOOL,
    UNSET,
    LlmCall,
    Retrieval,
    Span,
    ToolUse,
    Trace,
)
from llm_regressions.traces.openai_call import sampling_params
from llm_regressions.traces.providers import litellm_prefix
from llm_regressions.traces.shapes import documents, first_text, usage, usage_from
from llm_regressions.traces.values import as_float, maybe_json, time_to_ns

FORMAT = "langsmith"
_KINDS = {"llm": LLM, "tool": TOOL, "retriever": RETRIEVAL}
_BATCH_KEYS = ("runs", "post", "patch")
#: Run trees nested deeper than this are refused (no recursion without end).
_MAX_DEPTH = 64
NEVER_FINISHED = "the run has no outputs: it never finished (the file holds its start only)"


def read(documents_: list[Any]) -> Trace:
    runs: dict[str, dict[str, Any]] = {}
    for doc in documents_:
        for entry in _entries(doc):
            run_id = _run_id(entry)
            runs[run_id] = _merged(runs.get(run_id, {}), entry)
    if not runs:
        raise Declined("no runs (need 'runs', 'post'/'patch', or objects with id and run_type)")
    spans = [_span(run_id, run) for run_id, run in runs.items()]
    notes = [
        f"run {s.name!r} ({s.span_id}): {s.llm.no_output}"
        for s in spans
        if s.llm is not None and s.llm.no_output
    ]
    return Trace(FORMAT, spans, notes)


def _entries(doc: Any, depth: int = 0) -> list[dict[str, Any]]:
    """Every run entry of a document: a batch's posts then patches, an export's runs,
    a list of either, and the ``child_runs`` of run trees."""
    if depth > _MAX_DEPTH:
        raise Declined(f"runs nested more than {_MAX_DEPTH} levels deep")
    if isinstance(doc, dict) and any(isinstance(doc.get(k), list) for k in _BATCH_KEYS):
        items = [e for k in _BATCH_KEYS for e in _list(doc.get(k))]
    elif isinstance(doc, list) and depth == 0:
        return [e for item in doc for e in _entries(item, depth + 1)]
    else:
        items = [doc]
    found = []
    for entry in items:
        if not isinstance(entry, dict) or not _run_id(entry) or not _run_like(entry):
            raise Declined(
                "not LangSmith runs (each needs 'id', or 'trace_id' and 'dotted_order', "
                "plus 'run_type', 'inputs' or 'outputs')"
            )
        found.append(entry)
        for child in _list(entry.get("child_runs")):
            if isinstance(child, dict):
                found += _entries({"parent_run_id": entry.get("id"), **child}, depth + 1)
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _run_like(entry: dict[str, Any]) -> bool:
    return any(k in entry for k in ("run_type", "inputs", "outputs")) or (
        "dotted_order" in entry and ("end_time" in entry or "error" in entry)
    )


def _run_id(entry: dict[str, Any]) -> str:
    """The run's id; a JS patch entry has none and is known by its ``dotted_order``."""
    if entry.get("id"):
        return str(entry["id"])
    ids = _dotted_ids(entry.get("dotted_order"))
    return ids[-1] if ids else ""


def _dotted_ids(order: Any) -> list[str]:
    """The run ids of a ``dotted_order``, root first: ``<time>Z<id>.<time>Z<id>...``."""
    if not isinstance(order, str):
        return []
    return [part.partition("Z")[2] for part in order.split(".") if "Z" in part]


def _merged(run: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """A patch over its post: later non-null fields win; ``extra`` and its metadata are
    merged key by key (a patch may carry only part of them)."""
    merged = {**run, **{k: v for k, v in entry.items() if v is not None and k != "child_runs"}}
    old, new = run.get("extra"), entry.get("extra")
    if isinstance(old, dict) and isinstance(new, dict):
        merged["extra"] = {
            **old,
            **new,
            "metadata": {**_dict(old, "metadata"), **_dict(new, "metadata")},
        }
    if run.get("outputs") and entry.get("outputs") == {}:
        merged["outputs"] = run["outputs"]
    return merged


def _dict(value: Any, key: str) -> dict[str, Any]:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _span(run_id: str, run: dict[str, Any]) -> Span:
    metadata = _dict(run.get("extra"), "metadata")
    kind = _KINDS.get(str(run.get("run_type")), LLM if _names_a_model(run, metadata) else CHAIN)
    error = run.get("error")
    order = _dotted_ids(run.get("dotted_order"))
    span = Span(
        trace_id=str(run.get("trace_id") or (order[0] if order else run_id)),
        span_id=run_id,
        parent_id=_parent(run, order),
        name=str(run.get("name") or run.get("run_type") or "run"),
        kind=kind,
        start_ns=time_to_ns(run.get("start_time")),
        end_ns=time_to_ns(run.get("end_time")),
        status=_status(run),
        status_message=str(error).splitlines()[0] if error else None,
        session_id=_text(metadata, ("session_id", "thread_id", "conversation_id")),
        user_id=_text(metadata, ("user_id",)),
        input=run.get("inputs"),
        output=_unwrap(run.get("outputs")),
    )
    if kind == LLM:
        span.llm = _guarded(span, _llm, run, metadata)
    elif kind == TOOL:
        span.tool = _tool(span)
    elif kind == RETRIEVAL:
        found = documents(run.get("outputs"))
        span.retrieval = Retrieval(query=first_text(span.input), documents=found)
    return span


def _guarded(span: Span, read: Callable[..., LlmCall], *args: Any) -> LlmCall:
    """``read(*args)``; a value of the wrong type deep in the run refuses the file with
    the run named, not a traceback."""
    try:
        return read(*args)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise Declined(
            f"run {span.span_id} ({span.name!r}): its inputs or outputs hold a value of an "
            f"unexpected type ({type(exc).__name__}: {exc})"
        ) from None


def _tool(span: Span) -> ToolUse:
    """A tool run; LangChain records its result as a serialised ``ToolMessage``."""
    result = span.output
    message = result.get("kwargs") if isinstance(result, dict) and result.get("lc") else None
    if isinstance(message, dict) and "content" in message:
        call_id = message.get("tool_call_id")
        return ToolUse(span.name, span.input, message["content"], call_id and str(call_id))
    return ToolUse(name=span.name, arguments=span.input, result=result)


def _names_a_model(run: dict[str, Any], metadata: dict[str, Any]) -> bool:
    """A patch-only run has no ``run_type``; the model metadata shows an LLM run."""
    return "run_type" not in run and bool(metadata.get("ls_model_name"))


def _parent(run: dict[str, Any], order: list[str]) -> str | None:
    if run.get("parent_run_id"):
        return str(run["parent_run_id"])
    return order[-2] if len(order) > 1 else None


def _status(run: dict[str, Any]) -> str:
    if run.get("error") or run.get("status") == "error":
        return ERROR
    return OK if run.get("end_time") or run.get("outputs") else UNSET


def _text(metadata: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    value = next((metadata[k] for k in keys if metadata.get(k)), None)
    return None if value is None else str(value)


def _unwrap(outputs: Any) -> Any:
    if isinstance(outputs, dict) and set(outputs) == {"output"}:
        return outputs["output"]
    return outputs


def _llm(run: dict[str, Any], metadata: dict[str, Any]) -> LlmCall:
    inputs = run.get("inputs") if isinstance(run.get("inputs"), dict) else {}
    extra = run.get("extra") if isinstance(run.get("extra"), dict) else {}
    invocation = extra.get("invocation_params") or metadata.get("ls_invocation_params") or {}
    invocation = invocation if isinstance(invocation, dict) else {}
    request = {**invocation, **inputs}
    provider = metadata.get("ls_provider")
    call = LlmCall(
        provider=(litellm_prefix(provider) or provider) if isinstance(provider, str) else None
    )
    given = chat.messages(_chat_request(inputs, request, call), call.lose)
    call.messages, call.tools = given.messages, given.tools
    call.tool_choice = request.get("tool_choice")
    response_format = maybe_json(request.get("response_format"))
    call.response_format = response_format if isinstance(response_format, dict) else None
    is_request = "messages" in inputs or "prompts" in inputs
    call.params = sampling_params(request if is_request else invocation, call.lose)
    call.request_model = _model(inputs, invocation, metadata)
    _answer(run, call, metadata)
    call.streaming = _streaming(run, request)
    return call


def _chat_request(inputs: dict[str, Any], request: dict[str, Any], call: LlmCall) -> Any:
    """What :func:`chat.messages` reads: the request (inputs over invocation parameters,
    for the tools); LangChain records a batch of message lists (``[[...]]``) or of prompt
    strings, of which only the first is the call's. Other inputs are read as they are."""
    messages, prompts = request.get("messages"), request.get("prompts")
    if isinstance(messages, list) and messages and isinstance(messages[0], list):
        if len(messages) > 1:
            call.lose(f"{len(messages) - 1} more prompt(s) of the batch")
        return {**request, "messages": messages[0]}
    if isinstance(prompts, list) and prompts and "messages" not in request:
        if len(prompts) > 1:
            call.lose(f"{len(prompts) - 1} more prompt(s) of the batch")
        return {**request, "messages": [{"role": "user", "content": prompts[0]}]}
    return request if "messages" in inputs else inputs


def _model(
    inputs: dict[str, Any], invocation: dict[str, Any], metadata: dict[str, Any]
) -> str | None:
    for value in (
        inputs.get("model"),
        invocation.get("model"),
        invocation.get("model_name"),
        metadata.get("ls_model_name"),
    ):
        if isinstance(value, str) and value:
            return value
    return None


def _answer(run: dict[str, Any], call: LlmCall, metadata: dict[str, Any]) -> None:
    outputs = run.get("outputs")
    if outputs in (None, {}, []):
        if not run.get("end_time") and not run.get("error"):
            call.no_output = NEVER_FINISHED
        call.usage = usage_from(metadata.get("usage_metadata"))
        return
    found = chat.answer(outputs, call.lose)
    call.output, call.tool_calls = found.text, found.tool_calls
    call.finish_reason, call.response_model = found.finish_reason, found.model
    counts = outputs.get("usage_metadata") if isinstance(outputs, dict) else None
    call.usage = (
        found.usage
        or usage_from(counts)
        or usage_from(metadata.get("usage_metadata"))
        or usage(run.get("prompt_tokens"), run.get("completion_tokens"), run.get("total_tokens"))
    )
    call.cost_usd = as_float(run.get("total_cost"))


def _streaming(run: dict[str, Any], request: dict[str, Any]) -> bool | None:
    """``stream`` as requested; else streamed when the SDK recorded tokens as they came
    (Python ``new_token`` events) or aggregated chunks (JS)."""
    if isinstance(request.get("stream"), bool):
        return request["stream"]
    events = run.get("events") if isinstance(run.get("events"), list) else []
    outputs = run.get("outputs") if isinstance(run.get("outputs"), dict) else {}
    if any(isinstance(e, dict) and e.get("name") == "new_token" for e in events):
        return True
    return True if outputs.get("object") == "chat.completion.chunk" else None
