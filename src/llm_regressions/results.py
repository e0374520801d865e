"""The per-case outcome record: the one unit reports, gates and xdist all share.

A record is a plain JSON-able dict so it can ride in a test report's
``user_properties`` from an xdist worker to the controller. It is built in two steps:
the worker notes what it knows after scoring (:func:`case_record`: the case, every run,
each check), and whoever reads the reports adds the pytest outcome
(:func:`finish_record`), which only the setup/call reports tell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llm_regressions.items import CaseItem
    from llm_regressions.verdict import ScoredRun

#: ``user_properties`` key carrying the record from the worker to the controller.
RECORD_KEY = "llm_case"
#: Pytest outcomes of a case as the records name them.
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed")
SCHEMA_CHECKS = frozenset({"json_valid", "json_schema"})
TOOL_CHECKS = frozenset(
    {"tool_called", "tool_not_called", "tool_args_valid", "max_repeated_tool_calls"}
)


def prompt_identity(item: CaseItem) -> str | None:
    """What identifies the prompt a case replays: a re-rendered template (or render
    function) wins over the prompt version recorded when the trace was captured."""
    case = item.loaded.case
    if case.prompt is not None:
        return (
            f"template:{case.prompt.template}"
            if case.prompt.template
            else (f"render:{case.prompt.render}")
        )
    if case.source is not None and case.source.prompt_version:
        return case.source.prompt_version
    return None


def run_record(run: ScoredRun) -> dict[str, Any]:
    from llm_regressions.verdict import excerpt

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
        "output_excerpt": excerpt(result.output, 200) if result.output is not None else None,
        "tool_calls": [call.name for call in result.tool_calls],
        "model": result.model,
        "latency_ms": result.latency_ms,
        "tokens_in": int(tokens_in) if tokens_in is not None else None,
        "tokens_out": result.output_tokens,
        "cost_usd": result.cost_usd,
    }


def case_record(item: CaseItem) -> dict[str, Any]:
    """What the worker knows once the case is scored (or failed to be)."""
    from llm_regressions.options import get_settings
    from llm_regressions.replay.request import effective_model

    loaded, verdict = item.loaded, item.verdict
    case = loaded.case
    notes = dict(item.user_properties)
    runs = [run_record(run) for run in verdict.runs] if verdict is not None else []
    live = get_settings(item.config).calls_models  # recorded runs are not samples
    passed = sum(run["passed"] for run in runs)
    return {
        "id": case.id,
        "nodeid": item.nodeid,
        "file": item.path.relative_to(item.config.rootpath).as_posix()
        if item.path.is_relative_to(item.config.rootpath)
        else str(item.path),
        "line": loaded.line,
        "label": case.label,
        "golden": case.golden,
        "status": case.status,
        "tags": list(case.tags),
        "model": effective_model(case, get_settings(item.config)),
        "prompt": prompt_identity(item),
        "min_pass_rate": case.min_pass_rate,
        "check_kinds": sorted({check.name for check in loaded.checks}),
        "problem": verdict.problem if verdict is not None else "",
        "runs": runs,
        "pass_rate": passed / len(runs) if live and runs else None,
        "flaky": verdict is not None and verdict.flaky,
        "cost_usd": notes.get("llm_cost_usd"),
        "drift": notes.get("llm_model_drift"),
        "trouble": notes.get("llm_trouble"),
    }


def attach(item: CaseItem) -> None:
    """Put the record on the item's reports (called from ``teardown()``, so a case that
    errored in setup has one too)."""
    item.user_properties.append((RECORD_KEY, case_record(item)))


def take(report: Any) -> dict[str, Any] | None:
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


def finish_record(record: dict[str, Any], outcome: str, duration_s: float) -> dict[str, Any]:
    """Add the pytest outcome and the per-case verdict derived from it."""
    record["outcome"] = outcome
    record["verdict"] = "flaky" if record["flaky"] and outcome in ("passed", "failed") else outcome
    record["duration_s"] = round(duration_s, 6)
    return record


def junit_properties(record: dict[str, Any]) -> list[tuple[str, Any]]:
    """The short per-case properties JUnit XML carries (the label is already there)."""
    served = sorted({run["model"] for run in record["runs"] if run["model"]})
    props: list[tuple[str, Any]] = [("llm_verdict", record["verdict"])]
    if record["pass_rate"] is not None:
        props.append(("llm_pass_rate", f"{record['pass_rate']:.4g}"))
    props.append(("llm_model_served", ", ".join(served) or record["model"]))
    return props
