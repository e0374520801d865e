"""Rate limits per provider+model: how many calls to one model may be in flight, and
when the next one may start.

Each model gets a *window*, the calls it may have in flight, between 1 and
``--llm-concurrency`` (the ceiling, where it starts: a run that is never rate-limited
never waits here). A 429 cuts the window to :data:`DECREASE` of itself, once per round
(429s to calls sent before the cut do not cut it again), and pauses the model for as
long as the provider asks; every success adds ``1/window``, one call per round of
successes. Additive increase, multiplicative decrease, as TCP does: the run settles at
the provider's real limit instead of hammering it.

A window bounds calls in flight, not calls per second: against a fast provider with a
requests-per-minute limit, every call the window lets through after a pause would find
the quota empty again. So when the provider says how fast its quota refills
(``x-ratelimit-*``, see :func:`llm_regressions.replay.waits.refill`) and the quota is
nearly spent, calls also start no closer together than one refill apart.

Everything here runs on the engine's event loop (one thread); nothing imports litellm.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: What a 429 leaves of the window (TCP Reno halves; CUBIC keeps 0.7, which loses less
#: throughput while the window grows back).
DECREASE = 0.7


@dataclass(frozen=True)
class RateLimitStats:
    """What rate limiting cost one model in one process (or, combined, a session)."""

    model: str
    throttled: int  # 429 answers
    waited_s: float  # wall-clock seconds the model was paused
    concurrency: float  # calls in flight, averaged over time since the first 429 or pause
    ceiling: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "responses_429": self.throttled,
            "waited_s": round(self.waited_s, 3),
            "settled_concurrency": round(self.concurrency, 1),
            "ceiling": self.ceiling,
        }


class ModelLimit:
    """One model's window, pause and waiting calls."""

    def __init__(self, model: str, ceiling: int, clock: Callable[[], float] = time.monotonic):
        self.model = model
        self.ceiling = ceiling
        self.window = float(ceiling)
        self.in_flight = 0
        self.resume_at = 0.0
        self.interval = 0.0  # seconds between starts while the quota is nearly spent
        self._next_start = 0.0
        self.round = 0
        self.throttled = 0
        self.waited = 0.0
        self._clock = clock
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._limited_since: float | None = None
        self._area = 0.0  # calls in flight x seconds, since the first 429 or pause
        self._changed = 0.0

    # -- taking and giving back a slot ----------------------------------------------

    def _free(self) -> bool:
        return self.in_flight < int(self.window) and self._clock() >= self._opens_at()

    def _opens_at(self) -> float:
        return max(self.resume_at, self._next_start)

    def _take(self) -> None:
        self._count(+1)
        if self.interval:
            self._next_start = max(self._clock(), self._next_start) + self.interval

    def refill(self, remaining: float, rate: float) -> None:
        """The provider's quota: ``remaining`` calls now, refilled at ``rate`` a second.
        Pace starts at that rate while what is left would not cover a window of calls;
        start freely again when it would (a fresh minute's quota is a burst to use)."""
        self.interval = 1 / rate if rate > 0 and remaining < self.window else 0.0

    async def acquire(self, first: bool = False) -> int:
        """Wait for a slot; returns the round the call is sent in. ``first``: ahead of
        the calls already waiting (a call being retried, the item's own target run)."""
        if not self._waiters and self._free():
            self._take()
            return self.round
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if first:
            self._waiters.appendleft(waiter)
        else:
            self._waiters.append(waiter)
        self._wake()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over as we were cancelled
            else:
                self._waiters.remove(waiter)
            raise
        return self.round

    def release(self) -> None:
        """Give a slot back without judging the call (a failure other than a 429, a
        cache hit, an app target's run)."""
        self._count(-1)
        self._wake()

    def succeeded(self) -> None:
        self._count(-1)
        if self.window < self.ceiling:
            self.window = min(self.ceiling, self.window + 1 / self.window)
        self._wake()

    def rejected(self, sent_in: int, wait: float | None) -> None:
        """A 429 to a call sent in round ``sent_in``; ``wait``: seconds the provider
        asked for (None: it did not say)."""
        self._count(-1)
        self.throttled += 1
        if self._limited_since is None:
            self._limited_since = self._changed = self._clock()
        if sent_in == self.round:
            self.round += 1
            self.window = max(1.0, self.window * DECREASE)
        if wait:
            self.pause(wait)
        self._wake()

    def pause(self, seconds: float) -> None:
        """Start no call before ``seconds`` from now (the provider's ask). The time the
        model spends paused counts once, however many calls asked."""
        now = self._clock()
        until = now + seconds
        if self._limited_since is None:
            self._limited_since = self._changed = now
        if until > self.resume_at:
            self.waited += until - max(now, self.resume_at)
            self.resume_at = until

    def _count(self, change: int) -> None:
        """Change the calls in flight, integrating them over time once limited."""
        if self._limited_since is not None:
            now = self._clock()
            self._area += self.in_flight * (now - self._changed)
            self._changed = now
        self.in_flight += change

    def _wake(self) -> None:
        """Hand free slots to waiting calls, in order; come back when a pause ends.
        Each decision reads the clock once: a pause that ends between two readings
        (one saying "not yet", the next "no need for a timer") would leave the waiters
        with nobody to wake them."""
        while self._waiters and self.in_flight < int(self.window):
            wait = self._opens_at() - self._clock()
            if wait > 0:
                if self._timer is None:
                    loop = asyncio.get_running_loop()
                    self._timer = loop.call_later(wait, self._resume)
                return
            waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self._take()
            waiter.set_result(None)

    def _resume(self) -> None:
        self._timer = None
        self._wake()

    # -- what it cost ---------------------------------------------------------------

    def stats(self) -> RateLimitStats | None:
        """None when the provider never answered 429 nor asked to wait."""
        if self._limited_since is None:
            return None
        end = self._clock() if self.in_flight else self._changed  # the last call's end
        span = end - self._limited_since
        area = self._area + self.in_flight * (end - self._changed)
        settled = area / span if span > 0 else float(self.in_flight)
        return RateLimitStats(self.model, self.throttled, self.waited, settled, self.ceiling)


