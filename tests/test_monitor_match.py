"""Which LLM spans a monitor rule takes: each field of ``match:`` (globs as fnmatch reads
them, compiled once per rule), all of them together, and a rule with none."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from llm_regressions.monitor.load import glob, load_monitors
from llm_regressions.monitor.score import matches
from llm_regressions.traces.model import LlmCall, Span

PATTERNS = ["gpt-4o", "gpt-4o*", "*mini*", "gpt-?o", "[gc]*", "[!g]*", "a.b", "*", "", "x[", "a\\*"]
TEXTS = ["gpt-4o", "gpt-4o-mini", "claude-3", "GPT-4O", "a.b", "axb", "", "x[", "a\\b", "a*"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_compiled_glob_matches_as_fnmatchcase_does(pattern) -> None:
    test = glob(pattern)
    assert [test(text) for text in TEXTS] == [fnmatch.fnmatchcase(t, pattern) for t in TEXTS]
    assert glob(None) is None


def _span(**attributes: str) -> Span:
    call = LlmCall(request_model="gpt-4o", response_model="gpt-4o-2024-08-06")
    return Span("t1", "s1", "support.answer", attributes=dict(attributes), llm=call)


def _rule(tmp_path: Path, match: str):
    text = (
        f"version: 1\nrules:\n  - name: r\n    match: {match}\n    checks:\n      - max_chars: 9\n"
    )
    (tmp_path / "monitors.yaml").write_text(text, encoding="utf-8")
    return load_monitors(tmp_path / "monitors.yaml").rules[0]


@pytest.mark.parametrize(
    ("match", "attributes", "tenant", "taken"),
    [
        ("{}", {}, "acme", True),
        ("{model: gpt-4o}", {}, "acme", True),  # the requested model
        ("{model: 'gpt-4o-2024*'}", {}, "acme", True),  # or the answering one
        ("{model: 'claude*'}", {}, "acme", False),
        ("{span_name: 'support.*'}", {}, "acme", True),
        ("{span_name: support}", {}, "acme", False),
        ("{tenant: 'ac?e'}", {}, "acme", True),
        ("{tenant: globex}", {}, "acme", False),
        ("{prompt_version: 'v2*'}", {"prompt.version": "v2.1"}, "acme", True),
        ("{prompt_version: 'v2*'}", {"prompt.version": "v1"}, "acme", False),
        ("{prompt_version: '*'}", {}, "acme", False),  # none recorded
        ("{attributes: {env: prod}}", {"env": "prod"}, "acme", True),
        ("{attributes: {env: '*'}}", {"env": ""}, "acme", True),  # present
        ("{attributes: {env: '*'}}", {}, "acme", False),
        (
            "{attributes: {env: prod, region: 'eu-*'}}",
            {"env": "prod", "region": "us-1"},
            "acme",
            False,
        ),
        ("{model: 'gpt*', tenant: acme, attributes: {env: prod}}", {"env": "prod"}, "acme", True),
        (
            "{model: 'gpt*', tenant: acme, attributes: {env: prod}}",
            {"env": "prod"},
            "globex",
            False,
        ),
    ],
)
def test_every_field_of_match_must_hold(tmp_path, match, attributes, tenant, taken) -> None:
    assert matches(_rule(tmp_path, match), _span(**attributes), tenant) is taken
