"""Replaying a whole agent run hermetically: the model live (or cached), the tools recorded.

A run starts from the case's first request. Each model answer is a step; its tool calls
are answered with the recorded result of the same call (same tool, arguments equal after
normalisation, per-tool ignore/regex rules), or by the case's tool stub. A call the
recording lacks ends the run as a *divergence*; a final answer is followed by the next
recorded user message, if any; the step limit ends loops. Each step is queued on the
engine (concurrency, cache, budget) as soon as the previous answer arrives, so runs and
cases advance side by side.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult, ToolCall, summed, summed_usage

#: Queues calls (the engine's ``submit``); one future answer per request.
Send = Callable[[list[ProviderRequest]], list[Future[ReplayResult]]]
#: A tool stub: ``stub(name, arguments)`` -> the tool's result.
ToolStub = Callable[[str, Any], Any]


@dataclass(frozen=True)
class ArgRule:
    """How one tool's arguments match: keys left out, keys matched by regex."""

    ignore: frozenset[str] = frozenset()
    regex: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Exchange:
    """One recorded tool call and what the tool returned."""

    name: str
    arguments: Any
    result: Any


@dataclass
class Recording:
    """What a session replay needs from the case, as plain data."""

    exchanges: list[Exchange]
    #: User messages fed, in order, after each final answer (turn 2 onwards).
    users: list[dict[str, Any]]
    step_limit: int
    rules: dict[str, ArgRule] = field(default_factory=dict)
    stub: ToolStub | None = None


@dataclass
class ToolStep:
    """A tool result fed back to the model: ``source`` is "recorded" or "stub"."""

    call: ToolCall
    result: Any
    source: str


@dataclass
class Step:
    """One model call of a run: its answer and the tool results fed back after it."""

    number: int
    turn: int
    answer: ReplayResult
    tools: list[ToolStep] = field(default_factory=list)


@dataclass
class SessionResult(ReplayResult):
    """A replayed (or recorded) session. As a ReplayResult it is the final answer's text
    with every tool call of the run, usage and cost summed, so single-call checks work
    on a session; trajectory checks read ``steps``."""

    steps: list[Step] = field(default_factory=list)
    #: "step N: called X(...) where the recording called Y", when the run left it.
    divergence: str | None = None
    #: Why the run ended before a final answer (the step limit).
    stopped: str | None = None

    @property
    def turns(self) -> int:
        return self.steps[-1].turn if self.steps else 0


def session_result(
    steps: list[Step], divergence: str | None = None, stopped: str | None = None
) -> SessionResult:
    """Fold ``steps`` into one :class:`SessionResult` (token counts summed)."""
    answers = [step.answer for step in steps]
    last = answers[-1] if answers else ReplayResult()
    return SessionResult(
        output=last.output,
        tool_calls=[call for answer in answers for call in answer.tool_calls],
        finish_reason=last.finish_reason,
        usage=summed_usage(answers),
        latency_ms=summed(a.latency_ms for a in answers),
        cost_usd=summed(a.cost_usd for a in answers),
        model=last.model,
        system_fingerprint=last.system_fingerprint,
        steps=steps,
        divergence=divergence,
        stopped=stopped,
    )


# -- argument matching ----------------------------------------------------------------


