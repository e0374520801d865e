"""``--llm-replay cached`` and the ``llm_judge`` check, over HTTP to the stub."""

from __future__ import annotations

import json

import pytest

from replay_support import CHEAP_RECORDING, live_case
from stub_support import Fault, Reply

JUDGE = "openai/gpt-4o-2024-08-06"


def cache_files(root) -> list:
    return sorted(p for p in (root / ".llm_regressions_cache").rglob("*.json"))


def test_cached_replay_reuses_identical_requests(pytester, write_case, llm_stub):
    llm_stub.script("cached", Reply("14 days"))
    write_case("c.yaml", live_case("cached", repeat=2))
    args = llm_stub.args("--llm-replay=cached")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert len(llm_stub.received("cached")) == 2  # each repeat is its own entry
    assert len(cache_files(pytester.path)) == 2
    entry = json.loads(cache_files(pytester.path)[0].read_text())
    assert entry["result"]["output"] == "14 days"

    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert len(llm_stub.received("cached")) == 2  # nothing new sent


def test_any_change_to_the_request_is_a_miss(pytester, write_case, llm_stub):
    llm_stub.script("cached", Reply("14 days"))
    path = write_case("c.yaml", live_case("cached"))
    args = llm_stub.args("--llm-replay=cached")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    path.write_text(path.read_text().replace("temperature: 0", "temperature: 0.5"))
    pytester.runpytest(*args).assert_outcomes(passed=1)
    pytester.runpytest(*args, "--llm-model=openai/gpt-4o-2024-08-06").assert_outcomes(passed=1)
    assert len(llm_stub.received("cached")) == 3


@pytest.mark.parametrize("entry", ["[1, 2]", "42", '{"format": 1, "result": [1]}', "{bad json"])
def test_a_corrupt_cache_entry_is_a_miss_with_a_warning(pytester, write_case, llm_stub, entry):
    llm_stub.script("cached", Reply("14 days"))
    write_case("c.yaml", live_case("cached"))
    args = llm_stub.args("--llm-replay=cached")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    [path] = cache_files(pytester.path)
    path.write_text(entry)
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*CacheWarning: cache entry *: * asking the model again*"])
    assert "Traceback" not in result.stdout.str()
    assert len(llm_stub.received("cached")) == 2  # asked again, and stored again
    assert json.loads(path.read_text())["result"]["output"] == "14 days"


def test_a_cache_write_that_fails_keeps_the_answer(pytester, write_case, llm_stub):
    llm_stub.script("cached", Reply("14 days"))
    write_case("c.yaml", live_case("cached"))
    args = llm_stub.args("--llm-replay=cached")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    [path] = cache_files(pytester.path)
    path.unlink()
    path.mkdir()  # a directory where the entry goes: unreadable, and the write fails
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1, warnings=2)
    result.stdout.fnmatch_lines(["*cannot store the answer in the cache*"])


def test_cache_dir_is_configurable_and_errors_are_not_cached(pytester, write_case, llm_stub):
    pytester.makeini("[pytest]\nllm_regressions_cache_dir = .my-cache\n")
    llm_stub.script("cached", Fault("status", 500), Reply("14 days"))
    write_case("c.yaml", live_case("cached"))
    args = llm_stub.args("--llm-replay=cached", "--llm-retries=0")
    pytester.runpytest(*args).assert_outcomes(errors=1)
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert len(list((pytester.path / ".my-cache").rglob("*.json"))) == 1
    assert (pytester.path / ".my-cache" / ".gitignore").read_text() == "*\n"


def test_cached_replay_under_xdist(pytester, write_case, llm_stub):
    llm_stub.script("shared", Reply("14 days"))
    for n in range(6):
        write_case(f"s{n}.yaml", live_case(f"s{n}", "shared question"))
    args = llm_stub.args("--llm-replay=cached", "-n", "2")
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=6)
    # identical requests from two workers: whole entries, never a torn file
    assert len(cache_files(pytester.path)) == 1
    sent = len(llm_stub.received("shared"))
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=6)
    assert len(llm_stub.received("shared")) == sent


def judge_case(write_case, answer_text: str = "judge me", **extra) -> None:
    write_case(
        "j.yaml",
        live_case(
            "judged",
            answer_text,
            checks=[
                {"llm_judge": {"criteria": "Does it state the 14-day window?", "model": JUDGE}}
            ],
            **extra,
        ),
    )


def verdict(passed: bool, reason: str) -> Reply:
    return Reply({"pass": passed, "reason": reason})


def test_judge_passes_and_is_asked_deterministically(pytester, write_case, llm_stub):
    llm_stub.script("judge me", Reply("Returns are accepted within 14 days."))
    llm_stub.script("gpt-4o-2024-08-06", verdict(True, "states 14 days"))
    judge_case(write_case)
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)
    [asked] = [b for b in llm_stub.received() if b["model"] == "gpt-4o-2024-08-06"]
    assert asked["temperature"] == 0 and asked["seed"] == 7
    assert asked["response_format"]["type"] == "json_schema"
    assert "Returns are accepted within 14 days." in asked["messages"][-1]["content"]


