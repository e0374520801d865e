"""One object per ``--llm-regressions`` session: the bodies of the plugin's hooks.

Every process holds one (``config.stash``): it owns the replay queue and queues the
selected cases' calls. Where the summary is written (the only process, or the xdist
controller) it also reads each case's record off the test reports, and at the end
gates, writes the reports, updates case statuses and prints the one terminal section.
Records travel with the reports, so all of that is computed once, from the same data,
with or without ``-n``.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from llm_regressions.gcutil import settle
from llm_regressions.options import get_gate_settings
from llm_regressions.replay.result import usd
from llm_regressions.report import outputs, terminal
from llm_regressions.report.gate import GateResult, evaluate
from llm_regressions.run import _compat
from llm_regressions.run.collect import CASE_SUFFIXES
from llm_regressions.run.estimate import LEFT_OUT, REFUSED
from llm_regressions.run.item import case_items, queue_calls
from llm_regressions.run.record import RecordCollector
from llm_regressions.run.replay import QUEUE_KEY, ReplayQueue
from llm_regressions.run.selection import select
from llm_regressions.settings import GateSettings, Settings

if TYPE_CHECKING:
    from llm_regressions.report.status_update import StatusUpdate
    from llm_regressions.run.changes import ChangeSet
    from llm_regressions.run.estimate import Estimate

SESSION_KEY = pytest.StashKey["LlmSession"]()

#: Warnings (message regex) litellm's own code raises while it imports and works, which
#: say nothing about the user's cases (pydantic building schemas of litellm's types).
THIRD_PARTY_NOISE = (
    r"Items? .* (is|are) using the .ReadOnly. qualifier",
    r"Pydantic serializer warnings",
)


def start(config: pytest.Config, settings: Settings) -> LlmSession:
    """``pytest_configure`` with ``--llm-regressions``: make the session object."""
    gate = get_gate_settings(config)
    session = LlmSession(config, settings, gate, _baseline(config, gate), _changes(config, gate))
    config.stash[SESSION_KEY] = session
    config.stash[QUEUE_KEY] = session.queue
    # Any mode may call a model (llm_judge does in recorded). These ini lines win over a
    # user's `filterwarnings = error` in pytest's collection and test phases.
    for message in THIRD_PARTY_NOISE:
        config.addinivalue_line("filterwarnings", f"ignore:{message}:UserWarning")
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        # No paths on the command line: run the regression set, not the unit tests.
        root = Path(config.rootpath)
        paths = [str(root / p) for p in settings.paths if (root / p).exists()]
        _compat.collect_these(config, paths or [str(root / settings.paths[0])])
    _compat.use_last_failed_of(config, settings.replay, CASE_SUFFIXES)
    return session


def _baseline(config: pytest.Config, gate: GateSettings) -> dict[str, Any] | None:
    if not gate.baseline or _compat.is_xdist_worker(config):
        return None
    from llm_regressions.report import json_report

    try:
        return json_report.load(Path(gate.baseline))
    except json_report.ReportError as exc:
        raise pytest.UsageError(f"--llm-baseline: {exc}") from None


def _changes(config: pytest.Config, gate: GateSettings) -> ChangeSet | None:
    """``--llm-changed-since``: what git says changed, asked once per process; without
    git, outside a checkout or for an unknown ref, a usage error before anything runs."""
    if gate.changed_since is None:
        return None
    from llm_regressions.run.changes import ChangesError, ChangeSet

    try:
        return ChangeSet.since(gate.changed_since, Path(config.rootpath))
    except ChangesError as exc:
        raise pytest.UsageError(str(exc)) from None


def session_of(config: pytest.Config) -> LlmSession | None:
    """This process's session object (None without ``--llm-regressions``)."""
    return config.stash.get(SESSION_KEY, None)


def _incomplete(session: pytest.Session, records: list[dict[str, Any]]) -> str | None:
    """Why this session did not run its whole selection, or None when it did."""
    status = session.exitstatus
    if status == pytest.ExitCode.INTERRUPTED:
        return "interrupted"
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        return "no test was collected or selected"
    if status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return f"pytest ended with exit code {int(status)} ({pytest.ExitCode(status).name})"
    if session.shouldfail or session.shouldstop:
        return f"stopped early: {session.shouldfail or session.shouldstop}"
    if not records:
        return "no case ran"
    return None


