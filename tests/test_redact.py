"""Secrets never reach a promoted case, and the report never repeats them."""

from __future__ import annotations

import json

import pytest

from llm_regressions.traces.redact import Redactor
from trace_support import chat_span, otlp, promote, written_cases

SECRETS = {
    "openai-key": "sk-proj-" + "A1b2C3d4" * 4,
    "anthropic-key": "sk-ant-api03-" + "x" * 30,
    "aws-access-key": "AKIA" + "ABCDEFGHIJKLMNOP",
    "google-api-key": "AIza" + "S" * 35,
    "bearer-token": "Bearer " + "eyJhbGciOiJIUzI1NiJ9.abc.def",
    "url-password": "postgres://app:hunter2hunter2@db.internal:5432/prod",
    "authorization-header": "Authorization: Basic dXNlcjpwYXNzd29yZA==",
}


@pytest.mark.parametrize(("kind", "text"), SECRETS.items())
def test_each_kind_of_secret_is_redacted(kind, text):
    redacted, kinds = Redactor().text(f"before {text} after")
    assert kind in kinds
    secret = "hunter2hunter2" if kind == "url-password" else text[-12:]
    assert secret not in redacted and redacted.startswith("before ") and redacted.endswith(" after")


def test_secret_named_fields_and_custom_patterns():
    data = {"headers": {"x-api-key": "abc123"}, "max_tokens": 5, "note": "ticket ACME-778899"}
    redacted, findings = Redactor([r"ACME-\d{6}"]).data(data)
    assert redacted["headers"]["x-api-key"].startswith("[REDACTED")
    assert redacted["max_tokens"] == 5 and "ACME-778899" not in redacted["note"]
    assert {(f.where, f.kind) for f in findings} == {
        ("headers.x-api-key", "secret-named field"),
        ("note", "custom-pattern-1"),
    }


def test_promotion_redacts_before_writing_and_reports_without_the_secret(pytester):
    key = SECRETS["openai-key"]
    span = chat_span("00000000000000a1", f"Your key is {key}; use it at postgres://u:pw12345@db/x")
    path = pytester.path / "leak.json"
    path.write_text(json.dumps(otlp(span)), encoding="utf-8")
    result = promote(
        pytester,
        path,
        "--promote-check",
        "not_contains: Your key",
        "--promote-redact-pattern",
        r"db/\w+",
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "redacted observed.output: openai-key",
            "redacted observed.output: url-password",
            "redacted observed.output: custom-pattern-1",
        ]
    )
    (case,) = written_cases(pytester)
    text = case.read_text(encoding="utf-8")
    assert key not in text and "pw12345" not in text and "db/x" not in text
    assert key not in result.stdout.str()


def test_invalid_redact_pattern_is_a_usage_error(pytester):
    path = pytester.path / "t.json"
    path.write_text(json.dumps(otlp(chat_span("00000000000000a1", "Hi"))), encoding="utf-8")
    result = promote(
        pytester, path, "--promote-check", "contains: z", "--promote-redact-pattern", "("
    )
    assert result.ret == 4
    assert "invalid regular expression" in result.stderr.str()
