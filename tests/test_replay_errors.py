"""Provider trouble is a pytest ERROR with one actionable line, never a FAILURE."""

from __future__ import annotations

import pytest

from replay_support import CHEAP_RECORDING, COSTLY_USAGE, live_case
from stub_support import Fault, Reply

NO_INTERNALS = ("Traceback", "litellm/", "site-packages")


def assert_one_clean_error(result, *lines: str) -> None:
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(list(lines))
    text = result.stdout.str()
    for marker in NO_INTERNALS:
        assert marker not in text, f"{marker!r} leaked into the report"


@pytest.mark.parametrize(
    ("fault", "sent", "line"),
    [
        (
            Fault("status", 500),
            2,
            "*openai failed for openai/gpt-4o-mini-2024-07-18 after 1 retry (500: *); retry later",
        ),
        (
            Fault("status", 429, retry_after=0.01),
            None,  # as many as fit in --llm-timeout (waiting out 429s uses no retry)
            "*openai rate-limited openai/gpt-4o-mini-2024-07-18 after waiting *s on rate "
            "limits and 1 retry (429: *); raise --llm-timeout*or --llm-retries, or retry later",
        ),
        (
            Fault("status", 401),
            1,
            "*openai rejected the credentials for openai/gpt-4o-mini-2024-07-18 (401: *); "
            "check the API key*or run with --llm-replay recorded",
        ),
        (Fault("status", 403), 1, "*openai rejected the credentials*(403: *"),
        (Fault("status", 400), 1, "*openai refused the request*(400: *"),
        (
            Fault("status", 404),
            1,
            "*openai does not know model openai/gpt-4o-mini-2024-07-18 (404: *); fix model.name*",
        ),
        (
            Fault("slow", seconds=3),
            2,
            "*openai/gpt-4o-mini-2024-07-18 did not answer within 0.3s after 1 retry; "
            "raise --llm-timeout*",
        ),
        (Fault("drop"), None, "*cannot connect to openai*check the network and api_base*"),
        (Fault("malformed"), None, "*answered with a malformed response*"),
        (Fault("empty_choices"), 1, "*answered with a malformed response (no choices)*"),
    ],
    ids=["500", "429", "401", "403", "400", "404", "timeout", "drop", "malformed", "empty"],
)
def test_fault_is_one_line_error(pytester, write_case, llm_stub, fault, sent, line):
    llm_stub.script("trouble", fault)
    write_case("t.yaml", live_case("trouble"))
    # Only the slow fault and the 429 (waited out for --llm-timeout) need a short
    # timeout; elsewhere it would turn a busy machine's slow answer into a timeout and
    # test the wrong message.
    short = fault.kind == "slow" or fault.status == 429
    timeout = ["--llm-timeout=0.3"] if short else []
    result = pytester.runpytest(*llm_stub.args(*timeout))
    assert_one_clean_error(result, line)
    if sent is not None:  # retries: the first attempt plus --llm-retries, never for a 4xx
        assert len(llm_stub.received("trouble")) == sent


def test_retries_recover_from_a_transient_fault(pytester, write_case, llm_stub):
    llm_stub.script("transient", Fault("status", 503), Reply("14 days"))
    write_case("t.yaml", live_case("transient"))
    pytester.runpytest(*llm_stub.args("--llm-retries=2")).assert_outcomes(passed=1)
    assert len(llm_stub.received("transient")) == 2


def test_connection_refused(pytester, write_case, llm_stub):
    write_case("t.yaml", live_case("refused"))
    args = [a for a in llm_stub.args() if not a.startswith("--llm-api-base")]
    result = pytester.runpytest(*args, "--llm-api-base=http://127.0.0.1:9/v1")
    assert_one_clean_error(
        result, "*cannot connect to openai for openai/gpt-4o-mini-2024-07-18*api_base*"
    )
    assert "SSLContext" not in result.stdout.str() and "ssl:" not in result.stdout.str()


def test_missing_key_is_grouped_in_the_summary(pytester, write_case, llm_stub, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    for name in ("one", "two", "three"):
        write_case(f"{name}.yaml", live_case(name))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*OPENAI_API_KEY is not set for openai/gpt-4o-mini-2024-07-18; set it, or run "
            "with --llm-replay recorded",
            "*llm regressions*",
            "3 cases could not reach openai: no API key",
        ]
    )
    assert llm_stub.received() == []


def test_trouble_never_counts_as_a_failure(pytester, write_case, llm_stub):
    llm_stub.script("good", Reply("14 days"))
    llm_stub.script("bad", Fault("status", 500))
    write_case("good.yaml", live_case("good"))
    write_case("bad.yaml", live_case("bad"))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["1 case could not reach openai: server error"])


def test_max_cost_stops_sending_and_skips_the_rest(pytester, write_case, llm_stub):
    for n in range(4):
        llm_stub.script(f"budget {n}", Reply("14 days", usage=COSTLY_USAGE))
        write_case(f"b{n}.yaml", live_case(f"b{n}", f"budget {n}", **CHEAP_RECORDING))
    result = pytester.runpytest(
        *llm_stub.args("--llm-max-cost=0.00001", "--llm-concurrency=1", "-rs")
    )
    result.assert_outcomes(passed=1, skipped=3)
    assert len(llm_stub.received("budget")) == 1
    result.stdout.fnmatch_lines(
        [
            "*3 case(s) skipped without being sent*",
            "cost: $0.000045 total*",
            "SKIPPED [1] regressions/b3.yaml:1: not sent: --llm-max-cost $0.00001 reached "
            "(spent $0.000045)",
        ]
    )


def test_cases_left_unsent_by_the_budget_are_not_passes(pytester, write_case, llm_stub):
    """A threshold gate never passes a run that did not send most of its cases."""
    for n in range(5):
        llm_stub.script(f"budget {n}", Reply("14 days", usage=COSTLY_USAGE))
        write_case(f"b{n}.yaml", live_case(f"b{n}", f"budget {n}", **CHEAP_RECORDING))
    args = ("--llm-max-cost=0.00001", "--llm-concurrency=1", "--llm-min-pass-rate=0.8")
    result = pytester.runpytest(*llm_stub.args(*args))
    result.assert_outcomes(passed=1, skipped=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["pass rate: 1/5 fixed cases (20.0%)", "*pass rate 1/5 = 20.0% is below*"]
    )


def test_max_cost_is_one_budget_across_xdist_workers(pytester, write_case, llm_stub):
    """Two workers share the session's budget; they do not each spend it."""
    for n in range(24):
        llm_stub.script(f"shared budget {n}", Reply("14 days", usage=COSTLY_USAGE))
        case = live_case(f"b{n:02d}", f"shared budget {n}", **CHEAP_RECORDING)
        write_case(f"b{n:02d}.yaml", case)
    four_calls = 4 * 0.000045  # gpt-4o-mini's price of COSTLY_USAGE
    args = ("-n", "2", f"--llm-max-cost={four_calls}", "--llm-concurrency=1")
    result = pytester.runpytest_subprocess(*llm_stub.args(*args))
    sent = len(llm_stub.received("shared budget"))
    # the budget stops new calls; at most one call per worker was already in flight
    assert 4 <= sent <= 6, sent  # each worker on its own budget sent 8 or more
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == sent and outcomes["skipped"] == 24 - sent
