"""The controller-side plugin: collects case records from test reports, then gates,
writes the reports and updates statuses once, at the end of the session.

Registered only where the summary is written (never on an xdist worker): records
travel with the reports, so totals and the gate are computed once, from the same data,
with or without ``-n``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from llm_regressions import results
from llm_regressions.gate import GateResult, evaluate
from llm_regressions.gate_options import GATE_SETTINGS_KEY, GateSettings
from llm_regressions.options import get_settings
from llm_regressions.report import json_report, markdown, terminal

PLUGIN_NAME = "llm-regressions-gate"


def configure(config: pytest.Config) -> None:
    """Resolve the gate settings (every process: workers select cases too)."""
    from llm_regressions.replay.session import is_xdist_worker

    gate = GateSettings.from_config(config)
    config.stash[GATE_SETTINGS_KEY] = gate
    if gate.update_status and not get_settings(config).calls_models:
        raise pytest.UsageError("--llm-update-status needs a live or cached run, not recorded")
    if not is_xdist_worker(config):
        baseline = None
        if gate.baseline:
            try:
                baseline = json_report.load(Path(gate.baseline))
            except json_report.ReportError as exc:
                raise pytest.UsageError(f"--llm-baseline: {exc}") from None
        config.pluginmanager.register(GateSession(config, gate, baseline), PLUGIN_NAME)


class GateSession:
    def __init__(self, config: pytest.Config, gate: GateSettings, baseline: Any) -> None:
        self.config = config
        self.gate = gate
        self.baseline = baseline
        self.records: list[dict[str, Any]] = []
        self.outcomes: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.causes: dict[str, list[str]] = {}
        self.other_failures = 0
        self.result: GateResult | None = None
        self.aggregates: dict[str, Any] | None = None
        self.written: list[str] = []
        self.status_changes: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.other_failures += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        outcome = results.outcome_of(report)
        if outcome is not None and self.outcomes.get(report.nodeid) in (None, "passed"):
            self.outcomes[report.nodeid] = outcome
            if outcome == "error":
                self.causes[report.nodeid] = report.longreprtext.strip().splitlines()[-1:]
        if report.when != "teardown":
            return
        record = results.take(report)
        outcome = self.outcomes.pop(report.nodeid, "passed")
        if record is None:
            self.other_failures += outcome in ("failed", "error")
            return
        record = results.finish_record(record, outcome, self.durations.pop(report.nodeid))
        if not record["problem"]:  # an error before any verdict: say why
            record["problem"] = "".join(self.causes.pop(report.nodeid, []))
        report.user_properties.extend(results.junit_properties(record))
        self.records.append(record)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Nothing here may raise (pytest would end in an internal error): whatever goes
        # wrong becomes a gate failure with its reason.
        self.records.sort(key=lambda r: r["nodeid"])
        try:
            self.result = evaluate(self.records, self.gate, self.baseline)
        except (KeyError, TypeError, ValueError) as exc:  # a hand-edited baseline
            self.result = evaluate(self.records, replace(self.gate, baseline=None), None)
            self.result.failures.append(f"--llm-baseline {self.gate.baseline}: unusable ({exc!r})")
        report = self._report()
        self.aggregates = report["aggregates"]
        try:
            self._write(report)
        except OSError as exc:
            self.result.failures.append(f"could not write a report: {exc}")
        self._set_exit_status(session)
        if self.gate.update_status:
            from llm_regressions.status_update import update_statuses

            try:
                self.status_changes = update_statuses(Path(self.config.rootpath), self.records)
            except OSError as exc:
                self.status_changes = [f"stopped: {exc}"]

    def _set_exit_status(self, session: pytest.Session) -> None:
        """The gate can fail a green run, or (a threshold deciding) pass a run whose
        only failures are cases; interrupted or broken sessions keep their status."""
        status = session.exitstatus
        if not self.result.passed and status in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,  # e.g. --llm-golden with no golden case
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif self.result.passed and self.result.decides and not self.other_failures:
            if status == pytest.ExitCode.TESTS_FAILED:
                session.exitstatus = pytest.ExitCode.OK

    def _report(self) -> dict[str, Any]:
        settings = get_settings(self.config)
        run = {
            "replay": settings.replay,
            "model_override": settings.model_override,
            "golden": self.gate.golden,
            "shard": str(self.gate.shard) if self.gate.shard else None,
            "merged_from": None,
        }
        git = json_report.git_state(Path(self.config.rootpath)) if self.gate.report else None
        return json_report.build(self.records, run, self.result.to_dict(), git)

    def _write(self, report: dict[str, Any]) -> None:
        if self.gate.report:
            json_report.write(Path(self.gate.report), report)
            self.written.append(self.gate.report)
        targets = [self.gate.report_md] if self.gate.report_md else []
        md = markdown.render(report) if targets or os.environ.get("GITHUB_STEP_SUMMARY") else ""
        for target in targets:
            Path(target).write_text(md, encoding="utf-8")
            self.written.append(target)
        if os.environ.get("GITHUB_STEP_SUMMARY"):
            with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
                summary.write(md)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.result is None or not (self.records or self.result.failures):
            return
        terminalreporter.section("llm regressions: metrics and gate")
        lines = terminal.lines(self.aggregates, self.result.to_dict(), self.written)
        if self.status_changes:
            lines.append(f"updated status: open -> fixed ({len(self.status_changes)}):")
            lines += [f"  {change}" for change in self.status_changes]
        for line in lines:
            red = line.startswith(("gate FAILED", "  regression", "REGRESS", "regressed"))
            terminalreporter.write_line(line, red=red, bold=red)
