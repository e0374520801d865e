"""One replay session per pytest process: which items' calls are sent, and when.

Without xdist every selected item's calls are queued when the run loop starts (after
``-k``/``-m``/``--lf`` deselection, so nothing is sent for deselected items). Under
xdist a worker learns its items a batch at a time, so calls are queued for the items
already scheduled on it, looked up as each test starts. After ``-x`` (or any stop) the
engine is told to send nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from llm_regressions.replay.engine import CallPolicy, Engine
from llm_regressions.replay.judging import JudgeAccess
from llm_regressions.replay.pins import is_pinned
from llm_regressions.replay.request import effective_model, replay_requests
from llm_regressions.replay.result import ReplayResult

if TYPE_CHECKING:
    from llm_regressions.case import Case
    from llm_regressions.items import CaseItem
    from llm_regressions.options import Settings

#: Registered under this name as a pytest plugin object: looked up by name, so a
#: re-imported module (pytester's in-process runs) still finds the live session.
PLUGIN_NAME = "llm-regressions-replay"


def replay_session(config: pytest.Config) -> ReplaySession | None:
    """This process's replay session (None when --llm-regressions is off)."""
    return config.pluginmanager.get_plugin(PLUGIN_NAME)


class ReplaySession:
    """Owns the engine (started lazily) and each item's pending futures."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self._engine: Engine | None = None
        self._pending: dict[str, list[Future[ReplayResult]]] = {}

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from llm_regressions.replay.cache import ResponseCache

            s = self.settings
            cache = None
            if s.replay == "cached":
                cache = ResponseCache(Path(self.config.rootpath) / s.cache_dir)
            policy = CallPolicy(s.concurrency, s.timeout, s.retries, s.api_base, s.max_cost)
            self._engine = Engine(policy, cache)
        return self._engine

    def judge_access(self) -> JudgeAccess:
        return JudgeAccess(
            lambda: self.engine, self.settings.judge_model, self.settings.judge_repeat
        )

    def submit(self, items: Iterable[Any]) -> None:
        """Queue the calls of ``items`` not queued yet (non-case items are ignored)."""
        from llm_regressions.items import CaseItem
        from llm_regressions.promptcase import sends_current, with_prompt

        if not self.settings.calls_models:
            return
        for item in items:
            if isinstance(item, CaseItem) and item.nodeid not in self._pending:
                case = item.loaded.case
                if not self._allowed(case) or case.target is not None:
                    continue  # errors in setup, or a target that runs in its item
                try:
                    current = sends_current(item, self.settings.prompt)
                except Exception:  # noqa: BLE001 - the item reports it in setup
                    continue
                requests = replay_requests(case, self.settings)
                if current is not None:
                    requests = [with_prompt(r, current) for r in requests]
                self._pending[item.nodeid] = self.engine.submit(requests)

    def _allowed(self, case: Case) -> bool:
        """False for a case on an unpinned model under --llm-strict-pins."""
        s = self.settings
        return not s.strict_pins or is_pinned(effective_model(case, s), s.unpinned_ok)

    def results(self, item: CaseItem) -> list[ReplayResult]:
        """This item's answers, in run order; raises ProviderTrouble or NotSent.

        Taken answers are forgotten, so a rerun of the item (pytest-rerunfailures)
        asks the model again."""
        futures = self._pending.pop(item.nodeid, None)
        if futures is None:
            futures = self.engine.submit(replay_requests(item.loaded.case, self.settings))
        return [future.result() for future in futures]

    def upcoming(
        self, session: pytest.Session, item: pytest.Item, nextitem: pytest.Item | None
    ) -> list[pytest.Item]:
        """Under xdist: this item, the next one, and those scheduled after them."""
        queued = [session.items[i] for i in _xdist_queue(self.config) if i < len(session.items)]
        return [item, *([nextitem] if nextitem is not None else []), *queued]

    def stop_if_stopping(self, session: pytest.Session) -> None:
        if session.shouldfail or session.shouldstop:
            reason = session.shouldfail or session.shouldstop
            if self._engine is not None:
                self._engine.stop(f"the run stopped ({reason})")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()


def _xdist_queue(config: pytest.Config) -> list[int]:
    """Indices of the tests xdist has scheduled on this worker but not started.

    Read from xdist's worker (its ``torun`` queue) without changing it; an xdist
    without that attribute just means calls are queued one test at a time.
    """
    interactor = config.pluginmanager.get_plugin("workerinteractor")
    if interactor is None:
        interactor = next(
            (p for p in config.pluginmanager.get_plugins() if hasattr(p, "torun")), None
        )
    queue = getattr(interactor, "torun", None)
    if queue is None or not hasattr(queue, "lock"):
        return []
    with queue.lock() as pending:
        return [i for i in pending if isinstance(i, int)]


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_xdist_controller(config: pytest.Config) -> bool:
    return not is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None))
