"""The Markdown summary a reviewer reads in ten seconds: verdict, the cases that need
attention (regressions first), then the numbers."""

from __future__ import annotations

from typing import Any

from llm_regressions.diagnose.render import markdown as diagnosis_rows
from llm_regressions.report import text, trajectory

MAX_ROWS = 25


def _attention(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Cases worth a row, most urgent first: regressions, failures, errors, flaky."""
    gate = report["gate"] or {}
    regressions = set(((gate.get("baseline") or {}).get("buckets") or {}).get("regressed", []))
    rank = {"failed": 1, "error": 2, "inconclusive": 3, "flaky": 4}
    rows = []
    for record in report["cases"]:
        if record["id"] in regressions:
            rows.append((0, "regression", record))
        elif record["verdict"] in rank and record["status"] == "fixed":
            rows.append((rank[record["verdict"]], record["verdict"], record))
    rows.sort(key=lambda row: (row[0], row[2]["id"]))
    return [(kind, record) for _, kind, record in rows]


#: Characters per table cell or list line.
CELL_CHARS = 120
LINE_CHARS = 400


def _cell(value: str, limit: int = CELL_CHARS) -> str:
    return text.clip(value.replace("\n", " "), limit).replace("|", "\\|")


def _line(value: str) -> str:
    """A list item: longer than a table cell, still bounded."""
    return _cell(value, LINE_CHARS)


def _rate(record: dict[str, Any]) -> str:
    if record["pass_rate"] is None:
        return ""
    interval = record.get("interval") if len(record["runs"]) > 1 else None
    spread = f" ({interval[0]:.0%}-{interval[1]:.0%})" if interval else ""
    return f"{record['pass_rate']:.0%}{spread}"


def _parted(records: Any) -> list[str]:
    """For session cases: where the first failing run left the recording."""
    lines = []
    for record in records:
        run = next((r for r in record["runs"] if not r["passed"] and r.get("session")), None)
        session = run and run["session"]
        if session and session["first_difference"] is not None:
            n = session["first_difference"]
            replayed, recorded = next(row[1:3] for row in trajectory.rows(session) if row[0] == n)
            why = f"step {n}: {replayed} (recorded: {recorded})"
            lines.append(f"- `{record['id']}` left its recording at {_line(why)}")
    return lines + [""] if lines else []


def render(report: dict[str, Any]) -> str:
    agg, gate = report["aggregates"], report["gate"]
    gate = gate or {"passed": True, "decides": False, "failures": [], "baseline": None}
    head = text.headline(gate, agg)
    mark = "✅" if head.startswith(("gate passed", "all cases")) else "❌"
    lines = [f"### {mark} LLM regressions: {head}", ""]
    if gate["failures"]:
        lines += [f"- {_line(f)}" for f in gate["failures"]] + [""]
    rows = _attention(report)
    if rows:
        lines += ["| | case | label | pass rate | why |", "|---|---|---|---|---|"]
        for kind, r in rows[:MAX_ROWS]:
            why = r["trouble"] or r["problem"]
            lines.append(f"| {kind} | `{r['id']}` | {r['label']} | {_rate(r)} | {_cell(why)} |")
        if len(rows) > MAX_ROWS:
            lines.append(f"| | … {len(rows) - MAX_ROWS} more | | | |")
        lines.append("")
        lines += _parted(record for _, record in rows[:MAX_ROWS])
    lines += diagnosis_rows(report["cases"], _cell)
    lines += [f"- {_line(line)}" for line in text.metric_lines(agg)]
    ref = (report.get("run") or {}).get("changed_since")
    if ref:
        lines.append(
            f"- ran only the {len(report['cases'])} case(s) a change since `{_cell(ref)}` can "
            "affect, and the golden ones (`selected_because` in the JSON report says why)"
        )
    if gate["baseline"] is not None:
        lines += [f"- {_line(line)}" for line in text.baseline_lines(gate["baseline"])]
    lines += [f"- ⚠️ {_line(w)}" for w in gate.get("warnings", [])]
    return "\n".join(lines) + "\n"
