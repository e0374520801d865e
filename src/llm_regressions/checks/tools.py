"""Checks on the tool calls a model made: which, with what arguments, how often."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llm_regressions.checks.base import Check, CheckArgsError, CheckResult, same_json
from llm_regressions.checks.schemas import schema_problem
from llm_regressions.replay import ReplayResult, ToolCall


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _is_subset(want: Any, got: Any) -> bool:
    """True when every key/value in ``want`` appears in ``got`` (recursively for dicts)."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(
            k in got and _is_subset(v, got[k]) for k, v in want.items()
        )
    return same_json(want, got)


def _names(calls: list[ToolCall]) -> str:
    return ", ".join(c.name for c in calls) or "none"


class ToolCallArgs(_Args):
    name: str = Field(..., min_length=1)
    args: dict[str, Any] | None = Field(None, description="Arguments that must be present.")


class _ToolMatch(Check):
    Args = str | ToolCallArgs

    def setup(self) -> None:
        self.want = self.arg if isinstance(self.arg, ToolCallArgs) else ToolCallArgs(name=self.arg)

    def _matching(self, result: ReplayResult) -> list[ToolCall]:
        return [
            call
            for call in result.tool_calls
            if call.name == self.want.name
            and (self.want.args is None or _is_subset(self.want.args, call.arguments))
        ]

    def _what(self) -> str:
        args = f" with {json.dumps(self.want.args)}" if self.want.args else ""
        return f"{self.want.name!r}{args}"


class ToolCalled(_ToolMatch):
    """The model called the tool (with at least the given arguments)."""

    name = "tool_called"
    family = "tools"

    def score(self, result, case):
        if self._matching(result):
            return CheckResult(True, f"called {self._what()}")
        return CheckResult(False, f"{self._what()} not called (calls: {_names(result.tool_calls)})")


class ToolNotCalled(_ToolMatch):
    """The model did not call the tool (with those arguments, when given)."""

    name = "tool_not_called"
    family = "tools"

    def score(self, result, case):
        hits = self._matching(result)
        if hits:
            return CheckResult(
                False, f"called {self._what()} {len(hits)}x: {json.dumps(hits[0].arguments)}"
            )
        return CheckResult(True, f"{self._what()} not called")


def offered_tools(case) -> dict[str, Any]:
    """Tool name -> JSON Schema of its parameters, from the case's request."""
    tools: dict[str, Any] = {}
    for tool in case.request.tools if case.request else ():
        function = tool.get("function", tool)
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            tools[function["name"]] = function.get("parameters") or {"type": "object"}
    return tools


def _parameters_problem(schema: Any) -> str | None:
    """Why a tool's ``parameters`` cannot validate arguments, or None."""
    if not isinstance(schema, (dict, bool)):
        return "not a JSON Schema object"
    problem = schema_problem(schema)
    return problem[0] if problem else None


class ToolArgsValidArgs(_Args):
    name: str | None = Field(None, description="Only check calls of this tool.")


class ToolArgsValid(Check):
    """Every tool call names an offered tool and its arguments validate against that
    tool's JSON Schema (catches hallucinated tools and arguments)."""

    name = "tool_args_valid"
    family = "tools"
    Args = Literal[True] | ToolArgsValidArgs

    def validate_case(self, case) -> None:
        tools = offered_tools(case)
        if not tools:
            raise CheckArgsError("needs 'request.tools': the tool schemas offered to the model")
        for name, schema in tools.items():
            problem = _parameters_problem(schema)
            if problem:
                raise CheckArgsError(f"tool {name!r}: parameters are no JSON Schema: {problem}")

    def score(self, result, case):
        from jsonschema import validators
        from referencing.exceptions import Unresolvable

        only = self.arg.name if isinstance(self.arg, ToolArgsValidArgs) else None
        tools = offered_tools(case)
        calls = [c for c in result.tool_calls if only is None or c.name == only]
        for call in calls:
            if call.name not in tools:
                return CheckResult(
                    False, f"called {call.name!r}, which was not offered ({', '.join(tools)})"
                )
            if not isinstance(call.arguments, dict):
                return CheckResult(False, f"{call.name!r} arguments are not a JSON object")
            schema = tools[call.name]
            validator = validators.validator_for(schema)(schema)
            try:
                error = next(iter(validator.iter_errors(call.arguments)), None)
            except Unresolvable as exc:
                return CheckResult(False, f"{call.name!r} schema: a $ref does not resolve: {exc}")
            if error is not None:
                return CheckResult(False, f"{call.name!r} arguments invalid: {error.message}")
        return CheckResult(True, f"{len(calls)} tool call(s) have valid arguments")


class MaxRepeatedToolCalls(Check):
    """No tool is called more than N times with identical arguments (a stuck loop)."""

    name = "max_repeated_tool_calls"
    family = "tools"
    Args = int

    def setup(self) -> None:
        if self.arg < 1:
            raise CheckArgsError("must be 1 or more")

    def score(self, result, case):
        counts = Counter(
            (c.name, json.dumps(c.arguments, sort_keys=True, default=str))
            for c in result.tool_calls
        )
        if not counts:
            return CheckResult(True, "no tool calls")
        (name, args), times = counts.most_common(1)[0]
        if times > self.arg:
            return CheckResult(
                False, f"{name!r} called {times}x with the same arguments {args} (max {self.arg})"
            )
        return CheckResult(True, f"at most {times} identical call(s) (max {self.arg})")
