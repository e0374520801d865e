"""Operational checks: how the answer ended, how long it took, how much it used."""

from __future__ import annotations

from llm_regressions.checks.base import Check, CheckArgsError, CheckResult


class FinishReason(Check):
    """The model stopped for one of the given reasons (``stop``, not ``length``)."""

    name = "finish_reason"
    Args = str | list[str]

    def setup(self) -> None:
        self.allowed = [self.arg] if isinstance(self.arg, str) else list(self.arg)
        if not self.allowed:
            raise CheckArgsError("needs at least one finish reason")

    def score(self, result, case):
        got = result.finish_reason
        if got is None:
            return CheckResult.not_applicable("no finish reason recorded")
        return CheckResult(got in self.allowed, f"finish_reason is {got!r} (want {self.allowed})")


class _Limit(Check):
    """A numeric ceiling on one field of the result."""

    Args = float
    what: str = ""

    def setup(self) -> None:
        if self.arg < 0:
            raise CheckArgsError("must be zero or more")

    def measure(self, result) -> float | None:
        raise NotImplementedError

    def score(self, result, case):
        value = self.measure(result)
        if value is None:
            return CheckResult.not_applicable(f"no {self.what} recorded")
        return CheckResult(value <= self.arg, f"{self.what} {value:g} (max {self.arg:g})")


class MaxLatencyMs(_Limit):
    """The call took at most N milliseconds."""

    name = "max_latency_ms"
    what = "latency_ms"

    def measure(self, result):
        return result.latency_ms


class MaxOutputTokens(_Limit):
    """The answer used at most N completion tokens."""

    name = "max_output_tokens"
    Args = int
    what = "output tokens"

    def measure(self, result):
        return result.output_tokens


class MaxCostUsd(_Limit):
    """The call cost at most N US dollars."""

    name = "max_cost_usd"
    what = "cost_usd"

    def measure(self, result):
        return result.cost_usd
