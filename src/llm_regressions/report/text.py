"""Lines of the summary shared by the terminal and Markdown renderers.

Each function turns aggregates, a gate result or a baseline comparison into short
human lines; the renderers only decorate them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_regressions.replay import result


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis when
    anything was cut (a cut never leaves half a word that reads like a whole one)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def rate(part: dict[str, Any], unit: str = "") -> str:
    if not part["total"]:
        return "n/a"
    return f"{part['passed']}/{part['total']}{unit} ({part['rate']:.1%})"


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}ms"


usd = result.usd

#: The monitor's metrics of one window (a ``monitor.windows`` summary): name, how to
#: read it, how to show it. The Markdown and HTML reports chart each over the windows.
WINDOW_METRICS: tuple[tuple[str, Callable[[dict[str, Any]], Any], Callable[[Any], str]], ...] = (
    ("eval pass rate", lambda w: w["eval_pass_rate"], lambda v: f"{v:.1%}"),
    ("p95 latency", lambda w: w["latency_ms"]["p95"], lambda v: f"{v:.0f} ms"),
    ("p99 latency", lambda w: w["latency_ms"]["p99"], lambda v: f"{v:.0f} ms"),
    ("tool-call success", lambda w: w["tool_success_rate"], lambda v: f"{v:.1%}"),
    ("schema pass rate", lambda w: w["schema_pass_rate"], lambda v: f"{v:.1%}"),
    ("tokens / request", lambda w: w["tokens"]["per_request"], lambda v: f"{v:.0f}"),
    ("cost / request", lambda w: w["cost_usd"]["per_request"], usd),
    ("cost", lambda w: w["cost_usd"]["total"], usd),
)


def judge_line(judge: dict[str, Any] | None) -> str:
    """The monitor's llm_judge spend in one line ('' when no rule judges)."""
    if not judge:
        return ""
    line = (
        f"llm_judge calls cost {usd(judge['spent_usd'])} of the {usd(judge['budget_usd'])} budget"
    )
    if judge["unjudged"]:
        line += f"; {judge['unjudged']} span(s) not judged once it was spent (in no rate)"
    return line


def metric_lines(agg: dict[str, Any], regressed: bool = True) -> list[str]:
    """The production metrics, one short line each (``regressed``: with the ids of the
    fixed cases failing again, for summaries that do not list them elsewhere)."""
    lat = agg["latency_ms"]
    lines = [pass_rate_line(agg)]
    if agg.get("repeats"):
        lines.append(repeats_line(agg["repeats"]))
    if len(agg["by_label"]) > 1:
        lines.append("by label: " + ", ".join(f"{k} {rate(v)}" for k, v in agg["by_label"].items()))
    lines += cluster_lines(agg.get("clusters") or [])
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


#: Clusters named one per line; the rest are counted.
MAX_CLUSTERS = 5
#: Characters of a cluster's representative answer quoted.
EXCERPT_CHARS = 60


def cluster_lines(clusters: list[dict[str, Any]]) -> list[str]:
    """One line per failure cluster of two or more cases, largest first (a failure of
    its own is listed with the failed cases already). Case ids stay out: the failed
    cases are named once, above; the representative is in the JSON report."""
    shared = [c for c in clusters if c["size"] > 1]
    if not shared:
        return []
    lines = []
    for number, c in enumerate(shared[:MAX_CLUSTERS], 1):
        checks = ", ".join(c["checks"]) or "no check named"
        share = f" ({c['rate']:.1%} of the judged cases)" if c["rate"] is not None else ""
        said = " ".join((c["excerpt"] or "").split())
        quote = clip(said, EXCERPT_CHARS)
        lines.append(
            f"failure cluster {number}/{len(shared)}: {c['label']} · {checks}: "
            f'{c["size"]} cases{share}, e.g. "{quote}"'
        )
    rest = len(shared) - MAX_CLUSTERS
    if rest > 0:
        lines.append(f"... and {rest} more failure cluster(s) (aggregates.clusters in the JSON)")
    return lines


def pass_rate_line(agg: dict[str, Any]) -> str:
    """The pass rate and what it leaves out: ``30/30 fixed cases (100.0%); 4 open not
    counted`` (open cases document a known failure; they do not count against the gate)."""
    line = f"pass rate: {rate(agg['pass_rate'], ' fixed cases')}"
    left_out = [f"{n} {why}" for why, n in (agg.get("not_counted") or {}).items() if n]
    return line + (f"; {', '.join(left_out)} not counted" if left_out else "")


def repeats_line(repeats: dict[str, int]) -> str:
    return (
        f"adaptive repeats: {repeats['runs']} runs of {repeats['cases']} case(s) instead of "
        f"{repeats['fixed_runs']} at a fixed repeat of their maximum ({repeats['saved']} "
        "calls saved)"
    )


def _change(part: dict[str, Any], fmt: Any) -> str:
    change = "" if part["change"] is None else f" ({part['change']:+.1%})"
    return f"{fmt(part['baseline'])} -> {fmt(part['current'])}{change}"


#: How summaries title each bucket of the baseline comparison.
BUCKET_TITLES = {
    "regressed": "REGRESSED (passed in the baseline, fail now)",
    "fixed": "fixed (failed in the baseline, pass now)",
    "inconclusive": "inconclusive now (run more repeats)",
    "newly_flaky": "newly flaky",
    "no_longer_flaky": "no longer flaky",
    "still_failing": "still failing",
    "new": "new cases",
    "removed": "removed cases",
}
#: Case ids named per bucket line; the rest are counted.
MAX_IDS = 20


def _ids(ids: list[str], causes: dict[str, list[str]]) -> str:
    named = [i + (f" ({'; '.join(causes[i])})" if causes.get(i) else "") for i in ids[:MAX_IDS]]
    more = f", ... and {len(ids) - MAX_IDS} more" if len(ids) > MAX_IDS else ""
    return ", ".join(named) + more


def baseline_lines(cmp: dict[str, Any], regressions: bool = True) -> list[str]:
    """What changed since the baseline, bucket by bucket with each flip's likely cause
    (``regressions``: with the regressed cases, for summaries that do not mark them
    elsewhere), the paired test, then latency and cost."""
    lines = []
    for bucket, title in BUCKET_TITLES.items():
        ids = cmp["buckets"].get(bucket) or []
        if ids and (regressions or bucket != "regressed"):
            lines.append(f"{title} ({len(ids)}): {_ids(ids, cmp['causes'])}")
    if cmp["paired"]["p_value"] is not None:
        lines.append(f"paired test: {cmp['paired']['summary']}")
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