def normalised(value: Any) -> Any:
    """Arguments as compared: key order, number format (1 == 1.0) and whitespace
    (runs collapsed, ends stripped) do not count; JSON text is compared as data."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "{[":
            try:
                return normalised(json.loads(stripped))
            except ValueError:
                pass
        return " ".join(value.split())
    if isinstance(value, bool):
        return ["bool", value]  # so that true is not 1 (Python's True == 1.0)
    if value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): normalised(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


def arguments_match(recorded: Any, replayed: Any, rule: ArgRule | None = None) -> bool:
    """Whether ``replayed`` arguments are the ``recorded`` ones under ``rule``."""
    rule = rule or ArgRule()
    if not (isinstance(recorded, dict) and isinstance(replayed, dict)):
        return normalised(recorded) == normalised(replayed)
    skipped = rule.ignore | {key for key, _ in rule.regex}
    for key, pattern in rule.regex:
        if key not in replayed or not re.search(pattern, _text(replayed[key])):
            return False
    kept = {k: v for k, v in recorded.items() if k not in skipped}
    live = {k: v for k, v in replayed.items() if k not in skipped}
    return normalised(kept) == normalised(live)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def describe_call(name: str, arguments: Any, limit: int = 80) -> str:
    """``search_kb(query='refund', top_k=3)``, cut to ``limit`` characters."""
    if isinstance(arguments, dict):
        inner = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
    else:
        inner = repr(arguments) if arguments not in ({}, None, "") else ""
    if len(inner) > limit:
        inner = inner[: limit - 3] + "..."
    return f"{name}({inner})"


# -- one run ----------------------------------------------------------------------------


class _Run:
    """One replayed run of a session: its conversation so far and its steps."""

    def __init__(self, recording: Recording, first: ProviderRequest) -> None:
        self.recording = recording
        self.request = first
        self.messages = list(first.messages)
        self.steps: list[Step] = []
        self.used: set[int] = set()
        self.calls = 0
        self.users = 0
        self.done = False
        self.divergence: str | None = None
        self.stopped: str | None = None

    def next_request(self) -> ProviderRequest:
        return dataclasses.replace(self.request, messages=list(self.messages))

    def take(self, answer: ReplayResult) -> None:
        """Record ``answer`` as the next step and work out what the model gets next."""
        step = Step(len(self.steps) + 1, self.users + 1, answer)
        self.steps.append(step)
        calls = [
            c if c.id else dataclasses.replace(c, id=f"call_{step.number}_{i}")
            for i, c in enumerate(answer.tool_calls)
        ]
        self.messages.append(_assistant_message(answer, calls))
        if calls:
            self._feed_tools(step, calls)
        elif self.users < len(self.recording.users):
            self.messages.append(self.recording.users[self.users])
            self.users += 1
        else:
            self.done = True
        if not self.done and len(self.steps) >= self.recording.step_limit:
            self.stopped = f"step limit reached ({self.recording.step_limit} model calls)"
            self.done = True

    def _feed_tools(self, step: Step, calls: list[ToolCall]) -> None:
        for call in calls:
            fed = self._tool_result(call)
            if fed is None:
                expected = self._recorded_at(self.calls)
                self.divergence = (
                    f"step {step.number}: called {describe_call(call.name, call.arguments)} "
                    f"where the recording {expected}"
                )
                self.done = True
                return
            self.calls += 1
            step.tools.append(fed)
            self.messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": _text(fed.result)}
            )

    def _tool_result(self, call: ToolCall) -> ToolStep | None:
        """The recorded result of ``call`` (the first unused match, else the last used
        one: a repeated call gets the same answer), the stub's, or None."""
        rule = self.recording.rules.get(call.name)
        matches = [
            i
            for i, ex in enumerate(self.recording.exchanges)
            if ex.name == call.name and arguments_match(ex.arguments, call.arguments, rule)
        ]
        unused = [i for i in matches if i not in self.used]
        if unused or matches:
            index = unused[0] if unused else matches[-1]
            self.used.add(index)
            return ToolStep(call, self.recording.exchanges[index].result, "recorded")
        if self.recording.stub is not None:
            return ToolStep(call, _stubbed(self.recording.stub, call), "stub")
        return None

    def _recorded_at(self, position: int) -> str:
        exchanges = self.recording.exchanges
        if position >= len(exchanges):
            return "made no further tool call"
        ex = exchanges[position]
        return f"called {describe_call(ex.name, ex.arguments)}"

    def result(self) -> SessionResult:
        return session_result(self.steps, self.divergence, self.stopped)


def _stubbed(stub: ToolStub, call: ToolCall) -> Any:
    from llm_regressions.usercode import AppRaised

    try:
        return stub(call.name, call.arguments)
    except Exception as exc:  # noqa: BLE001 - the app's stub raised: its bug, shown as such
        raise AppRaised(f"tool stub for {call.name}", exc) from exc


def _assistant_message(answer: ReplayResult, calls: list[ToolCall]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.output}
    if calls:
        message["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": _text(c.arguments)},
            }
            for c in calls
        ]
    return message


def replay_sessions(
    recording: Recording,
    requests: list[ProviderRequest],
    first: list[Future[ReplayResult]],
    send: Send,
) -> list[Future[SessionResult]]:
    """One future per run, resolving to its :class:`SessionResult`: each run starts from
    its first answer (``first[i]`` answers ``requests[i]``) and sends its next steps
    through ``send`` as each answer arrives (on the engine's thread: no one waits, so
    the sessions of many cases advance at once). A step that fails fails its run."""
    futures: list[Future[SessionResult]] = []
    for request, answer in zip(requests, first, strict=True):
        done: Future[SessionResult] = Future()
        _advance(_Run(recording, request), answer, send, done)
        futures.append(done)
    return futures


def _advance(
    run: _Run, answer: Future[ReplayResult], send: Send, done: Future[SessionResult]
) -> None:
    def taken(step: Future[ReplayResult]) -> None:
        try:
            run.take(step.result())
            if run.done:
                done.set_result(run.result())
            else:
                _advance(run, send([run.next_request()])[0], send, done)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting item
            done.set_exception(exc)

    answer.add_done_callback(taken)
