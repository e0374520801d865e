"""How a case's prompt shows up in reports: the frozen -> current diff, the lines of a
failing case's report, and the terminal summary of cases that ran on a changed prompt.

Everything here reads report ``user_properties`` (set by :func:`promptcase.describe`),
which travel with reports: the summary is the same under xdist.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

MAX_DIFF_LINES = 40


def _message_lines(messages: list[dict[str, Any]]) -> list[str]:
    lines = []
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        extra = {k: v for k, v in message.items() if k not in ("role", "content")}
        head = f"[{message.get('role')}]" + (f" {json.dumps(extra)}" if extra else "")
        lines.append(head)
        lines += [f"  {line}" for line in (text or "").splitlines() or [""]]
    return lines


def message_diff(frozen: list[dict[str, Any]], current: list[dict[str, Any]]) -> str:
    """A compact unified diff (frozen -> current) of the messages, '' when equal."""
    if frozen == current:
        return ""
    diff = list(
        difflib.unified_diff(
            _message_lines(frozen),
            _message_lines(current),
            "frozen (request.messages)",
            "current",
            n=1,
            lineterm="",
        )
    )
    if len(diff) > MAX_DIFF_LINES:
        diff = diff[:MAX_DIFF_LINES] + [f"... ({len(diff) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join(diff) or "(same text, different message fields)"


def report_lines(notes: dict[str, Any]) -> list[str]:
    """Lines for the item's failure report: which prompt ran, and how it changed."""
    if "llm_prompt_mode" not in notes:
        return []
    mode = notes["llm_prompt_mode"]
    if "llm_prompt_error" in notes:
        return [f"prompt:  {mode}; current prompt not rendered: {notes['llm_prompt_error']}"]
    changed = "changed since the trace" if notes.get("llm_prompt_changed") else "unchanged"
    lines = [f"prompt:  {mode} ({notes['llm_prompt_id']}, {changed})"]
    if notes.get("llm_prompt_diff"):
        lines += ["prompt diff:", *("  " + line for line in notes["llm_prompt_diff"].splitlines())]
    return lines


class PromptSummary:
    """Counts the cases that ran on a prompt changed since their trace (terminal
    summary); reads only report ``user_properties``, so it works under xdist."""

    def __init__(self) -> None:
        self.changed: list[str] = []
        self.current = 0
        self.frozen = 0
        self.unsent_changes = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        notes = dict(report.user_properties)
        if "llm_prompt_mode" not in notes:
            return
        current = notes["llm_prompt_mode"] == "current"
        if current:
            self.current += 1
        else:
            self.frozen += 1
        if notes.get("llm_prompt_changed") and current:
            name = report.nodeid.rsplit("::", 1)[-1]
            self.changed.append(f"{name}: {notes.get('llm_prompt_id')}")
        elif notes.get("llm_prompt_changed"):
            self.unsent_changes += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not (self.current or self.frozen):
            return
        terminalreporter.section("llm prompts")
        sent = []
        if self.current:
            sent.append(f"{self.current} case(s) sent the current prompt")
        if self.frozen:
            sent.append(f"{self.frozen} case(s) sent the frozen request (--llm-prompt frozen)")
        terminalreporter.write_line("; ".join(sent))
        terminalreporter.write_line(
            f"{len(self.changed)} case(s) ran on a prompt changed since their trace"
            + (":" if self.changed else "")
        )
        for line in self.changed:
            terminalreporter.write_line(f"  {line}")
        if self.unsent_changes:
            terminalreporter.write_line(
                f"{self.unsent_changes} frozen case(s) have a current prompt that differs "
                "from the request sent (run with --llm-prompt current to test it)"
            )
