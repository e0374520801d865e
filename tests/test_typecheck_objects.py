"""The type check of spans the readers made (objects, not the native format's dicts):
each shortcut the written-out field checks take gives the check's own verdict."""

from __future__ import annotations

import math

import pytest

from llm_regressions.traces.errors import BadTrace
from llm_regressions.traces.model import LlmCall, Retrieval, Span, ToolUse
from llm_regressions.traces.typecheck import check_spans


def span(**fields) -> Span:
    return Span(trace_id="t1", span_id="s1", name="chat", **fields)


GOOD = {
    "plain": span(),
    "finite cost": span(llm=LlmCall(cost_usd=0.25, usage={"prompt_tokens": 3})),
    "integer cost": span(llm=LlmCall(cost_usd=2)),
    "each status": span(status="error"),
    "tool": span(tool=ToolUse(name="lookup", result={"rows": []})),
    "retrieval": span(retrieval=Retrieval(query="q", documents=[])),
    "llm as its fields": span(llm={"output": "hi"}),  # type: ignore[arg-type]
}

BAD = {
    "nan cost": (span(llm=LlmCall(cost_usd=math.nan)), "llm.cost_usd", "NaN"),
    "infinite cost": (span(llm=LlmCall(cost_usd=-math.inf)), "llm.cost_usd", "-Infinity"),
    "text cost": (span(llm=LlmCall(cost_usd="free")), "llm.cost_usd", "a string"),  # type: ignore[arg-type]
    "unknown status": (span(status="bogus"), "status", "one of"),  # type: ignore[arg-type]
    "status not text": (span(status=1), "status", "an integer"),  # type: ignore[arg-type]
    "llm a string": (span(llm="gpt"), "llm", "a string"),  # type: ignore[arg-type]
    "model a number": (span(llm=LlmCall(request_model=5)), "llm.request_model", "an integer"),  # type: ignore[arg-type]
    "usage a float": (span(llm=LlmCall(usage={"prompt_tokens": 1.5})), "llm.usage.prompt_tokens", "a number"),  # type: ignore[dict-item]
    "llm fields wrong": (span(llm={"output": 5}), "llm.output", "an integer"),  # type: ignore[arg-type]
    "tool name missing": (span(tool=ToolUse(name=None)), "tool.name", "null"),  # type: ignore[arg-type]
    "documents not a list": (span(retrieval=Retrieval(documents="d")), "retrieval.documents", "a string"),  # type: ignore[arg-type]
    "start a float": (span(start_ns=1.5), "start_ns", "a number"),  # type: ignore[arg-type]
}  # fmt: skip


@pytest.mark.parametrize("name", GOOD)
def test_well_typed_spans_pass(name) -> None:
    check_spans([GOOD[name]])


@pytest.mark.parametrize("name", BAD)
def test_each_wrong_type_is_named_with_its_field(name) -> None:
    value, field, what = BAD[name]
    with pytest.raises(BadTrace) as raised:
        check_spans([value])
    message = str(raised.value)
    assert message.startswith(f"spans[0] (span s1): {field}: expected "), message
    assert what in message.split(", got ")[-1] or what in message, message
