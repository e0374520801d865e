"""Honest verdicts under nondeterminism: Wilson intervals, pass / fail / inconclusive,
adaptive repeats (issue 13). Live cases run against the loopback stub, whose scripted
answers give each case a known pass probability."""

from __future__ import annotations

import json

import pytest

from llm_regressions.stats import decide, mcnemar_exact, runs_to_settle, wilson
from replay_support import CHEAP_RECORDING, COSTLY_USAGE, live_case
from stub_support import Reply


def answers_at(rate: float, count: int = 40, usage: tuple[int, int] = (10, 5)) -> list[Reply]:
    """``count`` answers, passing at ``rate``, spread evenly (a failure comes first
    when the rate is below 1, so the first runs never flatter the case)."""
    out, credit = [], 0.0
    for _ in range(count):
        credit += rate
        passed = credit >= 1 - 1e-9
        credit -= passed
        out.append(Reply("14 days" if passed else "30 days", usage=usage))
    return out


# -- the statistics ------------------------------------------------------------------


def test_wilson_interval_matches_published_values():
    # Wilson (1927) / Newcombe (1998), 95%: 2 of 3 -> 0.208-0.939; 0 of 10 -> 0-0.278
    low, high = wilson(2, 3)
    assert (round(low, 3), round(high, 3)) == (0.208, 0.939)
    assert tuple(round(v, 3) for v in wilson(0, 10)) == (0.0, 0.278)
    assert wilson(5, 5)[1] == 1.0 and wilson(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("passed", "total", "need", "decision"),
    [
        (2, 3, 0.67, "pass"),  # the README's example: 2 of 3 meets 0.67
        (2, 3, 1.0, "fail"),  # min_pass_rate 1.0: every run must pass
        (999, 1000, 1.0, "fail"),  # ... however many runs there were
        (1, 2, 0.75, "inconclusive"),  # 50% observed, but 2 runs cannot rule out 75%
        (0, 2, 0.9, "fail"),  # even the interval's top (66%) is below 90%
        (4, 5, 0.8, "pass"),
        (5, 10, 0.9, "fail"),
    ],
)
def test_three_way_decision(passed, total, need, decision):
    assert decide(passed, total, need) == decision


def test_runs_to_settle_asks_for_the_fewest_runs_that_could_decide():
    assert runs_to_settle(2, 2, 0.9, 8) == 0  # settled: pass
    # 1 of 2 at 0.75: two more passes make 3/4 (a pass); one more failure leaves
    # 1/3, whose interval top (79%) is still above 75%: two runs are needed
    assert runs_to_settle(1, 2, 0.75, 8) == 2
    assert runs_to_settle(1, 2, 0.75, 1) == 1  # never past the maximum


def test_mcnemar_exact():
    assert mcnemar_exact(0, 0) is None
    assert mcnemar_exact(1, 1) == 1.0
    assert mcnemar_exact(6, 0) == pytest.approx(2 / 64)  # 6 flips one way: p ~ 0.031
    assert mcnemar_exact(3, 1) == pytest.approx(0.625)


# -- live cases with known pass probabilities -----------------------------------------

#: case id -> (pass probability, min_pass_rate, repeat, the decision, runs it takes)
HELD_BACK = {
    "steady": (1.0, 0.9, {"min": 2, "max": 10}, "pass", 2),
    "broken": (0.0, 0.9, {"min": 2, "max": 10}, "fail", 2),
    "mostly": (0.9, 0.8, {"min": 2, "max": 10}, "pass", 5),
    "coin": (0.5, 0.5, {"min": 2, "max": 10}, "pass", 2),
    "worse": (0.5, 0.9, {"min": 2, "max": 10}, "fail", 3),
    "unsure": (0.5, 0.75, {"min": 2, "max": 2}, "inconclusive", 2),
    "readme": (2 / 3, 0.67, 3, "pass", 3),
}


@pytest.fixture
def held_back(write_case, llm_stub):
    for case_id, (rate, need, repeat, _, _) in HELD_BACK.items():
        llm_stub.script(case_id, *answers_at(rate))
        write_case(f"{case_id}.yaml", live_case(case_id, repeat=repeat, min_pass_rate=need))
    return llm_stub


def _verdicts(pytester, *args):
    result = pytester.runpytest(*args, "--llm-report=r.json")
    report = json.loads((pytester.path / "r.json").read_text())
    return result, {c["id"]: c for c in report["cases"]}


