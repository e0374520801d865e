"""A session's report files: the JSON report, the Markdown summary, the HTML report and
the GitHub step summary, built from the records and written once at the end of the
session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from llm_regressions import gitutil
from llm_regressions.fsutil import atomic_write
from llm_regressions.report import html, json_report, markdown
from llm_regressions.settings import GateSettings, Settings


def build(
    records: list[dict[str, Any]],
    settings: Settings,
    gate: GateSettings,
    gate_result: dict[str, Any],
    root: Path,
    incomplete: str | None = None,
    rate_limits: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON report of this session (git state only when a report file shows it).
    ``rate_limits``: each process's :class:`~llm_regressions.replay.limits.RateLimitStats`
    dicts, combined per model."""
    from llm_regressions.replay.limits import combine

    run = {
        "replay": settings.replay,
        "prompt": settings.prompt,
        "model_override": settings.model_override,
        "golden": gate.golden,
        "shard": str(gate.shard) if gate.shard else None,
        "changed_since": gate.changed_since,
        "merged_from": None,
        "rate_limits": combine(rate_limits or []),
    }
    git = gitutil.head_state(root) if gate.report or gate.report_html else None
    return json_report.build(records, run, gate_result, git, incomplete)


def write(report: dict[str, Any], gate: GateSettings, written: list[str]) -> None:
    """Write what ``gate`` asks for, adding each path to ``written`` once it is.
    Raises OSError."""
    if gate.report:
        json_report.write(Path(gate.report), report)
        written.append(gate.report)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    md = markdown.render(report) if gate.report_md or step_summary else ""
    if gate.report_md:
        Path(gate.report_md).write_text(md, encoding="utf-8")
        written.append(gate.report_md)
    if gate.report_html:
        atomic_write(Path(gate.report_html), html.render(report), overwrite=True)
        written.append(gate.report_html)
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as summary:
            summary.write(md)
