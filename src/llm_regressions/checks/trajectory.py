"""Checks on a whole agent run (a ``session:`` case): which tools, in what order, how
many steps, loops; and any other check on the final answer, or on step or turn N.

They score a :class:`~llm_regressions.replay.session.SessionResult`; on a case without
``session:`` they are a collection error.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from llm_regressions.checks.base import Check, CheckArgsError, CheckResult
from llm_regressions.replay import ReplayResult
from llm_regressions.replay.session import SessionResult, Step, describe_call, normalised


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Trajectory(Check):
    """Base: needs a session case; scores the run's steps."""

    def validate_case(self, case) -> None:
        if case.session is None:
            raise CheckArgsError(f"{self.name} needs a 'session:' case (a recorded agent run)")

    def score(self, result, case):
        if not isinstance(result, SessionResult):
            return CheckResult.not_applicable("not a session run")
        return self.score_steps(result)

    def score_steps(self, run: SessionResult) -> CheckResult:
        raise NotImplementedError


def _names(run: SessionResult) -> list[str]:
    return [call.name for call in run.tool_calls]


def _is_subsequence(want: list[str], got: list[str]) -> bool:
    rest = iter(got)
    return all(name in rest for name in want)


class ToolSequenceArgs(_Args):
    tools: list[str] = Field(..., description="Tool names, in order.")
    mode: Literal["exact", "in_order", "any_order", "subset"] = Field(
        "exact",
        description="exact: these calls and no others, in this order; in_order: these "
        "calls in this order, others between allowed; any_order: these calls and no "
        "others, any order; subset: every call is one of these tools.",
    )


class ToolSequence(_Trajectory):
    """The run's tool calls follow a sequence (exact, in_order, any_order or subset)."""

    name = "tool_sequence"
    family = "tools"
    Args = list[str] | ToolSequenceArgs

    def setup(self) -> None:
        arg = self.arg
        self.want = arg if isinstance(arg, ToolSequenceArgs) else ToolSequenceArgs(tools=arg)

    def score_steps(self, run):
        got, want, mode = _names(run), self.want.tools, self.want.mode
        passed = {
            "exact": got == want,
            "in_order": _is_subsequence(want, got),
            "any_order": Counter(got) == Counter(want),
            "subset": set(got) <= set(want),
        }[mode]
        shown = " -> ".join(got) or "no tool calls"
        if passed:
            return CheckResult(True, f"tool calls {mode}: {shown}")
        return CheckResult(False, f"tool calls {shown}; wanted {mode} {' -> '.join(want)}")


class MaxSteps(_Trajectory):
    """The run took at most N model calls (the step limit ends it at its own count)."""

    name = "max_steps"
    Args = Annotated[int, Field(ge=1)]

    def score_steps(self, run):
        taken = len(run.steps)
        if taken > self.arg or (run.stopped and taken >= self.arg):
            why = f" ({run.stopped})" if run.stopped else ""
            return CheckResult(False, f"{taken} model calls, max {self.arg}{why}")
        return CheckResult(True, f"{taken} model call(s), max {self.arg}")


class NoRepeatedToolCallArgs(_Args):
    times: int = Field(2, ge=2, description="Identical calls that count as a loop.")
    tool: str | None = Field(None, description="Only count calls of this tool.")


class NoRepeatedToolCall(_Trajectory):
    """No tool is called N times (default 2) with the same arguments: the stuck loop."""

    name = "no_repeated_tool_call"
    family = "tools"
    Args = Literal[True] | int | NoRepeatedToolCallArgs

    def setup(self) -> None:
        arg = self.arg
        if isinstance(arg, NoRepeatedToolCallArgs):
            self.opts = arg
        elif arg is True:
            self.opts = NoRepeatedToolCallArgs()
        elif arg < 2:
            raise CheckArgsError("must be 2 or more (identical calls that count as a loop)")
        else:
            self.opts = NoRepeatedToolCallArgs(times=arg)

    def score_steps(self, run):
        calls = [c for c in run.tool_calls if self.opts.tool in (None, c.name)]
        counts = Counter(
            (c.name, json.dumps(normalised(c.arguments), sort_keys=True)) for c in calls
        )
        if not counts:
            return CheckResult(True, "no tool calls")
        (name, _), times = counts.most_common(1)[0]
        first = next(c for c in calls if c.name == name)
        if times >= self.opts.times:
            what = describe_call(first.name, first.arguments)
            return CheckResult(False, f"{what} called {times}x (a loop at {self.opts.times})")
        return CheckResult(True, f"at most {times} identical call(s)")


