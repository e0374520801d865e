"""App targets: call the app's entry point with the recorded input, as production did,
and capture the app's own litellm calls through litellm's callback API.

Targets run in their item: pytest's thread calls a sync target and waits for an async
one, which runs on the replay engine's event loop (litellm binds its logging worker to
one loop; a second loop would break its callbacks). Nothing runs ahead of its item, so
pytest's order, ``-x`` and ``--lf`` stay exact and the app's exceptions surface in the
item. The engine keeps replaying the other cases meanwhile (how their calls are told
apart from the target's: :mod:`llm_regressions.targetcapture`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from llm_regressions.prompts import PromptError, resolve_hook, signature_problems
from llm_regressions.replay.classify import classify
from llm_regressions.replay.pins import drift
from llm_regressions.replay.request import effective_model, runs_for
from llm_regressions.replay.result import ReplayResult
from llm_regressions.targetcapture import (
    ACTIVE,
    Capture,
    CapturedCall,
    capturing,
    settle,
    settle_async,
)

#: The case's pinned model, for the app to read (see :func:`llm_regressions.pinned_model`).
MODEL_ENV = "LLM_REGRESSIONS_MODEL"
#: --llm-api-base, when given (see :func:`llm_regressions.api_base`).
API_BASE_ENV = "LLM_REGRESSIONS_API_BASE"
_PROVIDER_MODULES = ("litellm", "openai")


class TargetError(Exception):
    """The target cannot be called (import or signature): a located collection error."""


def check_target(reference: str, kwargs: dict[str, Any]) -> Any:
    """Import the target and check it accepts ``kwargs``; returns the function."""
    try:
        function = resolve_hook(reference)
    except PromptError as exc:
        raise TargetError(str(exc)) from None
    problems = signature_problems(function, kwargs)
    if problems:
        raise TargetError(f"{reference} cannot be called with input: {problems[0]}")
    return function


@contextlib.contextmanager
def pinned_environment(model: str, api_base: str | None) -> Iterator[None]:
    """Tell the app which model (and endpoint) this run is pinned to."""
    wanted = {MODEL_ENV: model, API_BASE_ENV: api_base}
    saved = {name: os.environ.get(name) for name in wanted}
    for name, value in wanted.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


RunAsync = Callable[[Any], Any]


def _run(function: Any, kwargs: dict[str, Any], capture: Capture, run_async: RunAsync) -> Any:
    """Call the target (sync here, async through ``run_async``) inside the capture's
    context, and wait for the callbacks of the calls it made."""
    token = ACTIVE.set(capture)
    try:
        value = function(**kwargs)
        if inspect.isawaitable(value):
            return run_async(settle_async(value, capture))
        settle(capture)
        return value
    finally:
        ACTIVE.reset(token)


def provider_cause(exc: BaseException) -> BaseException | None:
    """The provider exception behind ``exc`` (itself or in its cause chain), if any."""
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if type(node).__module__.split(".", 1)[0] in _PROVIDER_MODULES:
            return node
        node = node.__cause__ or node.__context__
    return None


class Ledger(Protocol):
    """Where the app's spend is counted (the replay engine, for ``--llm-max-cost``)."""

    def refuse_when_spent(self) -> None: ...
    def charge(self, cost: float) -> None: ...


def run_target(
    case: Any, settings: Any, run_async: RunAsync = asyncio.run, ledger: Ledger | None = None
) -> tuple[list[ReplayResult], list[dict[str, Any]]]:
    """Run the target once per run of the case; ``run_async`` runs a coroutine to its
    result (the engine's loop). Returns the results and the captured calls (as spans)
    of every run. Raises AppRaised (the app's bug) or ProviderTrouble (a provider error
    inside the app); with a ``ledger``, NotSent before a run once the budget is spent,
    and every run's captured cost is charged to it, also when the run raised."""
    from llm_regressions.promptcase import AppRaised

    function = check_target(case.target, case.input or {})
    model = effective_model(case, settings)
    results, spans = [], []
    for run in range(runs_for(case, settings)):
        if ledger is not None:
            ledger.refuse_when_spent()
        with pinned_environment(model, settings.api_base), capturing() as capture:
            started = time.perf_counter()
            try:
                value = _run(function, dict(case.input or {}), capture, run_async)
            except Exception as exc:  # noqa: BLE001 - sorted into the app's or a provider's
                cause = provider_cause(exc)
                if cause is not None:
                    raise classify(
                        cause, model, timeout=settings.timeout, retries=settings.retries
                    ) from None
                raise AppRaised(f"target {case.target}", exc) from None
            finally:
                if ledger is not None:
                    ledger.charge(sum(c.result.cost_usd or 0.0 for c in capture.calls))
            latency_ms = (time.perf_counter() - started) * 1000
        calls = sorted(capture.calls, key=lambda c: c.started)
        results.append(target_result(value, calls, model, latency_ms))
        spans.append({"run": run + 1, "calls": [c.span() for c in calls]})
    return results, spans


def output_text(value: Any) -> str | None:
    """The target's return value as the output checks read: text as is, else JSON."""
    if value is None or isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def target_result(
    value: Any, calls: list[CapturedCall], model: str, latency_ms: float
) -> ReplayResult:
    """One run: the return value as output; every captured call's tool calls (for tool
    and loop checks), summed usage and cost; the served model of the first call that
    drifted from the pinned one (so drift is reported), else of the last call."""
    usage: dict[str, int] = {}
    for call in calls:
        for key, count in (call.result.usage or {}).items():
            usage[key] = usage.get(key, 0) + int(count)
    costs = [c.result.cost_usd for c in calls if c.result.cost_usd is not None]
    served = [c.result.model or c.model for c in calls]
    drifted = next((s for s in served if drift(model, s)), None)
    return ReplayResult(
        output=output_text(value),
        tool_calls=[t for c in calls for t in c.result.tool_calls],
        finish_reason=calls[-1].result.finish_reason if calls else None,
        usage=usage or None,
        latency_ms=round(latency_ms, 1),
        cost_usd=sum(costs) if costs else None,
        model=drifted or (served[-1] if served else None),
        system_fingerprint=calls[-1].result.system_fingerprint if calls else None,
    )


def report_lines(notes: dict[str, Any]) -> list[str]:
    """Failure-report lines: the app calls each run made."""
    lines = []
    for run in notes.get("llm_target_spans") or []:
        calls = run["calls"]
        lines.append(f"target run {run['run']}: {len(calls)} litellm call(s)")
        for call in calls[:10]:
            tools = f" tools={','.join(call['tool_calls'])}" if call["tool_calls"] else ""
            lines.append(
                f"  {call['model']} -> {call['served_model']}  {call['latency_ms']} ms{tools}"
            )
    return lines
