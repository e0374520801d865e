"""The ``python`` check: the user's own scorer, named as ``module:function``.

The reference is imported (never evaluated) when the case is collected, so a typo is a
located collection error. The function is called as ``fn(result, case, **args)`` and
returns a bool, a ``(bool, reason)`` pair, or a :class:`CheckResult`.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llm_regressions.checks.base import Check, CheckArgsError, CheckError, CheckResult

_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def resolve_reference(reference: str) -> Any:
    """Import ``package.module:attr.sub`` and return the attribute. Raises ValueError."""
    if not _REFERENCE.match(reference):
        raise ValueError(f"{reference!r} is not a 'module:function' reference")
    module_name, _, attribute = reference.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"{module_name!r} has no attribute {attribute!r}") from None
    return target


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
            self.function = resolve_reference(spec.function)
        except ValueError as exc:
            raise CheckArgsError(str(exc)) from None
        if not callable(self.function):
            raise CheckArgsError(f"{spec.function!r} is not callable")
        self.kwargs = spec.args
        self.reference = spec.function

    def score(self, result, case):
        verdict = self.function(result, case, **self.kwargs)
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
