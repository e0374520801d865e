"""The readers' number conversions: what a trace's numbers (or their text) become."""

from __future__ import annotations

import pytest

from llm_regressions.traces.values import as_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        ("1728803137170123456", 1728803137170123456),  # OTLP nanoseconds: every digit kept
        (" 42 ", 42),
        ("-3", -3),
        ("12.7", 12),
        ("1e3", 1000),
        (5.9, 5),
        ("nan", None),
        ("inf", None),
        (float("nan"), None),
        ("seven", None),
        ("", None),
        (None, None),
        (True, None),
        ([1], None),
    ],
)
def test_as_int(value, expected):
    assert as_int(value) == expected
