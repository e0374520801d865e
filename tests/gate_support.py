"""Helpers of the gating/report tests: write live cases, run, read the JSON report."""

from __future__ import annotations

import json
from typing import Any

import pytest

from replay_support import live_case


def write_cases(write_case, *specs: tuple[str, dict[str, Any]]) -> None:
    """``("good", {"golden": True})`` -> ``regressions/good.yaml`` asking "good"."""
    for case_id, extra in specs:
        write_case(f"{case_id}.yaml", live_case(case_id, **extra))


def run(pytester: pytest.Pytester, llm_stub, *args: str, report: str = "r.json"):
    """A live session writing its JSON report; returns (result, report dict)."""
    result = pytester.runpytest(*llm_stub.args(f"--llm-report={report}", *args))
    path = pytester.path / report
    return result, json.loads(path.read_text()) if path.exists() else None


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {case["id"]: case for case in report["cases"]}
