"""A case's ``session:`` section as the replay engine's plain data: the recorded tool
exchanges and user turns to replay against (:func:`recording_of`), and the recorded run
itself as a scored answer (:func:`recorded_session`), the trajectory offline
verification and reports compare with."""

from __future__ import annotations

from typing import Any

from llm_regressions.casefile.model import Case, ModelTurn, RecordedToolCall, Session
from llm_regressions.replay.result import ReplayResult, ToolCall, parse_arguments
from llm_regressions.replay.session import (
    ArgRule,
    Exchange,
    Recording,
    SessionResult,
    Step,
    ToolStep,
    session_result,
)


def _answer(turn: ModelTurn) -> ReplayResult:
    calls = [
        ToolCall(name=c.name, arguments=parse_arguments(c.arguments), id=c.id)
        for c in turn.tool_calls
    ]
    finish = turn.finish_reason or ("tool_calls" if calls else "stop")
    return ReplayResult(output=turn.output, tool_calls=calls, finish_reason=finish)


def _called(tool: RecordedToolCall, pending: list[ToolCall]) -> ToolCall:
    """The model's call this tool result answers: by id, else the first pending call of
    that tool, else the result's own name and arguments."""
    for i, call in enumerate(pending):
        if (tool.id and call.id == tool.id) or (not tool.id and call.name == tool.name):
            return pending.pop(i)
    return ToolCall(tool.name, parse_arguments(tool.arguments), tool.id)


def recorded_steps(session: Session) -> list[Step]:
    """The recorded run as steps: each model turn with the tool results that followed."""
    steps: list[Step] = []
    pending: list[ToolCall] = []
    turn = 1
    for entry in session.steps:
        if entry.model is not None:
            steps.append(Step(len(steps) + 1, turn, _answer(entry.model)))
            pending = list(steps[-1].answer.tool_calls)
        elif entry.tool is not None:
            call = _called(entry.tool, pending)
            if entry.tool.arguments and not call.arguments:
                call = ToolCall(call.name, parse_arguments(entry.tool.arguments), call.id)
            if steps:
                steps[-1].tools.append(ToolStep(call, entry.tool.result, "recorded"))
        else:
            turn += 1
    return steps


def recorded_session(case: Case) -> SessionResult:
    """The recorded run, scored like a replayed one (offline verification)."""
    assert case.session is not None
    return session_result(recorded_steps(case.session))


def _user_message(content: str | list[dict[str, Any]]) -> dict[str, Any]:
    return {"role": "user", "content": content}


def recording_of(case: Case, stub: Any = None) -> Recording:
    """What the engine replays the case's session against; ``stub`` is the resolved
    ``tool_stub`` (the caller resolves it: resolving imports user code)."""
    session = case.session
    assert session is not None
    exchanges = [
        Exchange(tool.call.name, tool.call.arguments, tool.result)
        for step in recorded_steps(session)
        for tool in step.tools
    ]
    rules = {
        name: ArgRule(frozenset(rule.ignore), tuple(rule.regex.items()))
        for name, rule in session.match.items()
    }
    users = [_user_message(s.user) for s in session.steps if s.user is not None]
    return Recording(exchanges, users, session.step_limit, rules, stub)
