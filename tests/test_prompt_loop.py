"""The README's loop on the example app, against the stub: a case promoted from a real
trace fails on the current prompt, a one-line template fix makes it pass; and the
promotion flags (--promote-template / --promote-render / --promote-target)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from stub_support import Reply

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "acme_support"
CASE = REPO / "regressions" / "malformed_json_output" / "triage-unescaped-quotes-75956232.yaml"
TRACES = Path(__file__).parent / "data" / "traces"
FIX = " Escape any double quotes inside JSON strings."
MALFORMED = (
    '{"category": "billing", "summary": "Customer says "charged twice"", "refund_requested": true'
)
VALID = '{"category": "billing", "summary": "Customer says \\"charged twice\\"", "refund_requested": true}'


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    """The example app and its case, in a fresh project; the app importable."""
    shutil.copytree(EXAMPLE, pytester.path / "examples" / "acme_support")
    case = pytester.path / "regressions" / "malformed_json_output" / CASE.name
    case.parent.mkdir(parents=True)
    shutil.copy(CASE, case)
    pytester.syspathinsert(pytester.path / "examples")
    return pytester.path


def test_one_line_prompt_fix_flips_the_case(pytester, project, prompt_stub):
    template = project / "examples" / "acme_support" / "prompts" / "triage.yaml"
    fixed = template.read_text()
    assert FIX in fixed, "the example template carries the fix"
    prompt_stub.script("Classify the support ticket", Reply(MALFORMED))
    prompt_stub.script("Escape any double quotes", Reply(VALID))

    template.write_text(fixed.replace(FIX, ""))  # the prompt as it was in production
    before = pytester.runpytest(*prompt_stub.args())
    before.assert_outcomes(failed=1)
    before.stdout.fnmatch_lines(
        [
            "*FAIL json_valid*",
            "*1 case(s) sent the current prompt",
            "0 case(s) ran on a prompt changed since their trace",
        ]
    )

    template.write_text(fixed)  # the one-line fix
    after = pytester.runpytest(*prompt_stub.args())
    after.assert_outcomes(passed=1)
    after.stdout.fnmatch_lines(
        ["1 case(s) ran on a prompt changed since their trace:", "  triage-unescaped-quotes-*"]
    )
    sent = prompt_stub.requests[-1]
    assert FIX.strip() in sent["messages"][0]["content"]
    assert sent["response_format"] == {"type": "json_object"} and sent["seed"] == 11


def test_the_example_case_passes_offline(pytester, project):
    pytester.runpytest("--llm-regressions", "--llm-replay", "recorded").assert_outcomes(passed=1)


def test_example_bot_as_a_target(pytester, project, prompt_stub):
    prompt_stub.script("Classify the support ticket", Reply(MALFORMED))
    prompt_stub.script("Escape any double quotes", Reply(VALID))
    case = yaml.safe_load(CASE.read_text())
    del case["prompt"]
    case["target"] = "acme_support.bot:triage"
    case["input"] = {"ticket": "I was charged twice for order A-1042!!"}
    case["checks"] = [{"json_path": {"path": "$.category", "equals": "billing"}}]
    path = project / "regressions" / "malformed_json_output" / CASE.name
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    pytester.runpytest(*prompt_stub.args()).assert_outcomes(passed=1)
    assert prompt_stub.requests[-1]["model"] == "gpt-4o-mini-2024-07-18"


# -- promotion -----------------------------------------------------------------------------


def promote(pytester, trace: str, *flags: str):
    return pytester.runpytest(
        f"--promote-trace={TRACES / trace}",
        "--promote-label=malformed_json_output",
        "--promote-check=json_valid",
        *flags,
    )


def promote_fresh(pytester, project: Path, trace: str, flag: str):
    """Promote into a project without the example case (same span: no duplicate)."""
    for old in (project / "regressions").rglob("*.yaml"):
        old.unlink()
    result = promote(pytester, trace, flag)
    assert result.ret == 0, result.stdout.str()
    return result


def written(root: Path) -> dict:
    [path] = (root / "regressions" / "malformed_json_output").glob("malformed-json-output-*")
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("fmt", ["openinference", "openllmetry", "langfuse-otel"])
def test_promote_template_takes_the_variables_and_verifies(pytester, project, fmt):
    template = project / "examples" / "acme_support" / "prompts" / "triage.yaml"
    template.write_text(template.read_text().replace(FIX, ""))
    result = promote_fresh(
        pytester,
        project,
        f"{fmt}/parser_malformed_json.json",
        "--promote-template=examples/acme_support/prompts/triage.yaml",
    )
    result.stdout.fnmatch_lines(
        [
            "variables from span 'build_triage_prompt*",
            "verified: the current prompt renders the recorded messages exactly",
        ]
    )
    case = written(project)
    assert case["prompt"] == {
        "template": "examples/acme_support/prompts/triage.yaml",
        "variables": {
            "ticket": "I was charged twice for order A-1042!! Please refund one of the charges ASAP."
        },
    }
    assert list(case)[list(case).index("request") + 1] == "prompt"


def test_promote_template_shows_the_diff_when_the_prompt_changed(pytester, project):
    result = promote_fresh(
        pytester,
        project,
        "openinference/parser_malformed_json.json",
        "--promote-template=examples/acme_support/prompts/triage.yaml",
    )
    result.stdout.fnmatch_lines(
        [
            "warning: rendering the current prompt does not reproduce the recorded messages*",
            "  +*Escape any double quotes inside JSON strings.",
        ]
    )


def test_promote_template_refuses_input_that_does_not_fit(pytester, project):
    (project / "other.yaml").write_text("- {role: user, content: '{{a}} {{b}}'}\n")
    result = promote(
        pytester, "openllmetry/parser_malformed_json.json", "--promote-template=other.yaml"
    )
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*the recorded input does not fit the template:", "*missing variable 'b'*"]
    )


def test_promote_render_calls_the_apps_prompt_function(pytester, project):
    result = promote_fresh(
        pytester,
        project,
        "openllmetry/parser_malformed_json.json",
        "--promote-render=acme_support.bot:build_messages",
    )
    result.stdout.fnmatch_lines(
        ["positional argument(s) bound by the function's parameter order: ticket"]
    )
    assert written(project)["prompt"]["render"] == "acme_support.bot:build_messages"


def test_promote_target_takes_the_root_span_input(pytester, project):
    pytester.makepyfile(orders="def order_status_chat(question, max_steps=4):\n    return ''\n")
    pytester.syspathinsert()
    result = pytester.runpytest(
        f"--promote-trace={TRACES / 'openllmetry/agent_tool_loop.json'}",
        "--promote-label=stuck_tool_loop",
        "--promote-check=max_repeated_tool_calls: 2",
        "--promote-target=orders:order_status_chat",
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["input from the root span 'order_status_chat.workflow'*"])
    [path] = (project / "regressions" / "stuck_tool_loop").glob("*.yaml")
    case = yaml.safe_load(path.read_text())
    assert case["target"] == "orders:order_status_chat"
    assert case["input"] == {
        "question": "Where is my order A-1042? It was supposed to arrive yesterday."
    }
    assert case["observed"]["output"].startswith("Sorry, I couldn't retrieve your order status")
    assert [c["name"] for c in case["observed"]["tool_calls"]] == ["get_order_status"] * 4
