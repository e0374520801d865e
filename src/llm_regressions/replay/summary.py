"""What the terminal summary says about live replay, built from test reports only.

Items note their outcome in ``user_properties`` (which travel with reports, so this
works the same under xdist, where the summary is written by the controller): provider
trouble grouped by provider and cause, flaky cases apart from cases that failed every
run, model drift, and the session's spend.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from llm_regressions.replay.pins import drift
from llm_regressions.replay.request import effective_model
from llm_regressions.verdict import pass_rate_line

if TYPE_CHECKING:
    from llm_regressions.items import CaseItem


def record_outcome(item: CaseItem) -> None:
    """Attach what the summary needs to the item's reports."""
    from llm_regressions.options import get_settings

    verdict, case = item.verdict, item.loaded.case
    if verdict is None or not item.results:
        return
    passed, total = sum(run.passed for run in verdict.runs), len(verdict.runs)
    if verdict.flaky:
        kind = "flaky"
    elif passed == 0 and not verdict.ok and case.status == "fixed":
        kind = "failed"
    else:
        kind = None
    if kind:
        item.user_properties.append(("llm_runs", (kind, passed, total, case.min_pass_rate)))
    model = effective_model(case, get_settings(item.config))
    moved = next(filter(None, (drift(model, r.model) for r in item.results)), None)
    if moved:
        item.user_properties.append(("llm_model_drift", moved))
    if model != case.model.name:
        item.user_properties.append(("llm_model", f"{model} (case pins {case.model.name})"))


def teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    """``PASSED (model drift)`` / ``FAILED (model drift)`` in verbose output."""
    if report.when != "call" or hasattr(report, "wasxfail"):
        return None
    if "llm_model_drift" not in dict(report.user_properties):
        return None
    letter = {"passed": ".", "failed": "F"}.get(report.outcome)
    if letter is None:
        return None
    return report.outcome, letter, f"{report.outcome.upper()} (model drift)"


class LiveSummary:
    """Collects per-case notes from reports; writes the ``llm regressions`` section."""

    def __init__(self) -> None:
        self.trouble: Counter[str] = Counter()
        self.flaky: list[str] = []
        self.failed_every_run: list[str] = []
        self.drifted: list[str] = []
        self.spent = 0.0
        self.skipped_unsent = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and report.when == "setup" and "not sent:" in str(report.longrepr):
            self.skipped_unsent += 1
        if report.when != "teardown":
            return
        notes: dict[str, Any] = dict(report.user_properties)
        name = report.nodeid.rsplit("::", 1)[-1]
        if "llm_trouble" in notes:
            self.trouble[notes["llm_trouble"]] += 1
        self.spent += float(notes.get("llm_cost_usd", 0.0))
        if "llm_model_drift" in notes:
            self.drifted.append(f"{name}: {notes['llm_model_drift']}")
        if "llm_runs" in notes:
            kind, passed, total, need = notes["llm_runs"]
            line = f"{name} ({pass_rate_line(passed, total, need)})"
            (self.flaky if kind == "flaky" else self.failed_every_run).append(line)

    def lines(self) -> list[str]:
        out = [
            f"{count} case{'s' if count != 1 else ''} could not reach {trouble}"
            for trouble, count in self.trouble.most_common()
        ]
        if self.failed_every_run:
            out.append(f"failed every run ({len(self.failed_every_run)}):")
            out += [f"  {line}" for line in self.failed_every_run]
        if self.flaky:
            out.append(f"flaky, passed some runs and failed others ({len(self.flaky)}):")
            out += [f"  {line}" for line in self.flaky]
        if self.drifted:
            out.append(f"model drift, the provider served another model ({len(self.drifted)}):")
            out += [f"  {line}" for line in self.drifted]
        if self.skipped_unsent:
            out.append(f"{self.skipped_unsent} case(s) skipped without being sent (see reasons)")
        if self.spent:
            out.append(f"spent ${self.spent:.6g} on model calls (litellm's cost table)")
        return out

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        lines = self.lines()
        if lines:
            terminalreporter.section("llm regressions")
            for line in lines:
                terminalreporter.write_line(line)