def test_judge_failure_shows_its_reason(pytester, write_case, llm_stub):
    llm_stub.script("judge me", Reply("30 days"))
    llm_stub.script("gpt-4o-2024-08-06", verdict(False, "says 30 days, not 14"))
    judge_case(write_case)
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAIL llm_judge*judge openai/gpt-4o-2024-08-06: says 30 days*"])


def test_unstable_judge_is_an_error_not_a_regression(pytester, write_case, llm_stub):
    llm_stub.script("judge me", Reply("14 days, roughly"))
    llm_stub.script(
        "gpt-4o-2024-08-06", verdict(True, "ok"), verdict(False, "no"), verdict(True, "ok")
    )
    judge_case(write_case)
    result = pytester.runpytest(*llm_stub.args("--llm-judge-repeat=3"))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*unstable judge: openai/gpt-4o-2024-08-06 said pass 2 of 3 times*not a regression*"]
    )


def test_judge_model_from_ini_and_cost_counted(pytester, write_case, llm_stub):
    pytester.makeini(f"[pytest]\nllm_regressions_judge_model = {JUDGE}\n")
    llm_stub.script("judge me", Reply("14 days"))
    llm_stub.script("gpt-4o-2024-08-06", verdict(True, "fine"))
    write_case("j.yaml", live_case("judged", "judge me", checks=[{"llm_judge": "14 days?"}]))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(passed=1)
    # 4.5e-06 for gpt-4o-mini's answer + 7.5e-05 for gpt-4o's verdict (10 in, 5 out tokens)
    result.stdout.fnmatch_lines(["cost: $0.0000795 total*"])


def test_judge_without_a_model_errors(pytester, write_case, llm_stub):
    llm_stub.script("judge me", Reply("14 days"))
    write_case("j.yaml", live_case("judged", "judge me", checks=[{"llm_judge": "14 days?"}]))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*llm_judge needs a judge model*llm_regressions_judge_model*"])


def test_judge_is_called_in_recorded_mode(pytester, write_case, llm_stub):
    llm_stub.script("30 days", verdict(False, "stale window"))
    llm_stub.script("14 days", verdict(True, "current window"))
    judge_case(
        write_case,
        observed={"output": "You have 30 days."},
        expected={"output": "You have 14 days."},
    )
    result = pytester.runpytest(*llm_stub.args("--llm-replay=recorded"))
    result.assert_outcomes(passed=1)
    assert len(llm_stub.received()) == 2  # observed and expected, nothing replayed


def test_judge_trouble_is_an_error(pytester, write_case, llm_stub, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    judge_case(write_case, observed={"output": "30 days"})
    result = pytester.runpytest(*llm_stub.args("--llm-replay=recorded"))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*llm_judge: OPENAI_API_KEY is not set for openai/gpt-4o-2024-08-06*"]
    )


def test_judge_calls_respect_the_budget(pytester, write_case, llm_stub):
    llm_stub.script("judge me", Reply("14 days", usage=(10_000, 5_000)))
    llm_stub.script("gpt-4o-2024-08-06", verdict(True, "fine"))
    judge_case(write_case, **CHEAP_RECORDING)
    # the estimate (a cheap recorded call, a short judge question) fits the budget; the
    # replayed answer ($0.0045) then reaches it: the judge is not asked
    result = pytester.runpytest(*llm_stub.args("--llm-max-cost=0.001", "-rs"))
    result.assert_outcomes(skipped=1)
    assert [b["model"] for b in llm_stub.received()] == ["gpt-4o-mini-2024-07-18"]
    result.stdout.fnmatch_lines(["*not sent: --llm-max-cost $0.001 reached*"])


def test_api_base_from_ini(pytester, write_case, llm_stub):
    pytester.makeini(f"[pytest]\nllm_regressions_api_base = {llm_stub.url}\n")
    llm_stub.script("via ini", Reply("14 days"))
    write_case("i.yaml", live_case("ini", "via ini"))
    pytester.runpytest("--llm-regressions").assert_outcomes(passed=1)
    assert len(llm_stub.received("via ini")) == 1


def test_judge_of_a_target_case_without_request_sees_the_app_input():
    from llm_regressions.casefile.model import Case
    from llm_regressions.checks.judge import _question
    from llm_regressions.replay.result import ReplayResult

    case = Case.model_validate(
        {
            "version": 1,
            "id": "t",
            "label": "stale_policy_retrieval",
            "model": {"name": "openai/gpt-4o-mini-2024-07-18"},
            "target": "app.bot:answer",
            "input": {"question": "Can I return it?"},
            "checks": [{"llm_judge": "Quotes the 14-day window"}],
        }
    )
    question = _question("Quotes the 14-day window", ReplayResult(output="30 days"), case)
    assert 'The app was called with:\n{"question": "Can I return it?"}' in question
    assert "Assistant's answer:\n30 days" in question
