"""Trajectory checks and session argument matching, on hand-built runs (no model)."""

from __future__ import annotations

import pytest

from llm_regressions.casefile.model import Case
from llm_regressions.checks import CheckArgsError
from llm_regressions.checks.registry import build_check
from llm_regressions.replay import ReplayResult, ToolCall
from llm_regressions.replay.session import (
    ArgRule,
    SessionResult,
    Step,
    arguments_match,
    session_result,
)

CASE = Case.model_validate(
    {
        "version": 1,
        "id": "s",
        "label": "stuck_tool_loop",
        "model": {"name": "openai/gpt-4o-mini-2024-07-18"},
        "request": {"messages": [{"role": "user", "content": "hi"}]},
        "session": {"steps": [{"model": {"output": "x"}}]},
        "checks": [{"max_steps": 3}],
    }
)


def run_of(*moves: str | tuple[str, dict], turns: tuple[int, ...] = ()) -> SessionResult:
    """A run: each move is a final answer (str) or a tool call (name, args)."""
    steps = []
    for i, move in enumerate(moves):
        if isinstance(move, str):
            answer = ReplayResult(output=move)
        else:
            answer = ReplayResult(tool_calls=[ToolCall(move[0], move[1])])
        steps.append(Step(i + 1, turns[i] if turns else 1, answer))
    return session_result(steps)


LOOKUP = ("lookup_order", {"order_id": "A-1"})
SEARCH = ("search_kb", {"query": "refund"})
REFUND = ("create_refund", {"order_id": "A-1"})

CASES = [
    ("tool_sequence", ["lookup_order", "search_kb"], run_of(LOOKUP, SEARCH, "ok"), True),
    ("tool_sequence", ["search_kb", "lookup_order"], run_of(LOOKUP, SEARCH, "ok"), False),
    (
        "tool_sequence",
        {"tools": ["lookup_order"], "mode": "in_order"},
        run_of(SEARCH, LOOKUP),
        True,
    ),
    (
        "tool_sequence",
        {"tools": ["a", "b"], "mode": "in_order"},
        run_of(("b", {}), ("a", {})),
        False,
    ),
    (
        "tool_sequence",
        {"tools": ["b", "a"], "mode": "any_order"},
        run_of(("a", {}), ("b", {})),
        True,
    ),
    ("tool_sequence", {"tools": ["a"], "mode": "any_order"}, run_of(("a", {}), ("a", {})), False),
    ("tool_sequence", {"tools": ["a", "b"], "mode": "subset"}, run_of(("a", {}), ("a", {})), True),
    ("tool_sequence", {"tools": ["a"], "mode": "subset"}, run_of(("a", {}), ("c", {})), False),
    ("max_steps", 2, run_of(LOOKUP, "ok"), True),
    ("max_steps", 2, run_of(LOOKUP, LOOKUP, "ok"), False),
    ("no_repeated_tool_call", 2, run_of(LOOKUP, ("lookup_order", {"order_id": "A-2"})), True),
    ("no_repeated_tool_call", True, run_of(LOOKUP, ("lookup_order", {"order_id": "A-1.0"})), True),
    ("no_repeated_tool_call", 2, run_of(LOOKUP, SEARCH, LOOKUP), False),
    ("no_repeated_tool_call", {"times": 3}, run_of(LOOKUP, LOOKUP), True),
    ("no_repeated_tool_call", {"tool": "search_kb"}, run_of(LOOKUP, LOOKUP), True),
    (
        "tool_called_before",
        {"first": "lookup_order", "then": "create_refund"},
        run_of(LOOKUP, REFUND),
        True,
    ),
    (
        "tool_called_before",
        {"first": "lookup_order", "then": "create_refund"},
        run_of(REFUND, LOOKUP),
        False,
    ),
    (
        "tool_called_before",
        {"first": "lookup_order", "then": "create_refund"},
        run_of(SEARCH, "ok"),
        True,
    ),
    ("final_answer", {"contains": "14 days"}, run_of(LOOKUP, "within 14 days"), True),
    ("final_answer", [{"contains": "14"}, {"not_contains": "30"}], run_of("14 or 30"), False),
    ("final_answer", {"contains": "x"}, run_of(LOOKUP), False),
    ("at_step", {"step": 1, "check": {"contains": "hello"}}, run_of("hello", "bye"), True),
    ("at_step", {"step": 2, "check": {"contains": "hello"}}, run_of("hello", "bye"), False),
    ("at_step", {"step": 3, "check": {"contains": "hello"}}, run_of("hello"), False),
    (
        "at_turn",
        {"turn": 1, "check": {"contains": "a"}},
        run_of(LOOKUP, "a", "b", turns=(1, 1, 2)),
        True,
    ),
    (
        "at_turn",
        {"turn": 2, "check": {"contains": "a"}},
        run_of(LOOKUP, "a", "b", turns=(1, 1, 2)),
        False,
    ),
]
EXERCISED = {name for name, *_ in CASES}


@pytest.mark.parametrize(("name", "arg", "run", "passes"), CASES)
def test_trajectory_check(name, arg, run, passes) -> None:
    check = build_check(name, arg)
    check.validate_case(CASE)
    result = check.score(run, CASE)
    assert result.passed is passes, result.reason
    assert result.reason and "\n" not in result.reason


def test_a_single_answer_is_not_a_trajectory() -> None:
    assert not build_check("max_steps", 2).score(ReplayResult(output="x"), CASE).applicable


def test_a_nested_check_error_is_located_below_the_check() -> None:
    with pytest.raises(CheckArgsError) as raised:
        build_check("at_step", {"step": 1, "check": {"max_chars": "lots"}})
    assert raised.value.path[:2] == ("check", "max_chars")


def test_the_step_limit_fails_max_steps_at_its_own_count() -> None:
    run = run_of(LOOKUP, LOOKUP)
    run.stopped = "step limit reached (2 model calls)"
    assert not build_check("max_steps", 2).score(run, CASE).passed


@pytest.mark.parametrize(
    ("recorded", "replayed", "rule", "same"),
    [
        ({"a": 1, "b": "x y"}, {"b": " x   y ", "a": 1.0}, None, True),
        ('{"a": 1}', {"a": 1}, None, True),
        ({"a": 1}, {"a": 2}, None, False),
        ({"a": True}, {"a": 1}, None, False),
        ({"a": 1, "t": 5}, {"a": 1, "t": 9}, ArgRule(ignore=frozenset({"t"})), True),
        ({"q": "refund"}, {"q": "Refund policy"}, ArgRule(regex=(("q", "(?i)refund"),)), True),
        ({"q": "refund"}, {"q": "returns"}, ArgRule(regex=(("q", "refund"),)), False),
        ({"q": "refund"}, {}, ArgRule(regex=(("q", "refund"),)), False),
    ],
)
def test_arguments_match_after_normalisation(recorded, replayed, rule, same) -> None:
    assert arguments_match(recorded, replayed, rule) is same
