"""The ``python`` check: the user's own scorer, named as ``module:function``.

The reference is imported (never evaluated) when the case is collected, so a typo is a
located collection error. The function is called as ``fn(result, case, **args)`` and
returns a bool, a ``(bool, reason)`` pair, or a :class:`CheckResult`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llm_regressions import usercode
from llm_regressions.checks.base import Check, CheckArgsError, CheckError, CheckResult


class PythonArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    function: str = Field(..., description="module:function")
    args: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments.")


class Python(Check):
    """Calls ``module:function`` on the result."""

    name = "python"
    Args = str | PythonArgs

    def setup(self) -> None:
        spec = self.arg if isinstance(self.arg, PythonArgs) else PythonArgs(function=self.arg)
        try:
            self.function = usercode.resolve_callable(spec.function)
        except usercode.UserCodeError as exc:
            raise CheckArgsError(str(exc)) from None
        # called as fn(result, case, **args): a mistyped argument name fails here, not later
        problem = usercode.signature_problem(self.function, spec.args, positional=2)
        if problem:
            where = ("args",) if isinstance(self.arg, PythonArgs) else ()
            raise CheckArgsError(f"{spec.function} cannot take args {spec.args}: {problem}", where)
        self.kwargs = spec.args
        self.reference = spec.function

    def score(self, result, case):
        try:
            verdict = self.function(result, case, **self.kwargs)
        except Exception as exc:  # noqa: BLE001 - the user's check is broken: an error
            raise CheckError(
                str(usercode.AppRaised(f"python check {self.reference}", exc))
            ) from None
        if isinstance(verdict, CheckResult):
            return verdict
        if isinstance(verdict, bool):
            return CheckResult(verdict, f"{self.reference} returned {verdict}")
        if (
            isinstance(verdict, tuple)
            and len(verdict) == 2
            and isinstance(verdict[0], bool)
            and isinstance(verdict[1], str)
        ):
            return CheckResult(verdict[0], verdict[1])
        raise CheckError(
            f"{self.reference} returned {type(verdict).__name__}; "
            "return a bool, a (bool, reason) pair or a CheckResult"
        )
