"""Lines of the summary shared by the terminal and Markdown renderers.

Each function turns aggregates, a gate result or a baseline comparison into short
human lines; the renderers only decorate them.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.replay import result


def rate(part: dict[str, Any], unit: str = "") -> str:
    if not part["total"]:
        return "n/a"
    return f"{part['passed']}/{part['total']}{unit} ({part['rate']:.1%})"


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}ms"


usd = result.usd


def metric_lines(agg: dict[str, Any], regressed: bool = True) -> list[str]:
    """The production metrics, one short line each (``regressed``: with the ids of the
    fixed cases failing again, for summaries that do not list them elsewhere)."""
    lat = agg["latency_ms"]
    lines = [f"pass rate: {rate(agg['pass_rate'])}"]
    if len(agg["by_label"]) > 1:
        lines.append("by label: " + ", ".join(f"{k} {rate(v)}" for k, v in agg["by_label"].items()))
    if agg["schema_pass_rate"]["total"]:
        lines.append(f"schema pass rate: {rate(agg['schema_pass_rate'], ' runs')}")
    if agg["tool_call_success_rate"]["total"]:
        lines.append(f"tool-call success: {rate(agg['tool_call_success_rate'], ' runs')}")
    if lat["runs"]:
        lines.append(
            f"latency: p50 {ms(lat['p50'])}, p95 {ms(lat['p95'])}, p99 {ms(lat['p99'])} "
            f"({lat['runs']} run{'' if lat['runs'] == 1 else 's'})"
        )
    tokens = agg["tokens"]
    if tokens["input"] or tokens["output"]:
        lines.append(f"tokens: {tokens['input']:,} in, {tokens['output']:,} out")
    if agg["cost_usd"]["per_case"] is not None:
        cost = agg["cost_usd"]
        lines.append(f"cost: {usd(cost['total'])} total, {usd(cost['per_case'])} per case")
    if regressed and agg["regressed"]:
        lines.append("regressed (fixed cases failing again): " + ", ".join(agg["regressed"]))
    return lines


def _change(part: dict[str, Any], fmt: Any) -> str:
    change = "" if part["change"] is None else f" ({part['change']:+.1%})"
    return f"{fmt(part['baseline'])} -> {fmt(part['current'])}{change}"


def baseline_lines(cmp: dict[str, Any], regressions: bool = True) -> list[str]:
    """What changed since the baseline (``regressions``: with the ids of the cases that
    passed there and fail now, for summaries that do not mark them elsewhere)."""
    lines = []
    for key, title in (
        ("regressions" if regressions else "", "REGRESSIONS (passed in the baseline, fail now)"),
        ("fixed", "newly fixed"),
        ("newly_flaky", "newly flaky"),
        ("new", "new cases"),
        ("removed", "removed cases"),
    ):
        if cmp.get(key):
            lines.append(f"{title} ({len(cmp[key])}): " + ", ".join(cmp[key]))
    for title, key, fmt in (
        ("p95 latency", "p95_latency_ms", ms),
        ("cost per case", "cost_per_case_usd", usd),
    ):
        part = cmp[key]
        if part["baseline"] is not None or part["current"] is not None:
            lines.append(f"{title}: {_change(part, fmt)}")
    return lines


def headline(gate: dict[str, Any], agg: dict[str, Any]) -> str:
    """The verdict in a few words, agreeing with the exit status."""
    if not gate["passed"]:
        return f"gate FAILED ({len(gate['failures'])})"
    bad = agg["outcomes"]["failed"] + agg["outcomes"]["error"]
    if gate["decides"]:
        return "gate passed" + (f" ({bad} case(s) failed, within the threshold)" if bad else "")
    return f"{bad} case(s) failed or errored" if bad else "all cases passed"
