"""Live replay end to end: real pytest sessions, litellm over HTTP to the loopback stub."""

from __future__ import annotations

import json

import pytest

from replay_support import live_case
from stub_support import Reply, tool_call

RECORDER = """\
import json, pathlib

from llm_regressions.checks import CheckResult


def record(result, case):
    with open(pathlib.Path(__file__).with_name("results.jsonl"), "a") as out:
        out.write(json.dumps(result.to_dict()) + "\\n")
    return CheckResult(True, "recorded")
"""


def test_sends_the_case_request_and_passes(pytester, write_case, llm_stub):
    llm_stub.script("return my order", Reply("Orders can be returned within 14 days."))
    write_case(
        "refund.yaml",
        """\
        version: 1
        id: refund
        label: stale_policy_retrieval
        status: fixed
        model:
          name: openai/gpt-4o-mini-2024-07-18
          params: {temperature: 0, max_tokens: 50, seed: 7}
        request:
          messages:
            - {role: system, content: "You are the support assistant."}
            - {role: user, content: "Can I still return my order?"}
          tools:
            - type: function
              function:
                name: lookup_order
                parameters: {type: object, properties: {id: {type: string}}}
          tool_choice: auto
        checks:
          - contains: "14 days"
        """,
    )
    result = pytester.runpytest(*llm_stub.args("-v", gc_checks=True))
    result.assert_outcomes(passed=1)
    assert "Unraisable" not in result.stdout.str() + result.stderr.str()
    [body] = llm_stub.received("return my order")
    assert body["model"] == "gpt-4o-mini-2024-07-18"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["temperature"] == 0 and body["max_tokens"] == 50 and body["seed"] == 7
    assert body["tools"][0]["function"]["name"] == "lookup_order"
    assert body["tool_choice"] == "auto"


def test_result_records_what_the_provider_served(pytester, write_case, llm_stub):
    llm_stub.script(
        "order 42",
        Reply(content=None, tool_calls=[tool_call("lookup_order", {"id": "42"})], latency=0.05),
    )
    pytester.makepyfile(recorder=RECORDER)
    pytester.syspathinsert()
    write_case(
        "tools.yaml",
        live_case(
            "tools",
            "where is order 42",
            checks=[
                {"tool_called": {"name": "lookup_order", "args": {"id": "42"}}},
                {"python": "recorder:record"},
            ],
        ),
    )
    result = pytester.runpytest(*llm_stub.args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    recorded = json.loads((pytester.path / "results.jsonl").read_text())
    assert recorded["tool_calls"] == [
        {"id": "call_1", "name": "lookup_order", "arguments": {"id": "42"}}
    ]
    assert recorded["finish_reason"] == "tool_calls"
    assert recorded["usage"]["completion_tokens"] == 5
    assert recorded["model"] == "gpt-4o-mini-2024-07-18"
    assert recorded["system_fingerprint"] == "fp_stub"
    assert recorded["latency_ms"] >= 50
    # 10 prompt + 5 completion tokens at gpt-4o-mini's price, from litellm's local table
    assert 0 < recorded["cost_usd"] < 0.0001


def test_json_mode_request_and_answer(pytester, write_case, llm_stub):
    llm_stub.script("as json", Reply({"refund_days": 14}))
    write_case(
        "json.yaml",
        live_case(
            "json",
            "answer as json",
            checks=[{"json_valid": True}, {"json_path": {"path": "$.refund_days", "equals": 14}}],
            request={
                "messages": [{"role": "user", "content": "answer as json"}],
                "response_format": {"type": "json_object"},
            },
        ),
    )
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)
    assert llm_stub.received("as json")[0]["response_format"] == {"type": "json_object"}


