"""The readers' number conversions: what a trace's numbers (or their text) become."""

from __future__ import annotations

import pytest

from llm_regressions.traces.values import as_int, time_to_ns


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1732441537, 1732441537_000000000),  # seconds
        (1732441537.170123, 1732441537_170123000),  # every written digit, none of float's
        ("1732441537.170123", 1732441537_170123000),
        (1728803137170, 1728803137_170000000),  # milliseconds (not exact as a float in ns)
        (" 1728803137170 ", 1728803137_170000000),
        (1728803137170123, 1728803137_170123000),  # microseconds
        (1728803137170123456, 1728803137_170123456),  # nanoseconds
        ("2024-10-13T07:05:37.170123456Z", 1728803137_170123456),
        ("2024-10-13 09:05:37.1+02:00", 1728803137_100000000),
    ],
)
def test_time_to_ns(value, expected):
    assert time_to_ns(value) == expected


@pytest.mark.parametrize("value", [0, -5, 0.0, float("inf"), float("nan"), True, None, "soon"])
def test_what_is_no_time(value):
    assert time_to_ns(value) is None
