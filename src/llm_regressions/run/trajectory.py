"""A session run's trajectory beside the recorded one, step by step, with the first
step where they part: the ``session`` field of a run's record, which every report (and
the failure pytest shows, :mod:`llm_regressions.report.trajectory`) reads."""

from __future__ import annotations

import json
from typing import Any

from llm_regressions.replay.session import SessionResult, Step, describe_call, normalised

#: How much of an answer or a tool result a trajectory step keeps.
STEP_EXCERPT_CHARS = 120


def _cut(value: Any, limit: int = STEP_EXCERPT_CHARS) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _move(step: Step) -> tuple:
    """What the model did at a step, as compared: its calls (arguments normalised), or
    that it answered."""
    calls = step.answer.tool_calls
    if not calls:
        return ("answer",)
    return tuple((c.name, json.dumps(normalised(c.arguments), sort_keys=True)) for c in calls)


def first_difference(replayed: list[Step], recorded: list[Step]) -> int | None:
    """The first step number where the replayed run did something other than the
    recording (or went on, or stopped, where it did not); None when they agree."""
    for number, (ours, theirs) in enumerate(zip(replayed, recorded, strict=False), start=1):
        if _move(ours) != _move(theirs):
            return number
    if len(replayed) != len(recorded):
        return min(len(replayed), len(recorded)) + 1
    return None


def step_summary(step: Step) -> dict[str, Any]:
    """One step as the report keeps it."""
    calls = step.answer.tool_calls
    return {
        "step": step.number,
        "turn": step.turn,
        "calls": [describe_call(c.name, c.arguments) for c in calls],
        "answer": None if calls or step.answer.output is None else _cut(step.answer.output),
        "results": [
            {"tool": t.call.name, "result": _cut(t.result), "source": t.source} for t in step.tools
        ],
    }


def session_record(result: SessionResult, recorded: list[Step]) -> dict[str, Any]:
    """The ``session`` field of a run record."""
    return {
        "steps": [step_summary(step) for step in result.steps],
        "recorded": [step_summary(step) for step in recorded],
        "first_difference": first_difference(result.steps, recorded),
        "divergence": result.divergence,
        "stopped": result.stopped,
    }