def test_fixed_case_that_regresses_fails_with_its_report(pytester, write_case, llm_stub):
    llm_stub.script("regressed", Reply("You have 30 days."))
    write_case("r.yaml", live_case("regressed", checks=[{"contains": "14 days"}]))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*0/1 run passed, need 1.00*", "*FAIL contains: '14 days'*", "*output: You have 30 days.*"]
    )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("answer", "outcome", "message"),
    [
        ("You have 30 days.", {"xfailed": 1}, "*status: open*still reproduces*"),
        ("14 days.", {"failed": 1}, "*fixed? set status: fixed*"),
    ],
)
def test_open_case_is_a_strict_xfail(pytester, write_case, llm_stub, answer, outcome, message):
    llm_stub.script("open bug", Reply(answer))
    write_case("o.yaml", live_case("open-bug", "open bug", status="open"))
    result = pytester.runpytest(*llm_stub.args("-rxX"))
    result.assert_outcomes(**outcome)
    result.stdout.fnmatch_lines([message])


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_short_summary_and_junit_show_the_headline_even_on_ci(
    pytester, write_case, llm_stub, monkeypatch, workers
):
    # On CI pytest prints a string failure whole after FAILED; ours must stay one line.
    monkeypatch.setenv("CI", "true")
    llm_stub.script("regressed", Reply("You have 30 days."))
    write_case("r.yaml", live_case("regressed", checks=[{"contains": "14 days"}]))
    result = pytester.runpytest_subprocess(*llm_stub.args("--junitxml=j.xml", *workers))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["FAILED regressions/r.yaml::regressed - 0/1 run passed, need 1.00"]
    )
    assert result.stdout.str().count("FAIL contains: '14 days'") == 1
    junit = (pytester.path / "j.xml").read_text()
    assert 'message="0/1 run passed, need 1.00"' in junit
    assert "output: You have 30 days." in junit
    assert "Warning" not in result.stderr.str(), result.stderr.str()[:2000]


def test_tb_line_shows_the_case_file_line_and_headline_only(pytester, write_case, llm_stub):
    llm_stub.script("regressed", Reply("You have 30 days."))
    write_case("r.yaml", live_case("regressed", checks=[{"contains": "14 days"}]))
    result = pytester.runpytest(*llm_stub.args("--tb=line"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*regressions/r.yaml:1: 0/1 run passed, need 1.00"])
    assert "FAIL contains" not in result.stdout.str()


def test_repeats_pass_rate_and_each_run_in_the_report(pytester, write_case, llm_stub):
    llm_stub.script("flaky", Reply("14 days"), Reply("30 days"), Reply("14 days"))
    write_case("f.yaml", live_case("flaky", repeat=3, min_pass_rate=1.0))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(failed=1)
    assert len(llm_stub.received("flaky")) == 3
    assert result.stdout.str().count("FAIL contains: '14 days'") == 1
    result.stdout.fnmatch_lines(
        [
            "*flaky: 2/3 runs passed (95% interval 21%-94%), need 1.00*",
            "*on run 1/3:*",
            "*on run 2/3:*",
            "*on run 3/3:*",
            "*llm regressions*",
            "failed (1):",
            "  flaky: flaky: 2/3 runs passed (95% interval 21%-94%), need 1.00",
        ]
    )


def test_min_pass_rate_lets_a_nondeterministic_case_pass(pytester, write_case, llm_stub):
    llm_stub.script("sometimes", Reply("30 days"), Reply("14 days"))
    write_case("s.yaml", live_case("sometimes", repeat=4, min_pass_rate=0.75))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(passed=1)
    # it passed, and the summary still says it is flaky
    result.stdout.fnmatch_lines(
        ["flaky, *(1):", "  sometimes: 3/4 runs passed (95% interval 30%-95%), need 0.75"]
    )


def test_failed_every_run_is_not_called_flaky(pytester, write_case, llm_stub):
    llm_stub.script("always", Reply("30 days"))
    write_case("a.yaml", live_case("always", repeat=2))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["failed (1):", "  always: 0/2 runs passed (95% interval 0%-66%), need 1.00"]
    )
    assert "flaky, passed some" not in result.stdout.str()


def test_llm_repeat_overrides_the_case(pytester, write_case, llm_stub):
    llm_stub.script("repeat me", Reply("14 days"))
    write_case("r.yaml", live_case("rep", "repeat me", repeat=2))
    pytester.runpytest(*llm_stub.args("--llm-repeat=5")).assert_outcomes(passed=1)
    assert len(llm_stub.received("repeat me")) == 5


def test_llm_model_replays_on_another_model_and_names_both(pytester, write_case, llm_stub):
    llm_stub.script("upgrade", Reply("30 days"))
    write_case("u.yaml", live_case("upgrade"))
    result = pytester.runpytest(*llm_stub.args("--llm-model=openai/gpt-4.1-mini-2025-04-14"))
    result.assert_outcomes(failed=1)
    assert llm_stub.received("upgrade")[0]["model"] == "gpt-4.1-mini-2025-04-14"
    result.stdout.fnmatch_lines(
        [
            "*every case on openai/gpt-4.1-mini-2025-04-14 (--llm-model)*",
            "model:   openai/gpt-4.1-mini-2025-04-14 (case pins openai/gpt-4o-mini-2024-07-18)",
        ]
    )


def test_an_unpinned_llm_model_is_warned_about_once_as_the_flag(pytester, write_case, llm_stub):
    """The flag named the unpinned model: the warning is about it, not about a case."""
    llm_stub.script("case", Reply("14 days"))
    for n in range(3):
        write_case(f"c{n}.yaml", live_case(f"c{n}", f"case {n}"))
    result = pytester.runpytest(*llm_stub.args("--llm-model=openai/gpt-4o"))
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["llm-regressions: warning: --llm-model: model 'openai/gpt-4o' is not pinned*"]
    )
    assert "UnpinnedModelWarning" not in result.stdout.str()  # no case file is blamed


