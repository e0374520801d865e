"""App targets: the plugin calls the app's entry point with the recorded input and sees
the app's own litellm calls through litellm's callback API, against the loopback stub."""

from __future__ import annotations

import json

import pytest

from llm_regressions import api_base, pinned_model
from llm_regressions.targets.run import provider_cause, target_result
from prompt_support import prompt_case, report_cases
from replay_support import CHEAP_RECORDING, COSTLY_USAGE, live_case
from stub_support import Fault, Reply, tool_call

APP = '''\
import json

import litellm

import llm_regressions

TOOLS = [{"type": "function", "function": {"name": "get_order_status",
          "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}}]


def _call(messages, model=None, **extra):
    return dict(model=model or llm_regressions.pinned_model(), messages=messages,
                api_base=llm_regressions.api_base(), num_retries=0, **extra)


async def agent(question, max_steps=5):
    """Asks the model until it stops calling tools (or max_steps)."""
    messages = [{"role": "user", "content": question}]
    for _ in range(max_steps):
        # _skip_mcp_handler: this litellm would import the optional `mcp` package
        response = await litellm.acompletion(**_call(messages, tools=TOOLS, _skip_mcp_handler=True))
        message = response.choices[0].message
        if not message.tool_calls:
            return message.content
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            messages.append({"role": "tool", "tool_call_id": call.id,
                             "content": json.dumps({"status": "processing"})})
    return "Sorry, I could not find out."


def answer(question):
    response = litellm.completion(**_call([{"role": "user", "content": question}]))
    return {"reply": response.choices[0].message.content, "model": llm_regressions.pinned_model()}


def drifting(question):
    litellm.completion(**_call([{"role": "user", "content": question}],
                               model="openai/gpt-4o-2024-08-06"))
    return "done"


def crash(question):
    orders = {}
    return orders[question]


async def crash_async(question):
    return crash(question)


def wrapped_provider_error(question):
    try:
        litellm.completion(**_call([{"role": "user", "content": question}]))
    except Exception as exc:
        raise RuntimeError("the bot could not answer") from exc
'''


def target_case(case_id: str, target: str, question: str, checks: list, **extra) -> str:
    return prompt_case(
        case_id, target=f"acme_app:{target}", input={"question": question}, checks=checks, **extra
    )


def run_case(pytester, write_case, llm_stub, case: tuple[str, str, str], **outcome: int):
    """Run one case (id, target function, question) whose check wants 'done'."""
    case_id, target, question = case
    write_case(f"{case_id}.yaml", target_case(case_id, target, question, [{"contains": "done"}]))
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(**outcome)
    return result


@pytest.fixture
def app(pytester):
    pytester.makepyfile(acme_app=APP)
    pytester.syspathinsert()


def test_async_target_that_loops_on_a_tool_is_caught(pytester, write_case, llm_stub, app):
    llm_stub.script(
        "where is A-1042",
        Reply(None, tool_calls=[tool_call("get_order_status", {"order_id": "A-1042"})]),
    )
    write_case(
        "loop.yaml",
        target_case("loop", "agent", "where is A-1042", [{"max_repeated_tool_calls": 2}]),
    )
    result = pytester.runpytest(*llm_stub.args("--llm-report=r.json"))
    result.assert_outcomes(failed=1)
    assert len(llm_stub.received("where is A-1042")) == 5
    result.stdout.fnmatch_lines(
        [
            "target run 1: 5 litellm call(s)",
            "  gpt-4o-mini-2024-07-18 -> gpt-4o-mini-2024-07-18 * tools=get_order_status",
            "*FAIL max_repeated_tool_calls: 2*'get_order_status' called 5x*",
            "*output: Sorry, I could not find out.*",
        ]
    )
    [run] = report_cases(pytester.path / "r.json")["loop"]["target_runs"]
    assert [call["tool_calls"] for call in run["calls"]] == [["get_order_status"]] * 5
    # each captured call keeps what the app sent: the history grows by a tool round each time
    assert [len(call["messages"]) for call in run["calls"]] == [1, 3, 5, 7, 9]


