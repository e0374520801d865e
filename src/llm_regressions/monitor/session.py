"""The pytest side of ``--llm-monitor``: the monitor pass runs at collection, each alert
(and each rule) becomes one test item, and the reports are written at the end.

An alert item passes, fails with its one-line reason, or is skipped when there was too
little data to judge, so cron jobs and CI read the exit code, junit and ``--llm-report``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from llm_regressions.casefile.loader import CaseFormatError
from llm_regressions.monitor import report
from llm_regressions.monitor.alerts import FAIL, PASS, SKIP, Alert, evaluate
from llm_regressions.monitor.history import (
    HistoryError,
    append_history,
    load_history,
    merged,
)
from llm_regressions.monitor.judge import judge_calls, judge_item, judge_section
from llm_regressions.monitor.load import Monitors, load_monitors
from llm_regressions.monitor.run import monitor
from llm_regressions.options import get_settings
from llm_regressions.settings import MonitorSettings


class AlertFailed(Exception):
    """An alert fired; its message is the one-line reason."""


class MonitorItem(pytest.Item):
    """One alert or rule of the monitor run; reported at the rules file that set it up
    (a skip reads ``monitors.yaml:1: spend_per_tenant: too few spans ...``)."""

    def __init__(self, *, alert: Alert, rules_file: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alert = alert
        self.rules_file = rules_file

    def runtest(self) -> None:
        if self.alert.status == SKIP:
            why = f"{self.alert.name}: {self.alert.reason}"
            raise pytest.skip.Exception(why, _use_item_location=True)
        if self.alert.status == FAIL:
            raise AlertFailed(self.alert.reason)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, AlertFailed):
            return f"alert {self.alert.name}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.rules_file, 0, f"llm-monitor: {self.alert.name}"


class MonitorSession:
    """Hooks of one ``--llm-monitor`` session."""

    def __init__(self, config: pytest.Config, settings: MonitorSettings) -> None:
        self.config = config
        self.settings = settings
        self.rules_file = self._rules_file()
        self.monitors = self._load_rules()
        self.section: dict[str, Any] = {}

    def _rules_file(self) -> Path:
        given = self.config.getoption("llm_monitor_rules")
        return Path(given) if given else self.config.rootpath / self.settings.rules

    def _load_rules(self) -> Monitors:
        path = self.rules_file
        if not path.is_file():
            raise pytest.UsageError(
                f"--llm-monitor: no rules file at {path} (write monitors.yaml, see "
                "docs/monitor.md, or name one with --llm-monitor-rules)"
            )
        try:
            return load_monitors(path, budget=get_settings(self.config).max_cost is not None)
        except CaseFormatError as exc:
            raise pytest.UsageError(f"monitor rules file is invalid:\n{exc}") from None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool:
        alerts = self._run()
        session.items = [
            MonitorItem.from_parent(
                session, name=f"llm-monitor::{a.name}", alert=a, rules_file=self.rules_file
            )
            for a in alerts
        ]
        hook = self.config.hook
        collected = pytest.CollectReport(session.nodeid, "passed", None, list(session.items))
        hook.pytest_collectreport(report=collected)  # the "collected N items" count
        hook.pytest_collection_modifyitems(session=session, config=self.config, items=session.items)
        hook.pytest_collection_finish(session=session)
        session.testscollected = len(session.items)
        return True

    def _run(self) -> list[Alert]:
        settings, replay = self.settings, get_settings(self.config)
        with judge_calls(self.monitors, replay) as access:
            run = monitor([Path(p) for p in settings.paths], self.monitors, settings.sample,
                          settings.window_s)  # fmt: skip
        earlier: list[dict[str, Any]] = []
        notes: list[str] = []
        if settings.history:
            try:
                earlier, notes = load_history(Path(settings.history), settings.window_s)
            except HistoryError as exc:
                raise pytest.UsageError(str(exc)) from None
        windows = merged(run.windows.summaries(), earlier)
        alerts = evaluate(windows, self.monitors.config.alerts)
        rules = [r.rule.name for r in self.monitors.rules]
        described = {
            "paths": list(settings.paths),
            "rules_file": str(self.monitors.path),
            "sample": settings.sample,
            "window_s": settings.window_s,
            "notes": [*run.notes, *notes],
        }
        self.section = report.section(run, alerts, rules, described)
        self.section["judge"] = judge_section(access, run.unjudged, replay.max_cost)
        rule_items = [_rule_item(r) for r in self.section["rules"]]
        judge = judge_item(self.section["judge"])
        return [_input_item(self.section), *alerts, *judge, *rule_items]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.section:
            return
        settings = self.settings
        if settings.history:
            append_history(Path(settings.history), settings.window_s, self.section["windows"])
        built = _json_report(self.section) if settings.report or settings.report_html else {}
        if settings.report:
            from llm_regressions.report import json_report

            json_report.write(Path(settings.report), built)
        if settings.report_html:
            from llm_regressions.fsutil import atomic_write
            from llm_regressions.report import html

            atomic_write(Path(settings.report_html), html.render(built), overwrite=True)
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        markdown = report.markdown(self.section) if settings.report_md or step_summary else ""
        if settings.report_md:
            Path(settings.report_md).write_text(markdown, encoding="utf-8")
        if step_summary:
            with open(step_summary, "a", encoding="utf-8") as summary:
                summary.write(markdown)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.section:
            return
        terminalreporter.write_sep("=", "llm monitor")
        for line in report.terminal_lines(self.section):
            terminalreporter.write_line(line)


def _input_item(section: dict[str, Any]) -> Alert:
    """The input itself: a run that read no span (every file unreadable, a wrong path)
    must not pass as a quiet day."""
    unreadable = len(section["unreadable"])
    if not section["spans_read"]:
        return Alert("input", FAIL, f"no span read from {section['files']} file(s) "
                     f"({unreadable} unreadable): see the llm monitor summary")  # fmt: skip
    return Alert("input", PASS, f"{section['spans_read']} span(s) read, {unreadable} unreadable")


def _rule_item(rule: dict[str, Any]) -> Alert:
    name = f"rule:{rule['name']}"
    if not rule["matched"]:
        return Alert(name, SKIP, "matched no span: check its match: section")
    rate = rule["passed"] / rule["matched"]
    return Alert(name, PASS, f"scored {rule['matched']} span(s), {rate:.1%} passed")


def _json_report(section: dict[str, Any]) -> dict[str, Any]:
    """A format-v1 report with no cases and the ``monitor`` section."""
    from llm_regressions.report import json_report

    run = {
        "replay": "recorded",
        "prompt": "frozen",
        "model_override": None,
        "golden": False,
        "shard": None,
        "changed_since": None,
        "merged_from": None,
        "rate_limits": [],
    }
    built = json_report.build([], run, None, None)
    built["monitor"] = json.loads(json.dumps(section, default=str))
    return built


def start(config: pytest.Config, settings: MonitorSettings) -> None:
    """Register the monitor session's hooks."""
    config.pluginmanager.register(MonitorSession(config, settings), "llm-monitor-session")
