"""Many model calls in flight on a background event loop, answers handed out by future.

pytest runs items one after another on the main thread; the calls they need are queued
here up front, one queue per model, and sent by worker coroutines on a loop in its own
thread, in submission order: at most ``concurrency`` in flight in all, and per model as
many as its rate limit lets through (:mod:`llm_regressions.replay.limits`; a model
that is rate-limited does not hold up the others). Each item then blocks only on its own
futures, so results print in pytest's order while later calls are still in flight.

The engine also owns what must be decided per call, in one place: the spend budget
(nothing new is sent once it is reached), the stop switch (after ``-x``), the cache
and the credentials check.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llm_regressions.replay.budget import Budget
from llm_regressions.replay.classify import missing_key
from llm_regressions.replay.limits import Limits
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult

if TYPE_CHECKING:
    from llm_regressions.replay.cache import ResponseCache

#: Queue priorities: judge calls jump ahead of queued replays (an item is waiting on them).
URGENT, NORMAL = 0, 1
#: On close, calls already in flight get this long to finish before they are cancelled.
CLOSE_GRACE_SECONDS = 2.0


class NotSent(Exception):
    """The call was never made; ``str()`` says why (the item is skipped, not failed)."""


@dataclass(frozen=True)
class CallPolicy:
    """How calls are made: where to, how patiently, how many at once, up to what spend."""

    concurrency: int = 8
    timeout: float = 60.0
    retries: int = 2
    api_base: str | None = None
    max_cost: float | None = None
    #: Where the xdist workers of one session share their spend (see replay/budget.py).
    budget_dir: Path | None = None
    worker: str = ""


class Engine:
    """Sends :class:`ProviderRequest` s concurrently; thread-safe ``submit``."""

    def __init__(self, policy: CallPolicy, cache: ResponseCache | None = None) -> None:
        self.policy = policy
        self.cache = cache
        self.budget = Budget(policy.max_cost, policy.budget_dir, policy.worker)
        self.limits = Limits(policy.concurrency)
        self.sent = 0
        self.cache_hits = 0
        self._stopped: str | None = None
        self._busy = 0
        self._order = itertools.count()
        self._credentials: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lanes: dict[str, asyncio.PriorityQueue] = {}
        self._workers: list[asyncio.Task] = []
        self._thread: threading.Thread | None = None

    # -- main-thread API ---------------------------------------------------------------

    def submit(
        self, requests: list[ProviderRequest], *, urgent: bool = False
    ) -> list[Future[ReplayResult]]:
        """Queue ``requests``; each future resolves to a ReplayResult or raises
        ProviderTrouble / NotSent."""
        futures: list[Future[ReplayResult]] = [Future() for _ in requests]
        if not requests:
            return futures
        loop = self._ensure_running()
        priority = URGENT if urgent else NORMAL
        jobs = [(priority, next(self._order), r, f) for r, f in zip(requests, futures, strict=True)]
        loop.call_soon_threadsafe(self._enqueue, jobs)
        return futures

    def run_coroutine(self, coroutine: Any) -> Future[Any]:
        """Run app code (an async target) on this loop: litellm keeps one event loop for
        its logging worker, whose queue is bound to the loop that started it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure_running())

    def hold(self, model: str) -> Any:
        """Take a slot of ``model`` (and of the process) for the caller's thread: an app
        target's run holds one while it makes its own calls. Returns the release."""
        loop = self._ensure_running()
        asyncio.run_coroutine_threadsafe(self.limits.slot(model, first=True), loop).result()

        def release() -> None:
            loop.call_soon_threadsafe(lambda: self.limits.done(model).release())

        return release

    def refuse_when_spent(self) -> None:
        """Raise NotSent when nothing new may be sent: the run stopped, or the budget is
        spent. For model calls the engine does not make itself (an app target's)."""
        if self._stopped:
            raise NotSent(f"not sent: {self._stopped}")
        self._check_budget()

    def charge(self, cost: float) -> None:
        """Count spend the engine did not send itself towards ``--llm-max-cost``."""
        self.budget.charge(cost)

    def rate_limits(self) -> list[dict[str, Any]]:
        """Per model that answered 429: how often, how long it paused, the concurrency
        it settled at (empty when nothing was rate-limited)."""
        return [stats.to_dict() for stats in self.limits.stats()]

    def stop(self, reason: str) -> None:
        """Send nothing new from now on; queued calls fail with NotSent(reason)."""
        self._stopped = reason

    def close(self) -> None:
        """Stop the loop and its thread; anything still queued is cancelled."""
        self.stop("the test session ended")
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        thread.join(10)

    # -- loop thread -------------------------------------------------------------------

    def _ensure_running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                started = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(started,), name="llm-replay", daemon=True
                )
                self._thread.start()
                started.wait()
            assert self._loop is not None
            return self._loop

    def _run(self, started: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        started.set()
        loop.run_forever()
        loop.close()

    def _enqueue(self, jobs: list) -> None:
        for job in jobs:
            self._lane(job[2].model).put_nowait(job)

    def _lane(self, model: str) -> asyncio.PriorityQueue:
        """The model's queue, with ``concurrency`` workers (its rate limit decides how
        many of them send at once)."""
        lane = self._lanes.get(model)
        if lane is None:
            lane = self._lanes[model] = asyncio.PriorityQueue()
            loop = asyncio.get_running_loop()
            self._workers += [
                loop.create_task(self._work(lane)) for _ in range(self.policy.concurrency)
            ]
        return lane

    async def _work(self, lane: asyncio.PriorityQueue) -> None:
        while True:
            _, _, request, future = await lane.get()
            if not future.set_running_or_notify_cancel():
                continue
            self._busy += 1
            try:
                result = await self._answer(request)
            except Exception as exc:  # noqa: BLE001 - handed to the waiting item
                future.set_exception(exc)
            else:
                future.set_result(result)
            finally:
                self._busy -= 1

    async def _answer(self, request: ProviderRequest) -> ReplayResult:
        if self._stopped:
            raise NotSent(f"not sent: {self._stopped}")
        if self.cache is not None:
            hit = self.cache.get(request)
            if hit is not None:
                self.cache_hits += 1
                return hit
        self._check_budget()
        self._check_credentials(request)
        from llm_regressions.replay import client

        self.sent += 1
        result = await client.complete(
            request,
            api_base=self.policy.api_base,
            timeout=self.policy.timeout,
            retries=self.policy.retries,
            limits=self.limits,
            ready=self._sendable,
        )
        self.charge(result.cost_usd or 0.0)
        if self.cache is not None:
            self.cache.put(request, result)
        return result

    def _sendable(self) -> None:
        """Checked again as each attempt gets its slot: a call that waited on a rate
        limit is not sent once the run stopped or the budget is spent meanwhile."""
        if self._stopped:
            raise NotSent(f"not sent: {self._stopped}")
        self._check_budget()

    def _check_budget(self) -> None:
        why = self.budget.exhausted()
        if why:
            raise NotSent(f"not sent: {why}")

    def _check_credentials(self, request: ProviderRequest) -> None:
        """Refuse early, in one line, when the provider's API key is not set."""
        if "api_key" in request.params:
            return
        missing = self._credentials.get(request.model)
        if missing is None:
            from llm_regressions.replay.client import missing_credentials

            missing = self._credentials[request.model] = missing_credentials(request.model)
        if missing:
            raise missing_key(request.model, list(missing))

    async def _shutdown(self) -> None:
        # Let calls in flight end cleanly (cancelling litellm mid-call leaves its
        # coroutines unawaited); queued ones already fail fast with NotSent.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(CLOSE_GRACE_SECONDS, self.policy.timeout)
        while self._busy and loop.time() < deadline:
            await asyncio.sleep(0.01)
        for task in self._workers:
            task.cancel()
        for lane in self._lanes.values():
            while not lane.empty():
                _, _, _, future = lane.get_nowait()
                future.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        from llm_regressions.replay import client

        await client.aclose()
        others = asyncio.all_tasks() - {asyncio.current_task()}
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        asyncio.get_running_loop().stop()
