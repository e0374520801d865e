"""The HTML report (``--llm-report-html``, ``python -m llm_regressions report html``):
one self-contained page rendered from the JSON report dict, so a merged shard report
renders as well as a session's.

Offline by construction: CSS and script are inline, nothing is fetched. Everything
from the report is escaped, and a Content-Security-Policy allows only the page's own
script and style, by hash: even an escaping bug could not run a model's ``<script>``.
The page reads with scripts off (every row is rendered here); the script only filters.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from llm_regressions.report import html_cases, html_charts, html_monitor, metrics, text
from llm_regressions.report.html_diff import escape
from llm_regressions.report.terminal import rate_limit_lines

ASSETS = Path(__file__).parent / "html_assets"

#: Comparison buckets, in the order baseline.BUCKETS puts them, with what each means.
BUCKETS = {
    "regressed": "passed in the baseline, fails now",
    "fixed": "failed in the baseline, passes now",
    "inconclusive": "too few runs now to tell a pass from a regression: run more repeats",
    "newly_flaky": "its runs disagree now, they did not in the baseline",
    "no_longer_flaky": "its runs disagreed in the baseline, they agree now",
    "still_failing": "failed in both runs",
    "new": "only in this run",
    "removed": "only in the baseline",
}
#: Gate failures listed before the rest fold away.
MAX_FAILURES = 15
#: Cases linked per bucket; the rest are counted (and reachable with the filter).
MAX_LINKS = 100


@cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def render(report: dict[str, Any]) -> str:
    """The page: header, summary and gate, charts, the run-to-run diff, every case (or,
    for a ``--llm-monitor`` run, the monitor's alerts, charts and failing spans)."""
    style, script = _asset("report.css"), _asset("report.js")
    policy = (
        f"default-src 'none'; script-src {_sha256(script)}; style-src {_sha256(style)}; "
        "base-uri 'none'; form-action 'none'"
    )
    monitor = report.get("monitor")
    if monitor:
        title, body = "LLM " + html_monitor.headline(monitor), html_monitor.body(monitor)
    else:
        title, body = _case_page(report)
    return "".join(
        (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{style}</style></head><body>",
            _header(report),
            body,
            f"<script>{script}</script></body></html>\n",
        )
    )


def _case_page(report: dict[str, Any]) -> tuple[str, str]:
    """The title and body of a case run's page."""
    records = report["cases"]
    agg = report.get("aggregates") or metrics.aggregate(records)
    gate = report.get("gate")
    comparison = (gate or {}).get("baseline")
    buckets = case_buckets(comparison)
    causes = comparison["causes"] if comparison else {}
    title = "LLM regressions: " + (text.headline(gate, agg) if gate else "report")
    body = "".join(
        (
            _summary(records, agg, gate, (report.get("run") or {}).get("rate_limits") or []),
            _charts(records, agg),
            _comparison(comparison, causes) if comparison else "",
            _cases(records, buckets, causes),
        )
    )
    return title, body


def case_buckets(comparison: dict[str, Any] | None) -> dict[str, str]:
    """case id -> its comparison bucket (unchanged passing cases are in none)."""
    if not comparison:
        return {}
    lists = comparison["buckets"]
    return {case_id: bucket for bucket in BUCKETS for case_id in lists[bucket]}


def _header(report: dict[str, Any]) -> str:
    run, git = report.get("run") or {}, report.get("git")
    parts = [f"written {report.get('created_at', '?')}", f"plugin {report.get('plugin_version')}"]
    if git:
        parts.append(f"commit {git['commit'][:12]}" + (" (dirty)" if git["dirty"] else ""))
    monitor = bool(report.get("monitor"))
    if not monitor:
        parts.append(f"replay {run.get('replay', '?')}")
    if run.get("model_override"):
        parts.append(f"model override {run['model_override']}")
    if run.get("golden"):
        parts.append("golden cases only")
    if run.get("shard"):
        parts.append(f"shard {run['shard']}")
    if run.get("merged_from"):
        parts.append(f"merged from {run['merged_from']} reports")
    h1 = "LLM monitor" if monitor else "LLM regressions"
    out = f"<header><h1>{h1}</h1><p class=meta>{escape(' · '.join(parts))}</p>"
    if report.get("complete") is False:
        why = report.get("incomplete") or "incomplete run"
        out += f"<p class=alarm>incomplete run ({escape(why)}): no gate passes on it</p>"
    return out + "</header>"


def _summary(
    records: list[dict[str, Any]],
    agg: dict[str, Any],
    gate: dict[str, Any] | None,
    rate_limits: list[dict[str, Any]],
) -> str:
    facts = _numbers(records, agg)
    facts += [("rate limits", line.split(": ", 1)[1]) for line in rate_limit_lines(rate_limits)]
    return (
        f"<section id=summary>{_gate(gate, agg)}<dl class=numbers>"
        + "".join(f"<dt>{k}</dt><dd>{escape(v)}</dd>" for k, v in facts if v)
        + "</dl></section>"
    )


def _gate(gate: dict[str, Any] | None, agg: dict[str, Any]) -> str:
    if gate is None:
        return (
            "<div class=gate><h2>no gate in this report</h2><p>a merged report: apply the "
            "gate with <code>python -m llm_regressions gate REPORT</code></p></div>"
        )
    kind = "pass" if gate["passed"] else "fail"
    out = [f'<div class="gate {kind}"><h2>{escape(text.headline(gate, agg))}</h2>']
    failures = [f"<li>{escape(f)}</li>" for f in gate["failures"]]
    if failures:
        out.append(f"<ul>{''.join(failures[:MAX_FAILURES])}</ul>")
    if len(failures) > MAX_FAILURES:
        out.append(
            f"<details><summary>{len(failures) - MAX_FAILURES} more</summary>"
            f"<ul>{''.join(failures[MAX_FAILURES:])}</ul></details>"
        )
    notes = [("warn", f"warning: {w}") for w in gate.get("warnings", [])]
    notes += [("muted", n) for n in gate.get("notes", [])]
    out += [f"<p class={cls}>{escape(line)}</p>" for cls, line in notes]
    return "".join(out) + "</div>"


def _numbers(records: list[dict[str, Any]], agg: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary's facts, in words (empty ones are left out)."""
    lat, tokens, cost = agg["latency_ms"], agg["tokens"], agg["cost_usd"]
    facts = [
        ("pass rate", text.pass_rate_line(agg).removeprefix("pass rate: ")),
        ("verdicts", ", ".join(f"{n} {v}" for v, n in verdict_counts(records).items())),
    ]
    if cost["per_case"] is not None:
        facts.append(
            ("cost", f"{text.usd(cost['total'])} total, {text.usd(cost['per_case'])} per case")
        )
    if tokens["input"] or tokens["output"]:
        facts.append(("tokens", f"{tokens['input']:,} in, {tokens['output']:,} out"))
    if lat["runs"]:
        p50, p95, p99 = (text.ms(lat[q]) for q in ("p50", "p95", "p99"))
        facts.append(("latency", f"p50 {p50}, p95 {p95}, p99 {p99} over {lat['runs']} live runs"))
    for title, key in (
        ("schema pass rate", "schema_pass_rate"),
        ("tool-call success", "tool_call_success_rate"),
    ):
        if agg[key]["total"]:
            facts.append((title, text.rate(agg[key], " runs")))
    if agg["model_drift"]:
        facts.append(("model drift", f"{len(agg['model_drift'])} case(s) served another model"))
    if agg["repeats"]:
        line = text.repeats_line(agg["repeats"])
        facts.append(("adaptive repeats", line.removeprefix("adaptive repeats: ")))
    return facts


def verdict_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(html_cases.verdict(r) for r in records)
    known = [v for v in html_cases.VERDICT_ORDER if counts[v]]
    return {v: counts[v] for v in known + sorted(set(counts) - set(known))}


def _charts(records: list[dict[str, Any]], agg: dict[str, Any]) -> str:
    charts = (
        html_charts.by_label(agg),
        html_charts.verdicts(verdict_counts(records)),
        html_charts.latency(agg["latency_ms"]),
    )
    return (
        f"<section id=metrics><h2>Metrics</h2><div class=charts>{''.join(charts)}</div></section>"
    )


def _comparison(comparison: dict[str, Any], causes: dict[str, list[str]]) -> str:
    """The run-to-run diff: the paired test, every bucket with its cases, and the
    latency and cost changes."""
    commit = comparison.get("baseline_commit")
    out = ["<section id=diff><h2>Compared with the baseline</h2>"]
    if commit:
        out.append(f"<p class=meta>baseline commit {escape(commit[:12])}</p>")
    paired = comparison["paired"]
    out.append(f"<p class=paired>paired test: {escape(paired['summary'])}</p>")
    out.append("<table><tr><th>bucket</th><th>cases</th><th>likely cause, case by case</th></tr>")
    for bucket, meaning in BUCKETS.items():
        out.append(_bucket_row(bucket, meaning, comparison["buckets"][bucket], causes))
    out.append("</table><ul>")
    for title, key, fmt in (
        ("p95 latency", "p95_latency_ms", text.ms),
        ("cost per case", "cost_per_case_usd", text.usd),
    ):
        part = comparison.get(key) or {}
        if part.get("baseline") is not None or part.get("current") is not None:
            change = "" if part.get("change") is None else f" ({part['change']:+.1%})"
            line = f"{title}: {fmt(part['baseline'])} → {fmt(part['current'])}{change}"
            out.append(f"<li>{escape(line)}</li>")
    out += [f"<li class=warn>{escape(w)}</li>" for w in comparison.get("warnings", [])]
    return "".join(out) + "</ul></section>"


def _bucket_row(bucket: str, meaning: str, ids: list[str], causes: dict[str, list[str]]) -> str:
    name = f"<b>{escape(bucket.replace('_', ' '))}</b><br><span class=muted>{meaning}</span>"
    links = []
    for case_id in ids[:MAX_LINKS]:
        why = causes.get(case_id)
        shown = f"<code>{escape(case_id)}</code>"
        if bucket != "removed":
            shown = f'<a href="{html_cases.anchor(case_id)}">{shown}</a>'
        links.append(shown + (f" ({escape(', '.join(why))})" if why else ""))
    more = f" … and {len(ids) - MAX_LINKS} more" if len(ids) > MAX_LINKS else ""
    if ids and bucket != "removed":
        more += f' <a href="#cases" data-filter="bucket={bucket}">show in the list</a>'
    return f"<tr><td>{name}</td><td class=n>{len(ids)}</td><td>{', '.join(links)}{more}</td></tr>"


def _filters(records: list[dict[str, Any]], buckets: dict[str, str]) -> str:
    """The filter bar, hidden until the script shows it (without it, it does nothing)."""
    labels = sorted({r["label"] for r in records})
    golden = [("yes", "golden"), ("no", "not golden")]
    choices = [
        ("label", "label", [(v, v) for v in labels]),
        ("verdict", "verdict", [(v, v) for v in verdict_counts(records)]),
        ("golden", "golden", golden),
    ]
    if buckets:
        present = set(buckets.values())
        shown = [(b, b.replace("_", " ")) for b in BUCKETS if b in present and b != "removed"]
        choices.append(("bucket", "diff bucket", [*shown, ("unchanged", "unchanged")]))
    out = ["<div id=filters hidden>"]
    for key, title, options in choices:
        items = "".join(f'<option value="{escape(v)}">{escape(t)}</option>' for v, t in options)
        out.append(
            f'<label>{title} <select id="f-{key}"><option value="">all</option>{items}</select>'
            "</label>"
        )
    out.append(
        '<label>search <input id="f-q" type="search" placeholder="id, text, reason…"></label>'
        '<button id="f-reset" type="button">reset</button>'
        '<button id="f-open" type="button">expand shown</button>'
        '<button id="f-close" type="button">collapse</button><span id="shown"></span></div>'
    )
    return "".join(out)


def _cases(
    records: list[dict[str, Any]], buckets: dict[str, str], causes: dict[str, list[str]]
) -> str:
    return (
        f"<section id=cases><h2>Cases ({len(records)}), failing first</h2>"
        f"{_filters(records, buckets)}<div id=list>"
        f"{html_cases.rows(records, buckets, causes)}</div></section>"
    )