class Limits:
    """The :class:`ModelLimit` of every model this process calls, plus the process-wide
    ceiling: ``--llm-concurrency`` calls in flight whatever their models."""

    def __init__(self, ceiling: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ceiling = ceiling
        self._clock = clock
        self._models: dict[str, ModelLimit] = {}
        self._slots: asyncio.Semaphore | None = None

    def of(self, model: str) -> ModelLimit:
        limit = self._models.get(model)
        if limit is None:
            limit = self._models[model] = ModelLimit(model, self.ceiling, self._clock)
        return limit

    async def slot(self, model: str, first: bool = False) -> int:
        """A slot of ``model`` and of the process; give it back with :meth:`done`."""
        sent_in = await self.of(model).acquire(first)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.ceiling)
        try:
            await self._slots.acquire()
        except asyncio.CancelledError:
            self.of(model).release()
            raise
        return sent_in

    def done(self, model: str) -> ModelLimit:
        """Give back the process slot; the caller then tells the model's limit how the
        call went (succeeded / rejected / release)."""
        assert self._slots is not None
        self._slots.release()
        return self.of(model)

    def stats(self) -> list[RateLimitStats]:
        found = (limit.stats() for limit in self._models.values())
        return sorted((s for s in found if s is not None), key=lambda s: s.model)


def combine(parts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several processes' stats (xdist workers, merged shard reports) -> one per model.
    Each process has its own limiter: their 429s and settled concurrency add up (all of
    them were in flight against the same limit), the wait is the longest of any (they
    waited at the same time)."""
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        entry = merged.setdefault(
            part["model"], RateLimitStats(part["model"], 0, 0, 0, 0).to_dict()
        )
        entry["responses_429"] += part["responses_429"]
        entry["ceiling"] += part["ceiling"]
        entry["waited_s"] = max(entry["waited_s"], part["waited_s"])
        entry["settled_concurrency"] = round(
            entry["settled_concurrency"] + part["settled_concurrency"], 1
        )
    return [merged[model] for model in sorted(merged)]
