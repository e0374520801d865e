"""Alerts: the last window's metrics against thresholds and baselines.

Each alert judges the newest window of the input. Baselines are earlier windows, from
the input or from the history file (windows of earlier runs). Every alert says in one
line why it passed, failed, or could not judge (too few spans for a baseline is said,
never alerted on). Thresholds and margins come from ``alerts:`` in monitors.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llm_regressions.monitor.rules import Alerts
from llm_regressions.replay.result import usd

HOUR_NS = 3600 * 10**9
PASS, FAIL, SKIP = "passed", "failed", "skipped"
W = dict[str, Any]


@dataclass(frozen=True)
class Alert:
    """One alert's outcome: ``status`` is passed, failed or skipped (could not judge)."""

    name: str
    status: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "reason": self.reason}


def evaluate(windows: list[W], settings: Alerts) -> list[Alert]:
    """Every enabled alert on the newest of ``windows`` (sorted by start)."""
    if not windows:
        return []
    last, earlier = windows[-1], windows[:-1]
    limits = settings.thresholds
    found = [
        _spend(last, earlier, settings),
        _pass_rate(last, earlier, settings),
        _non_ascii(last, earlier, settings),
    ]
    for name, q, limit in (
        ("p95_latency", "p95", limits.p95_latency_ms),
        ("p99_latency", "p99", limits.p99_latency_ms),
    ):
        if limit is not None:
            found.append(_latency(name, q, limit, last, settings.min_spans))
    if limits.tool_success_rate is not None:
        found.append(_tools(last, limits.tool_success_rate, settings.min_spans))
    if limits.schema_pass_rate is not None:
        found.append(_schema(last, limits.schema_pass_rate, settings.min_spans))
    return found


def _before(last: W, earlier: list[W], hours: float) -> list[W]:
    since = last["start_ns"] - int(hours * HOUR_NS)
    return [w for w in earlier if since <= w["start_ns"] < last["start_ns"]]


def _too_few(name: str, what: str, have: int, need: int) -> Alert:
    return Alert(name, SKIP, f"too few spans for a baseline: {what} has {have}, need {need}")


def _spend(last: W, earlier: list[W], settings: Alerts) -> Alert:
    name, rule = "spend_per_tenant", settings.spend
    base = _before(last, earlier, rule.days * 24)
    base_spans = sum(w["spans"] for w in base)
    if not base or base_spans < settings.min_spans:
        return _too_few(name, f"the previous {rule.days:g} days", base_spans, settings.min_spans)
    over, judged = [], 0
    for tenant, now in last["tenants"].items():
        average = sum(w["tenants"].get(tenant, {}).get("cost_usd", 0.0) for w in base) / len(base)
        if average <= 0:
            continue
        judged += 1
        if now["cost_usd"] > rule.factor * average:
            over.append((now["cost_usd"] / average, tenant, now["cost_usd"], average))
    return _worst(
        name,
        judged,
        over,
        "no tenant has a priced spend in the baseline windows",
        f"{judged} tenant(s) within {rule.factor:g}x their average",
        lambda ratio, tenant, now, average: (
            f"tenant {tenant!r} spent {usd(now)} in {last['start']} window, {ratio:.1f}x its "
            f"{rule.days:g}-day average {usd(average)} (limit {rule.factor:g}x)"
            + (f"; {len(over) - 1} more tenant(s) over" if len(over) > 1 else "")
        ),
    )


def _worst(
    name: str, judged: int, found: list[tuple], skip: str, ok: str, fail: Callable[..., str]
) -> Alert:
    """Skipped when nothing could be judged, passed when nothing was found, else failed
    on the worst finding (the largest tuple)."""
    if not judged:
        return Alert(name, SKIP, skip)
    if not found:
        return Alert(name, PASS, ok)
    return Alert(name, FAIL, fail(*max(found)))


