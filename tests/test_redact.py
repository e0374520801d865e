"""Secrets never reach a promoted case, and the report never repeats them."""

from __future__ import annotations

import json

import pytest

from llm_regressions.traces.redact import Redactor
from trace_support import chat_span, otlp, otlp_span, promote, written_cases

SECRETS = {
    "openai-key": "sk-proj-" + "A1b2C3d4" * 4,
    "anthropic-key": "sk-ant-api03-" + "x" * 30,
    "aws-access-key": "AKIA" + "ABCDEFGHIJKLMNOP",
    "google-api-key": "AIza" + "S" * 35,
    "bearer-token": "Bearer " + "eyJhbGciOiJIUzI1NiJ9.abc.def",
    "url-password": "postgres://app:hunter2hunter2@db.internal:5432/prod",
    "authorization-header": "Authorization: Basic dXNlcjpwYXNzd29yZA==",
}


PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
#: (kind, text, the part that must not survive): the token formats of issue 10.
MORE_SECRETS = [
    ("github-token", "github_pat_11ABCDEFG0" + "a1B2c3D4e5" * 7, "a1B2c3D4e5"),
    ("stripe-key", "sk_live_" + "51HqLyjWDarjtT1zdp7dc", "51HqLyjWDarjtT1zdp7dc"),
    ("stripe-key", "rk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ("slack-token", "xoxb-2048172048-4096172049-" + "aBcDeFgHiJkL", "aBcDeFgHiJkL"),
    ("slack-token", "xoxp-1234567890-1234567890-" + "mNoPqRsTuV12", "mNoPqRsTuV12"),
    ("slack-token", "xoxa-2-" + "1234567890abcdef", "1234567890abcdef"),
    ("huggingface-token", "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "AbCdEfGhIjKlMnOp"),
    (
        "private-key",
        f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----",
        "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    ),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdXN0XzQ4MjEifQ.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "dBjftJeZ4CVPmB92K27uhbUJU1p1r",
    ),
    ("url-query-secret", "https://api.example/v1?q=1&api_key=Zq81kPw3xR", "Zq81kPw3xR"),
    ("url-query-secret", "https://h.example/cb?state=y&access_token=ya29.a0AfH6S", "ya29.a0AfH6S"),
    ("url-query-secret", "https://b.example/f?sv=2021&sig=AbC%2Bd3f%3D&se=2", "AbC%2Bd3f"),
    ("url-query-secret", "https://s3.example/o?X-Amz-Signature=9f86d081884c", "9f86d081884c"),
    ("openai-key", "sk-test-SECRET123", "SECRET123"),
    ("openai-key", "sk-proj-abc123", "abc123"),
    (
        "private-key",
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}",  # cut before its END line: last
        "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    ),
]
#: Text that looks a little like a key but is not one.
NOT_SECRETS = [
    "pip install scikit-learn; sk-learn is not a package",
    "a risk-assessment-2024 and a task-12345678",
    "sk-short1 and sk_live_short",
    "hf_hub_download(repo_id='gpt2')",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----",
    "eyJhbGciOiJIUzI1NiJ9 alone is only a header",
    "xoxb- and xoxp-123",
    "https://shop.example/search?q=shoes&page=2&design=blue",
    "a key=value pair and token= at the start of a line",
]


@pytest.mark.parametrize(
    ("kind", "text", "secret"),
    [(k, t, "hunter2hunter2" if k == "url-password" else t[-12:]) for k, t in SECRETS.items()]
    + MORE_SECRETS,
)
def test_each_kind_of_secret_is_redacted(kind, text, secret):
    redacted, kinds = Redactor().text(f"before {text} after")
    assert kinds == [kind]
    assert secret not in redacted and redacted.startswith("before ")
    if kind != "private-key" or "END" in text:  # a cut key is redacted to the end
        assert redacted.endswith(" after")


def test_no_needle_hides_another():
    from llm_regressions.traces.redact import PATTERNS

    needles = {n for *_, found in PATTERNS for n in found}
    assert all(a == b or a not in b for a in needles for b in needles)
    assert all(n == n.lower() for n in needles)


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_text_that_only_looks_like_a_key_is_kept(text):
    assert Redactor().text(text) == (text, [])


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
    output = f"Your key is {key}; use it at postgres://u:pw12345@db/x"
    args = ("--promote-check", "not_contains: Your key", "--promote-redact-pattern", r"db/\w+")
    result, text = _promote_leak(pytester, output, *args)
    result.stdout.fnmatch_lines(
        [
            "redacted observed.output: openai-key",
            "redacted observed.output: url-password",
            "redacted observed.output: custom-pattern-1",
        ]
    )
    assert key not in text and "pw12345" not in text and "db/x" not in text
    assert key not in result.stdout.str()


def _promote_leak(pytester, output: str, *args: str) -> tuple[pytest.RunResult, str]:
    """Promote a one-span trace answering ``output``: the run and the written case."""
    path = pytester.path / "leak.json"
    path.write_text(json.dumps(otlp(chat_span("00000000000000a1", output))), encoding="utf-8")
    result = promote(pytester, path, *args)
    assert result.ret == 0, result.stdout.str()
    (case,) = written_cases(pytester)
    return result, case.read_text(encoding="utf-8")


def test_checks_and_the_expected_answer_are_redacted_too(pytester):
    """What the command line adds (a check, the expected answer) reaches the case file
    as well: it is redacted like the trace's content, and said so."""
    key = SECRETS["openai-key"]
    result, text = _promote_leak(
        pytester,
        "Here is the link: https://files.example/r?token=Q7x9Lm2P",
        "--promote-check",
        "not_contains: Here is the link",
        "--promote-check",
        "not_contains: postgres://app:hunter2hunter2@db",
        "--promote-expected",
        f"Your key {key} is in the dashboard.",
    )
    result.stdout.fnmatch_lines(
        [
            "redacted observed.output: url-query-secret",
            "redacted expected.output: openai-key",
            "redacted checks[[]1[]].not_contains: url-password",
        ]
    )
    assert key not in text and "Q7x9Lm2P" not in text and "hunter2" not in text
    assert key not in result.stdout.str()


def test_invalid_redact_pattern_is_a_usage_error(pytester):
    path = pytester.path / "t.json"
    path.write_text(json.dumps(otlp(chat_span("00000000000000a1", "Hi"))), encoding="utf-8")
    result = promote(
        pytester, path, "--promote-check", "contains: z", "--promote-redact-pattern", "("
    )
    assert result.ret == 4
    assert "invalid regular expression" in result.stderr.str()


def test_promotion_redacts_every_token_format_from_the_case_and_the_terminal(pytester):
    leaked = " ".join(text for _, text, _ in MORE_SECRETS)
    span = chat_span("00000000000000a1", f"Here you go: {leaked}")
    path = pytester.path / "leak.json"
    path.write_text(json.dumps(otlp(span)), encoding="utf-8")
    result = promote(pytester, path, "--promote-check", "not_contains: Here you go")
    assert result.ret == 0, result.stdout.str()
    (case,) = written_cases(pytester)
    text = case.read_text(encoding="utf-8")
    for kind, _, secret in MORE_SECRETS:
        assert secret not in text and secret not in result.stdout.str(), kind
        assert f"[REDACTED:{kind}]" in text


def test_the_terminal_never_shows_what_redaction_matches(pytester):
    """Span names, sessions, users and error messages are trace content: inspect and
    promotion print them only after the built-in and --promote-redact-pattern rules."""
    hf, slack, key = "hf_" + "Q" * 34, "xoxb-2048172048-" + "aBcDeFgHiJkL", "sk-test-SECRET123"
    root = otlp_span(
        f"agent {hf}",
        "00000000000000c1",
        attributes={"traceloop.span.kind": "agent", "user.id": "cust_4821", "session.id": slack},
    )
    tool = otlp_span(
        "lookup cust_4821",
        "00000000000000c2",
        "00000000000000c1",
        {"traceloop.span.kind": "tool"},
        status=2,
        message=f"401: key {key} refused for cust_4821",
    )
    chat = chat_span("00000000000000a1", "Hello", parent="00000000000000c1")
    chat["name"] = f"openai.chat {hf}"
    failed = {**chat_span("00000000000000a2", "", parent="00000000000000c1"), "attributes": []}
    answer = ("gen_ai.output.messages", "gen_ai.response.finish_reasons")
    failed["attributes"] = [a for a in chat["attributes"] if a["key"] not in answer]
    failed.update(status={"code": 2, "message": f"upstream: Bearer {key} for cust_4821"})
    path = pytester.path / "leaky.json"
    path.write_text(json.dumps(otlp(root, tool, chat, failed)), encoding="utf-8")
    custom = ["--promote-check", "max_chars: 1", "--promote-redact-pattern", r"cust_\d+"]
    results = [pytester.runpytest("--llm-inspect-trace", str(path), *custom[2:])]
    for span_id in ("00000000000000a1", "00000000000000a2"):
        results.append(promote(pytester, path, "--promote-span", span_id, *custom))
    assert [r.ret for r in results] == [0, 0, 1], [r.stdout.str() for r in results]
    results[0].stdout.fnmatch_lines(
        ["*[[]REDACTED:slack-token]*", "*[[]REDACTED:huggingface-token]*"]
    )
    results[1].stdout.fnmatch_lines(
        ["note: session [[]REDACTED:slack-token], user [[]REDACTED:custom-pattern-1]"]
    )
    results[2].stdout.fnmatch_lines(["ERROR: *provider error (upstream: Bearer [[]REDACTED:*"])
    for result in results:
        shown = result.stdout.str() + result.stderr.str()
        for secret in (hf, slack, "SECRET123", "cust_4821"):
            assert secret not in shown, shown
