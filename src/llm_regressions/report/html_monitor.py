"""The HTML report of a ``--llm-monitor`` run (the JSON report's ``monitor`` section):
the alerts with their reasons, each metric charted over its windows, the rules, the
unreadable input, and the failing spans by cluster with the commands that promote them.

Everything shown comes from production traces (answers, ids, file names): all of it is
escaped, like the case report's text.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.report import html_charts, text
from llm_regressions.report.html_diff import escape

#: Spans listed per cluster and unreadable lines listed; the rest are counted (the JSON
#: report has them all).
MAX_SPANS = 50
MAX_UNREADABLE = 100


def headline(monitor: dict[str, Any]) -> str:
    """``monitor: 1 of 6 alerts failed`` (a run that read no span fails too)."""
    if not monitor["spans_read"]:
        return "monitor FAILED: no span read"
    if (monitor.get("judge") or {}).get("unjudged"):
        return f"monitor FAILED: {monitor['judge']['unjudged']} span(s) not judged (budget spent)"
    alerts = monitor["alerts"]
    failed = sum(a["status"] == "failed" for a in alerts)
    if failed:
        return f"monitor FAILED: {failed} of {len(alerts)} alerts fired"
    skipped = sum(a["status"] == "skipped" for a in alerts)
    judged = f" ({skipped} could not judge)" if skipped else ""
    return f"monitor passed: no alert fired of {len(alerts)}{judged}"


def body(monitor: dict[str, Any]) -> str:
    """The page below the header."""
    return "".join(
        (
            _summary(monitor),
            _metrics(monitor["windows"]),
            _rules(monitor["rules"]),
            _failing(monitor),
            _unreadable(monitor["unreadable"]),
        )
    )


def _summary(monitor: dict[str, Any]) -> str:
    """The headline, the alerts (status and one-line reason) and what was read."""
    failed = headline(monitor).startswith("monitor FAILED")
    rows = "".join(
        f"<tr><td>{escape(a['name'])}</td><td class={escape(a['status'])}>"
        f"{escape(a['status'])}</td><td>{escape(a['reason'])}</td></tr>"
        for a in monitor["alerts"]
    )
    windows = monitor["windows"]
    facts = [
        ("read", f"{monitor['spans_read']:,} spans from {monitor['files']} file(s)"),
        ("paths", ", ".join(monitor.get("paths") or [])),
        ("rules file", monitor.get("rules_file") or ""),
        ("windows", f"{len(windows)} of {monitor['window_s']:g}s"),
        ("sample", f"{monitor['sample']:g} ({monitor['sampled_out']:,} spans sampled out)"),
        ("without timestamps", f"{monitor['untimed']:,}" if monitor["untimed"] else ""),
        ("unreadable", f"{len(monitor['unreadable'])}" if monitor["unreadable"] else ""),
        ("llm_judge", text.judge_line(monitor.get("judge"))),
    ]
    facts += [("note", note) for note in monitor.get("notes") or []]
    return (
        f'<section id=summary><div class="gate {"fail" if failed else "pass"}">'
        f"<h2>{escape(headline(monitor))}</h2>"
        "<table class=monitor id=alerts><tr><th>alert</th><th>status</th><th>why</th></tr>"
        f"{rows}</table></div><dl class=numbers>"
        + "".join(f"<dt>{k}</dt><dd>{escape(v)}</dd>" for k, v in facts if v)
        + "</dl></section>"
    )


def _metrics(windows: list[dict[str, Any]]) -> str:
    """Each metric's newest value and a chart of it over the windows."""
    out = [
        "<section id=metrics><h2>Metrics by window</h2>"
        "<table class=monitor><tr><th>metric</th><th>newest window</th>"
        f"<th>over the {len(windows)} window(s), oldest first</th></tr>"
    ]
    for name, read, shown in text.WINDOW_METRICS:
        points = [
            (w["start"], v, "n/a" if v is None else shown(v)) for w in windows for v in [read(w)]
        ]
        last = points[-1][2] if points else "n/a"
        chart = html_charts.series(name, points) if points else ""
        out.append(f"<tr><td>{name}</td><td class=n>{escape(last)}</td><td>{chart}</td></tr>")
    if windows:
        out.append(
            f"<tr><td colspan=3 class=muted>newest window from {escape(windows[-1]['start'])} "
            f"({windows[-1]['spans']:,} LLM spans)</td></tr>"
        )
    return "".join(out) + "</table></section>"


def _rules(rules: list[dict[str, Any]]) -> str:
    rows = []
    for rule in rules:
        matched = rule["matched"]
        passed = f"{rule['passed']:,} ({rule['passed'] / matched:.1%})" if matched else ""
        note = "" if matched else "matched no span: check its match: section"
        rows.append(
            f"<tr><td>{escape(rule['name'])}</td><td class=n>{matched:,}</td>"
            f"<td class=n>{passed}</td><td class=muted>{note}</td></tr>"
        )
    return (
        "<section id=rules><h2>Rules</h2><table class=monitor><tr><th>rule</th>"
        f"<th>spans matched</th><th>passed</th><th></th></tr>{''.join(rows)}</table></section>"
    )


def _failing(monitor: dict[str, Any]) -> str:
    """Failing spans by cluster, largest first, each with its promote command."""
    out = [f"<section id=failing><h2>Failing spans ({monitor['failing_total']:,})</h2>"]
    if not monitor["failing"]:
        out.append("<p class=muted>no span failed its rules</p>")
    for i, cluster in enumerate(monitor["failing"]):
        rate = f", {cluster['rate']:.1%} of scored spans" if cluster.get("rate") else ""
        spans = cluster["spans"]
        items = "".join(_span(s) for s in spans[:MAX_SPANS])
        more = len(spans) - MAX_SPANS
        out.append(
            f"<details class=cluster{' open' if i == 0 else ''}><summary>"
            f"<b>{escape(cluster['label'])}</b> ({cluster['size']:,} span(s){rate}): "
            f"<q>{escape(cluster['excerpt'] or '')}</q></summary><ul class=spans>{items}</ul>"
            + (f"<p class=muted>… and {more:,} more in the JSON report</p>" if more > 0 else "")
            + "</details>"
        )
    return "".join(out) + "</section>"


def _span(span: dict[str, Any]) -> str:
    failed = "; ".join(f"{c['check']}: {c.get('reason') or 'failed'}" for c in span["failed"])
    where = f"{span['file']} · trace {span['trace_id']} · span {span['span_id']}"
    return (
        f"<li><span class=meta>{escape(where)} · rule {escape(span['rule'])}</span><br>"
        f"{escape(failed)}<pre>{escape(span['promote'])}</pre></li>"
    )


def _unreadable(unreadable: list[dict[str, Any]]) -> str:
    if not unreadable:
        return ""
    items = "".join(
        f"<li><code>{escape(u['file'])}{escape(' ' + u['where'] if u['where'] else '')}</code>"
        f": {escape(u['reason'])}</li>"
        for u in unreadable[:MAX_UNREADABLE]
    )
    more = len(unreadable) - MAX_UNREADABLE
    return (
        f"<section id=unreadable><h2>Unreadable input ({len(unreadable):,}, skipped)</h2>"
        f"<ul>{items}</ul>"
        + (f"<p class=muted>… and {more:,} more in the JSON report</p>" if more > 0 else "")
        + "</section>"
    )
