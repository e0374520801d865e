"""Scoring answers with a case's checks and deciding the case's verdict.

A :class:`ScoredRun` is one answer scored by every check; a :class:`Verdict` is the
case's outcome over its runs (how it is shown when it fails: :mod:`.failure`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from llm_regressions.casefile.loader import LoadedCase
from llm_regressions.casefile.model import Case, Expected, Observed, RecordedToolCall
from llm_regressions.casefile.session import recorded_session
from llm_regressions.checks import Check, CheckResult, run_checks
from llm_regressions.replay import ReplayResult, ToolCall
from llm_regressions.replay.result import parse_arguments
from llm_regressions.stats import Decision, decide, wilson


@dataclass
class ScoredRun:
    """One answer (``observed``, ``expected`` or a live run) scored by every check."""

    name: str
    result: ReplayResult
    outcomes: list[tuple[Check, CheckResult]]

    @property
    def passed(self) -> bool:
        return all(r.passed for _, r in self.outcomes if r.applicable)

    @property
    def failing(self) -> list[tuple[Check, CheckResult]]:
        return [(c, r) for c, r in self.outcomes if r.applicable and not r.passed]


@dataclass
class Verdict:
    """The case's outcome. ``problem`` says in one line why it failed, if it did."""

    ok: bool
    problem: str = ""
    runs: list[ScoredRun] = field(default_factory=list)
    #: An open case failing as expected: reported as xfail, not as a failure.
    expected_failure: bool = False
    #: Live runs only: some runs passed and some failed.
    flaky: bool = False
    #: Live runs only: what the pass rate shows (:func:`llm_regressions.stats.decide`).
    decision: Decision | None = None
    #: Live runs only: the pass rate's 95% interval.
    interval: tuple[float, float] | None = None

    @property
    def inconclusive(self) -> bool:
        """A fixed case whose runs show neither a pass nor a regression."""
        return self.decision == "inconclusive" and not (self.ok or self.expected_failure)


def _tool_calls(recorded: list[RecordedToolCall]) -> list[ToolCall]:
    return [
        ToolCall(name=c.name, arguments=parse_arguments(c.arguments), id=c.id) for c in recorded
    ]


def result_from_observed(observed: Observed) -> ReplayResult:
    return ReplayResult(
        output=observed.output,
        tool_calls=_tool_calls(observed.tool_calls),
        finish_reason=observed.finish_reason,
        usage=observed.usage,
        latency_ms=observed.latency_ms,
        cost_usd=observed.cost_usd,
        model=observed.model,
    )


def result_from_expected(expected: Expected) -> ReplayResult:
    output = expected.output
    if output is not None and not isinstance(output, str):
        output = json.dumps(output, ensure_ascii=False)
    return ReplayResult(
        output=output,
        tool_calls=_tool_calls(expected.tool_calls),
        finish_reason=expected.finish_reason,
    )


def score(name: str, loaded: LoadedCase, result: ReplayResult) -> ScoredRun:
    return ScoredRun(name, result, run_checks(loaded.checks, result, loaded.case))


def recorded_verdict(loaded: LoadedCase) -> Verdict:
    """Offline verification: the checks must FAIL on ``observed`` (the case reproduces
    its bug) and PASS on ``expected`` when there is one."""
    case: Case = loaded.case
    if case.session is not None:  # its recorded steps are what production did
        observed = recorded_session(case)
    elif case.observed is None:
        return Verdict(
            False,
            "case has no 'observed' section: recorded mode cannot show that it catches a bug",
        )
    else:
        observed = result_from_observed(case.observed)
    runs = [score("observed", loaded, observed)]
    if case.expected is not None:
        runs.append(score("expected", loaded, result_from_expected(case.expected)))
    if runs[0].passed:
        return Verdict(
            False,
            "this case does not detect its recorded failure: every check passes on 'observed'",
            runs,
        )
    if len(runs) > 1 and not runs[1].passed:
        return Verdict(False, "the checks reject the known-good 'expected' output", runs)
    return Verdict(True, "", runs)


def score_runs(loaded: LoadedCase, results: list[ReplayResult], first: int = 0) -> list[ScoredRun]:
    """Score live answers; ``first`` numbers them after runs scored before (adaptive
    repeats score each batch once, never re-asking a judge about an earlier run)."""
    return [score(f"run {first + i + 1}", loaded, r) for i, r in enumerate(results)]


def pass_rate_line(passed: int, total: int, need: float) -> str:
    """``2/3 runs passed (95% interval 21%-94%), need 0.67``."""
    line = f"{passed}/{total} run{'s' if total != 1 else ''} passed"
    if total > 1:
        low, high = wilson(passed, total)
        line += f" (95% interval {low:.0%}-{high:.0%})"
    return f"{line}, need {need:.2f}"


def live_verdict(
    loaded: LoadedCase, runs: list[ScoredRun], min_pass_rate: float, marks_fixed: bool = False
) -> Verdict:
    """Live/cached replay: the pass rate over the runs against ``min_pass_rate`` (pass,
    fail or inconclusive: :func:`llm_regressions.stats.decide`), read through the case's
    lifecycle. ``fixed`` must pass; ``open`` is a strict xfail (failing is expected,
    passing means the bug looks fixed and fails the run, unless ``marks_fixed``:
    ``--llm-update-status`` is about to set ``status: fixed``)."""
    for i, run in enumerate(runs):
        run.name = f"run {i + 1}/{len(runs)}"
    passed = sum(run.passed for run in runs)
    decision = decide(passed, len(runs), min_pass_rate)
    rate_line = pass_rate_line(passed, len(runs), min_pass_rate)
    facts = {
        "runs": runs,
        "flaky": 0 < passed < len(runs),
        "decision": decision,
        "interval": wilson(passed, len(runs)),
    }
    if loaded.case.status == "open":
        if decision == "pass" and marks_fixed:
            return Verdict(True, f"fixed: this open case now passes ({rate_line})", **facts)
        if decision == "pass":
            message = f"fixed? set status: fixed -- this open case now passes ({rate_line})"
            return Verdict(False, message, **facts)
        still = "still reproduces" if decision == "fail" else "may still reproduce (inconclusive)"
        return Verdict(True, f"open bug {still} ({rate_line})", expected_failure=True, **facts)
    if decision == "pass":
        return Verdict(True, rate_line, **facts)
    if decision == "inconclusive":
        message = (
            f"inconclusive: {rate_line}; too few runs to tell a pass from a regression: "
            "run more repeats (repeat: {min: N, max: M} or --llm-repeat-max M)"
        )
        return Verdict(False, message, **facts)
    kind = "flaky: " if facts["flaky"] else ""
    return Verdict(False, f"{kind}{rate_line}", **facts)
