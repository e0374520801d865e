"""Cost before spend (issue 14, item 3): ``--llm-estimate`` sends nothing and prices the
run; ``--llm-max-cost`` refuses a run whose estimate is over it, or with
``--llm-max-cost-partial`` runs what fits, golden cases first."""

from __future__ import annotations

import pytest

from llm_regressions.replay.prices import price_of
from llm_regressions.replay.result import usd
from replay_support import live_case
from stub_support import Reply

MINI = "openai/gpt-4o-mini-2024-07-18"
USAGE = {
    "observed": {"output": "30 days", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}}
}


def per_call(model: str = MINI, tokens_in: float = 1000, tokens_out: float = 100) -> float:
    price = price_of(model)
    assert price is not None, model
    return price.cost(tokens_in, tokens_out)


def test_price_table_is_litellms_own_read_without_importing_it():
    price = price_of(MINI)
    assert price is not None and price.input > 0 and price.output > price.input
    assert price_of("gpt-4o-mini-2024-07-18") == price  # the bare name is the same entry
    assert price_of("openai/no-such-model-2099") is None


def test_estimate_sends_nothing_and_prices_every_call(pytester, write_case, llm_stub):
    write_case("a.yaml", live_case("a", repeat=3, **USAGE))
    write_case("b.yaml", live_case("b", **USAGE))
    result = pytester.runpytest(*llm_stub.args("--llm-estimate"))
    assert result.ret == 0
    assert llm_stub.requests == []
    total = usd(4 * per_call())
    result.stdout.fnmatch_lines(["*2 deselected*"])
    result.stdout.fnmatch_lines(
        [
            f"estimate, nothing sent: 4 calls for 2 case(s), {total}",
            f"  {MINI}: 4 calls, 4,000 tokens in, 400 out, $*",
        ]
    )


def test_estimate_counts_judge_calls_and_adaptive_repeats(pytester, write_case, llm_stub):
    judge = {"llm_judge": {"criteria": "Does it say 14 days?", "model": "openai/gpt-4o-2024-08-06"}}
    write_case(
        "a.yaml",
        live_case("a", repeat={"min": 2, "max": 5}, checks=[judge], **USAGE),
    )
    result = pytester.runpytest(*llm_stub.args("--llm-estimate", "--llm-judge-repeat=2"))
    assert result.ret == 0 and llm_stub.requests == []
    result.stdout.fnmatch_lines(
        [
            "estimate, nothing sent: 6 calls for 1 case(s), $*",
            "  openai/gpt-4o-2024-08-06 (judge): 4 calls, *",
            f"  {MINI}: 2 calls, 2,000 tokens in, 200 out, $*",
            "adaptive repeats: up to 9 more calls, $* more",
        ]
    )


def test_calls_without_a_price_are_counted_apart(pytester, write_case, llm_stub):
    write_case("a.yaml", live_case("a", model="openai/no-such-model-2099-01-01", **USAGE))
    write_case("b.yaml", live_case("b", **USAGE))
    result = pytester.runpytest(*llm_stub.args("--llm-estimate"))
    result.stdout.fnmatch_lines(
        [
            f"estimate, nothing sent: 2 calls for 2 case(s), {usd(per_call())} "
            "(+ 1 calls without a price)",
            "  openai/no-such-model-2099-01-01: 1 calls, *, no price in litellm's table",
        ]
    )


def test_cases_without_recorded_usage_are_estimated_from_their_text(pytester, write_case, llm_stub):
    write_case("a.yaml", live_case("a"))
    result = pytester.runpytest(*llm_stub.args("--llm-estimate"))
    result.stdout.fnmatch_lines(
        ["1 case(s) without recorded token usage: tokens estimated from text length*"]
    )


def test_cached_calls_are_not_counted(pytester, write_case, llm_stub):
    llm_stub.script("a", Reply("14 days"))
    write_case("a.yaml", live_case("a", repeat=2, **USAGE))
    write_case("b.yaml", live_case("b", **USAGE))
    pytester.runpytest(*llm_stub.args("--llm-replay=cached", "regressions/a.yaml"))
    result = pytester.runpytest(*llm_stub.args("--llm-replay=cached", "--llm-estimate"))
    result.stdout.fnmatch_lines(
        [
            "estimate, nothing sent: 1 calls for 2 case(s), $*",
            "cached: 2 calls answered from the cache (not counted)",
        ]
    )


def test_over_budget_refuses_to_start(pytester, write_case, llm_stub):
    write_case("a.yaml", live_case("a", repeat=3, **USAGE))
    budget = 2 * per_call()
    result = pytester.runpytest(*llm_stub.args(f"--llm-max-cost={budget}"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert llm_stub.requests == []
    result.stderr.fnmatch_lines(
        ["ERROR: the estimate for this run is $*, over --llm-max-cost $*: nothing sent.*"]
    )


def test_partial_runs_what_fits_golden_first(pytester, write_case, llm_stub):
    llm_stub.script("case", Reply("14 days"))
    for name in ("case-1", "case-2", "case-3"):
        write_case(f"{name}.yaml", live_case(name, **USAGE))
    write_case("case-4.yaml", live_case("case-4", golden=True, **USAGE))
    budget = 2.5 * per_call()
    result = pytester.runpytest(
        *llm_stub.args(f"--llm-max-cost={budget}", "--llm-max-cost-partial", "-rs")
    )
    result.assert_outcomes(passed=2, skipped=2)
    sent = {r["messages"][-1]["content"] for r in llm_stub.requests}
    assert sent == {"case-4", "case-1"}  # the golden case first, then in run order
    result.stdout.fnmatch_lines(
        ["SKIPPED * not sent: does not fit --llm-max-cost $* (--llm-max-cost-partial ran*"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-max-cost-partial"], "*--llm-max-cost-partial needs a budget*"),
        (["--llm-estimate", "-n", "2"], "*--llm-estimate sends nothing*run it with -n 0*"),
        (["--llm-estimate"], None),
    ],
)
def test_flag_combinations(pytester, write_case, args, message):
    write_case("refund.yaml")
    result = pytester.runpytest("--llm-regressions", "--llm-replay=recorded", *args)
    if message is None:
        assert result.ret == 0  # recorded mode: nothing to send, an estimate of 0 calls
        result.stdout.fnmatch_lines(["estimate, nothing sent: 0 calls for 1 case(s), $0*"])
    else:
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([message])
