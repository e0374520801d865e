"""The terminal section of the metrics and the gate (the replay section, with flaky
cases, model drift and provider errors grouped, stays in ``replay/summary.py``)."""

from __future__ import annotations

from typing import Any

from llm_regressions.report import text


def lines(agg: dict[str, Any], gate: dict[str, Any], written: list[str]) -> list[str]:
    out = text.metric_lines(agg)
    if gate["baseline"] is not None:
        out.append("compared with the baseline:")
        out += [f"  {line}" for line in text.baseline_lines(gate["baseline"])]
    out += [f"warning: {w}" for w in gate["warnings"]]
    out += gate["notes"]
    if gate["decides"] or gate["failures"] or gate["baseline"] is not None:
        out.append(text.headline(gate, agg) + (":" if gate["failures"] else ""))
        out += [f"  {f}" for f in gate["failures"]]
    out += [f"wrote {path}" for path in written]
    return out