class LlmSession:
    """The replay queue of this process, and (where the summary is written) the
    records, the gate and the reports."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        gate: GateSettings,
        baseline: dict[str, Any] | None,
        changes: ChangeSet | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.gate = gate
        self.baseline = baseline
        self.changes = changes
        #: What --llm-changed-since selected (:func:`.selection.summary`); under xdist the
        #: controller gets it from a worker.
        self.selection: dict[str, Any] | None = None
        self.queue = ReplayQueue(settings, Path(config.rootpath), _compat.worker_budget(config))
        self.worker = _compat.is_xdist_worker(config)
        self.budget_dir = self._share_budget()
        if changes is not None and _compat.is_xdist_controller(config):
            receive = _compat.FromWorkers(_compat.SELECTION, self._selected)
            config.pluginmanager.register(receive, "llm-regressions-selection")
        #: Per-model rate-limit stats of this process, plus (controller) its workers'.
        self.rate_limits: list[dict[str, Any]] = []
        if _compat.is_xdist_controller(config):
            receive = _compat.FromWorkers(_compat.RATE_LIMITS, self.rate_limits.extend)
            config.pluginmanager.register(receive, "llm-regressions-rate-limits")
        #: --llm-diagnose: node id -> diagnosis (under xdist, sent by the workers).
        self.diagnoses: dict[str, dict[str, Any]] = {}
        if settings.diagnose and _compat.is_xdist_controller(config):
            receive = _compat.FromWorkers(_compat.DIAGNOSES, self.diagnoses.update)
            config.pluginmanager.register(receive, "llm-regressions-diagnoses")
        self.collector = RecordCollector()
        self.result: GateResult | None = None
        self.aggregates: dict[str, Any] | None = None
        self.run: dict[str, Any] = {}
        self.written: list[str] = []
        self.status_update: StatusUpdate | None = None
        self.estimate: Estimate | None = None

    def _share_budget(self) -> Path | None:
        """Under xdist with --llm-max-cost: one folder where the workers share their
        spend, so the budget is the session's, not each worker's."""
        if self.settings.max_cost is None or not _compat.is_xdist_controller(self.config):
            return None
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="llm-regressions-budget-"))
        self.config.pluginmanager.register(_compat.ShareBudget(folder), "llm-regressions-budget")
        return folder

    # -- before and while the tests run ----------------------------------------------

    def begin_import(self) -> None:
        """Start importing litellm in the background while pytest collects (live replay).

        In ``pytest_sessionstart``, not ``pytest_configure``: pytest (8.x) runs that hook
        inside a ``catch_warnings`` block, which would drop the process-wide filter below
        as soon as it returns. The filter keeps :data:`THIRD_PARTY_NOISE` quiet while the
        import runs outside pytest's collection and test phases."""
        config = self.config
        if not self.settings.calls_models or config.getoption("collectonly"):
            return
        if self.settings.estimate:
            return  # sends nothing: never pays for the client
        if _compat.is_xdist_controller(config):
            return
        from llm_regressions.replay import client

        for message in THIRD_PARTY_NOISE:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        client.begin_import()

    def header(self) -> list[str]:
        s = self.settings
        line = f"llm-regressions: replay {s.replay}"
        if s.calls_models:
            line += f", concurrency {s.concurrency}, timeout {s.timeout:g}s, retries {s.retries}"
            if s.model_override:
                line += f", every case on {s.model_override} (--llm-model)"
            if s.max_cost is not None:
                line += f", budget {usd(s.max_cost)}"
        return [line, *self._override_warning()]

    def _override_warning(self) -> list[str]:
        """An unpinned ``--llm-model`` is the flag's doing, not any case file's."""
        from llm_regressions.replay import pins

        override = self.settings.model_override
        if not self.settings.calls_models or not override:
            return []
        if pins.is_pinned(override, self.settings.unpinned_ok):
            return []
        return [f"llm-regressions: warning: --llm-model: {pins.unpinned_message(override)}"]

    def select(self, items: list[pytest.Item]) -> None:
        """Keep the golden cases / this shard's cases / those a change can affect;
        estimate what they cost (and under --llm-estimate run none); warn about
        unpinned models."""
        self.selection = select(self.config, items, self.gate, self.settings, self.changes)
        _compat.send_to_controller(self.config, _compat.SELECTION, self.selection)
        if self.settings.estimate or self.settings.max_cost is not None:
            self._estimate(items)
        if self.settings.calls_models and not self.settings.strict_pins:
            # under --llm-strict-pins each such case errors instead, with the same message
            self._warn_unpinned(items)

    def _selected(self, summary: dict[str, Any] | None) -> None:
        self.selection = summary

    def _estimate(self, items: list[pytest.Item]) -> None:
        """Price the selection before anything is sent: print it (--llm-estimate, then
        deselect everything), refuse an over-budget run, or leave out what does not fit
        (--llm-max-cost-partial)."""
        from llm_regressions.run import estimate

        cases = case_items(items)
        self.estimate = estimate.estimate_items(cases, self.settings, Path(self.config.rootpath))
        if self.settings.estimate:
            self.config.hook.pytest_deselected(items=list(items))
            items[:] = []
            return
        try:
            why = estimate.left_out(self.estimate, self.settings, refuse=not self.worker)
        except estimate.OverBudget as exc:
            raise pytest.UsageError(str(exc)) from None
        for item in cases:
            item.left_out = why.get(item.nodeid)

    def _warn_unpinned(self, items: list[pytest.Item]) -> None:
        """One warning per unpinned model name, on the first case using it."""
        from llm_regressions.replay import pins

        if self.settings.model_override:
            return  # the header says it, about the flag (see header())
        seen: set[str] = set()
        for item in case_items(items):
            model = self.settings.model_for(item.loaded.case)
            if model not in seen and not pins.is_pinned(model, self.settings.unpinned_ok):
                seen.add(model)
                item.warn(pins.UnpinnedModelWarning(pins.unpinned_message(model)))

    def start_run(self, session: pytest.Session) -> None:
        """Run the cases even when some case files failed to load (each is reported as
        a collection error; other collection errors still stop pytest), and queue every
        selected case's calls (xdist workers queue as tests arrive)."""
        from llm_regressions.run.collect import broken_case_files

        if session.testsfailed and broken_case_files(self.config) == session.testsfailed:
            _compat.keep_going_after_collection_errors(session)
        if self.worker or self.config.getoption("collectonly"):
            return
        if session.testsfailed and not self.config.getoption("continue_on_collection_errors"):
            return  # pytest is about to stop on collection errors: send nothing
        queue_calls(session.items, self.queue, self.settings)

    def before_test(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """Under xdist: queue this test's calls, the next one's, and those scheduled
        after them."""
        if self.worker:
            items = item.session.items
            queued = [items[i] for i in _compat.xdist_queue(self.config) if i < len(items)]
            upcoming = [item, *([nextitem] if nextitem is not None else []), *queued]
            queue_calls(upcoming, self.queue, self.settings)

    def after_test(self, item: pytest.Item) -> None:
        """Send nothing new once pytest is stopping (``-x``, ``--maxfail``); keep the
        garbage collector off the finished tests (gcutil)."""
        reason = item.session.shouldfail or item.session.shouldstop
        if reason:
            self.queue.stop(str(reason))
        settle()

    # -- where the summary is written -----------------------------------------------

    def collected(self, report: pytest.CollectReport) -> None:
        if not self.worker:
            self.collector.collected(report)

    def logged(self, report: pytest.TestReport) -> None:
        if not self.worker:  # a worker's reports still carry the record to the controller
            self.collector.logged(report)

    def finish(self, session: pytest.Session) -> None:
        """Gate, write the reports, set the exit status, update statuses. Nothing here
        may raise (pytest would end in an internal error): whatever goes wrong becomes a
        gate failure with its reason."""
        if self.worker:
            _compat.send_to_controller(self.config, _compat.DIAGNOSES, self.queue.diagnoses())
            _compat.send_to_controller(self.config, _compat.RATE_LIMITS, self.queue.rate_limits())
        if self.worker or self.config.getoption("collectonly"):
            return  # nothing ran: nothing to gate or report
        if self.settings.estimate:
            if session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
                session.exitstatus = pytest.ExitCode.OK  # everything deselected on purpose
            return
        _compat.remember_last_failed(self.config, self.settings.replay, CASE_SUFFIXES)
        records = self.collector.sorted()
        self._attach_diagnoses(records)
        if self._nothing_affected(session):
            session.exitstatus = pytest.ExitCode.OK  # nothing to run is a complete run
            incomplete = None
        else:
            incomplete = _incomplete(session, records)
        if self.gate.update_status:
            self._update_statuses(records)
        self.result = self._evaluate(records, incomplete)
        self._fail_refused(records)
        self._fail_unflipped(records)
        root = Path(self.config.rootpath)
        gate = self.result.to_dict()
        self.rate_limits += self.queue.rate_limits()
        report = outputs.build(
            records, self.settings, self.gate, gate, root, incomplete, self.rate_limits
        )
        self.run = report["run"]
        self.aggregates = report["aggregates"]
        try:
            outputs.write(report, self.gate, self.written)
        except OSError as exc:
            self.result.failures.append(f"could not write a report: {exc}")
        self._set_exit_status(session)

    def _attach_diagnoses(self, records: list[dict[str, Any]]) -> None:
        """--llm-diagnose: each diagnosed case's record gets its ``diagnosis`` (this
        process's, and under xdist the workers')."""
        if not self.settings.diagnose:
            return
        self.diagnoses.update(self.queue.diagnoses())
        for record in records:
            if record["nodeid"] in self.diagnoses:
                record["diagnosis"] = self.diagnoses[record["nodeid"]]

    def _nothing_affected(self, session: pytest.Session) -> bool:
        """--llm-changed-since left no case to run (no golden case, and nothing changed
        that a case depends on): pytest would say "no tests ran", but the run is whole."""
        selection = self.selection
        return (
            selection is not None
            and selection["selected"] == 0
            and session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED
        )

    def _evaluate(self, records: list[dict[str, Any]], incomplete: str | None) -> GateResult:
        try:
            return evaluate(records, self.gate, self.baseline, incomplete)
        except (KeyError, TypeError, ValueError) as exc:  # a hand-edited baseline
            result = evaluate(records, replace(self.gate, baseline=None), None, incomplete)
            result.failures.append(f"--llm-baseline {self.gate.baseline}: unusable ({exc!r})")
            return result

    def _set_exit_status(self, session: pytest.Session) -> None:
        """The gate can fail a green run, or (a threshold deciding) pass a run whose
        only failures are cases; interrupted or broken sessions keep their status."""
        status = session.exitstatus
        if not self.result.passed and status in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,  # e.g. --llm-golden with no golden case
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif self.result.passed and self.result.decides and not self.collector.other_failures:
            if status == pytest.ExitCode.TESTS_FAILED:
                session.exitstatus = pytest.ExitCode.OK

    def _update_statuses(self, records: list[dict[str, Any]]) -> None:
        from llm_regressions.report.status_update import StatusUpdate, update_statuses

        try:
            self.status_update = update_statuses(Path(self.config.rootpath), records)
        except OSError as exc:
            self.status_update = StatusUpdate(refused={"": f"stopped: {exc}"})

    def _fail_refused(self, records: list[dict[str, Any]]) -> None:
        """Under xdist an over-budget estimate leaves every case unsent (a worker cannot
        refuse the session): that run must not pass."""
        refused = next((r["problem"] for r in records if r["problem"].startswith(REFUSED)), None)
        if refused and self.result is not None:
            self.result.failures.append(refused.removeprefix(LEFT_OUT))

    def _fail_unflipped(self, records: list[dict[str, Any]]) -> None:
        """An open case passed because --llm-update-status was to mark it fixed; if its
        file could not be changed it is still open and passing: that fails the run."""
        refused = self.status_update.refused if self.status_update else {}
        for record in records:
            if record["status"] == "open" and record["outcome"] == "passed":
                why = refused.get(record["id"]) or refused.get("")
                if why:
                    message = f"open case {record['id']} passes, status not set to fixed: {why}"
                    self.result.fail_case(record["id"], "still open", message)

    def terminal_summary(self, reporter: pytest.TerminalReporter) -> None:
        """The one ``llm regressions`` section."""
        if self.settings.estimate and self.estimate is not None:
            first, *rest = self.estimate.lines()
            reporter.section(terminal.TITLE)
            for line in [f"estimate, nothing sent: {first}", *rest]:
                reporter.write_line(line)
            return
        records = self.collector.records
        if self.result is None or not (records or self.result.failures or self.selection):
            return
        verbose = self.config.getoption("verbose") > 0
        lines = terminal.changed_lines(self.selection, records, verbose) + terminal.section(
            records,
            self.aggregates,
            self.result.to_dict(),
            self.result.case_failures,
            self.written,
            self.run.get("rate_limits") or [],
        )
        if self.status_update is not None:
            lines += terminal.status_lines(self.status_update.changed, self.status_update.refused)
        reporter.section(terminal.TITLE)
        for line in lines:
            red = line.startswith(terminal.ALARMS)
            reporter.write_line(line, red=red, bold=red)

    def close(self) -> None:
        """``pytest_unconfigure``: stop the engine's thread and litellm's import."""
        from llm_regressions.replay import client

        self.queue.close()
        client.finish_import()
        if self.budget_dir is not None:
            import shutil

            shutil.rmtree(self.budget_dir, ignore_errors=True)
