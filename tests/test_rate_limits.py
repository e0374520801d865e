"""Rate limits handled like a good client, against the stub's token bucket (real 429s
with ``retry-after`` and ``x-ratelimit-*`` over HTTP): waited out, never an error while
the call's time allows; the concurrency adapts; the summary and report say what it cost.
Provider faults that waiting cannot fix are named for what they are."""

from __future__ import annotations

import asyncio
import random

import pytest

from llm_regressions.replay import waits
from llm_regressions.replay.limits import DECREASE, ModelLimit, combine
from llm_regressions.report.json_report import load
from replay_support import live_case
from stub_support import Fault, Reply

MODEL = "openai/gpt-4o-mini-2024-07-18"
OK = [{"contains": "ok"}]


def write_cases(write_case, n: int) -> None:
    for i in range(n):
        write_case(f"c{i:02d}.yaml", live_case(f"c{i:02d}", checks=OK))


def test_a_rate_limited_run_waits_and_settles_below_the_ceiling(pytester, write_case, llm_stub):
    llm_stub.limit(per_minute=1200, burst=2)  # 20 requests a second, 2 at once
    write_cases(write_case, 30)
    # no retries: waiting out a 429 uses none
    args = ("--llm-concurrency=16", "--llm-retries=0", "--llm-report=r.json")
    result = pytester.runpytest(*llm_stub.args(*args))
    result.assert_outcomes(passed=30)
    assert llm_stub.throttled > 0
    assert llm_stub.throttled < 30, "the limiter backs off instead of hammering"
    result.stdout.fnmatch_lines(
        [f"rate limits: {MODEL}: waited *s, * answers 429, settled at concurrency * (ceiling 16)"]
    )
    [entry] = load(pytester.path / "r.json")["run"]["rate_limits"]  # valid against the schema
    assert entry["responses_429"] == llm_stub.throttled
    assert entry["waited_s"] > 0 and 0 < entry["settled_concurrency"] < 16


def test_a_run_never_rate_limited_says_nothing_of_it(pytester, write_case, llm_stub):
    write_cases(write_case, 3)
    result = pytester.runpytest(*llm_stub.args("--llm-report=r.json"))
    result.assert_outcomes(passed=3)
    assert "rate limits:" not in result.stdout.str()
    assert load(pytester.path / "r.json")["run"]["rate_limits"] == []


def test_xdist_workers_rate_limits_are_summed(pytester, write_case, llm_stub):
    llm_stub.limit(per_minute=600, burst=1)
    write_cases(write_case, 16)
    args = ("-n", "2", "--llm-concurrency=8", "--llm-retries=0", "--llm-report=r.json")
    result = pytester.runpytest_subprocess(*llm_stub.args(*args))
    result.assert_outcomes(passed=16)
    result.stdout.fnmatch_lines([f"rate limits: {MODEL}: waited *(ceiling *)"])
    [entry] = load(pytester.path / "r.json")["run"]["rate_limits"]
    # every worker's 429s reach the controller's report (each worker has its own
    # limiter under --llm-concurrency: a ceiling of 8 each, 16 when both were limited)
    assert entry["responses_429"] == llm_stub.throttled > 0
    assert entry["ceiling"] in (8, 16)


def test_retry_after_is_waited_without_using_a_retry(pytester, write_case, llm_stub):
    llm_stub.script("patience", Fault("status", 429, retry_after=0.3), Reply("ok"))
    write_case("p.yaml", live_case("patience", checks=OK))
    result = pytester.runpytest(*llm_stub.args("--llm-retries=0"))
    result.assert_outcomes(passed=1)
    assert len(llm_stub.received("patience")) == 2


def test_a_wait_longer_than_the_timeout_is_an_error_at_once(pytester, write_case, llm_stub):
    llm_stub.script("later", Fault("status", 429, retry_after=30))
    write_case("l.yaml", live_case("later", checks=OK))
    result = pytester.runpytest(*llm_stub.args("--llm-timeout=2"))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*openai rate-limited {MODEL} and asks to wait 30s, longer than --llm-timeout 2s*"]
    )
    assert len(llm_stub.received("later")) == 1


