"""The text pytest shows for a failed case: who, why, which checks, what output."""

from __future__ import annotations

import json

from llm_regressions.casefile.loader import LoadedCase
from llm_regressions.casefile.session import recorded_steps
from llm_regressions.replay.session import SessionResult
from llm_regressions.report.trajectory import text_lines
from llm_regressions.run.trajectory import session_record
from llm_regressions.run.verdict import Verdict

EXCERPT_CHARS = 300


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    if text is None:
        return "(no output)"
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


def render_failure(loaded: LoadedCase, verdict: Verdict, notes: tuple[str, ...] = ()) -> str:
    """The text pytest shows for a failed case: who, why, which checks, what output.
    ``notes`` are extra header lines (the model replayed on, model drift)."""
    case = loaded.case
    lines = [
        verdict.problem,
        "",
        f"case:    {case.id}",
        f"label:   {case.label}" + ("  (golden)" if case.golden else ""),
        f"status:  {case.status}",
        *notes,
    ]
    if case.source and case.source.trace_id:
        span = f"  span {case.source.span_id}" if case.source.span_id else ""
        lines.append(f"trace:   {case.source.trace_id}{span}")
    for run in verdict.runs:
        lines += ["", f"on {run.name}:"]
        for check, result in run.outcomes:
            mark = "n/a " if not result.applicable else ("ok  " if result.passed else "FAIL")
            lines.append(f"  {mark} {check.describe()}  -- {result.reason}")
            if result.detail and result.applicable and not result.passed:
                lines += ["       " + d for d in result.detail.splitlines()[:40]]
        lines.append(f"  output: {excerpt(run.result.output)!s}".replace("\n", "\n          "))
        if run.result.tool_calls:
            calls = ", ".join(
                f"{c.name}({json.dumps(c.arguments, ensure_ascii=False)[:80]})"
                for c in run.result.tool_calls[:8]
            )
            lines.append(f"  tool calls: {calls}")
        if isinstance(run.result, SessionResult) and case.session is not None:
            lines += text_lines(session_record(run.result, recorded_steps(case.session)))
    return "\n".join(lines)
