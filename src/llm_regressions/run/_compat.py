"""Every reach into pytest's and pytest-xdist's private or undocumented parts, in one place.

Each function says what it relies on and what happens when that changes; nothing else
in the plugin touches ``_pytest`` or xdist internals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def failure_repr(path: Path, line: int, headline: str, text: str | None) -> Any:
    """A failure report with ``text`` under FAILURES and only ``headline`` in the short
    summary, JUnit's ``message`` and ``--tb=line`` (``text=None``).

    A plain string would be repeated whole after ``FAILED`` when pytest runs on CI
    (``CI`` set). This is the shape pytest gives its own failures, built from
    ``_pytest._code.code`` (stable since pytest 3; it survives xdist's report
    serialization)."""
    from _pytest._code.code import ReprExceptionInfo, ReprFileLocation, ReprTracebackNative

    location = ReprFileLocation(str(path), line, headline)
    lines = [] if text is None else [text + "\n"]
    return ReprExceptionInfo(reprtraceback=ReprTracebackNative(lines), reprcrash=location)


def skip_at_item_location(message: str) -> BaseException:
    """A skip reported at the item's own location (the case file's line), not at the
    line of plugin code that raised it: pytest's private ``_use_item_location`` flag,
    which ``pytest.mark.skip`` uses too. Without it, skips point into the plugin."""
    return pytest.skip.Exception(message, _use_item_location=True)


def is_xdist_worker(config: pytest.Config) -> bool:
    """xdist gives each worker's config a ``workerinput`` (documented for plugins)."""
    return hasattr(config, "workerinput")


def is_xdist_controller(config: pytest.Config) -> bool:
    return not is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None))


#: ``workerinput`` key carrying the folder where workers share their spend.
BUDGET_DIR = "llm_regressions_budget_dir"


class ShareBudget:
    """Registered on the xdist controller: gives every worker the session's budget
    folder through ``workerinput`` (xdist's documented way to pass data to workers)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[BUDGET_DIR] = str(self.folder)


#: ``workeroutput`` key carrying a worker's ``--llm-changed-since`` selection summary.
SELECTION = "llm_regressions_selection"


def send_to_controller(config: pytest.Config, key: str, value: Any) -> None:
    """On an xdist worker, hand ``value`` to the controller through ``workeroutput``
    (xdist's documented way back); elsewhere nothing."""
    workeroutput = getattr(config, "workeroutput", None)
    if isinstance(workeroutput, dict) and value is not None:
        workeroutput[key] = value


class FromWorkers:
    """Registered on the xdist controller: passes what a worker sent under ``key``
    (:func:`send_to_controller`) to ``receive`` when the worker finishes."""

    def __init__(self, key: str, receive: Any) -> None:
        self.key = key
        self.receive = receive

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        value = (getattr(node, "workeroutput", None) or {}).get(self.key)
        if value is not None:
            self.receive(value)


#: ``workeroutput`` key carrying what rate limits cost a worker (its per-model stats).
RATE_LIMITS = "llm_regressions_rate_limits"
DIAGNOSES = "llm_regressions_diagnoses"


def worker_budget(config: pytest.Config) -> tuple[Path | None, str]:
    """This worker's shared budget folder (None outside xdist) and its name."""
    workerinput = getattr(config, "workerinput", None) or {}
    folder = workerinput.get(BUDGET_DIR)
    return (Path(folder) if folder else None), str(workerinput.get("workerid", ""))


def xdist_queue(config: pytest.Config) -> list[int]:
    """Indices of the tests xdist has scheduled on this worker but not started.

    Read, without changing it, from xdist's worker plugin (``workerinteractor``) and its
    ``torun`` queue with its ``lock()`` (xdist 3.x internals). When they are missing,
    an empty list just means calls are queued one test at a time."""
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


def keep_going_after_collection_errors(session: pytest.Session) -> None:
    """Let the run loop start although collection reported errors, as
    ``--continue-on-collection-errors`` would: set mid-session on ``config.option``,
    which pytest reads again when the run loop starts."""
    session.config.option.continue_on_collection_errors = True


def collect_these(config: pytest.Config, paths: list[str]) -> None:
    """Make pytest collect ``paths`` instead of its default (testpaths or the current
    folder): ``config.args`` is read after ``pytest_configure``, before collection."""
    config.args[:] = paths


#: Where each replay mode keeps its own failed cases for ``--lf`` (pytest's cache).
LAST_FAILED_KEY = "llm_regressions/lastfailed/{mode}"


def _is_case(nodeid: object, suffixes: tuple[str, ...]) -> bool:
    return str(nodeid).split("::", 1)[0].endswith(suffixes)


def _last_failed(config: pytest.Config) -> tuple[Any, Any, dict[Any, bool]] | None:
    """(pytest's cache, the cacheprovider's ``lfplugin``, its ``lastfailed`` dict), or
    None where the cacheprovider is off (``-p no:cacheprovider``)."""
    plugin = config.pluginmanager.get_plugin("lfplugin")
    cache = getattr(config, "cache", None)
    lastfailed = getattr(plugin, "lastfailed", None)
    if cache is None or not isinstance(lastfailed, dict):
        return None
    return cache, plugin, lastfailed


def use_last_failed_of(config: pytest.Config, mode: str, suffixes: tuple[str, ...]) -> None:
    """Make ``--lf``/``--ff`` see the cases (node ids in files ending in ``suffixes``)
    that failed in the last run of *this* replay mode: a recorded run must not clear
    what a live ``--lf`` re-sends. Relies on the cacheprovider's ``lfplugin`` and its
    ``lastfailed`` dict (keys are node ids, plain strings before pytest 8.1, ``NodeId``
    after) and ``_last_failed_paths`` (computed at its start under ``--lf``). Without
    them, ``--lf`` keeps pytest's shared memory."""
    found = _last_failed(config)
    if found is None:
        return
    cache, plugin, lastfailed = found
    saved = cache.get(LAST_FAILED_KEY.format(mode=mode), None)
    if not isinstance(saved, list):
        return  # first run in this mode: pytest's shared memory is all there is
    try:
        from _pytest.cacheprovider import NodeId  # type: ignore[attr-defined]

        parse: Any = NodeId.parse
    except ImportError:  # pytest < 8.1: node ids are strings
        parse = str
    for nodeid in [k for k in lastfailed if _is_case(k, suffixes)]:
        del lastfailed[nodeid]
    lastfailed.update({parse(nodeid): True for nodeid in saved if isinstance(nodeid, str)})
    if hasattr(plugin, "_last_failed_paths"):
        plugin._last_failed_paths = plugin.get_last_failed_paths()


def remember_last_failed(config: pytest.Config, mode: str, suffixes: tuple[str, ...]) -> None:
    """Save this run's failed cases under its replay mode (see :func:`use_last_failed_of`)."""
    found = _last_failed(config)
    if found is None or is_xdist_worker(config):
        return
    cache, _, lastfailed = found
    failed = sorted(str(k) for k in lastfailed if _is_case(k, suffixes))
    cache.set(LAST_FAILED_KEY.format(mode=mode), failed)
