"""Each built-in check passes and fails where it should, with a useful reason."""

from __future__ import annotations

import pytest

from llm_regressions.casefile.model import Case
from llm_regressions.checks import CheckArgsError, CheckError, CheckResult
from llm_regressions.checks.registry import BUILTIN_CHECKS, build_check
from llm_regressions.replay import ReplayResult, ToolCall

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string", "pattern": "^A-[0-9]+$"}},
                "required": ["order_id"],
                "additionalProperties": False,
            },
        },
    }
]


def make_case(**overrides) -> Case:
    data = {
        "version": 1,
        "id": "c",
        "label": "some_label",
        "model": {"name": "openai/gpt-4o-mini-2024-07-18"},
        "request": {"messages": [{"role": "user", "content": "hi"}], "tools": TOOLS},
        "checks": [{"contains": "x"}],
        "expected": {"output": '{"total": 12.5, "items": ["a", "b"], "id": "x1"}'},
    }
    data.update(overrides)
    return Case.model_validate(data)


def run(name: str, arg, output: str | None = None, case: Case | None = None, **fields):
    check = build_check(name, arg)
    case = case or make_case()
    check.validate_case(case)
    return check.score(ReplayResult(output=output, **fields), case)


def calls(*pairs) -> list[ToolCall]:
    return [ToolCall(name=n, arguments=a) for n, a in pairs]


