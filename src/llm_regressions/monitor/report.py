"""The monitor's findings as the report's ``monitor`` section, as Markdown, and as the
terminal summary's lines: metrics per window, alerts, unreadable input, failing spans."""

from __future__ import annotations

from typing import Any

from llm_regressions.monitor.alerts import Alert
from llm_regressions.monitor.facts import MonitorRun
from llm_regressions.monitor.listing import failing_clusters
from llm_regressions.replay.result import usd
from llm_regressions.report.text import WINDOW_METRICS, judge_line, ms

#: Unreadable lines and failing spans shown in the terminal (the report has them all).
SHOWN = 10
_BARS = "▁▂▃▄▅▆▇█"


def section(
    run: MonitorRun, alerts: list[Alert], rules: list[str], settings: dict[str, Any]
) -> dict[str, Any]:
    """The report's ``monitor`` section."""
    windows = run.windows.summaries()
    scored = sum(w["eval"]["scored"] for w in windows)
    return {
        **settings,
        "files": run.files,
        "spans_read": run.spans_read,
        "sampled_out": run.sampled_out,
        "untimed": run.untimed,
        "unreadable": [u.__dict__ for u in run.unreadable],
        "rules": [
            {"name": name, "matched": run.matched[name], "passed": run.passed[name]}
            for name in rules
        ],
        "windows": windows,
        "alerts": [a.to_dict() for a in alerts],
        "failing_total": run.failing_total,
        "failing": failing_clusters(run.failing, scored),
    }


def spark(values: list[float | None]) -> str:
    """A one-line chart of ``values`` (gaps as spaces)."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else _BARS[int((v - low) / span * (len(_BARS) - 1))] for v in values
    )


def markdown(monitor: dict[str, Any]) -> str:
    """The Markdown summary: alerts, each metric's last value and chart, failing spans."""
    windows = monitor["windows"]
    lines = ["## LLM monitor", ""]
    lines += [
        f"{monitor['spans_read']} spans read from {monitor['files']} file(s), "
        f"{len(windows)} window(s); {len(monitor['unreadable'])} unreadable.",
        "",
        *([judge_line(monitor.get("judge")), ""] if monitor.get("judge") else []),
        "| alert | status | why |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {a['name']} | {a['status']} | {a['reason']} |" for a in monitor["alerts"]]
    lines += ["", "| metric | last window | over the windows |", "| --- | --- | --- |"]
    for name, read, shown in WINDOW_METRICS:
        values = [read(w) for w in windows]
        last = values[-1] if values else None
        lines.append(
            f"| {name} | {shown(last) if last is not None else 'n/a'} | `{spark(values)}` |"
        )
    lines += ["", f"### Failing spans ({monitor['failing_total']})", ""]
    for cluster in monitor["failing"]:
        lines.append(
            f"- **{cluster['label']}** ({cluster['size']} span(s)): {cluster['excerpt']!r}"
        )
        lines += [f"  - `{s['promote']}`" for s in cluster["spans"][:3]]
    return "\n".join(lines) + "\n"


def terminal_lines(monitor: dict[str, Any]) -> list[str]:
    """The terminal summary: input, rules, the last window, the worst clusters."""
    windows = monitor["windows"]
    lines = [
        f"{monitor['spans_read']} spans read from {monitor['files']} file(s) "
        f"({monitor['sampled_out']} sampled out, {monitor['untimed']} without timestamps), "
        f"{len(windows)} window(s) of {monitor['window_s']:g}s"
    ]
    lines += monitor["notes"]
    if monitor.get("judge"):
        lines.append(judge_line(monitor["judge"]))
    if monitor["unreadable"]:
        lines.append(f"{len(monitor['unreadable'])} unreadable (skipped):")
        lines += [
            f"  {u['file']}{' ' + u['where'] if u['where'] else ''}: {u['reason']}"
            for u in monitor["unreadable"][:SHOWN]
        ]
    for rule in monitor["rules"]:
        if not rule["matched"]:
            lines.append(f"rule {rule['name']}: matched no span")
    if windows:
        last = windows[-1]
        lines.append(
            f"last window {last['start']}: {last['spans']} LLM spans, eval pass rate "
            f"{_pct(last['eval_pass_rate'])}, p95 {ms(last['latency_ms']['p95'])}, "
            f"cost {usd(last['cost_usd']['total'])}"
        )
    if monitor["failing"]:
        lines.append(f"{monitor['failing_total']} failing span(s), by cluster, worst first:")
    for cluster in monitor["failing"][:SHOWN]:
        lines.append(f"  {cluster['label']} ({cluster['size']}): {cluster['excerpt']!r}")
        lines.append(f"    {cluster['spans'][0]['promote']}")
    return lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