def test_known_pass_probabilities_get_the_right_verdicts_in_the_fewest_runs(pytester, held_back):
    result, cases = _verdicts(pytester, *held_back.args())
    for case_id, (_, _, _, decision, runs) in HELD_BACK.items():
        assert cases[case_id]["decision"] == decision, case_id
        assert len(held_back.received(case_id)) == runs, case_id
        assert len(cases[case_id]["runs"]) == runs
    assert cases["steady"]["repeat"] == {"min": 2, "max": 10, "used": 2}
    assert cases["readme"]["repeat"] is None  # a fixed repeat
    low, high = cases["mostly"]["interval"]
    assert low < 0.8 < high and cases["mostly"]["pass_rate"] == 0.8
    assert cases["unsure"]["verdict"] == "inconclusive"
    assert cases["readme"]["outcome"] == "passed" and cases["worse"]["outcome"] == "failed"
    assert result.ret == 1  # broken and worse fail; unsure fails the gate too
    result.stdout.fnmatch_lines(
        [
            "inconclusive, too few runs to tell (run more repeats) (1):",
            "  unsure: inconclusive: 1/2 runs passed (95% interval 9%-91%), need 0.75*",
            # the five adaptive cases at a fixed repeat of 10 would have sent 50 calls
            "adaptive repeats: 14 runs of 5 case(s) instead of 50 at a fixed repeat of "
            "their maximum (36 calls saved)",
        ]
    )


def test_allow_inconclusive_skips_instead_of_failing(pytester, write_case, llm_stub):
    llm_stub.script("unsure", *answers_at(0.5))
    write_case("u.yaml", live_case("unsure", repeat=2, min_pass_rate=0.75))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*run more repeats (repeat: {min: N, max: M}*"])
    result = pytester.runpytest(*llm_stub.args("--llm-allow-inconclusive", "-rs"))
    result.assert_outcomes(skipped=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*inconclusive: 1/2 runs passed*(--llm-allow-inconclusive)*"])


def test_repeat_max_flag_makes_fixed_repeats_adaptive(pytester, write_case, llm_stub):
    llm_stub.script("mostly", *answers_at(0.9))
    write_case("m.yaml", live_case("mostly", min_pass_rate=0.8))
    result, cases = _verdicts(pytester, *llm_stub.args("--llm-repeat=2", "--llm-repeat-max=10"))
    assert result.ret == 0
    assert cases["mostly"]["repeat"] == {"min": 2, "max": 10, "used": 5}
    assert len(llm_stub.received("mostly")) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-repeat=3", "--llm-repeat-max=2"], "*--llm-repeat-max 2 is below --llm-repeat 3*"),
        (["--llm-replay=recorded", "--llm-repeat-max=4"], "*--llm-repeat-max*recorded*"),
    ],
)
def test_repeat_max_refused_where_it_cannot_apply(pytester, write_case, args, message):
    write_case("refund.yaml")
    result = pytester.runpytest("--llm-regressions", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_repeat_range_is_validated_with_its_location(pytester, write_case):
    write_case("bad.yaml", live_case("bad", repeat={"min": 5, "max": 2}))
    result = pytester.runpytest("--llm-regressions", "--llm-replay=recorded")
    result.stdout.fnmatch_lines(["*regressions/bad.yaml:*repeat*max*"])


def test_adaptive_repeats_replay_from_the_cache_with_the_same_verdicts(pytester, held_back):
    _, first = _verdicts(pytester, *held_back.args("--llm-replay=cached"))
    sent = len(held_back.requests)
    _, again = _verdicts(pytester, *held_back.args("--llm-replay=cached"))
    assert len(held_back.requests) == sent  # nothing sent the second time
    assert {k: c["decision"] for k, c in again.items()} == {
        k: c["decision"] for k, c in first.items()
    }
    assert again["mostly"]["repeat"]["used"] == 5


def test_adaptive_repeats_under_xdist(pytester, held_back):
    result, cases = _verdicts(pytester, *held_back.args("-n", "2"))
    assert {k: c["decision"] for k, c in cases.items()} == {k: v[3] for k, v in HELD_BACK.items()}
    result.stdout.fnmatch_lines(["adaptive repeats: 14 runs of 5 case(s) instead of 50*"])


def test_budget_stops_adaptive_repeats_and_the_runs_made_are_judged(pytester, write_case, llm_stub):
    """The budget allows the minimum runs only: the case is judged on them (here
    inconclusive, saying why no more were sent), not skipped as if nothing ran."""
    llm_stub.script("unsure", *answers_at(0.5, usage=COSTLY_USAGE))
    case = live_case("unsure", repeat={"min": 2, "max": 10}, min_pass_rate=0.75, **CHEAP_RECORDING)
    write_case("u.yaml", case)
    result, cases = _verdicts(pytester, *llm_stub.args("--llm-max-cost=0.00005"))
    assert len(llm_stub.received("unsure")) == 2
    assert cases["unsure"]["verdict"] == "inconclusive"
    assert cases["unsure"]["repeat"] == {"min": 2, "max": 10, "used": 2}
    assert "; no more repeats sent: --llm-max-cost $0.00005 reached" in cases["unsure"]["problem"]
