"""How the current prompt differs from the recorded one: a compact message diff
(shown at collection, promotion and in reports), and the lines a failing case's report
gives its prompt (from :func:`llm_regressions.prompts.current.describe`)."""

from __future__ import annotations

import difflib
import json
from typing import Any

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


def report_lines(prompt_run: dict[str, Any] | None) -> list[str]:
    """Lines for a failing case's report: which prompt ran, and how it changed."""
    if not prompt_run:
        return []
    mode = prompt_run["mode"]
    if prompt_run.get("error"):
        return [f"prompt:  {mode}; current prompt not rendered: {prompt_run['error']}"]
    changed = "changed since the trace" if prompt_run["changed"] else "unchanged"
    lines = [f"prompt:  {mode} ({prompt_run['rendered']}, {changed})"]
    if prompt_run.get("diff"):
        lines += ["prompt diff:", *("  " + line for line in prompt_run["diff"].splitlines())]
    return lines
