"""One replay queue per pytest process: which cases' calls are sent, and when.

Without xdist every selected case's calls are queued when the run loop starts (after
``-k``/``-m``/``--lf`` deselection, so nothing is sent for deselected items). Under
xdist a worker learns its items a batch at a time, so calls are queued for the items
already scheduled on it, looked up as each test starts. After ``-x`` (or any stop) the
engine is told to send nothing new. The queue knows node ids and requests, never items.
"""

from __future__ import annotations

from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from llm_regressions.replay.engine import CallPolicy, Engine
from llm_regressions.replay.judging import JudgeAccess
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult
from llm_regressions.settings import Settings

if TYPE_CHECKING:
    from llm_regressions.casefile.model import Case
    from llm_regressions.diagnose.running import Diagnoser
    from llm_regressions.replay.session import Recording

QUEUE_KEY = pytest.StashKey["ReplayQueue"]()


def queue_of(config: pytest.Config) -> ReplayQueue:
    """This process's replay queue (made by the session when it is configured)."""
    return config.stash[QUEUE_KEY]


def requests_for(
    case: Case, settings: Settings, runs: range | None = None
) -> list[ProviderRequest]:
    """One request per run of the case (its first ``runs``: by default the ones every
    run makes, adaptive repeats ask for later ones), on the model this session replays
    it on."""
    request = case.request
    assert request is not None, "only a target case has no request, and it is not replayed"
    messages = [m.model_dump(exclude_none=True) for m in request.messages]
    return [
        ProviderRequest(
            model=settings.model_for(case),
            messages=messages,
            params=dict(case.model.params),
            tools=list(request.tools),
            tool_choice=request.tool_choice,
            response_format=request.response_format,
            run=run,
        )
        for run in (runs if runs is not None else range(settings.runs_for(case)[0]))
    ]


def recording_for(case: Case) -> Recording | None:
    """What a ``session:`` case's runs replay against (None for a single-call case)."""
    if case.session is None:
        return None
    from llm_regressions.casefile.session import recording_of
    from llm_regressions.usercode import resolve_callable

    reference = case.session.tool_stub
    stub = resolve_callable(reference) if reference else None  # checked at collection
    return recording_of(case, stub)


class ReplayQueue:
    """Owns the engine (started lazily) and each case's pending futures."""

    def __init__(
        self, settings: Settings, root: Path, budget: tuple[Path | None, str] = (None, "")
    ) -> None:
        self.settings = settings
        self.root = root
        self.budget = budget
        self._engine: Engine | None = None
        self._pending: dict[str, list[Future[ReplayResult]]] = {}
        self._diagnoser: Diagnoser | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from llm_regressions.replay.cache import ResponseCache

            s = self.settings
            cache = ResponseCache(self.root / s.cache_dir) if s.replay == "cached" else None
            policy = CallPolicy(
                s.concurrency, s.timeout, s.retries, s.api_base, s.max_cost, *self.budget
            )
            self._engine = Engine(policy, cache)
        return self._engine

    @property
    def diagnoser(self) -> Diagnoser:
        """--llm-diagnose: the diagnoses this process started (calls on this engine)."""
        if self._diagnoser is None:
            from llm_regressions.diagnose.running import Diagnoser

            s = self.settings
            self._diagnoser = Diagnoser(
                lambda: self.engine, s.diagnose_reruns, s.diagnose_variant_runs
            )
        return self._diagnoser

    def diagnoses(self) -> dict[str, dict[str, Any]]:
        """Every diagnosis this process started, by node id (waits for their answers)."""
        return self._diagnoser.collect() if self._diagnoser is not None else {}

    def judge_access(self) -> JudgeAccess:
        return JudgeAccess(
            lambda: self.engine, self.settings.judge_model, self.settings.judge_repeat
        )

    def queued(self, nodeid: str) -> bool:
        return nodeid in self._pending

    def submit(
        self, nodeid: str, requests: list[ProviderRequest], session: Recording | None = None
    ) -> None:
        """Start sending ``requests`` for the case ``nodeid`` (with ``session``: each
        run's later steps too, as its answers arrive)."""
        self._pending[nodeid] = self._send(requests, session)

    def results(
        self, nodeid: str, requests: list[ProviderRequest], session: Recording | None = None
    ) -> list[ReplayResult]:
        """The case's answers, in run order; raises ProviderTrouble or NotSent. Sends
        ``requests`` now when nothing was queued for it.

        Taken answers are forgotten, so a rerun of the item (pytest-rerunfailures)
        asks the model again."""
        futures = self._pending.pop(nodeid, None)
        if futures is None:
            futures = self._send(requests, session)
        return self._collect(futures)

    def more(
        self, requests: list[ProviderRequest], session: Recording | None = None
    ) -> list[ReplayResult]:
        """Answers to further runs of a case whose item is waiting on them (adaptive
        repeats): sent ahead of the calls queued for later cases."""
        return self._collect(self._send(requests, session, urgent=True))

    def _send(
        self, requests: list[ProviderRequest], session: Recording | None, urgent: bool = False
    ) -> list[Future[ReplayResult]]:
        """Queue the first calls; a session's later steps go ahead of queued first calls
        (a case is under way: finishing it frees its item sooner)."""
        engine = self.engine
        first = engine.submit(requests, urgent=urgent)
        if session is None:
            return first
        from llm_regressions.replay.session import replay_sessions

        later = partial(engine.submit, urgent=True)
        return list(replay_sessions(session, requests, first, later))

    def _collect(self, futures: list[Future[ReplayResult]]) -> list[ReplayResult]:
        """Wait for the answers; then the cache's problems so far become warnings of
        the test that asked (raised on the engine's thread they would miss pytest's
        warning summary)."""
        try:
            return [future.result() for future in futures]
        finally:
            cache = self._engine.cache if self._engine is not None else None
            if cache is not None:
                cache.warn_notices()

    def rate_limits(self) -> list[dict[str, Any]]:
        """What rate limits cost this process, per model (empty when nothing waited)."""
        return self._engine.rate_limits() if self._engine is not None else []

    def stop(self, reason: str) -> None:
        """Send nothing new (``-x`` or any other stop)."""
        if self._engine is not None:
            self._engine.stop(f"the run stopped ({reason})")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