CASES = [
    # (check, argument, result fields, expected pass)
    ("equals", "Yes", {"output": " Yes\n"}, True),
    ("equals", {"value": "yes", "ignore_case": True}, {"output": "YES"}, True),
    ("equals", "Yes", {"output": "No"}, False),
    ("contains", "14 days", {"output": "within 14 days"}, True),
    ("contains", ["14 days", "receipt"], {"output": "within 14 days"}, False),
    ("contains", {"text": "DAYS", "ignore_case": True}, {"output": "14 days"}, True),
    ("not_contains", "30 days", {"output": "30 days"}, False),
    ("not_contains", "30 days", {"output": "14 days"}, True),
    ("regex", r"\b14 days\b", {"output": "in 14 days."}, True),
    ("regex", {"pattern": "^refund", "ignore_case": True}, {"output": "Refund ok"}, True),
    ("not_regex", r"\d{2} days", {"output": "30 days"}, False),
    ("max_chars", 5, {"output": "123456"}, False),
    ("max_chars", 6, {"output": "123456"}, True),
    ("ascii_only", True, {"output": "caf\u00e9"}, False),
    ("ascii_only", True, {"output": "cafe"}, True),
    ("not_refusal", True, {"output": "I\u2019m sorry, but I can\u2019t help with that."}, False),
    ("not_refusal", True, {"output": ""}, False),
    (
        "not_refusal",
        {"extra_phrases": ["please contact support"]},
        {"output": "Please contact support."},
        False,
    ),
    ("not_refusal", True, {"output": "Your refund is on its way."}, True),
    ("not_refusal", True, {"output": "I'm sorry, but I can only refund the grill."}, True),
    ("not_refusal", True, {"output": "I'm sorry, but I cannot share that."}, False),
    ("json_valid", True, {"output": '{"a": 1}'}, True),
    ("json_valid", True, {"output": '{"a": 1'}, False),
    ("json_valid", {"allow_code_fence": True}, {"output": '```json\n{"a": 1}\n```'}, True),
    ("json_valid", True, {"output": '```json\n{"a": 1}\n```'}, False),
    ("json_schema", {"type": "object", "required": ["total"]}, {"output": '{"total": 1}'}, True),
    ("json_schema", {"type": "object", "required": ["total"]}, {"output": '{"sum": 1}'}, False),
    ("json_schema", {"type": "object"}, {"output": "not json"}, False),
    (
        "json_path",
        {"path": "$.order.status", "equals": "shipped"},
        {"output": '{"order": {"status": "shipped"}}'},
        True,
    ),
    ("json_path", {"path": "$.items[1]", "equals": "b"}, {"output": '{"items": ["a", "b"]}'}, True),
    ("json_path", {"path": "$.items", "contains": "c"}, {"output": '{"items": ["a", "b"]}'}, False),
    (
        "json_path",
        {"path": "$.note", "contains": "refund"},
        {"output": '{"note": "refund sent"}'},
        True,
    ),
    ("json_path", {"path": "$.missing", "exists": False}, {"output": "{}"}, True),
    (
        "json_path",
        {"path": "$.needs_human", "equals": True},
        {"output": '{"needs_human": 1}'},
        False,
    ),
    ("json_path", {"path": "$.n", "equals": 1}, {"output": '{"n": 1.0}'}, True),
    ("json_path", {"path": "$.missing", "equals": 1}, {"output": "{}"}, False),
    (
        "matches_expected",
        True,
        {"output": '{"id": "x1", "items": ["a", "b"], "total": 12.5}'},
        True,
    ),
    (
        "matches_expected",
        True,
        {"output": '{"id": "x1", "items": ["b", "a"], "total": 12.5}'},
        False,
    ),
    (  # identical but for a type: still a difference (12.5 as text, an id as a number)
        "matches_expected",
        True,
        {"output": '{"id": "x1", "items": ["a", "b"], "total": "12.5"}'},
        False,
    ),
    (
        "matches_expected",
        {"ignore_order": True},
        {"output": '{"id": 1, "items": ["a", "b"], "total": 12.5}'},
        False,
    ),
    (
        "matches_expected",
        {"ignore_order": True},
        {"output": '{"id": "x1", "items": ["b", "a"], "total": 12.5}'},
        True,
    ),
    (
        "matches_expected",
        {"exclude_paths": ["root['id']"], "significant_digits": 1},
        {"output": '{"id": "zz", "items": ["a", "b"], "total": 12.51}'},
        True,
    ),
    (
        "tool_called",
        "lookup_order",
        {"tool_calls": calls(("lookup_order", {"order_id": "A-1"}))},
        True,
    ),
    (
        "tool_called",
        {"name": "lookup_order", "args": {"order_id": "A-2"}},
        {"tool_calls": calls(("lookup_order", {"order_id": "A-1"}))},
        False,
    ),
    ("tool_called", "escalate", {"tool_calls": []}, False),
    (
        "tool_called",
        {"name": "refund", "args": {"notify": True}},
        {"tool_calls": calls(("refund", {"notify": 1}))},
        False,
    ),
    ("tool_not_called", "create_refund", {"tool_calls": calls(("create_refund", {}))}, False),
    ("tool_not_called", "create_refund", {"tool_calls": calls(("lookup_order", {}))}, True),
    ("tool_args_valid", True, {"tool_calls": calls(("lookup_order", {"order_id": "A-1"}))}, True),
    ("tool_args_valid", True, {"tool_calls": calls(("lookup_order", {"order_id": "1"}))}, False),
    ("tool_args_valid", True, {"tool_calls": calls(("delete_account", {}))}, False),
    ("tool_args_valid", True, {"tool_calls": calls(("lookup_order", "{not json"))}, False),
    (
        "max_repeated_tool_calls",
        2,
        {"tool_calls": calls(*[("lookup_order", {"order_id": "A-1"})] * 3)},
        False,
    ),
    (
        "max_repeated_tool_calls",
        2,
        {
            "tool_calls": calls(
                ("lookup_order", {"order_id": "A-1"}), ("lookup_order", {"order_id": "A-2"})
            )
        },
        True,
    ),
    ("finish_reason", "stop", {"finish_reason": "length"}, False),
    ("finish_reason", ["stop", "tool_calls"], {"finish_reason": "tool_calls"}, True),
    ("max_latency_ms", 2000, {"latency_ms": 2500.0}, False),
    ("max_latency_ms", 2000, {"latency_ms": 1500.0}, True),
    ("max_output_tokens", 100, {"usage": {"completion_tokens": 400}}, False),
    ("max_output_tokens", 100, {"usage": {"completion_tokens": 40}}, True),
    ("max_cost_usd", 0.01, {"cost_usd": 0.02}, False),
    ("max_cost_usd", 0.01, {"cost_usd": 0.002}, True),
]


@pytest.mark.parametrize(("name", "arg", "fields", "passes"), CASES)
def test_builtin_check(name, arg, fields, passes) -> None:
    result = run(name, arg, **fields)
    assert result.passed is passes, result.reason
    assert result.reason and "\n" not in result.reason


def test_every_builtin_is_exercised() -> None:
    from test_trajectory_checks import EXERCISED as trajectory

    exercised = {name for name, *_ in CASES} | {"python", "llm_judge"} | trajectory
    assert exercised == set(BUILTIN_CHECKS)


def test_failure_reasons_show_what_was_found() -> None:
    assert "'30 days'" in run("not_contains", "30 days", output="Yes, 30 days.").reason
    reason = run(
        "max_repeated_tool_calls", 1, tool_calls=calls(("a", {"x": 1}), ("a", {"x": 1}))
    ).reason
    assert "'a' called 2x" in reason
    diff = run("matches_expected", True, output='{"id": "x1", "items": ["a"], "total": 12.5}')
    assert diff.detail and "root['items']" in diff.detail


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("finish_reason", {}),
        ("max_latency_ms", {}),
        ("max_output_tokens", {}),
        ("max_cost_usd", {}),
    ],
)
def test_missing_data_is_not_applicable(name, fields) -> None:
    arg = "stop" if name == "finish_reason" else 1
    result = run(name, arg, output="x", **fields)
    assert result.applicable is False


