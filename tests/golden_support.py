"""Golden checks of real trace files: promote one span through a real pytest session,
return the written case as plain data, and prove its recorded replay passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from trace_support import promote, promoted, written_cases

__all__ = ["inspected", "not_carried", "promoted", "refused", "roles"]


def refused(pytester: pytest.Pytester, path: Path, *args: str) -> str:
    """The message of a promotion that must be refused (nothing written, no traceback)."""
    result = promote(pytester, path, *args)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret != 0, output
    assert written_cases(pytester) == [] and "Traceback" not in output
    return output


def inspected(pytester: pytest.Pytester, path: Path) -> str:
    """``--llm-inspect-trace PATH``'s text (the command must succeed)."""
    result = pytester.runpytest("--llm-inspect-trace", str(path))
    text = result.stdout.str()
    assert result.ret == 0, text
    assert "Traceback" not in text
    return text


def roles(case: dict) -> list[str]:
    return [m["role"] for m in case["request"]["messages"]]


def not_carried(output: str) -> str | None:
    """What a promotion listed after ``not carried:`` (None when nothing)."""
    lines = [line for line in output.splitlines() if line.startswith("not carried: ")]
    assert len(lines) <= 1, lines
    return lines[0].removeprefix("not carried: ") if lines else None
