"""Session cases: a whole agent run replayed step by step against the scripted agent,
tools answered from the recording, trajectory checks, multi-turn conversations."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time

import yaml

from agent_support import (
    FIXED_PROMPT,
    LOOP_CHECKS,
    LOOP_STEPS,
    ORDER,
    agent,
    lookup,
    session_case,
)
from stub_support import Reply, last_message, tool_call
from trace_support import TRACES, promote, promoted, written_cases

RECORDED = ("--llm-regressions", "--llm-replay", "recorded")
#: The example case promoted from the captured wrong-tool trace (tests/data/traces/captured/).
WRONG_TOOL = next((TRACES.parents[2] / "regressions" / "wrong_tool_selected").glob("wrong-tool-*"))
WRONG_TOOL_CHECKS = (
    "tool_called: get_order_status",
    "tool_called_before: {first: get_order_status, then: search_help_center}",
)
WRONG_QUERY = {"query": "where is my order"}


def test_the_stuck_loop_fails_on_the_old_prompt_and_passes_on_the_fixed_one(
    pytester, write_case, llm_stub
):
    llm_stub.respond(agent)
    path = write_case("loop.yaml", session_case("loop", LOOP_STEPS, LOOP_CHECKS))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*lookup_order(order_id='A-100001') called *x (a loop at 2)*",
            "*no final answer: step limit reached (8 model calls)*",
        ]
    )
    assert len(llm_stub.requests) == 8  # default limit: twice the 4 recorded model turns
    # each step got the recorded (empty) lookup result back
    assert llm_stub.requests[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "{}",
    }

    path.write_text(session_case("loop", LOOP_STEPS, LOOP_CHECKS, prompt=FIXED_PROMPT))
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)
    assert len(llm_stub.requests) == 8 + 2  # one lookup, then the answer


def test_the_recorded_loop_is_caught_offline(pytester, write_case):
    write_case("loop.yaml", session_case("loop", LOOP_STEPS, LOOP_CHECKS))
    pytester.runpytest(*RECORDED).assert_outcomes(passed=1)


def test_checks_that_pass_on_the_recorded_run_fail_offline(pytester, write_case):
    checks = [{"tool_sequence": {"tools": ["lookup_order"], "mode": "subset"}}]
    write_case("loop.yaml", session_case("loop", LOOP_STEPS, checks))
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*does not detect its recorded failure*"])


def test_an_unrecorded_call_is_a_divergence_at_its_step(pytester, write_case, llm_stub):
    llm_stub.respond(agent)
    refund = {"id": "r1", "name": "create_refund", "arguments": {"order_id": ORDER}}
    steps = [
        *lookup({"status": "delivered"}, "c1"),
        {"model": {"tool_calls": [refund]}},
        {"tool": {"id": "r1", "name": "create_refund", "result": {"ok": True}}},
        {"model": {"output": "Refunded."}},
    ]
    checks = [{"final_answer": {"contains": "return"}}]
    write_case("diverge.yaml", session_case("diverge", steps, checks))
    report = pytester.path / "report.json"
    result = pytester.runpytest(
        *llm_stub.args(f"--llm-report={report}", "--llm-report-md=report.md"),
        "--llm-report-html=report.html",
    )
    result.assert_outcomes(failed=1)
    divergence = (
        "step 2: called search_kb(query='return policy') where the recording called "
        "create_refund(order_id='A-100001')"
    )
    result.stdout.fnmatch_lines(
        [
            f"*{divergence}*",
            '     step 1  replayed: lookup_order(order_id=\'A-100001\') -> {"status": "delivered"}',
            "  >> step 2  replayed: search_kb(query='return policy')",
            "             recorded: create_refund(order_id='A-100001') -> {\"ok\": true}",
        ]
    )
    assert len(llm_stub.requests) == 2  # nothing is sent after the divergence
    [case] = json.loads(report.read_text())["cases"]
    session = case["runs"][0]["session"]
    assert session["divergence"] == divergence and session["first_difference"] == 2
    assert [step["calls"] for step in session["steps"]] == [
        ["lookup_order(order_id='A-100001')"],
        ["search_kb(query='return policy')"],
    ]
    assert session["recorded"][2]["answer"] == "Refunded."
    markdown = (pytester.path / "report.md").read_text()
    assert (
        "- `diverge` left its recording at step 2: search_kb(query='return policy') "
        "(recorded: create_refund(order_id='A-100001') -> {\"ok\": true})"
    ) in markdown
    page = (pytester.path / "report.html").read_text()
    assert "<tr class=parted><td>2</td><td>search_kb(query=&#x27;return policy&#x27;)" in page


def test_a_tool_stub_answers_unrecorded_calls(pytester, write_case, llm_stub):
    llm_stub.respond(agent)
    pytester.syspathinsert()
    pytester.makepyfile(
        agent_tools="def stub(name, arguments):\n    return {'status': 'in transit'}\n"
    )
    steps = [*lookup({"status": "delivered"}, "c1"), {"model": {"output": "Delivered."}}]
    checks = [{"tool_sequence": ["lookup_order", "search_kb"]}]
    write_case(
        "stub.yaml", session_case("stub", steps, checks, session={"tool_stub": "agent_tools:stub"})
    )
    pytester.runpytest("-p", "no:cacheprovider", *llm_stub.args()).assert_outcomes(passed=1)
    assert llm_stub.requests[-1]["messages"][-1]["content"] == '{"status": "in transit"}'


def test_arguments_match_after_normalisation_and_per_tool_rules(pytester, write_case, llm_stub):
    llm_stub.respond(agent)
    # recorded with other whitespace and an extra key the match rule ignores
    call = {"id": "c1", "name": "lookup_order", "arguments": '{"order_id": " A-100001 ", "x": 1}'}
    steps = [
        {"model": {"tool_calls": [call]}},
        {"tool": {"id": "c1", "name": "lookup_order", "result": {"status": "shipped"}}},
        {"model": {"output": "Shipped."}},
    ]
    match = {"lookup_order": {"ignore": ["x"], "regex": {"order_id": "^A-\\d+$"}}}
    checks = [{"final_answer": {"contains": "shipped"}}, {"max_steps": 2}]
    write_case("m.yaml", session_case("m", steps, checks, session={"match": match}))
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)


def test_user_turns_are_fed_after_each_final_answer(pytester, write_case, llm_stub):
    llm_stub.respond(agent)
    steps = [
        *lookup({"status": "shipped"}, "c1"),
        {"model": {"output": "Shipped."}},
        {"user": "thanks!"},
        {"model": {"output": "Bye."}},
    ]
    checks = [
        {"at_turn": {"turn": 2, "check": {"contains": "welcome"}}},
        {"at_step": {"step": 2, "check": [{"contains": "shipped"}]}},
        {"tool_called_before": {"first": "lookup_order", "then": "create_refund"}},
    ]
    write_case("turns.yaml", session_case("turns", steps, checks))
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)
    assert llm_stub.requests[-1]["messages"][-1] == {"role": "user", "content": "thanks!"}
    assert len(llm_stub.requests) == 3


def test_repeats_and_the_cache_replay_whole_sessions(pytester, write_case, llm_stub):
    llm_stub.respond(agent)
    write_case(
        "loop.yaml",
        session_case("loop", LOOP_STEPS, LOOP_CHECKS, prompt=FIXED_PROMPT, repeat=3),
    )
    args = llm_stub.args("--llm-replay=cached")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert len(llm_stub.requests) == 3 * 2  # every repeat is its own two-step run
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert len(llm_stub.requests) == 3 * 2  # all from the cache


def test_the_budget_stops_a_session_midway(pytester, write_case, llm_stub):
    # each answer costs $0.015 on gpt-4o-mini, over the budget the estimate fits in
    llm_stub.respond(lambda body: dataclasses.replace(agent(body), usage=(100_000, 0)))
    write_case("loop.yaml", session_case("loop", LOOP_STEPS, LOOP_CHECKS))
    result = pytester.runpytest(*llm_stub.args("--llm-max-cost=0.01", "-rs"))
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*not sent: --llm-max-cost*"])
    assert len(llm_stub.requests) == 1


def test_trajectory_checks_need_a_session_case(pytester, write_case):
    case = yaml.safe_load(session_case("plain", LOOP_STEPS, [{"max_steps": 3}]))
    del case["session"]
    write_case("plain.yaml", yaml.safe_dump({**case, "observed": {"output": "hi"}}))
    result = pytester.runpytest(*RECORDED)
    result.stdout.fnmatch_lines(
        ["*plain.yaml:*: checks?0?.max_steps: max_steps needs a 'session:'*"]
    )


def test_session_mistakes_are_located(pytester, write_case):
    steps = [{"model": {"output": "x"}, "user": "both"}]
    write_case("bad.yaml", session_case("bad", steps, LOOP_CHECKS, session={"tool_stub": "nope:f"}))
    result = pytester.runpytest(*RECORDED)
    result.stdout.fnmatch_lines(["*bad.yaml:*: session.steps?0?: give exactly one of*"])


def test_a_promoted_agent_run_fails_on_its_loop_and_passes_once_fixed(pytester, llm_stub):
    trace = TRACES / "openllmetry" / "agent_tool_loop.json"
    case, output = promoted(
        pytester, trace, "--promote-session", "--promote-check", "no_repeated_tool_call: 2"
    )
    assert "session: 4 model turn(s), 4 tool result(s), 0 more user turn(s)" in output
    assert "verified: fails on observed: no_repeated_tool_call: 2" in output
    assert [next(iter(step)) for step in case["session"]["steps"]] == ["model", "tool"] * 4
    assert "observed" not in case and "span_id" not in case["source"]
    [path] = written_cases(pytester)
    path.write_text(path.read_text().replace("status: open", "status: fixed"))
    looping = {"now": True}

    def order_agent(body):
        if last_message(body)["role"] == "tool" and not looping["now"]:
            return Reply("Order A-1042 is still processing.")
        return Reply(None, tool_calls=[tool_call("get_order_status", {"order_id": "A-1042"})])

    llm_stub.respond(order_agent)
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*get_order_status(order_id='A-1042') called 8x*"])
    looping["now"] = False
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)


def test_the_captured_wrong_tool_trace_promotes_into_the_example_case(pytester):
    trace = pytester.path / "wrong_tool_selected.json"
    shutil.copyfile(TRACES / "captured" / trace.name, trace)
    checks = [arg for check in WRONG_TOOL_CHECKS for arg in ("--promote-check", check)]
    case, output = promoted(pytester, trace, "--promote-session", *checks)
    assert "session: 2 model turn(s), 1 tool result(s), 0 more user turn(s)" in output
    assert "verified: fails on observed: tool_called: 'get_order_status'" in output
    example = yaml.safe_load(WRONG_TOOL.read_text(encoding="utf-8"))
    assert case["session"] == example["session"] and case["checks"] == example["checks"]
    assert case["request"] == example["request"]


def test_the_wrong_tool_case_fails_as_recorded_and_passes_once_the_agent_looks_up_the_order(
    pytester, llm_stub
):
    path = pytester.path / "regressions" / WRONG_TOOL.name
    path.parent.mkdir()
    path.write_text(WRONG_TOOL.read_text().replace("status: open", "status: fixed"))
    # offline, the item passes because its checks catch the recorded run's wrong tool
    pytester.runpytest(*RECORDED, "--llm-report=recorded.json").assert_outcomes(passed=1)
    [recorded] = json.loads((pytester.path / "recorded.json").read_text())["cases"][0]["runs"]
    assert not recorded["passed"] and recorded["tool_calls"] == ["search_help_center"]
    assert [check["reason"] for check in recorded["checks"]] == [
        "'get_order_status' not called (calls: search_help_center)",
        "'search_help_center' called before 'get_order_status' (calls: search_help_center)",
    ]

    right_tool = {"now": False}

    def support_agent(body):  # the captured agent, or one that looks the order up
        last = last_message(body)
        if last["role"] == "tool":
            status = json.loads(last["content"]).get("status")
            if status is None:  # a help article: the captured vague answer
                return Reply("Orders usually ship within 1-2 business days.")
            return Reply(f"Order A-1042 is {status.replace('_', ' ')}.")
        if right_tool["now"]:
            return Reply(None, tool_calls=[tool_call("get_order_status", {"order_id": "A-1042"})])
        return Reply(None, tool_calls=[tool_call("search_help_center", WRONG_QUERY)])

    llm_stub.respond(support_agent)
    pytester.runpytest(*llm_stub.args()).assert_outcomes(failed=1)
    assert len(llm_stub.requests) == 2  # the recorded run replayed: search, then answer
    right_tool["now"] = True
    pytester.runpytest(*llm_stub.args("--llm-report=live.json")).assert_outcomes(passed=1)
    [live] = json.loads((pytester.path / "live.json").read_text())["cases"][0]["runs"]
    # the recording has no get_order_status result: the run ends there, judged on that call
    assert live["session"]["divergence"] == (
        "step 1: called get_order_status(order_id='A-1042') where the recording called "
        "search_help_center(query='where is my order')"
    )
    # with a tool stub for the new route, the fixed agent gets to its answer
    pytester.syspathinsert()
    pytester.makepyfile(
        order_tools="def stub(name, arguments):\n    return {'status': 'in_transit'}\n"
    )
    case = yaml.safe_load(path.read_text())
    case["session"]["tool_stub"] = "order_tools:stub"
    case["checks"].append({"final_answer": {"contains": "in transit"}})
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)
    assert llm_stub.requests[-1]["messages"][-1]["content"] == '{"status": "in_transit"}'


def test_a_multi_turn_trace_promotes_its_user_turns(pytester):
    trace = TRACES / "openinference" / "multi_turn_system_prompt.json"
    check = "at_turn: {turn: 3, check: {not_contains: Friday}}"
    case, _ = promoted(pytester, trace, "--promote-session", "--promote-check", check)
    kinds = [next(iter(step)) for step in case["session"]["steps"]]
    assert kinds == ["model", "user", "model", "user", "model"]


def test_a_langfuse_agent_run_promotes_its_tool_results_and_user_turns(pytester):
    trace = TRACES / "langfuse" / "pydantic-ai-tools-trace-download.json"
    case, output = promoted(pytester, trace, "--promote-session", "--promote-check", "max_steps: 1")
    assert "session: 4 model turn(s), 3 tool result(s), 1 more user turn(s)" in output
    kinds = [next(iter(step)) for step in case["session"]["steps"]]
    assert kinds[:6] == ["model", "tool", "tool", "tool", "model", "user"]
    first = case["session"]["steps"][0]["model"]["tool_calls"]
    assert [call["name"] for call in first] == [
        "get_pun_suggestion",
        "get_dad_joke_suggestion",
        "get_one_liner_suggestion",
    ]


def test_promote_session_needs_promote_trace_and_no_span(pytester):
    result = pytester.runpytest("--promote-session")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--promote-session needs --promote-trace*"])
    trace = TRACES / "openllmetry" / "agent_tool_loop.json"
    result = promote(
        pytester,
        trace,
        "--promote-session",
        "--promote-span",
        "ab12",
        "--promote-check",
        "max_steps: 1",
    )
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--promote-session promotes the whole run: drop --promote-span*"])


def test_the_estimate_counts_a_call_per_recorded_model_turn(pytester, write_case):
    write_case("loop.yaml", session_case("loop", LOOP_STEPS, LOOP_CHECKS, repeat=2))
    result = pytester.runpytest("--llm-regressions", "--llm-estimate")
    result.stdout.fnmatch_lines(
        ["estimate, nothing sent: 8 calls for 1 case(s)*"]
    )  # 4 turns x 2 runs


def test_session_records_travel_from_xdist_workers(pytester, write_case, llm_stub):
    llm_stub.respond(agent)
    write_case("loop.yaml", session_case("loop", LOOP_STEPS, LOOP_CHECKS))
    write_case("fixed.yaml", session_case("fixed", LOOP_STEPS, LOOP_CHECKS, prompt=FIXED_PROMPT))
    result = pytester.runpytest(*llm_stub.args("-n", "2", "--llm-report=r.json"))
    result.assert_outcomes(passed=1, failed=1)
    cases = {c["id"]: c for c in json.loads((pytester.path / "r.json").read_text())["cases"]}
    assert cases["loop"]["runs"][0]["session"]["stopped"] == "step limit reached (8 model calls)"
    assert cases["fixed"]["runs"][0]["session"]["first_difference"] == 2


def test_sessions_of_different_cases_advance_side_by_side(pytester, write_case, llm_stub):
    """A case's next step is sent when its answer arrives, not when pytest reaches its
    item: the second steps of four cases are in flight together."""
    llm_stub.latency = 0.5
    second_steps: list[float] = []

    def timed(body):
        if last_message(body)["role"] == "tool":
            second_steps.append(time.monotonic())
        return agent(body)

    llm_stub.respond(timed)
    for i in range(4):
        write_case(
            f"s{i}.yaml", session_case(f"s{i}", LOOP_STEPS, LOOP_CHECKS, prompt=FIXED_PROMPT)
        )
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=4)
    assert len(second_steps) == 4
    assert max(second_steps) - min(second_steps) < 0.4  # one after another: >= 1.5 s


def test_adaptive_repeats_replay_whole_sessions(pytester, write_case, llm_stub):
    looped = []

    def flaky(body):  # loops through the whole first run, then behaves
        if last_message(body)["role"] == "tool" and len(looped) < 7:
            looped.append(1)
            return Reply(None, tool_calls=[tool_call("lookup_order", {"order_id": ORDER})])
        return agent(body)

    llm_stub.respond(flaky)
    case = session_case("flaky", LOOP_STEPS, LOOP_CHECKS, prompt=FIXED_PROMPT, min_pass_rate=0.5)
    write_case("flaky.yaml", case)
    args = llm_stub.args("--llm-repeat=1", "--llm-repeat-max=3", "--llm-report=r.json")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    [record] = json.loads((pytester.path / "r.json").read_text())["cases"]
    assert record["repeat"]["used"] == 2 and record["flaky"]
    assert len(llm_stub.requests) == 8 + 2  # the extra run replayed its whole session
    assert [run["session"]["stopped"] for run in record["runs"]] == [
        "step limit reached (8 model calls)",
        None,
    ]
