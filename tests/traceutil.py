"""Shared by the trace tests: where the sample traces are and how to run the commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TRACES = Path(__file__).parent / "data" / "traces"
FORMATS = (
    "openllmetry",
    "openinference",
    "otel-genai-latest-span",
    "langfuse-otel",
    "litellm-standard-logging-payload",
)


def sample(pytester: pytest.Pytester, fmt: str, scenario: str) -> Path:
    """Copy one sample into the test's folder (so nothing outside it is ever written)."""
    source = TRACES / fmt / f"{scenario}.json"
    target = pytester.path / "traces" / fmt / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def written_cases(pytester: pytest.Pytester) -> list[Path]:
    root = pytester.path / "regressions"
    return sorted(root.rglob("*.yaml")) if root.exists() else []
