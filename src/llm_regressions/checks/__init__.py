"""Binary checks (scorers): each says passed or not, with a one-line reason.

``build_check(name, arg)`` validates a check as written in a case file; ``run_checks``
scores one answer with all of a case's checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llm_regressions.checks.base import Check, CheckArgsError, CheckError, CheckResult

if TYPE_CHECKING:
    from llm_regressions.casefile.model import Case
    from llm_regressions.replay import ReplayResult

__all__ = ["Check", "CheckArgsError", "CheckError", "CheckResult", "run_checks"]


def run_checks(
    checks: list[Check], result: ReplayResult, case: Case
) -> list[tuple[Check, CheckResult]]:
    """Score ``result`` with every check, in order. Errors propagate as CheckError."""
    return [(check, check.score(result, case)) for check in checks]
