"""One production span -> the answer checks score, its tenant, and the rules it matches.

A span's recorded output becomes a :class:`ReplayResult` exactly as a case's ``observed``
does, so a check judges production the way it judges a case. The cost is the trace's own,
else litellm's price table applied to the recorded tokens (no network, no litellm import).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_regressions.checks import CheckResult, run_checks
from llm_regressions.monitor.load import LoadedRule, Monitors
from llm_regressions.replay import ReplayResult, ToolCall
from llm_regressions.replay.prices import price_of
from llm_regressions.traces.model import Span

#: Built-in checks that read the case's request.
REQUEST_CHECKS = frozenset(("tool_args_valid", "python", "llm_judge"))
#: Attributes a span may record its prompt version under (conventions and habits).
PROMPT_VERSION_KEYS = (
    "prompt_version",
    "prompt.version",
    "gen_ai.prompt.version",
    "langfuse.prompt.version",
    "llm.prompt_template.version",
)


# Not frozen: one of each is built per LLM span, and a frozen dataclass sets each field
# through a call.
@dataclass
class _Request:
    tools: list[Any]
    messages: list[Any]


@dataclass
class SpanCase:
    """What checks read from a case, taken from the span (checks needing an expected
    answer are refused when the rules load)."""

    request: _Request
    expected: None = None
    input: None = None
    id: str = ""
    label: str = ""


@dataclass
class Scored:
    """A span's verdict under one rule: the failing checks' reasons, if any."""

    rule: LoadedRule
    outcomes: list[tuple[Any, CheckResult]] = field(default_factory=list)
    #: Why an llm_judge check could not be sent (the budget is spent): not scored at all.
    unjudged: str | None = None

    @property
    def failing(self) -> list[tuple[Any, CheckResult]]:
        return [(c, r) for c, r in self.outcomes if r.applicable and not r.passed]

    @property
    def passed(self) -> bool:
        return not self.failing


def span_result(span: Span) -> ReplayResult:
    """The span's recorded answer, priced from litellm's table when it has no cost."""
    call = span.llm
    assert call is not None
    model = call.response_model or call.request_model
    return ReplayResult(
        output=call.output,
        tool_calls=[ToolCall.from_openai(dict(c)) for c in call.tool_calls],
        finish_reason=call.finish_reason,
        usage=call.usage,
        latency_ms=span.latency_ms,
        cost_usd=call.cost_usd if call.cost_usd is not None else _priced(call, model),
        model=model,
    )


def _priced(call: Any, model: str | None) -> float | None:
    usage = call.usage or {}
    tokens_in = usage.get("prompt_tokens", usage.get("input_tokens"))
    tokens_out = usage.get("completion_tokens", usage.get("output_tokens"))
    if model is None or tokens_in is None or tokens_out is None:
        return None
    price = price_of(model) or (price_of(f"{call.provider}/{model}") if call.provider else None)
    return price.cost(tokens_in, tokens_out) if price else None


def tenant_of(span: Span, keys: list[str]) -> str:
    """The first tenant attribute the span has, else its user id, else ``unknown``."""
    for key in keys:
        value = span.attributes.get(key)
        if value not in (None, ""):
            return str(value)
    return span.user_id or "unknown"


def prompt_version_of(span: Span) -> str | None:
    for key in PROMPT_VERSION_KEYS:
        value = span.attributes.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def matches(rule: LoadedRule, span: Span, tenant: str) -> bool:
    """Every field of the rule's ``match:`` holds for the span (a field left out matches
    everything: nothing is looked at for it, this runs per span and rule)."""
    call = span.llm
    assert call is not None
    model, asked, answered = rule.model, call.request_model, call.response_model
    if model is not None and not ((asked and model(asked)) or (answered and model(answered))):
        return False
    if rule.span_name is not None and not rule.span_name(span.name):
        return False
    if rule.tenant is not None and not rule.tenant(tenant):
        return False
    if rule.prompt_version is not None:
        version = prompt_version_of(span)
        if version is None or not rule.prompt_version(version):
            return False
    attributes = span.attributes
    return all(
        key in attributes and matched(str(attributes[key])) for key, matched in rule.attributes
    )


def answers_only(monitors: Monitors) -> bool:
    """No rule's check reads the request (its messages, tools, parameters), so spans
    can be read without it: the built-in checks but the judge (the conversation),
    ``tool_args_valid`` (the tools' schemas) and ``python`` (the user's code)."""
    return not any(
        check.name in REQUEST_CHECKS
        or check.needs_model
        or not type(check).__module__.startswith("llm_regressions.checks.")
        for rule in monitors.rules
        for check in rule.checks
    )


def span_case(span: Span) -> SpanCase:
    """The case the checks read, built once per span and shared by its rules."""
    call = span.llm
    assert call is not None
    return SpanCase(_Request(list(call.tools), list(call.messages)))


def score_span(rule: LoadedRule, case: SpanCase, result: ReplayResult) -> Scored:
    """Run the rule's checks on the span's answer; a check that cannot score fails."""
    try:
        return Scored(rule, run_checks(rule.checks, result, case))  # type: ignore[arg-type]
    except Exception as exc:  # a check's error is this span's failure, not the run's
        from llm_regressions.replay.engine import NotSent

        if isinstance(exc, NotSent):  # the judge's budget is spent: counted, not scored
            return Scored(rule, unjudged=str(exc))
        reason = f"check error: {type(exc).__name__}: {exc}"
        return Scored(rule, [(rule.checks[0], CheckResult(False, reason))])
