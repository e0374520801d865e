"""The trace commands the README and docs show run as written, on the example files a
fresh clone has (``traces/``, ``examples/``), and say what the docs say they say."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The repository's example traces and app, in a fresh folder."""
    for folder in ("traces", "examples"):
        shutil.copytree(REPO / folder, pytester.path / folder)
    pytester.makeini("[pytest]\n")
    return pytester


def test_readme_inspect_and_promote_the_incident(project: pytest.Pytester):
    result = project.runpytest("--llm-inspect-trace", "traces/incident.json")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "trace 98445b23391939cadff8fbe8256887e6  started *",
            "  kind       span * latency * tokens  status  model (asked -> served)  finish",
            "  chain      support_rag_answer.workflow *",
            "*[[]retrieval_stale] retrieve_documents.task*",
        ]
    )
    result = project.runpytest(
        "--promote-trace=traces/incident.json",
        "--promote-label",
        "stale_policy_retrieval",
        "--promote-golden",
        "--promote-check",
        "not_contains: 14 days",
        "--promote-check",
        "contains: 30 days",
        "--promote-expected",
        "Annual plans can be refunded within 30 days of purchase.",
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "promoting span 'openai.chat' (*) (first LLM span after the retrieval_stale signal*",
            "wrote regressions/stale_policy_retrieval/stale-policy-retrieval-*.yaml",
        ]
    )
    replay = project.runpytest("--llm-regressions", "--llm-replay", "recorded")
    replay.assert_outcomes(passed=1)


def test_docs_truncated_trace_with_suggested_checks(project: pytest.Pytester):
    result = project.runpytest(
        "--promote-trace",
        "traces/truncated.json",
        "--promote-label",
        "truncated_summary",
        "--promote-suggested",
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["verified: fails on observed: finish_reason: 'stop' -- finish_reason is 'length'*"]
    )


def test_docs_suggested_checks_and_the_command_that_adds_them(project: pytest.Pytester):
    given = ["--promote-span", "568658d1fa94b794", "--promote-golden"]
    result = project.runpytest(
        "--promote-trace=traces/truncated.json", "--promote-label", "truncated_summary", *given
    )
    assert result.ret == 4
    command = "pytest --promote-trace traces/truncated.json --promote-label truncated_summary"
    result.stderr.fnmatch_lines(
        [
            "ERROR: no checks given. Suggested from the signals:",
            "  - {finish_reason: stop}",
            f"add them with: {command} {' '.join(given)} --promote-suggested",
        ]
    )


def test_docs_prompt_loop_promotes_onto_the_template(project: pytest.Pytester):
    result = project.runpytest(
        "--promote-trace",
        "traces/triage.json",
        "--promote-label",
        "malformed_json_output",
        "--promote-template",
        "examples/acme_support/prompts/triage.yaml",
        "--promote-check",
        "json_valid",
    )
    assert result.ret == 0, result.stdout.str()
    [case] = (project.path / "regressions" / "malformed_json_output").glob("*.yaml")
    assert "template: examples/acme_support/prompts/triage.yaml" in case.read_text()


def test_docs_diagnose_clusters_and_known_good_run_as_shown(pytester: pytest.Pytester):
    """docs/diagnose.md's two commands, on the sample traces a fresh clone has."""
    for fmt in ("openllmetry", "openinference"):
        shutil.copytree(
            REPO / f"tests/data/traces/{fmt}", pytester.path / f"tests/data/traces/{fmt}"
        )
    samples = "tests/data/traces/openllmetry"
    result = pytester.runpytest("--llm-inspect-trace", samples, "tests/data/traces/openinference")
    assert result.ret == 0
    shown = (REPO / "docs" / "diagnose.md").read_text(encoding="utf-8")
    head = result.stdout.lines[0]
    assert head.startswith("failure clusters across 19 trace file(s)") and head in shown
    result = pytester.runpytest(
        "--llm-inspect-trace",
        f"{samples}/provider_error_500.json",
        "--llm-known-good",
        f"{samples}/provider_error_429_fallback.json",
    )
    assert result.ret == 0
    for line in result.stdout.lines:
        assert line in shown, line