def test_async_target_that_stops_passes(pytester, write_case, llm_stub, app):
    llm_stub.script(
        "where is B-7",
        Reply(None, tool_calls=[tool_call("get_order_status", {"order_id": "B-7"})]),
        Reply("Order B-7 ships within 14 days."),
    )
    write_case(
        "ok.yaml",
        target_case(
            "ok",
            "agent",
            "where is B-7",
            [
                {"max_repeated_tool_calls": 2},
                {"tool_called": "get_order_status"},
                {"contains": "14 days"},
            ],
        ),
    )
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)
    assert len(llm_stub.received("where is B-7")) == 2


@pytest.mark.parametrize("target", ["agent", "answer"])
def test_calls_of_other_cases_in_flight_are_not_the_targets(
    pytester, write_case, llm_stub, app, target
):
    llm_stub.script("other case", Reply("14 days", latency=0.3))
    llm_stub.script("mine", Reply("done"))
    write_case("a_target.yaml", target_case("t", target, "mine", [{"contains": "done"}]))
    for n in range(4):
        write_case(
            f"b{n}.yaml",
            prompt_case(
                f"other{n}", request={"messages": [{"role": "user", "content": f"other case {n}"}]}
            ),
        )
    result = pytester.runpytest(*llm_stub.args("--llm-report=r.json"))
    result.assert_outcomes(passed=5)
    [run] = report_cases(pytester.path / "r.json")["t"]["target_runs"]
    assert [call["messages"][-1]["content"] for call in run["calls"]] == ["mine"]


def test_target_calls_are_bounded_by_the_same_limiter(pytester, write_case, llm_stub, app):
    """The target's run holds a slot of its model: with --llm-concurrency=1 its call
    never overlaps the replays queued for the other cases."""
    llm_stub.script("other case", Reply("14 days", latency=0.2))
    llm_stub.script("mine", Reply("done", latency=0.2))
    write_case("a_target.yaml", target_case("t", "drifting", "mine", [{"contains": "done"}]))
    for n in range(3):
        write_case(
            f"b{n}.yaml",
            prompt_case(
                f"other{n}", request={"messages": [{"role": "user", "content": f"other case {n}"}]}
            ),
        )
    pytester.runpytest(*llm_stub.args("--llm-concurrency=1")).assert_outcomes(passed=4)
    assert llm_stub.max_in_flight == 1


def test_sync_target_gets_the_pinned_model_and_its_output_is_checked(
    pytester, write_case, llm_stub, app
):
    llm_stub.script("refund?", Reply("14 days"))
    write_case(
        "s.yaml",
        target_case(
            "s",
            "answer",
            "refund?",
            [
                {"json_path": {"path": "$.reply", "equals": "14 days"}},
                {"json_path": {"path": "$.model", "equals": "openai/gpt-4.1-mini-2025-04-14"}},
                {"max_cost_usd": 0.01},
            ],
            repeat=2,
        ),
    )
    result = pytester.runpytest(*llm_stub.args("--llm-model=openai/gpt-4.1-mini-2025-04-14"))
    result.assert_outcomes(passed=1)
    bodies = llm_stub.received("refund?")
    assert [b["model"] for b in bodies] == ["gpt-4.1-mini-2025-04-14"] * 2


def test_hand_written_target_case_needs_no_request(pytester, write_case, llm_stub, app):
    llm_stub.script("refund?", Reply("14 days"))
    write_case(
        "h.yaml",
        """\
        version: 1
        id: hand-written
        label: stale_policy_retrieval
        status: fixed
        model: {name: openai/gpt-4o-mini-2024-07-18}
        target: acme_app:answer
        input: {question: refund?}
        checks:
          - json_path: {path: $.reply, equals: 14 days}
        """,
    )
    write_case(
        "t.yaml",
        """\
        version: 1
        id: tools-unknown
        label: invalid_tool_arguments
        model: {name: openai/gpt-4o-mini-2024-07-18}
        target: acme_app:answer
        input: {question: refund?}
        checks:
          - tool_args_valid: true
        """,
    )
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*t.yaml:*tool_args_valid*needs 'request.tools'*"])


def test_target_spend_counts_towards_the_budget(pytester, write_case, llm_stub, app):
    for n in (1, 2):
        llm_stub.script(f"budget {n}", Reply("done", usage=COSTLY_USAGE))
        checks = [{"contains": "done"}]
        case = target_case(f"t{n}", "answer", f"budget {n}", checks, **CHEAP_RECORDING)
        write_case(f"t{n}.yaml", case)
    result = pytester.runpytest(*llm_stub.args("--llm-max-cost=0.00001", "-rs"))
    result.assert_outcomes(passed=1, skipped=1)
    assert len(llm_stub.received("budget")) == 1
    result.stdout.fnmatch_lines(
        ["SKIPPED ?1? regressions/t2.yaml:1: not sent: --llm-max-cost $0.00001 reached (spent $*)"]
    )


