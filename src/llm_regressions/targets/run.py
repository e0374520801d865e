"""App targets: call the app's entry point with the recorded input, as production did,
and capture the app's own litellm calls through litellm's callback API.

Targets run in their item: pytest's thread calls a sync target and waits for an async
one, which runs on the replay engine's event loop (litellm binds its logging worker to
one loop; a second loop would break its callbacks). Nothing runs ahead of its item, so
pytest's order, ``-x`` and ``--lf`` stay exact and the app's exceptions surface in the
item. The engine keeps replaying the other cases meanwhile (how their calls are told
apart from the target's: :mod:`llm_regressions.targets.capture`).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from llm_regressions import usercode
from llm_regressions.replay.cache import CacheWarning
from llm_regressions.replay.classify import classify
from llm_regressions.replay.pins import drift
from llm_regressions.replay.result import ReplayResult, summed, summed_usage
from llm_regressions.settings import Settings
from llm_regressions.targets.capture import (
    ACTIVE,
    Capture,
    CapturedCall,
    capturing,
    settle,
    settle_async,
)
from llm_regressions.usercode import AppRaised, RunAsync

#: The case's pinned model, for the app to read (see :func:`llm_regressions.pinned_model`).
MODEL_ENV = "LLM_REGRESSIONS_MODEL"
#: --llm-api-base, when given (see :func:`llm_regressions.api_base`).
API_BASE_ENV = "LLM_REGRESSIONS_API_BASE"
_PROVIDER_MODULES = ("litellm", "openai")


def check_target(reference: str, kwargs: dict[str, Any]) -> Any:
    """Import the target and check it accepts ``kwargs``; returns the function.
    Raises UserCodeError (a located collection error)."""
    function = usercode.resolve_callable(reference)
    problem = usercode.signature_problem(function, kwargs)
    if problem:
        raise usercode.UserCodeError(f"{reference} cannot be called with input: {problem}")
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


def _run(function: Any, kwargs: dict[str, Any], capture: Capture, run_async: RunAsync) -> Any:
    """Call the target (sync here, async through ``run_async``) inside the capture's
    context, and wait for the callbacks of the calls it made."""
    awaited = False

    def on_loop(coroutine: Any) -> Any:
        nonlocal awaited
        awaited = True  # the callbacks are awaited on the loop, with the call
        return run_async(settle_async(coroutine, capture))

    token = ACTIVE.set(capture)
    try:
        value = usercode.call(function, kwargs, on_loop)
        if not awaited:
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
    """Where the app's spend is counted (the replay engine, for ``--llm-max-cost``), and
    whose rate limits its calls wait on."""

    def refuse_when_spent(self) -> None: ...
    def charge(self, cost: float) -> None: ...
    def hold(self, model: str) -> Callable[[], None]: ...


def run_target(
    case: Any,
    settings: Settings,
    run_async: RunAsync,
    ledger: Ledger | None = None,
    runs: range | None = None,
    cache_root: Path | None = None,
) -> tuple[list[ReplayResult], list[dict[str, Any]]]:
    """Run the target once per run of the case (``runs``: by default the ones every run
    makes; adaptive repeats ask for later ones); ``run_async`` runs a coroutine to its
    result (the engine's loop). Returns the results and the captured calls (as spans)
    of every run. Raises AppRaised (the app's bug) or ProviderTrouble (a provider error
    inside the app); with a ``ledger``, NotSent before a run once the budget is spent,
    every run's captured cost is charged to it, also when the run raised, and each run
    holds a slot of the pinned model's rate limit (the app's calls count against
    ``--llm-concurrency`` and wait out the model's rate-limit pauses). With a
    ``cache_root`` (``--llm-replay cached``), the app's calls are answered from the
    cache there when litellm can (:mod:`llm_regressions.targets.cache`)."""
    function = check_target(case.target, case.input or {})
    model = settings.model_for(case)
    store = _usable_store(cache_root)
    results, spans = [], []
    for run in runs if runs is not None else range(settings.runs_for(case)[0]):
        release = _held(ledger, model)
        with contextlib.ExitStack() as stack:
            stack.callback(release)
            stack.enter_context(pinned_environment(model, settings.api_base))
            capture = stack.enter_context(capturing())
            if store is not None:
                from llm_regressions.targets.cache import serving

                stack.enter_context(serving(store, run, capture.served_from_cache))
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


def _usable_store(cache_root: Path | None) -> Path | None:
    """``cache_root`` when this litellm can serve cached answers; otherwise None, with a
    warning that the app's calls are sent as in live mode (pytest's summary lists the
    cases under one message)."""
    if cache_root is None:
        return None
    from llm_regressions.targets.cache import cache_problem

    problem = cache_problem(cache_root)
    if problem is None:
        return cache_root
    warnings.warn(
        f"--llm-replay cached: app targets' own litellm calls are sent to the model on "
        f"every run: {problem}; see BerriAI/litellm#42195",
        CacheWarning,
        2,
    )
    return None


def _held(ledger: Ledger | None, model: str) -> Callable[[], None]:
    """Wait for a slot of ``model`` (after its rate-limit pause), then check the budget;
    returns the release."""
    if ledger is None:
        return lambda: None
    release = ledger.hold(model)
    try:
        ledger.refuse_when_spent()
    except BaseException:
        release()
        raise
    return release


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
    served = [c.result.model or c.model for c in calls]
    drifted = next((s for s in served if drift(model, s)), None)
    return ReplayResult(
        output=output_text(value),
        tool_calls=[t for c in calls for t in c.result.tool_calls],
        finish_reason=calls[-1].result.finish_reason if calls else None,
        usage=summed_usage(c.result for c in calls),
        latency_ms=round(latency_ms, 1),
        cost_usd=summed(c.result.cost_usd for c in calls),
        model=drifted or (served[-1] if served else None),
        system_fingerprint=calls[-1].result.system_fingerprint if calls else None,
    )


def report_lines(spans: list[dict[str, Any]]) -> list[str]:
    """Failure-report lines: the app calls each run made."""
    lines = []
    for run in spans:
        calls = run["calls"]
        lines.append(f"target run {run['run']}: {len(calls)} litellm call(s)")
        for call in calls[:10]:
            tools = f" tools={','.join(call['tool_calls'])}" if call["tool_calls"] else ""
            lines.append(
                f"  {call['model']} -> {call['served_model']}  {call['latency_ms']} ms{tools}"
            )
    return lines