@pytest.mark.parametrize(
    ("name", "arg", "message"),
    [
        ("regex", "(", "invalid regular expression"),
        ("json_schema", {"type": "objekt"}, "invalid JSON Schema"),
        ("json_path", {"path": "$..x", "equals": 1}, "invalid path"),
        ("json_path", {"path": "$.x"}, "exactly one of"),
        ("max_chars", -1, "must be zero or more"),
        ("contains", "", "non-empty"),
        ("ascii_only", False, "true"),
        ("python", "not a reference", "not a 'module:function' reference"),
        ("nonexistent", 1, "unknown check"),
    ],
)
def test_bad_arguments_are_rejected(name, arg, message) -> None:
    with pytest.raises(CheckArgsError) as info:
        build_check(name, arg)
    assert message.lower() in info.value.message.lower()


def test_a_bad_field_of_a_mapping_argument_is_named() -> None:
    """``str | RegexArgs``: the mapping's field, not "should be a valid string"."""
    with pytest.raises(CheckArgsError) as info:
        build_check("regex", {"pattern": "x", "ignore_case": "perhaps"})
    assert info.value.path == ("ignore_case",)
    assert "valid boolean" in info.value.message
    with pytest.raises(CheckArgsError) as info:
        build_check("regex", 5)
    assert info.value.path == () and "valid string" in info.value.message


def test_matches_expected_tells_1_from_1_0_and_true() -> None:
    """Equal in Python, not the same JSON: DeepDiff's verdict, not a shortcut's."""
    for output in ('{"n": 1.0}', '{"n": true}'):
        case = make_case(expected={"output": '{"n": 1}'})
        assert not run("matches_expected", True, output=output, case=case).passed
    assert run("matches_expected", True, output='{"n": 1}', case=case).passed


def test_a_schema_checked_once_is_judged_alike_each_time_and_told_apart_by_type() -> None:
    """Schemas are meta-checked once per distinct schema (cases repeat them): a remembered
    answer is the same answer, and ``1`` is not ``True`` is not ``'1'``."""
    for _ in range(2):
        assert build_check("json_schema", {"type": "object", "minProperties": 1})
        for bad in (True, "1"):
            with pytest.raises(CheckArgsError) as info:
                build_check("json_schema", {"type": "object", "minProperties": bad})
            assert info.value.path == ("minProperties",)
        build_check("tool_args_valid", True).validate_case(make_case())
        tools = [{"function": {"name": "f", "parameters": {"type": "objekt"}}}]
        messages = [{"role": "user", "content": "hi"}]
        with pytest.raises(CheckArgsError, match="'f': parameters are no JSON Schema"):
            build_check("tool_args_valid", True).validate_case(
                make_case(request={"messages": messages, "tools": tools})
            )


def test_tool_args_valid_needs_offered_tools() -> None:
    check = build_check("tool_args_valid", True)
    with pytest.raises(CheckArgsError, match="request.tools"):
        check.validate_case(make_case(request={"messages": [{"role": "user", "content": "q"}]}))


@pytest.mark.parametrize(
    "parameters",
    [{"type": "nonsense"}, {"type": "object", "properties": "x"}, "x"],
    ids=["unknown-type", "properties-not-an-object", "not-an-object"],
)
def test_tool_args_valid_needs_schemas_that_are_json_schema(parameters) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": parameters}}]
    case = make_case(request={"messages": [{"role": "user", "content": "q"}], "tools": tools})
    with pytest.raises(CheckArgsError, match="tool 'f': parameters are no JSON Schema"):
        build_check("tool_args_valid", True).validate_case(case)


def test_tool_args_valid_with_a_ref_that_does_not_resolve_fails_without_crashing() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"$ref": "#/x"}}}]
    case = make_case(request={"messages": [{"role": "user", "content": "q"}], "tools": tools})
    result = run("tool_args_valid", True, case=case, tool_calls=calls(("f", {"a": 1})))
    assert not result.passed and "$ref does not resolve" in result.reason


def test_python_check_calls_the_function(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        mychecks="""
        from llm_regressions.checks import CheckResult

        def polite(result, case, word="please"):
            return word in (result.output or ""), f"looked for {word!r}"

        def rich(result, case):
            return CheckResult(False, "rich result")

        def bad(result, case):
            return "yes"
        """
    )
    pytester.syspathinsert()
    assert run("python", "mychecks:polite", output="please wait").passed
    assert not run(
        "python", {"function": "mychecks:polite", "args": {"word": "thanks"}}, output="x"
    ).passed
    assert run("python", "mychecks:rich", output="x") == CheckResult(False, "rich result")
    with pytest.raises(CheckError, match="return a bool"):
        run("python", "mychecks:bad", output="x")
