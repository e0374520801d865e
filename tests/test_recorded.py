"""``--llm-replay recorded``: every case must catch its bug and accept the good answer."""

from __future__ import annotations

RECORDED = ("--llm-regressions", "--llm-replay", "recorded")

CASE = """\
version: 1
id: refund
label: stale_policy_retrieval
status: {status}
source: {{trace_id: 4bf92f3577b34da6a3ce929d0e0e4736, span_id: 00f067aa0ba902b7}}
model: {{name: openai/gpt-4o-mini-2024-07-18}}
request: {{messages: [{{role: user, content: "Can I return it?"}}]}}
observed: {{output: {observed!r}}}
{expected}checks:
  - not_contains: "30 days"
  - contains: "14 days"
"""


def case(observed: str, expected: str | None = None, status: str = "open") -> str:
    exp = f"expected: {{output: {expected!r}}}\n" if expected is not None else ""
    return CASE.format(observed=observed, expected=exp, status=status)


def test_case_that_catches_its_bug_passes(pytester, write_case) -> None:
    write_case("a.yaml", case("Yes, 30 days.", "Within 14 days."))
    pytester.runpytest(*RECORDED).assert_outcomes(passed=1)


def test_case_whose_checks_pass_on_the_failure_fails(pytester, write_case) -> None:
    write_case("a.yaml", case("Within 14 days.", "Within 14 days.", status="fixed"))
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "this case does not detect its recorded failure: every check passes on 'observed'",
            "case:    refund",
            "label:   stale_policy_retrieval",
            "status:  fixed",
            "trace:   4bf92f3577b34da6a3ce929d0e0e4736  span 00f067aa0ba902b7",
            "on observed:",
            "  ok   not_contains: '30 days'*",
            "  output: Within 14 days.",
            "FAILED regressions/a.yaml::refund*",
        ]
    )


def test_checks_that_reject_the_expected_answer_fail(pytester, write_case) -> None:
    write_case("a.yaml", case("Yes, 30 days.", "You have two weeks."))
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "the checks reject the known-good 'expected' output",
            "on expected:",
            "  FAIL contains: '14 days'  -- missing '14 days' in output 'You have two weeks.'",
        ]
    )


def test_expected_is_optional(pytester, write_case) -> None:
    write_case("a.yaml", case("Yes, 30 days."))
    pytester.runpytest(*RECORDED).assert_outcomes(passed=1)


def test_status_does_not_matter_in_recorded_mode(pytester, write_case) -> None:
    write_case("a.yaml", case("Yes, 30 days.", "Within 14 days.", status="open"))
    write_case(
        "b.yaml",
        case("Yes, 30 days.", "Within 14 days.", status="fixed").replace("id: refund", "id: b"),
    )
    pytester.runpytest(*RECORDED).assert_outcomes(passed=2)


def test_case_without_observed_cannot_be_verified(pytester, write_case) -> None:
    text = case("x").replace("observed: {output: 'x'}\n", "")
    write_case("a.yaml", text)
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*case has no 'observed' section*"])


def test_structured_diff_is_shown_for_matches_expected(pytester, write_case) -> None:
    write_case(
        "a.yaml",
        """\
        version: 1
        id: invoice
        label: malformed_json_output
        model: {name: openai/gpt-4o-mini-2024-07-18}
        request: {messages: [{role: user, content: total?}]}
        observed: {output: '{"total": 12.0, "currency": "USD"}'}
        expected: {output: {total: 12.5, currency: USD}}
        checks: [{matches_expected: true}]
        """,
    )
    # Pass the expected one but show the diff by turning the case around.
    pytester.runpytest(*RECORDED).assert_outcomes(passed=1)
    path = pytester.path / "regressions" / "a.yaml"
    path.write_text(path.read_text().replace("12.0", "12.5"))
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*every check passes on 'observed'*"])


def test_matches_expected_failure_shows_deepdiff(pytester, write_case) -> None:
    write_case(
        "a.yaml",
        """\
        version: 1
        id: invoice
        label: malformed_json_output
        model: {name: openai/gpt-4o-mini-2024-07-18}
        request: {messages: [{role: user, content: total?}]}
        observed: {output: '{"total": 12.0, "currency": "USD"}'}
        expected: {output: {total: 12.5, currency: USD}}
        checks: [{matches_expected: true}, {contains: "EUR"}]
        """,
    )
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  FAIL matches_expected: True  -- output differs from expected.output (values changed)",
            "*Value of root[[]'total'] changed from 12.5 to 12.0*",
        ]
    )


def test_no_plugin_frames_in_failure_output(pytester, write_case) -> None:
    write_case("a.yaml", case("Within 14 days."))
    out = pytester.runpytest(*RECORDED).stdout.str()
    assert "llm_regressions/" not in out and "Traceback" not in out


def test_live_mode_is_an_error_not_a_failure_until_available(pytester, write_case) -> None:
    write_case("a.yaml", case("Yes, 30 days."))
    result = pytester.runpytest("--llm-regressions")
    result.assert_outcomes(errors=1)


def test_recorded_tool_call_arguments_may_be_json_strings(pytester, write_case) -> None:
    write_case(
        "a.yaml",
        """\
        version: 1
        id: tools
        label: invalid_tool_arguments
        model: {name: openai/gpt-4o-mini-2024-07-18}
        request:
          messages: [{role: user, content: where is A-1?}]
          tools:
            - type: function
              function:
                name: lookup_order
                parameters: {type: object, properties: {order_id: {type: string}}, required: [order_id]}
        observed:
          tool_calls: [{name: lookup_order, arguments: '{"id": 1}'}]
        expected:
          tool_calls: [{name: lookup_order, arguments: '{"order_id": "A-1"}'}]
        checks:
          - tool_args_valid: true
          - tool_called: {name: lookup_order, args: {order_id: A-1}}
        """,
    )
    pytester.runpytest(*RECORDED).assert_outcomes(passed=1)
