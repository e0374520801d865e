"""Current prompt templates and render hooks: rendering, located errors, current vs
frozen, the diff and the prompt identity, against the loopback stub."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from llm_regressions.prompts.diff import message_diff
from llm_regressions.prompts.template import (
    PromptError,
    load_template,
    render_template,
    rendered_from_hook,
    variable_problems,
)
from prompt_support import prompt_case, report_cases
from stub_support import Reply

SUPPORT = """\
messages:
  - role: system
    content: You are Acme's support bot. Quote the refund policy exactly.
  - role: user
    content: "{{ question }}"
params: {max_tokens: 50}
response_format: {type: json_object}
"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- templates, without pytest ----------------------------------------------------------


def test_slots_are_filled_once_and_values_are_never_evaluated(tmp_path):
    path = write(
        tmp_path,
        "t.yaml",
        """\
        - role: system
          content: "Policy: {{policy}} (v{{version}}) {{ flags }}"
        - role: user
          content: "{{question}}"
        """,
    )
    template = load_template(path, "t.yaml")
    rendered = render_template(
        template,
        {
            "policy": "14 days {{question}}",
            "version": 3,
            "flags": {"vip": True},
            "question": "{{policy}} and {% raw %}",
        },
    )
    assert rendered.messages == [
        {"role": "system", "content": 'Policy: 14 days {{question}} (v3) {"vip": true}'},
        {"role": "user", "content": "{{policy}} and {% raw %}"},
    ]
    assert rendered.identity.startswith("t.yaml@") and len(rendered.identity) == len("t.yaml@") + 12


def test_identity_changes_with_the_template_text(tmp_path):
    first = load_template(write(tmp_path, "t.yaml", SUPPORT), "t.yaml").digest
    second = load_template(write(tmp_path, "t.yaml", SUPPORT + "\n# edited\n"), "t.yaml").digest
    assert first != second


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- role: user\n  content: '{{#if vip}}hi{{/if}}'\n",
            "t.yaml:2: messages[0].content: unsupported template syntax '{{#if vip}}'",
        ),
        (
            "- role: user\n  content: 'Hi {{user.name}}'\n",
            "t.yaml:2: messages[0].content: unsupported template syntax '{{user.name}}'",
        ),
        (
            "messages:\n  - role: robot\n    content: hi\n",
            "t.yaml:2: messages[0].role: Input should be",
        ),
        ("messages: []\n", "t.yaml:1: messages: expected a non-empty list"),
        (
            "messages:\n  - {role: user, content: hi}\nmodel: gpt-4o\n",
            "t.yaml:3: model: unknown key",
        ),
        ("messages: [unclosed\n", "t.yaml:2: invalid YAML"),
        ("just text\n", "t.yaml:1: a template is a list of chat messages"),
    ],
)
def test_template_mistakes_are_located(tmp_path, text, message):
    with pytest.raises(PromptError) as raised:
        load_template(write(tmp_path, "t.yaml", text), "t.yaml")
    assert str(raised.value).startswith(message)


def test_missing_and_unused_variables(tmp_path):
    template = load_template(write(tmp_path, "t.yaml", SUPPORT), "prompts/t.yaml")
    assert variable_problems(template, {"question": "q"}) == []
    assert variable_problems(template, {"questoin": "q"}) == [
        ("question", "missing variable 'question' (used at prompts/t.yaml:5)"),
        ("questoin", "unused variable 'questoin': prompts/t.yaml has no {{questoin}} slot"),
    ]


def test_render_hook_results():
    messages = [{"role": "user", "content": "hi"}]
    assert rendered_from_hook("m:f", messages).messages == messages
    full = rendered_from_hook(
        "m:f", {"messages": messages, "tools": [], "response_format": {"type": "json_object"}}
    )
    assert full.tools == [] and full.response_format == {"type": "json_object"}
    assert full.identity.startswith("m:f@")
    with pytest.raises(PromptError, match="without 'messages'"):
        rendered_from_hook("m:f", {"tools": []})
    with pytest.raises(PromptError, match=r"bad messages: messages\[0\].role"):
        rendered_from_hook("m:f", [{"role": "robot", "content": "x"}])


def test_diff_is_compact_and_empty_when_equal():
    frozen = [{"role": "system", "content": "Be brief.\nQuote the 30-day policy."}]
    current = [{"role": "system", "content": "Be brief.\nQuote the 14-day policy."}]
    assert message_diff(frozen, frozen) == ""
    diff = message_diff(frozen, current)
    assert "-  Quote the 30-day policy." in diff and "+  Quote the 14-day policy." in diff
    assert diff.splitlines()[0] == "--- frozen (request.messages)"


# -- located collection errors (offline: recorded mode) ----------------------------------

