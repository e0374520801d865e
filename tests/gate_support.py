"""Helpers of the gating/report tests: write live cases, run, read the JSON report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llm_regressions.report.json_report import SCHEMA_PATH
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


def validate(report: dict[str, Any]) -> None:
    """The report conforms to the published schema, ``schemas/report.v1.json``."""
    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(report)]
    assert not errors, errors