class ToolCalledBeforeArgs(_Args):
    first: str = Field(..., min_length=1, description="The tool that must come first.")
    then: str = Field(..., min_length=1, description="The tool that may only follow it.")


class ToolCalledBefore(_Trajectory):
    """``then`` is only called after ``first`` was (e.g. lookup_order before
    create_refund); passes when ``then`` is never called."""

    name = "tool_called_before"
    family = "tools"
    Args = ToolCalledBeforeArgs

    def score_steps(self, run):
        names, first, then = _names(run), self.arg.first, self.arg.then
        if then not in names:
            return CheckResult(True, f"{then!r} never called")
        if first in names[: names.index(then)]:
            return CheckResult(True, f"{first!r} called before {then!r}")
        return CheckResult(False, f"{then!r} called before {first!r} (calls: {', '.join(names)})")


# -- existing checks on one answer of the run --------------------------------------------


def _score_nested(checks: list[Check], answer: ReplayResult, case, where: str) -> CheckResult:
    for check in checks:
        outcome = check.score(answer, case)
        if outcome.applicable and not outcome.passed:
            return CheckResult(False, f"{where}: {check.name}: {outcome.reason}", outcome.detail)
    return CheckResult(True, f"{where}: {', '.join(c.name for c in checks)} passed")


CheckArg = dict[str, Any] | list[dict[str, Any]]


class _OnAnswer(_Trajectory):
    """Base: runs nested checks on one answer the run picks out."""

    def setup(self) -> None:
        self.checks: list[Check] = []

    def nested(self):
        entries = self.arg if isinstance(self.arg, (dict, list)) else self.arg.check
        where = () if isinstance(self.arg, (dict, list)) else ("check",)
        if isinstance(entries, dict):
            return [(where, entries)]
        return [((*where, i), entry) for i, entry in enumerate(entries)]

    def adopt(self, checks: list[Check]) -> None:
        self.checks = checks

    def validate_case(self, case) -> None:
        super().validate_case(case)
        for check in self.checks:
            check.validate_case(case)

    def score(self, result, case):
        if not isinstance(result, SessionResult):
            return CheckResult.not_applicable("not a session run")
        picked, where = self.pick(result)
        if picked is None:
            return CheckResult(False, where)
        return _score_nested(self.checks, picked.answer, case, where)

    def pick(self, run: SessionResult) -> tuple[Step | None, str]:
        raise NotImplementedError


class FinalAnswer(_OnAnswer):
    """Runs other checks on the run's final answer; fails when the run ended without
    one (a divergence, the step limit)."""

    name = "final_answer"
    Args = CheckArg

    def pick(self, run):
        last = run.steps[-1] if run.steps else None
        if last is None or last.answer.tool_calls or run.divergence or run.stopped:
            why = run.divergence or run.stopped or "the run ended on a tool call"
            return None, f"no final answer: {why}"
        return last, "final answer"


class AtStepArgs(_Args):
    step: int = Field(..., ge=1, description="The model call, from 1.")
    check: CheckArg


class AtTurnArgs(_Args):
    turn: int = Field(..., ge=1, description="The user turn, from 1.")
    check: CheckArg


class _At(_OnAnswer):
    """Base: runs nested checks on the last answer of step or turn N."""

    #: The argument naming N, and the Step field it is compared with.
    unit: ClassVar[str]
    field: ClassVar[str]

    def pick(self, run):
        n = getattr(self.arg, self.unit)
        steps = [step for step in run.steps if getattr(step, self.field) == n]
        if not steps:
            seen = f"{len(run.steps)} model calls, {run.turns} turn(s)"
            return None, f"{self.unit} {n} never happened ({seen})"
        return steps[-1], f"{self.unit} {n}"


class AtStep(_At):
    """Runs other checks on the answer of model call N."""

    name = "at_step"
    Args = AtStepArgs
    unit, field = "step", "number"


class AtTurn(_At):
    """Runs other checks on the last answer of user turn N (multi-turn sessions)."""

    name = "at_turn"
    Args = AtTurnArgs
    unit, field = "turn", "turn"


CHECKS = (ToolSequence, MaxSteps, NoRepeatedToolCall, ToolCalledBefore, FinalAnswer, AtStep, AtTurn)