def test_model_drift_is_reported_next_to_the_verdict(pytester, write_case, llm_stub):
    llm_stub.script("drifted", Reply("30 days", model="gpt-4o-mini-2025-01-01"))
    llm_stub.script("moved", Reply("14 days", model="gpt-4o-mini-2025-01-01"))
    write_case("d.yaml", live_case("drifted"))
    write_case("m.yaml", live_case("moved"))
    result = pytester.runpytest(*llm_stub.args("-v"))
    result.assert_outcomes(failed=1, passed=1)
    drift = "openai/gpt-4o-mini-2024-07-18 -> gpt-4o-mini-2025-01-01"
    result.stdout.fnmatch_lines(
        [
            "*d.yaml::drifted FAILED (model drift)*",
            "*m.yaml::moved PASSED (model drift)*",
            f"model drift: {drift}",
            "*model drift, the provider served another model (2):*",
        ]
    )


def test_served_snapshot_of_the_pinned_model_is_not_drift(pytester, write_case, llm_stub):
    llm_stub.script("same", Reply("30 days"))
    write_case("s.yaml", live_case("same"))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(failed=1)
    assert "model drift" not in result.stdout.str()


def test_unpinned_model_warns_and_strict_pins_errors(pytester, write_case, llm_stub):
    llm_stub.script("pin", Reply("14 days"))
    write_case("p.yaml", live_case("pin", model="openai/gpt-4o"))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*UnpinnedModelWarning: model 'openai/gpt-4o' is not pinned*"])

    llm_stub.requests.clear()
    strict = pytester.runpytest(*llm_stub.args("--llm-strict-pins"))
    strict.assert_outcomes(errors=1)
    assert llm_stub.received() == []
    strict.stdout.fnmatch_lines(["*not pinned to a snapshot*(--llm-strict-pins)*"])


def test_ini_allow_list_exempts_local_models(pytester, write_case, llm_stub):
    pytester.makeini("[pytest]\nllm_regressions_unpinned_models = openai/local-*\n")
    llm_stub.script("local", Reply("14 days"))
    write_case("l.yaml", live_case("local", model="openai/local-llama"))
    result = pytester.runpytest(*llm_stub.args("--llm-strict-pins"))
    result.assert_outcomes(passed=1)
    assert "UnpinnedModelWarning" not in result.stdout.str()


def test_last_failed_is_kept_per_replay_mode(pytester, write_case, llm_stub):
    """A recorded run (all green) must not make the next live ``--lf`` re-send every
    case: each replay mode remembers its own failures."""
    llm_stub.script("good", Reply("14 days"))
    llm_stub.script("bad", Reply("30 days"))
    recorded = {"observed": {"output": "30 days"}, "expected": {"output": "14 days"}}
    write_case("good.yaml", live_case("good", **recorded))
    write_case("bad.yaml", live_case("bad", **recorded))
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1, failed=1)
    recorded = pytester.runpytest("--llm-regressions", "--llm-replay=recorded")
    assert recorded.ret == 0
    sent = len(llm_stub.requests)
    again = pytester.runpytest(*llm_stub.args("--lf"))
    again.assert_outcomes(failed=1)  # good.yaml not even collected
    assert len(llm_stub.requests) == sent + 1 and llm_stub.received("bad")
    # and the recorded run's --lf still sees its own (empty) failures
    rerun = pytester.runpytest("--llm-regressions", "--llm-replay=recorded", "--lf")
    rerun.assert_outcomes(passed=2)
