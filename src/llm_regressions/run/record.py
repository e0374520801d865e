"""The per-case record: the one unit reports, gates and xdist all share.

A record is a plain JSON-able dict (its keys: :class:`CaseRecord`, documented for users
in ``schemas/report.v1.json``) so it can ride in a test report's ``user_properties``
from an xdist worker to the controller. It is built in two steps: the item writes what
it knows once scored (:meth:`~llm_regressions.run.item.CaseItem.record`), and the
session adds the pytest outcome (:func:`finish_record`), which only the setup/call
reports tell. Besides the record, an item's reports carry only the short properties
JUnit XML shows (the ``*_PROPERTY`` names below).
"""

from __future__ import annotations

from typing import Any, TypedDict

from llm_regressions.replay.session import SessionResult, Step
from llm_regressions.run.failure import excerpt
from llm_regressions.run.trajectory import session_record
from llm_regressions.run.verdict import ScoredRun

#: ``user_properties`` key carrying the record from the worker to the controller; the
#: controller takes it off again, so JUnit XML never shows it.
RECORD_KEY = "llm_case"
#: Short per-case properties, for JUnit XML (and ``-v``'s "model drift" status).
LABEL_PROPERTY = "llm_label"
DRIFT_PROPERTY = "llm_model_drift"
VERDICT_PROPERTY = "llm_verdict"
PASS_RATE_PROPERTY = "llm_pass_rate"
SERVED_PROPERTY = "llm_model_served"
COST_PROPERTY = "llm_cost_usd"
PROMPT_PROPERTY = "llm_prompt"
#: How much of each answer (and of the expected one) a record keeps.
OUTPUT_EXCERPT_CHARS = 200


class RunRecord(TypedDict):
    """One scored answer."""

    name: str
    passed: bool
    checks: list[dict[str, Any]]
    output_excerpt: str | None
    tool_calls: list[str]
    model: str | None
    latency_ms: float | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    #: Session cases only: the replayed steps beside the recorded ones.
    session: dict[str, Any] | None


class CaseRecord(TypedDict, total=False):
    """One case of one session. The item fills every key but the last three, which
    :func:`finish_record` adds."""

    id: str
    nodeid: str
    file: str
    file_hash: str
    line: int
    label: str
    golden: bool
    status: str
    tags: list[str]
    model: str
    prompt: str | None
    prompt_run: dict[str, Any] | None
    target_runs: list[dict[str, Any]] | None
    min_pass_rate: float
    check_kinds: list[str]
    problem: str
    runs: list[RunRecord]
    pass_rate: float | None
    interval: list[float] | None
    decision: str | None
    repeat: dict[str, int] | None
    pinned: bool
    flaky: bool
    cost_usd: float | None
    drift: str | None
    trouble: str | None
    expected_excerpt: str | None
    trace_id: str | None
    selected_because: list[str] | None
    #: --llm-diagnose: filled by the session once the diagnosis is in (else None).
    diagnosis: dict[str, Any] | None
    outcome: str
    verdict: str
    duration_s: float


def run_record(run: ScoredRun, recorded: list[Step] | None = None) -> RunRecord:
    """``recorded``: a session case's recorded steps, shown beside the replayed ones."""
    result = run.result
    usage = result.usage or {}
    tokens_in = usage.get("prompt_tokens", usage.get("input_tokens"))
    return {
        "name": run.name,
        "passed": run.passed,
        "checks": [
            {
                "check": check.name,
                "passed": outcome.passed,
                "applicable": outcome.applicable,
                "reason": outcome.reason,
            }
            for check, outcome in run.outcomes
        ],
        "output_excerpt": (
            excerpt(result.output, OUTPUT_EXCERPT_CHARS) if result.output is not None else None
        ),
        "tool_calls": [call.name for call in result.tool_calls],
        "model": result.model,
        "latency_ms": result.latency_ms,
        "tokens_in": int(tokens_in) if tokens_in is not None else None,
        "tokens_out": result.output_tokens,
        "cost_usd": result.cost_usd,
        "session": (
            session_record(result, recorded)
            if isinstance(result, SessionResult) and recorded is not None
            else None
        ),
    }


def take(report: Any) -> CaseRecord | None:
    """Remove the record from a report's properties, so JUnit XML gets the short
    properties instead of the whole record, and return it."""
    for i, (name, value) in enumerate(report.user_properties):
        if name == RECORD_KEY:
            del report.user_properties[i]
            return value
    return None