RECORDED = ["--llm-regressions", "--llm-replay", "recorded"]


def recorded_case(case_id: str, variables: dict) -> str:
    return prompt_case(
        case_id,
        {"template": "prompts/support.yaml", "variables": variables},
        observed={"output": "30 days"},
    )


def test_missing_variable_is_a_located_collection_error(pytester, write_case):
    write(pytester.path, "prompts/support.yaml", SUPPORT)
    write_case("bad.yaml", recorded_case("bad", {"questoin": "q"}))
    write_case("good.yaml", recorded_case("good", {"question": "q"}))
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "regressions/bad.yaml:21: prompt.variables: missing variable 'question' (used at prompts/support.yaml:5)",
            "regressions/bad.yaml:22: prompt.variables.questoin: unused variable 'questoin': prompts/support.yaml has no {{questoin}} slot",
        ]
    )


def test_broken_template_is_reported_at_both_files(pytester, write_case):
    write(pytester.path, "prompts/support.yaml", "- role: user\n  content: '{{ a + b }}'\n")
    write_case("c.yaml", recorded_case("c", {"question": "q"}))
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "regressions/c.yaml:20: prompt.template: prompts/support.yaml:2: messages?0?.content: "
            "unsupported template syntax '{{ a + b }}'*"
        ]
    )


def test_missing_template_file(pytester, write_case):
    write_case("c.yaml", recorded_case("c", {"question": "q"}))
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["regressions/c.yaml:20: prompt.template: prompts/support.yaml: cannot read the template*"]
    )


# -- live replay: current vs frozen --------------------------------------------------------


def support_case(pytester, write_case) -> Path:
    """A case on prompts/support.yaml asking 'Refund?'; returns the template's path."""
    template = write(pytester.path, "prompts/support.yaml", SUPPORT)
    variables = {"question": "Refund?"}
    write_case(
        "c.yaml", prompt_case("c", {"template": "prompts/support.yaml", "variables": variables})
    )
    return template


def test_current_prompt_is_sent_with_the_templates_settings(pytester, write_case, prompt_stub):
    prompt_stub.script("Quote the refund policy exactly", Reply("within 14 days"))
    support_case(pytester, write_case)
    result = pytester.runpytest(*prompt_stub.args("--llm-report=r.json"))
    result.assert_outcomes(passed=1)
    [body] = prompt_stub.requests
    assert body["messages"] == [
        {
            "role": "system",
            "content": "You are Acme's support bot. Quote the refund policy exactly.",
        },
        {"role": "user", "content": "Refund?"},
    ]
    assert body["max_tokens"] == 50 and body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    prompt_run = report_cases(pytester.path / "r.json")["c"]["prompt_run"]
    assert prompt_run["mode"] == "current"
    assert prompt_run["changed"] is True
    assert prompt_run["rendered"].startswith("prompts/support.yaml@")
    result.stdout.fnmatch_lines(
        [
            "*llm regressions*",
            "1 case(s) sent the current prompt",
            "1 case(s) ran on a prompt changed since their trace:",
            "  c: prompts/support.yaml@*",
        ]
    )


@pytest.mark.parametrize("how", ["option", "ini"])
def test_frozen_sends_the_recorded_messages(pytester, write_case, prompt_stub, how):
    prompt_stub.script("frozen question", Reply("30 days"))
    support_case(pytester, write_case)
    if how == "ini":
        pytester.makeini("[pytest]\nllm_regressions_prompt = frozen\n")
    args = ["--llm-prompt=frozen"] if how == "option" else []
    result = pytester.runpytest(*prompt_stub.args(*args))
    result.assert_outcomes(failed=1)
    [body] = prompt_stub.requests
    assert body["messages"][-1] == {"role": "user", "content": "frozen question"}
    assert "response_format" not in body
    result.stdout.fnmatch_lines(
        [
            "prompt:  frozen (prompts/support.yaml@*, changed since the trace)",
            "prompt diff:",
            "*-  You are a support bot.",
            "*+  You are Acme's support bot. Quote the refund policy exactly.",
            "*1 case(s) sent the frozen request (--llm-prompt frozen)",
            "0 case(s) ran on a prompt changed since their trace",
            "1 frozen case(s) have a current prompt that differs from the request sent*",
        ]
    )


def test_bad_prompt_mode_is_a_usage_error(pytester, write_case):
    pytester.makeini("[pytest]\nllm_regressions_prompt = newest\n")
    result = pytester.runpytest("--llm-regressions")
    result.stderr.fnmatch_lines(
        ["*llm_regressions_prompt = 'newest': choose one of current, frozen*"]
    )


