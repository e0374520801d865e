"""How a check that needs a model (``llm_judge``) reaches the session's engine.

Checks score ``(result, case)`` and know nothing of pytest; the item opens a
:func:`judging` context around scoring so judge calls go through the same engine as
replays: same concurrency, retries, budget and cache, with their cost counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from llm_regressions.replay.engine import Engine
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult


@dataclass
class JudgeAccess:
    """The judge settings of this session, and what this item's judge calls cost."""

    engine: Callable[[], Engine]
    default_model: str | None = None
    repeat: int = 1
    spent: float = 0.0

    def ask(self, requests: list[ProviderRequest]) -> list[ReplayResult]:
        """Send judge calls ahead of queued replays and wait for all of them; raises
        ProviderTrouble or NotSent like any call."""
        futures = self.engine().submit(requests, urgent=True)
        results = []
        for future in futures:
            result = future.result()
            self.spent += result.cost_usd or 0.0
            results.append(result)
        return results


_CURRENT: ContextVar[JudgeAccess | None] = ContextVar("llm_regressions_judge", default=None)


@contextmanager
def judging(access: JudgeAccess) -> Iterator[JudgeAccess]:
    token = _CURRENT.set(access)
    try:
        yield access
    finally:
        _CURRENT.reset(token)


def current() -> JudgeAccess | None:
    """The judge access of the case being scored; None outside a session."""
    return _CURRENT.get()
