"""Failure signals in a trace, following the debugging table: each names its span, the
likely root cause and, for LLM spans, a check that would catch it.

Signals are ordered by when their span ended: the first one is the first span that
produced something bad (a parent that only propagates a child's error ends later).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from llm_regressions.checks import CheckArgsError
from llm_regressions.checks.registry import build_check
from llm_regressions.checks.structure import parse_json
from llm_regressions.replay import ReplayResult, ToolCall
from llm_regressions.traces.model import Span, Trace
from llm_regressions.traces.values import iso_to_ns, maybe_json

STALE_AFTER_DAYS = 365
CONTEXT_NEAR_LIMIT = 0.9
_DAY_NS = 86_400 * 10**9
_DATE_KEYS = ("updated_at", "last_updated", "last_modified", "modified_at", "modified", "date")
#: Input context windows (tokens) of common model families; longest prefix wins.
CONTEXT_WINDOWS = {
    "gpt-4o": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4-turbo": 128_000,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "gpt-5": 400_000,
    "o1": 200_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude": 200_000,
    "gemini-1.5": 1_048_576,
    "gemini-2": 1_048_576,
}
_PARSER_WORDS = ("json", "parse", "decode", "validation", "schema")


@dataclass
class Signal:
    code: str
    span: Span
    message: str
    cause: str
    check: dict[str, Any] | None = None


def diagnose(trace: Trace) -> list[Signal]:
    """Every signal in ``trace``, in the order their spans ended."""
    found: list[Signal] = []
    last_llm: dict[str, Span] = {}
    with_tool_spans = {s.trace_id for s in trace.spans if s.tool is not None}
    for span in sorted(trace.spans, key=lambda s: s.sort_key):
        if span.retrieval is not None:
            found += _retrieval(span)
        if span.tool is not None:
            found += _tool(span)
        if span.llm is not None:
            found += _llm(span)
            if span.trace_id not in with_tool_spans:
                found += _empty_tool_results(span)
        if span.is_error:
            found.append(_error(span, last_llm.get(span.trace_id)))
        if span.llm is not None:
            last_llm[span.trace_id] = span
    found += _repeats(trace)
    return sorted(found, key=lambda s: s.span.end_ns or s.span.start_ns or 0)


def first_llm_after(signal: Signal, llm_spans: list[Span]) -> Span | None:
    """The LLM span ``signal`` points at: its own span, else the first LLM span of its
    trace that started after the signal's span ended (the call it fed).
    ``llm_spans`` are in time order."""
    if signal.span.llm is not None:
        return signal.span
    end, trace_id = signal.span.end_ns or 0, signal.span.trace_id
    return next((s for s in llm_spans if s.trace_id == trace_id and (s.start_ns or 0) >= end), None)


def _retrieval(span: Span) -> list[Signal]:
    docs = span.retrieval.documents
    if docs is None:
        return []
    if not docs:
        return [
            Signal(
                "retrieval_empty",
                span,
                f"retrieval returned no documents for {span.retrieval.query!r}",
                "the index has nothing for this query (coverage gap or wrong index/filter); "
                "the model answers without grounding",
            )
        ]
    if span.start_ns is None:
        return []
    stale = []
    for doc in docs:
        metadata = doc.get("metadata") or {}
        when = next((metadata[k] for k in _DATE_KEYS if metadata.get(k)), None)
        at = iso_to_ns(str(when)) if when else None
        if at is not None and (span.start_ns - at) > STALE_AFTER_DAYS * _DAY_NS:
            stale.append((doc.get("id") or "?", str(when), (span.start_ns - at) / _DAY_NS / 365.25))
    if not stale:
        return []
    shown = ", ".join(f"{i} (updated {w}, {y:.1f} years before the request)" for i, w, y in stale)
    return [
        Signal(
            "retrieval_stale",
            span,
            f"retrieved stale document(s): {shown}",
            "the index serves outdated content (re-index, or filter by date); the model "
            "faithfully repeats what it was given",
        )
    ]


def _is_empty_data(value: Any) -> bool:
    value = maybe_json(value)
    if value in ("", [], {}):
        return True
    if isinstance(value, dict):
        collections = [v for v in value.values() if isinstance(v, (list, dict))]
        return bool(collections) and all(not v for v in collections)
    return False


def _tool(span: Span) -> list[Signal]:
    if span.is_error or not _is_empty_data(span.tool.result):
        return []
    result = json.dumps(maybe_json(span.tool.result), ensure_ascii=False)[:120]
    return [
        Signal(
            "tool_empty_success",
            span,
            f"tool {span.tool.name!r} returned empty data with a success status: {result}",
            "a silent tool/API failure: the empty result is treated as a fact downstream",
        )
    ]


def _llm(span: Span) -> list[Signal]:
    call = span.llm
    found: list[Signal] = []
    text = call.output
    if call.has_output and not call.tool_calls and not (text or "").strip() and not span.is_error:
        found.append(
            Signal(
                "empty_output",
                span,
                "the model returned an empty answer"
                + (f" (finish_reason={call.finish_reason})" if call.finish_reason else ""),
                "the prompt or parameters let the model stop immediately; nothing downstream "
                "checks for an empty answer",
                {"not_refusal": True},
            )
        )
    elif text and text.strip():
        refusal = build_check("not_refusal", True).score(ReplayResult(output=text), None)
        if not refusal.passed:
            found.append(
                Signal(
                    "refusal",
                    span,
                    refusal.reason,
                    "the model refused: a safety over-trigger or a prompt that reads as out "
                    "of scope",
                    {"not_refusal": True},
                )
            )
        if call.wants_json:
            _, problem = parse_json(text)
            if problem:
                found.append(
                    Signal(
                        "json_invalid",
                        span,
                        f"JSON was requested but {problem}",
                        "the model produced malformed JSON (use strict structured output, or "
                        "repair before parsing)",
                        {"json_valid": True},
                    )
                )
    found += _tool_args(span)
    found += _truncation(span)
    found += _context(span)
    served, asked = call.response_model, call.request_model
    if served and asked and not _same_model(asked, served):
        found.append(
            Signal(
                "model_mismatch",
                span,
                f"requested {asked!r} but the provider served {served!r}",
                "a fallback or routing rule changed the model; behaviour differs by model",
            )
        )
    return found


def _tool_args(span: Span) -> list[Signal]:
    """Tool calls naming a tool that was not offered, or with arguments the offered
    schema rejects (scored by the ``tool_args_valid`` check itself)."""
    call = span.llm
    if not call.tool_calls or not call.tools:
        return []
    offered = SimpleNamespace(request=SimpleNamespace(tools=call.tools))
    check = build_check("tool_args_valid", True)
    try:
        check.validate_case(offered)
    except CheckArgsError:
        return []  # no tool schema that arguments can be judged by
    calls = [ToolCall.from_openai(c) for c in call.tool_calls]
    verdict = check.score(ReplayResult(tool_calls=calls), offered)
    if verdict.passed:
        return []
    return [
        Signal(
            "tool_args_invalid",
            span,
            verdict.reason,
            "the model hallucinated a tool or its arguments (tool descriptions/schema unclear)",
            {"tool_args_valid": True},
        )
    ]


def _empty_tool_results(span: Span) -> list[Signal]:
    """Formats without tool spans (litellm payloads) still show the tool results the
    model was given: the tool messages after the last assistant turn."""
    messages = span.llm.messages
    last_assistant = max(
        (i for i, m in enumerate(messages) if m["role"] == "assistant"), default=-1
    )
    empty = [
        m
        for m in messages[last_assistant + 1 :]
        if m["role"] == "tool" and _is_empty_data(m.get("content"))
    ]
    return [
        Signal(
            "tool_empty_success",
            span,
            f"the tool result given to the model (call {m.get('tool_call_id') or '?'}) is "
            f"empty data: {str(m.get('content'))[:120]}",
            "a silent tool/API failure: the model treats the empty result as a fact",
        )
        for m in empty
    ]


def _truncation(span: Span) -> list[Signal]:
    call = span.llm
    limit = call.params.get("max_tokens") or call.params.get("max_completion_tokens")
    used = (call.usage or {}).get("completion_tokens")
    if call.finish_reason == "length":
        return [
            Signal(
                "finish_length",
                span,
                "the answer was cut off: finish_reason=length"
                + (f" ({used} of max_tokens={limit})" if used and limit else ""),
                "max_tokens is too small for this answer (or the prompt invites long output)",
                {"finish_reason": "stop"},
            )
        ]
    if call.finish_reason is None and limit and used is not None and used >= int(limit) > 0:
        return [
            Signal(
                "finish_length",
                span,
                f"the answer used all {used} tokens of max_tokens={limit} (no finish reason "
                "recorded): probably cut off",
                "max_tokens is too small for this answer",
                {"max_output_tokens": int(limit) - 1},
            )
        ]
    return []


def _context(span: Span) -> list[Signal]:
    call = span.llm
    prompt = (call.usage or {}).get("prompt_tokens")
    window = call.context_window or _window(call.response_model or call.request_model or "")
    if not prompt or not window or prompt < CONTEXT_NEAR_LIMIT * window:
        return []
    return [
        Signal(
            "context_near_limit",
            span,
            f"the prompt used {prompt} of {window} context tokens ({prompt / window:.0%})",
            "the context window is nearly full: history or retrieved context crowds out "
            "instructions (truncate or summarise)",
        )
    ]


def _window(model: str) -> int | None:
    name = model.rsplit("/", 1)[-1].lower()
    best = max((p for p in CONTEXT_WINDOWS if name.startswith(p)), key=len, default=None)
    return CONTEXT_WINDOWS[best] if best else None


_SNAPSHOT_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|v\d[\w:.-]*|latest)$")


def _same_model(asked: str, served: str) -> bool:
    """An alias resolved to its dated snapshot (gpt-4o-mini -> gpt-4o-mini-2024-07-18)
    is the same model; gpt-4o served as gpt-4o-mini is not."""
    asked, served = asked.rsplit("/", 1)[-1].lower(), served.rsplit("/", 1)[-1].lower()
    return _SNAPSHOT_SUFFIX.sub("", asked) == _SNAPSHOT_SUFFIX.sub("", served)


def _error(span: Span, previous_llm: Span | None) -> Signal:
    what = span.status_message or span.error_type or "error status"
    if span.llm is not None:
        cause = (
            "provider error: the call produced no output (nothing for the model to regress "
            "on; look at retries/fallbacks)"
            if not span.llm.has_output
            else "the call errored after producing output"
        )
        return Signal("error_status", span, what, cause)
    parserish = any(w in f"{span.name} {what}".lower() for w in _PARSER_WORDS)
    if parserish and previous_llm is not None and previous_llm.llm.output:
        _, problem = parse_json(previous_llm.llm.output)
        if problem is None:
            return Signal(
                "parser_error",
                span,
                f"{what} although the model's raw output is valid JSON",
                "a parser bug or a schema mismatch between prompt and parser",
            )
        return Signal(
            "error_status",
            span,
            what,
            f"upstream: the model output in {previous_llm.name} ({previous_llm.span_id}) is "
            "not valid JSON",
        )
    return Signal("error_status", span, what, "an exception in this step (see its message)")


def _repeats(trace: Trace) -> list[Signal]:
    """The same tool with the same arguments 3+ times: from the model's tool calls when
    recorded, else from tool spans."""
    by_call: dict[tuple, list[Span]] = defaultdict(list)
    for span in sorted(trace.spans, key=lambda s: s.sort_key):
        for call in span.llm.tool_calls if span.llm else []:
            function = call.get("function") or {}
            args = maybe_json(function.get("arguments"))
            key = (span.trace_id, function.get("name"), json.dumps(args, sort_keys=True))
            by_call[key].append(span)
    if not by_call:
        for span in sorted(trace.spans, key=lambda s: s.sort_key):
            if span.tool is not None:
                args = json.dumps(span.tool.arguments, sort_keys=True, default=str)
                by_call[(span.trace_id, span.tool.name, args)].append(span)
    found = []
    for (_, name, args), spans in by_call.items():
        if len(spans) < 3:
            continue
        check = None
        if spans[2].llm is not None:
            parsed = json.loads(args)
            want = {"name": name, "args": parsed} if isinstance(parsed, dict) and parsed else name
            check = {"tool_not_called": want}
        found.append(
            Signal(
                "repeated_tool_call",
                spans[2],
                f"{name}({args}) called {len(spans)} times with the same arguments",
                "an agent loop: the model does not act on the tool result (stop condition "
                "or result formatting)",
                check,
            )
        )
    return found