def outcome_of(report: Any) -> str | None:
    """The case outcome a setup/call report decides, if it decides one."""
    if report.when == "setup":
        if report.failed:
            return "error"
        return "skipped" if report.skipped else None
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "xfailed" if report.skipped else "failed"
        return report.outcome
    return "error" if report.failed else None


def verdict_of(record: CaseRecord, outcome: str) -> str:
    """The per-case verdict reports show: the pytest outcome, except ``inconclusive``
    (a fixed case whose runs could not tell) and ``flaky`` (runs disagreed)."""
    if record.get("decision") == "inconclusive" and outcome in ("failed", "skipped"):
        return "inconclusive"
    if record["flaky"] and outcome in ("passed", "failed"):
        return "flaky"
    return outcome


def finish_record(record: CaseRecord, outcome: str, duration_s: float) -> CaseRecord:
    """Add the pytest outcome and the per-case verdict derived from it."""
    record["outcome"] = outcome
    record["verdict"] = verdict_of(record, outcome)
    record["duration_s"] = round(duration_s, 6)
    return record


def junit_properties(record: CaseRecord) -> list[tuple[str, Any]]:
    """The short per-case properties JUnit XML carries (the label, and model drift,
    are already there)."""
    served = sorted({run["model"] for run in record["runs"] if run["model"]})
    props: list[tuple[str, Any]] = [(VERDICT_PROPERTY, record["verdict"])]
    if record["pass_rate"] is not None:
        props.append((PASS_RATE_PROPERTY, f"{record['pass_rate']:.4g}"))
    props.append((SERVED_PROPERTY, ", ".join(served) or record["model"]))
    if record["cost_usd"] is not None:
        props.append((COST_PROPERTY, f"{record['cost_usd']:.6g}"))
    prompt_run = record.get("prompt_run") or {}
    if prompt_run.get("rendered"):
        changed = " (changed since the trace)" if prompt_run["changed"] else ""
        props.append((PROMPT_PROPERTY, f"{prompt_run['mode']}: {prompt_run['rendered']}{changed}"))
    return props


def teststatus(report: Any) -> tuple[str, str, str] | None:
    """``PASSED (model drift)`` / ``FAILED (model drift)`` in verbose output."""
    if report.when != "call" or hasattr(report, "wasxfail"):
        return None
    if DRIFT_PROPERTY not in dict(report.user_properties):
        return None
    letter = {"passed": ".", "failed": "F"}.get(report.outcome)
    if letter is None:
        return None
    return report.outcome, letter, f"{report.outcome.upper()} (model drift)"


class RecordCollector:
    """The records of a session, read from the test reports where the summary is
    written (the xdist controller, or the only process): each case's outcome comes from
    its setup/call reports, its record from its teardown report."""

    def __init__(self) -> None:
        self.records: list[CaseRecord] = []
        self.other_failures = 0  # failed collectors and failing non-case tests
        self._outcomes: dict[str, str] = {}
        self._durations: dict[str, float] = {}
        self._causes: dict[str, list[str]] = {}

    def collected(self, report: Any) -> None:
        if report.failed:
            self.other_failures += 1

    def logged(self, report: Any) -> None:
        nodeid = report.nodeid
        self._durations[nodeid] = self._durations.get(nodeid, 0.0) + report.duration
        outcome = outcome_of(report)
        if outcome is not None and self._outcomes.get(nodeid) in (None, "passed"):
            self._outcomes[nodeid] = outcome
            if outcome == "error":
                self._causes[nodeid] = report.longreprtext.strip().splitlines()[-1:]
        if report.when != "teardown":
            return
        record = take(report)
        outcome = self._outcomes.pop(nodeid, "passed")
        if record is None:
            self.other_failures += outcome in ("failed", "error")
            return
        record = finish_record(record, outcome, self._durations.pop(nodeid))
        if not record["problem"]:  # an error before any verdict: say why
            record["problem"] = "".join(self._causes.pop(nodeid, []))
        report.user_properties.extend(junit_properties(record))
        self.records.append(record)

    def sorted(self) -> list[CaseRecord]:
        self.records.sort(key=lambda r: r["nodeid"])
        return self.records
