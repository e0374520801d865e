"""Capturing an app's own litellm calls through litellm's callback API (never by
patching): a logger registered for the duration of a target run, and the sink that
keeps, as spans, the calls that run started.

The replay engine's calls for other cases reach the same logger while a target runs; a
call counts as the run's only when it started inside the run's context (a context
variable, which litellm carries into its worker threads), and its success or failure
event is matched by litellm's call id.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult

#: How long to wait, after the target returned, for litellm's success/failure callbacks
#: of calls it started (litellm delivers them from a logging thread or task).
CALLBACK_GRACE_SECONDS = 2.0


@dataclass
class CapturedCall:
    """One litellm call the app made: a span of this run."""

    model: str | None
    messages: list[Any]
    result: ReplayResult
    started: float = 0.0

    def span(self) -> dict[str, Any]:
        """Plain data for reports (``user_properties``)."""
        return {
            "model": self.model,
            "served_model": self.result.model,
            "messages": self.messages,
            "output": (self.result.output or "")[:200] or None,
            "tool_calls": [c.name for c in self.result.tool_calls],
            "usage": self.result.usage,
            "latency_ms": self.result.latency_ms,
            "cost_usd": self.result.cost_usd,
        }


@dataclass
class Capture:
    """Sink of the callback logger: the calls this target run started, and how each
    ended. Calls started outside the run's context (the engine's) are ignored."""

    calls: list[CapturedCall] = field(default_factory=list)
    failures: list[BaseException | None] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    #: Answers the run's cache served whose success event has not come yet
    #: (:mod:`llm_regressions.targets.cache`; a hit has no pre-call event).
    unclaimed_hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def started(self, kwargs: dict[str, Any]) -> None:
        if ACTIVE.get() is self:
            with self._lock:
                self.ids.add(str(kwargs.get("litellm_call_id")))

    def served_from_cache(self) -> None:
        with self._lock:
            self.unclaimed_hits += 1

    def _ours(self, kwargs: dict[str, Any]) -> bool:
        return str(kwargs.get("litellm_call_id")) in self.ids

    def _claim(self, kwargs: dict[str, Any]) -> bool:
        """Whether a success event is the run's: a call it started, or a cache hit while
        the run's cache (installed only during the run) had served one."""
        call_id = str(kwargs.get("litellm_call_id"))
        with self._lock:
            if kwargs.get("cache_hit") and self.unclaimed_hits > 0:
                self.unclaimed_hits -= 1
                self.ids.add(call_id)
            return call_id in self.ids

    def succeeded(self, kwargs: dict[str, Any], response: Any, start: Any, end: Any) -> None:
        if self._claim(kwargs):
            call = _captured(kwargs, response, start, end)
            with self._lock:
                self.calls.append(call)

    def failed(self, kwargs: dict[str, Any], exception: BaseException | None) -> None:
        if self._ours(kwargs):
            with self._lock:
                self.failures.append(exception)

    @property
    def pending(self) -> int:
        with self._lock:
            waiting = len(self.ids) + self.unclaimed_hits
            return waiting - len(self.calls) - len(self.failures)


ACTIVE: contextvars.ContextVar[Capture | None] = contextvars.ContextVar(
    "llm_regressions_target", default=None
)


def _captured(kwargs: dict[str, Any], response: Any, start: Any, end: Any) -> CapturedCall:
    from llm_regressions.replay import client
    from llm_regressions.replay.classify import ProviderTrouble

    model = kwargs.get("model")
    messages = list(kwargs.get("messages") or [])
    latency = _seconds(end) - _seconds(start)
    response = kwargs.get("complete_streaming_response") or response
    request = ProviderRequest(model=str(model), messages=messages)
    try:
        result = client.to_result(response, request, latency * 1000)
    except ProviderTrouble:
        result = ReplayResult(latency_ms=round(latency * 1000, 1))
    if kwargs.get("response_cost") is not None:
        result.cost_usd = float(kwargs["response_cost"])
    return CapturedCall(model, messages, result, _seconds(start))


def _seconds(moment: Any) -> float:
    if hasattr(moment, "timestamp"):
        return float(moment.timestamp())
    return float(moment or 0.0)


@contextlib.contextmanager
def capturing() -> Iterator[Capture]:
    """Register a callback logger for the duration; never patches litellm."""
    from llm_regressions.replay import client

    capture = Capture()
    logger = client.forwarding_logger(capture)
    client.add_callback(logger)
    try:
        yield capture
    finally:
        client.remove_callback(logger)


async def settle_async(awaitable: Any, capture: Capture) -> Any:
    try:
        return await awaitable
    finally:
        # litellm delivers async callbacks from a task on this loop: let them run.
        deadline = time.monotonic() + CALLBACK_GRACE_SECONDS
        while capture.pending > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.005)


def settle(capture: Capture) -> None:
    deadline = time.monotonic() + CALLBACK_GRACE_SECONDS
    while capture.pending > 0 and time.monotonic() < deadline:
        time.sleep(0.005)