def test_template_edit_flips_the_case_from_fail_to_pass(pytester, write_case, prompt_stub):
    prompt_stub.script("Quote the refund policy exactly", Reply("You have 30 days."))
    prompt_stub.script("accepted within 14 days", Reply("Within 14 days."))
    template = support_case(pytester, write_case)
    before = pytester.runpytest(*prompt_stub.args())
    before.assert_outcomes(failed=1)
    before.stdout.fnmatch_lines(["*FAIL contains: '14 days'*", "*output: You have 30 days.*"])
    # the one-line fix
    template.write_text(
        SUPPORT.replace("exactly.", "exactly. Refunds are accepted within 14 days.")
    )
    after = pytester.runpytest(*prompt_stub.args())
    after.assert_outcomes(passed=1)


HOOKS = """\
import asyncio


def build(question, tone="plain"):
    return [{"role": "system", "content": f"Tone: {tone}"}, {"role": "user", "content": question}]


async def build_async(question):
    await asyncio.sleep(0)
    return {"messages": [{"role": "user", "content": question}], "tools": [], "params": {"seed": 3}}


def broken(question):
    return {"role": "user", "content": question}["nope"]
"""


@pytest.mark.parametrize("hook", ["build", "build_async"])
def test_render_hook_sync_and_async(pytester, write_case, prompt_stub, hook):
    pytester.makepyfile(apphooks=HOOKS)
    pytester.syspathinsert()
    prompt_stub.script("hook question", Reply("14 days"))
    write_case(
        "h.yaml",
        prompt_case(
            "h", {"render": f"apphooks:{hook}", "variables": {"question": "hook question"}}
        ),
    )
    result = pytester.runpytest(*prompt_stub.args("--llm-report=r.json"))
    result.assert_outcomes(passed=1)
    [body] = prompt_stub.requests
    assert body["messages"][-1]["content"] == "hook question"
    if hook == "build_async":
        assert body["seed"] == 3
    prompt_run = report_cases(pytester.path / "r.json")["h"]["prompt_run"]
    assert prompt_run["rendered"].startswith(f"apphooks:{hook}@")


def test_render_hook_that_raises_fails_with_the_app_traceback(pytester, write_case, prompt_stub):
    pytester.makepyfile(apphooks=HOOKS)
    pytester.syspathinsert()
    write_case(
        "h.yaml", prompt_case("h", {"render": "apphooks:broken", "variables": {"question": "q"}})
    )
    result = pytester.runpytest(*prompt_stub.args())
    result.assert_outcomes(failed=1)
    assert prompt_stub.requests == []
    result.stdout.fnmatch_lines(
        ["*render hook apphooks:broken raised KeyError: 'nope'*", "*apphooks.py*in broken*"]
    )


def test_render_hook_import_and_signature_errors_are_located(pytester, write_case, prompt_stub):
    pytester.makepyfile(apphooks=HOOKS)
    pytester.syspathinsert()
    write_case("a.yaml", prompt_case("a", {"render": "apphooks:nothere", "variables": {}}))
    write_case("b.yaml", prompt_case("b", {"render": "apphooks:build", "variables": {"other": 1}}))
    result = pytester.runpytest(*prompt_stub.args())
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*regressions/a.yaml:18: prompt.render: 'apphooks' has no attribute 'nothere'*",
            "*regressions/b.yaml:19: prompt.variables: apphooks:build: missing a required argument: 'question'*",
        ]
    )


def test_frozen_mode_tolerates_a_broken_render_hook(pytester, write_case, prompt_stub):
    pytester.makepyfile(apphooks=HOOKS)
    pytester.syspathinsert()
    prompt_stub.script("frozen question", Reply("14 days"))
    write_case(
        "h.yaml", prompt_case("h", {"render": "apphooks:broken", "variables": {"question": "q"}})
    )
    result = pytester.runpytest(*prompt_stub.args("--llm-prompt=frozen", "--llm-report=r.json"))
    result.assert_outcomes(passed=1)
    prompt_run = report_cases(pytester.path / "r.json")["h"]["prompt_run"]
    assert prompt_run["error"].startswith("render hook apphooks:broken raised KeyError")


def test_cached_mode_misses_when_the_template_changes(pytester, write_case, prompt_stub):
    template = support_case(pytester, write_case)
    prompt_stub.script("Refund?", Reply("14 days"))
    cached = prompt_stub.args("--llm-replay=cached")
    pytester.runpytest(*cached).assert_outcomes(passed=1)
    pytester.runpytest(*cached).assert_outcomes(passed=1)
    assert len(prompt_stub.requests) == 1  # the second run was a cache hit
    template.write_text(SUPPORT.replace("exactly.", "exactly, and briefly."))
    pytester.runpytest(*cached).assert_outcomes(passed=1)
    assert len(prompt_stub.requests) == 2
    assert "briefly" in prompt_stub.requests[-1]["messages"][0]["content"]
