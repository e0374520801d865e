"""The ``llm_judge`` check: a binary yes/no verdict from a pinned judge model.

Declared here so case files can use it and the schema documents it; scoring needs a
model call, which arrives with live replay.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from llm_regressions.checks.base import Check, CheckError


class JudgeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criteria: str = Field(..., min_length=1, description="The yes/no question to ask.")
    model: str | None = Field(
        None, description="Pinned judge model; default: ini llm_regressions_judge_model."
    )


class LlmJudge(Check):
    """Asks a judge model whether the output meets the criteria."""

    name = "llm_judge"
    Args = str | JudgeArgs
    needs_model = True

    def setup(self) -> None:
        self.spec = self.arg if isinstance(self.arg, JudgeArgs) else JudgeArgs(criteria=self.arg)

    def score(self, result, case):
        raise CheckError("llm_judge needs a judge model call, which this version does not make yet")