def test_a_used_up_quota_is_named_and_not_retried(pytester, write_case, llm_stub):
    quota = Fault(
        "status",
        429,
        message="You exceeded your current quota, please check your plan and billing details.",
        code="insufficient_quota",
    )
    llm_stub.script("broke", quota)
    write_case("q.yaml", live_case("broke", checks=OK))
    result = pytester.runpytest(*llm_stub.args("--llm-retries=2"))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*openai says the quota for {MODEL} is used up (429: *billing*"])
    assert len(llm_stub.received("broke")) == 1


def without_api_base(llm_stub, *extra: str) -> list[str]:
    return [a for a in llm_stub.args(*extra) if not a.startswith("--llm-api-base")]


def test_a_host_that_does_not_resolve_cannot_connect_and_is_not_retried(
    pytester, write_case, llm_stub
):
    write_case("t.yaml", live_case("nowhere"))
    args = without_api_base(llm_stub, "--llm-retries=2")
    result = pytester.runpytest(*args, "--llm-api-base=http://nowhere.invalid/v1")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*cannot connect to openai for {MODEL} (the host name of nowhere.invalid* does "
            "not resolve*); check the network and api_base*"
        ]
    )
    out = result.stdout.str()
    assert "after 1 retr" not in out and "server error" not in out and "ssl:" not in out


def test_the_judge_names_an_unreachable_provider_the_same_way(pytester, write_case, llm_stub):
    checks = [{"llm_judge": {"criteria": "14 days?", "model": "openai/gpt-4o-2024-08-06"}}]
    write_case("j.yaml", live_case("judged", checks=checks, observed={"output": "30 days"}))
    args = without_api_base(llm_stub, "--llm-replay=recorded")
    result = pytester.runpytest(*args, "--llm-api-base=http://127.0.0.1:9/v1")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*llm_judge: cannot connect to openai for openai/gpt-4o-2024-08-06 (*127.0.0.1:9*"]
    )
    assert "SSLContext" not in result.stdout.str() and "ssl:" not in result.stdout.str()


# -- the pieces, without a session ---------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250", "retry-after": "1"}, 0.25),
        ({"retry-after": "2"}, 2.0),
        ({"llm_provider-retry-after": "0.5"}, 0.5),  # as litellm hands a success's over
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),  # a date: litellm's parser
        ({}, None),
    ],
)
def test_retry_after_headers(headers, seconds):
    assert waits.retry_after(headers) == seconds


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        # OpenAI: nothing left, the bucket refills steadily: one call's share of the reset
        (
            {
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "6m0s",
                "x-ratelimit-limit-requests": "60",
            },
            6.0,
        ),
        ({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "20ms"}, 0.02),
        ({"x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "1s"}, None),
        ({"anthropic-ratelimit-requests-remaining": "0"}, None),  # no reset: cannot tell
    ],
)
def test_quota_headers(headers, seconds):
    assert waits.quota_wait(headers) == pytest.approx(seconds) if seconds else seconds is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_window_halves_once_per_round_and_grows_back_one_per_round():
    async def scenario() -> None:
        clock = Clock()
        limit = ModelLimit(MODEL, 10, clock)
        rounds = [await limit.acquire() for _ in range(10)]
        assert rounds == [0] * 10 and limit.in_flight == 10
        for sent_in in rounds[:4]:  # four 429s to calls of one round: one cut
            limit.rejected(sent_in, None)
        assert limit.window == 10 * DECREASE
        clock.now = 5.0
        for _ in range(6):
            limit.succeeded()
        assert limit.window == pytest.approx(7.82, abs=0.01)  # + 1/window per success
        stats = limit.stats()
        assert stats.throttled == 4 and stats.ceiling == 10

    asyncio.run(scenario())


