"""The Markdown summary a reviewer reads in ten seconds: verdict, the cases that need
attention (regressions first), then the numbers."""

from __future__ import annotations

from typing import Any

from llm_regressions.report import text

MAX_ROWS = 25


def _attention(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Cases worth a row, most urgent first: regressions, failures, errors, flaky."""
    gate = report["gate"] or {}
    regressions = set((gate.get("baseline") or {}).get("regressions", []))
    rank = {"failed": 1, "error": 2, "flaky": 3}
    rows = []
    for record in report["cases"]:
        if record["id"] in regressions:
            rows.append((0, "regression", record))
        elif record["verdict"] in rank and record["status"] == "fixed":
            rows.append((rank[record["verdict"]], record["verdict"], record))
    rows.sort(key=lambda row: (row[0], row[2]["id"]))
    return [(kind, record) for _, kind, record in rows]


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")[:120]


def render(report: dict[str, Any]) -> str:
    agg, gate = report["aggregates"], report["gate"]
    gate = gate or {"passed": True, "decides": False, "failures": [], "baseline": None}
    head = text.headline(gate, agg)
    mark = "✅" if head.startswith(("gate passed", "all cases")) else "❌"
    lines = [f"### {mark} LLM regressions: {head}", ""]
    if gate["failures"]:
        lines += [f"- {_cell(f)}" for f in gate["failures"]] + [""]
    rows = _attention(report)
    if rows:
        lines += ["| | case | label | pass rate | why |", "|---|---|---|---|---|"]
        for kind, r in rows[:MAX_ROWS]:
            rate = "" if r["pass_rate"] is None else f"{r['pass_rate']:.0%}"
            why = r["trouble"] or r["problem"]
            lines.append(f"| {kind} | `{r['id']}` | {r['label']} | {rate} | {_cell(why)} |")
        if len(rows) > MAX_ROWS:
            lines.append(f"| | … {len(rows) - MAX_ROWS} more | | | |")
        lines.append("")
    lines += [f"- {_cell(line)}" for line in text.metric_lines(agg)]
    if gate["baseline"] is not None:
        lines += [f"- {_cell(line)}" for line in text.baseline_lines(gate["baseline"])]
    lines += [f"- ⚠️ {_cell(w)}" for w in gate.get("warnings", [])]
    return "\n".join(lines) + "\n"