def _pooled(windows: list[W], part: Callable[[W], tuple[float, float]]) -> tuple[float, float]:
    pairs = [part(w) for w in windows]
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def _pass_rate(last: W, earlier: list[W], settings: Alerts) -> Alert:
    name, rule, need = "eval_pass_rate", settings.pass_rate, settings.min_spans
    base = _before(last, earlier, rule.hours)
    passed, scored = _pooled(base, lambda w: (w["eval"]["passed"], w["eval"]["scored"]))
    now = last["eval"]
    if now["scored"] < need:
        return _too_few(name, "the last window", now["scored"], need)
    if scored < need:
        return _too_few(name, f"the previous {rule.hours:g}h", int(scored), need)
    rate, baseline = now["passed"] / now["scored"], passed / scored
    verdict = FAIL if rate < baseline - rule.margin else PASS
    return Alert(
        name,
        verdict,
        f"eval pass rate {rate:.1%} ({now['passed']}/{now['scored']}) vs {baseline:.1%} over "
        f"the previous {rule.hours:g}h (margin {rule.margin:.0%})",
    )


def _non_ascii(last: W, earlier: list[W], settings: Alerts) -> Alert:
    name, rule, need = "non_ascii_share", settings.non_ascii, settings.min_spans
    base = _before(last, earlier, rule.hours)
    risen, judged = [], 0
    for model, now in last["non_ascii"].items():
        bad, chars = _pooled(base, lambda w, m=model: _chars(w, m))
        responses = sum(w["non_ascii"].get(model, {}).get("responses", 0) for w in base)
        if now["responses"] < need or responses < need or not chars:
            continue
        judged += 1
        baseline = bad / chars
        if now["share"] > baseline + rule.margin:
            risen.append((now["share"] - baseline, model, now["share"], baseline))
    return _worst(
        name,
        judged,
        risen,
        f"too few spans for a baseline: no model has {need} responses in the last window "
        f"and in the previous {rule.hours:g}h",
        f"{judged} model(s) within {rule.margin:.0%} of their baseline",
        lambda _, model, share, baseline: (
            f"model {model!r}: {share:.1%} of response characters are non-ASCII vs "
            f"{baseline:.1%} over the previous {rule.hours:g}h (margin {rule.margin:.0%})"
        ),
    )


def _chars(window: W, model: str) -> tuple[float, float]:
    entry = window["non_ascii"].get(model)
    return (entry["share"] * entry["chars"], entry["chars"]) if entry else (0.0, 0.0)


def _latency(name: str, q: str, limit: float, last: W, need: int) -> Alert:
    value = last["latency_ms"][q]
    if last["spans"] < need or value is None:
        return _too_few(name, "the last window", last["spans"], need)
    verdict = FAIL if value > limit else PASS
    return Alert(name, verdict, f"{q} latency {value:.0f} ms (limit {limit:.0f} ms)")


def _tools(last: W, minimum: float, need: int) -> Alert:
    name = "tool_success_rate"
    judged = {t: c for t, c in last["tools"].items() if c["calls"] >= need}
    if not judged:
        most = max((c["calls"] for c in last["tools"].values()), default=0)
        return _too_few(name, "the busiest tool in the last window", most, need)
    rates = sorted(((c["calls"] - c["failed"]) / c["calls"], t) for t, c in judged.items())
    rate, tool = rates[0]
    verdict = FAIL if rate < minimum else PASS
    calls = judged[tool]
    return Alert(
        name,
        verdict,
        f"tool {tool!r} succeeded {rate:.1%} ({calls['calls'] - calls['failed']}/"
        f"{calls['calls']}; errors and empty results fail), minimum {minimum:.0%}"
        if verdict == FAIL
        else f"{len(judged)} tool(s) at or above {minimum:.0%} (lowest: {tool!r} {rate:.1%})",
    )


def _schema(last: W, minimum: float, need: int) -> Alert:
    name, checked = "schema_pass_rate", last["schema"]
    if checked["checked"] < need:
        return _too_few(name, "the last window's schema checks", checked["checked"], need)
    rate = checked["passed"] / checked["checked"]
    verdict = FAIL if rate < minimum else PASS
    return Alert(name, verdict, f"schema pass rate {rate:.1%}, minimum {minimum:.0%}")