@pytest.mark.parametrize("target", ["crash", "crash_async"])
def test_target_that_raises_is_a_failure_with_the_app_traceback(
    pytester, write_case, llm_stub, app, target
):
    result = run_case(pytester, write_case, llm_stub, ("c", target, "A-1"), failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*target acme_app:{target} raised KeyError: 'A-1'*",
            "Traceback (most recent call last):",
            f'*acme_app.py", line *, in {target}',
            "*return orders?question?*",
        ]
    )
    text = result.stdout.str()
    assert (
        "llm_regressions/targets/" not in text
        and "llm_regressions/usercode.py" not in text
        and "asyncio/" not in text
    )


def test_provider_error_inside_the_target_is_an_error(pytester, write_case, llm_stub, app):
    llm_stub.script("down", Fault("status", 401))
    case = ("p", "wrapped_provider_error", "down")
    result = run_case(pytester, write_case, llm_stub, case, errors=1)
    result.stdout.fnmatch_lines(["*openai rejected the credentials for openai/gpt-4o-mini*(401*"])


def test_call_on_another_model_is_model_drift(pytester, write_case, llm_stub, app):
    result = run_case(pytester, write_case, llm_stub, ("d", "drifting", "hello"), passed=1)
    result.stdout.fnmatch_lines(
        [
            "*model drift, the provider served another model (1):*",
            "  d: openai/gpt-4o-mini-2024-07-18 -> gpt-4o-2024-08-06",
        ]
    )


def test_target_import_and_input_errors_are_located(pytester, write_case, llm_stub, app):
    write_case("a.yaml", target_case("a", "nothere", "q", [{"contains": "x"}]))
    write_case(
        "b.yaml",
        prompt_case(
            "b", target="acme_app:answer", input={"query": "q"}, checks=[{"contains": "x"}]
        ),
    )
    result = pytester.runpytest(*llm_stub.args())
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "regressions/a.yaml:*: target: 'acme_app' has no attribute 'nothere'",
            "regressions/b.yaml:*: target: acme_app:answer cannot be called with input: "
            "missing a required argument: 'question'",
        ]
    )


def test_target_and_prompt_together_are_refused(pytester, write_case):
    write_case(
        "t.yaml",
        prompt_case(
            "t",
            {"template": "p.yaml", "variables": {}},
            target="acme_app:answer",
            input={"question": "q"},
        ),
    )
    result = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*give 'target' (the app builds its own prompt) or 'prompt'*"])


# -- units ---------------------------------------------------------------------------------


def test_helpers_read_the_environment(monkeypatch):
    monkeypatch.delenv("LLM_REGRESSIONS_MODEL", raising=False)
    assert pinned_model("fallback") == "fallback"
    monkeypatch.setenv("LLM_REGRESSIONS_MODEL", "openai/gpt-4o-mini-2024-07-18")
    monkeypatch.setenv("LLM_REGRESSIONS_API_BASE", "http://127.0.0.1:9/v1")
    assert pinned_model() == "openai/gpt-4o-mini-2024-07-18"
    assert api_base() == "http://127.0.0.1:9/v1"


def test_provider_cause_follows_the_chain():
    class APIError(Exception):
        pass

    APIError.__module__ = "litellm.exceptions"
    try:
        try:
            raise APIError("boom")
        except APIError as inner:
            raise RuntimeError("app") from inner
    except RuntimeError as outer:
        assert isinstance(provider_cause(outer), APIError)
    assert provider_cause(ValueError("mine")) is None


def test_result_of_no_calls_is_just_the_return_value():
    result = target_result({"a": 1}, [], "m", 12.345)
    assert result.output == json.dumps({"a": 1})
    assert result.tool_calls == [] and result.usage is None and result.latency_ms == 12.3


def test_recorded_mode_never_imports_or_calls_the_target(pytester, write_case):
    case = prompt_case(
        "r",
        target="not_installed_app:answer",
        input={"question": "q"},
        observed={"output": "30 days"},
    )
    write_case("r.yaml", case)
    result = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded")
    result.assert_outcomes(passed=1)


