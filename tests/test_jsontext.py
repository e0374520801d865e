"""The trace readers' JSON parser gives what json.loads gives, with or without msgspec."""

from __future__ import annotations

import json
import platform
import random

import pytest

from llm_regressions import jsontext

TEXTS = [
    '{"a": 1, "b": [true, false, null], "c": {"d": "e"}}',
    '{"a": 1, "a": 2}',  # the last duplicate wins
    '"caf\\u00e9 \\ud83d\\ude00 \u2028"',
    "1.0000000000000002",
    "5e-324",
    "2.2250738585072014e-308",
    "-0.0",
    "123.456e-789",
    # what msgspec refuses and json reads
    "NaN",
    "[Infinity, -Infinity]",
    "1e400",
    '"\\udc00"',
    # integers beyond 64 bits
    "-9223372036854775809",
    "18446744073709551616",
    "123456789012345678901234567890",
    '{"id": 99999999999999999999, "n": 1}',
    # limits that fit
    "-9223372036854775808",
    "18446744073709551615",
    '{"note": "an id of 1234567890123456789012 in a string"}',
    # refused by both
    "",
    "[1,]",
    "01",
    "{'a': 1}",
    '{"a": 1}{"b": 2}',
    '"\x00"',
    "\ufeff{}",
    "[" * 5000 + "]" * 5000,
]


@pytest.fixture(params=["msgspec", "json only"])
def parser(request, monkeypatch):
    if request.param == "json only":
        monkeypatch.setattr(jsontext, "_decode", None)
    elif jsontext._decode is None:
        pytest.skip("msgspec is not installed here")
    return jsontext.loads


def _outcome(loads, text):
    try:
        value = loads(text)
    except RecursionError:
        return "RecursionError"
    except ValueError as exc:
        return f"{type(exc).__name__}: {exc}"
    return repr(value), _types(value)


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_same_value_or_error_as_json(parser, text):
    assert _outcome(parser, text) == _outcome(json.loads, text)


def test_numbers_read_alike(parser):
    rng = random.Random(7)
    texts = [repr(rng.uniform(-1e9, 1e9)) for _ in range(2000)]
    texts += [repr(rng.random() * 10 ** rng.randint(-320, 308)) for _ in range(2000)]
    texts += [f"{rng.randint(1, 10**17)}.{rng.randint(0, 10**30)}e{rng.randint(-330, 310)}"]
    texts += [str(rng.randint(-(2**70), 2**70)) for _ in range(2000)]
    document = "[" + ",".join(texts) + "]"
    assert _outcome(parser, document) == _outcome(json.loads, document)
    for text in texts[::50]:
        assert _outcome(parser, text) == _outcome(json.loads, text)


@pytest.mark.skipif(platform.python_implementation() != "CPython", reason="CPython only")
def test_msgspec_is_installed_on_cpython():
    """A dependency there (pyproject.toml): without it reading traces is slower."""
    assert jsontext._decode is not None