def test_a_pause_holds_every_call_of_the_model_and_counts_once():
    async def scenario() -> None:
        limit = ModelLimit(MODEL, 4)
        await limit.acquire()
        limit.rejected(0, 0.2)
        limit.pause(0.1)  # a shorter ask inside the pause adds nothing
        loop = asyncio.get_running_loop()
        started = loop.time()
        await limit.acquire()
        assert loop.time() - started >= 0.19
        assert limit.stats().waited_s == pytest.approx(0.2, abs=0.01)

    asyncio.run(scenario())


class TickingClock:
    """Time that moves on at every reading, as on a loaded machine: whatever the
    limiter decides from two readings may see a pause end in between."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("readings", range(1, 9))
def test_a_pause_that_ends_between_two_clock_readings_still_wakes_the_waiter(readings):
    # The pause ends ``readings`` clock readings from now: every alignment of its end
    # with the limiter's own readings (one of them once lost the waiter for good).
    async def scenario() -> None:
        limit = ModelLimit(MODEL, 2, TickingClock(0.001))
        limit.pause(0.001 * readings)
        await asyncio.wait_for(limit.acquire(), 2.0)
        assert limit.in_flight == 1

    asyncio.run(scenario())


@pytest.mark.parametrize("seed", range(5))
def test_every_waiting_call_is_served_whatever_the_providers_answers(seed):
    # Many calls on one model, answered at random: successes, 429s with and without a
    # wait, other failures, retried 429s ahead of the queue. Every call ends and every
    # slot comes back.
    rng = random.Random(seed)

    async def call(limit: ModelLimit) -> None:
        first = False
        while True:
            sent_in = await limit.acquire(first)
            await asyncio.sleep(rng.random() * 0.002)
            outcome = rng.random()
            if outcome < 0.25:
                limit.rejected(sent_in, rng.choice([None, 0.001, 0.005]))
                first = True
                continue
            if outcome < 0.35:
                limit.release()
            else:
                limit.succeeded()
            return

    async def scenario() -> None:
        limit = ModelLimit(MODEL, 8, TickingClock(0.0003))
        calls = [call(limit) for _ in range(200)]
        await asyncio.wait_for(asyncio.gather(*calls), 20.0)
        assert limit.in_flight == 0 and not limit._waiters

    asyncio.run(scenario())


@pytest.mark.filterwarnings("ignore::UserWarning:pydantic")  # litellm's models, on first call
def test_a_call_cancelled_in_flight_gives_its_slots_back(llm_stub):
    # The engine's close cancels calls still in flight: their slots must come back, or
    # whatever shares the limiter afterwards waits for ever.
    from llm_regressions.replay.client import complete
    from llm_regressions.replay.limits import Limits
    from llm_regressions.replay.request import ProviderRequest

    llm_stub.script("slow", Fault("slow", seconds=5.0), Reply("ok"))
    request = ProviderRequest(MODEL, [{"role": "user", "content": "slow"}])

    async def scenario() -> None:
        limits = Limits(1)
        call = asyncio.ensure_future(
            complete(request, api_base=llm_stub.url, timeout=10, retries=0, limits=limits)
        )
        while not llm_stub.received("slow"):
            await asyncio.sleep(0.01)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert limits.of(MODEL).in_flight == 0
        await asyncio.wait_for(limits.slot(MODEL), 1.0)  # the process slot is back too

    asyncio.run(scenario())


def test_workers_stats_combine_per_model():
    one = {"model": "m", "responses_429": 3, "waited_s": 2.0, "settled_concurrency": 2.5}
    two = {"model": "m", "responses_429": 1, "waited_s": 3.0, "settled_concurrency": 1.5}
    [both] = combine([{**one, "ceiling": 8}, {**two, "ceiling": 8}])
    assert both == {
        "model": "m",
        "responses_429": 4,
        "waited_s": 3.0,
        "settled_concurrency": 4.0,
        "ceiling": 16,
    }