def test_prompts_and_targets_under_xdist(pytester, write_case, prompt_stub):
    pytester.makepyfile(acme_app=APP)
    pytester.makeini("[pytest]\npythonpath = .\n")
    (pytester.path / "prompts").mkdir()
    (pytester.path / "prompts" / "p.yaml").write_text("- {role: user, content: '{{q}} please'}\n")
    prompt_stub.script("please", Reply("14 days"))
    prompt_stub.script("where is C-3", Reply("done"))
    for n in range(3):
        prompt = {"template": "prompts/p.yaml", "variables": {"q": f"case {n}"}}
        write_case(f"p{n}.yaml", prompt_case(f"p{n}", prompt))
    write_case("t.yaml", target_case("t", "agent", "where is C-3", [{"contains": "done"}]))
    result = pytester.runpytest_subprocess(*prompt_stub.args("-n", "2"))
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "3 case(s) sent the current prompt",
            "3 case(s) ran on a prompt changed since their trace:",
        ]
    )
    assert sorted(b["messages"][-1]["content"] for b in prompt_stub.requests) == [
        "case 0 please",
        "case 1 please",
        "case 2 please",
        "where is C-3",
    ]


@pytest.fixture(scope="session")
def litellm_cache_problem(tmp_path_factory) -> str | None:
    """Why this litellm cannot serve cached answers (None: it can)."""
    from llm_regressions.targets.cache import cache_problem

    return cache_problem(tmp_path_factory.mktemp("probe"))


def _agent_loop_case(write_case, llm_stub) -> list:
    llm_stub.script(
        "where is D-9",
        Reply(None, tool_calls=[tool_call("get_order_status", {"order_id": "D-9"})]),
    )
    write_case(
        "loop.yaml",
        target_case("loop", "agent", "where is D-9", [{"max_repeated_tool_calls": 2}], repeat=2),
    )
    return llm_stub.args("--llm-replay=cached", "--llm-report=r.json")


def test_cached_mode_answers_the_apps_calls_from_the_cache(
    pytester, write_case, llm_stub, app, litellm_cache_problem
):
    if litellm_cache_problem is not None:
        pytest.skip(litellm_cache_problem)
    args = _agent_loop_case(write_case, llm_stub)
    pytester.runpytest(*args).assert_outcomes(failed=1)
    assert len(llm_stub.received("where is D-9")) == 10  # 2 runs x 5 steps
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)  # the same verdict...
    assert len(llm_stub.received("where is D-9")) == 10  # ...with nothing sent
    result.stdout.fnmatch_lines(["*FAIL max_repeated_tool_calls: 2*'get_order_status' called 5x*"])
    assert (pytester.path / ".llm_regressions_cache" / ".gitignore").read_text() == "*\n"
    runs = report_cases(pytester.path / "r.json")["loop"]["target_runs"]
    # every cached answer is still seen as one of the app's calls, and cost nothing
    assert [len(run["calls"]) for run in runs] == [5, 5]
    assert {call["cost_usd"] for run in runs for call in run["calls"]} <= {0.0, None}


def test_cached_mode_says_when_litellm_cannot_serve_the_apps_calls(
    pytester, write_case, llm_stub, app, litellm_cache_problem
):
    if litellm_cache_problem is None:
        pytest.skip("this litellm serves cached answers")
    args = _agent_loop_case(write_case, llm_stub)
    pytester.runpytest(*args).assert_outcomes(failed=1)
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    assert len(llm_stub.received("where is D-9")) == 20  # sent again, as in live mode
    assert (pytester.path / ".llm_regressions_cache" / ".gitignore").read_text() == "*\n"
    result.stdout.fnmatch_lines(
        ["*CacheWarning: --llm-replay cached: app targets' own litellm calls are sent*"]
    )


def test_a_litellm_cache_set_by_the_users_code_never_answers_a_replay(
    pytester, write_case, llm_stub
):
    pytester.makeconftest(
        "import litellm\n"
        "from litellm.caching.caching import Cache\n"
        "litellm.cache = Cache(type='local')\n"
    )
    llm_stub.script("same request", Reply("14 days"))
    write_case("c.yaml", live_case("c", "same request", repeat=3))
    pytester.runpytest(*llm_stub.args()).assert_outcomes(passed=1)
    assert len(llm_stub.received("same request")) == 3
