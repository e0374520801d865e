"""The ``llm_judge`` check: a binary yes/no verdict from a pinned judge model.

The judge is asked at temperature 0 with a fixed seed (dropped for providers without
one) for a structured verdict, ``{"pass": bool, "reason": str}``. With
``--llm-judge-repeat K`` it is asked K times and must agree with itself: a judge that
does not is an error ("unstable judge"), never a regression of the model under test.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llm_regressions.checks.base import Check, CheckError, CheckResult

JUDGE_SEED = 7
SYSTEM_PROMPT = (
    "You are a strict evaluator of an AI assistant's answer. Decide whether the answer "
    "meets the criterion. Reply with JSON only: "
    '{"pass": true or false, "reason": "<one sentence>"}.'
)
VERDICT_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "verdict",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"pass": {"type": "boolean"}, "reason": {"type": "string"}},
            "required": ["pass", "reason"],
            "additionalProperties": False,
        },
    },
}


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
        from llm_regressions.replay import judging
        from llm_regressions.replay.classify import ProviderTrouble
        from llm_regressions.replay.request import ProviderRequest

        access = judging.current()
        if access is None:
            raise CheckError("llm_judge can only score inside a pytest --llm-regressions session")
        model = self.spec.model or access.default_model
        if not model:
            raise CheckError(
                "llm_judge needs a judge model: give the check a 'model:' or set ini "
                "llm_regressions_judge_model"
            )
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": _question(self.spec.criteria, result, case)},
        ]
        requests = [
            ProviderRequest(
                model=model,
                messages=messages,
                params={"temperature": 0, "seed": JUDGE_SEED, "drop_params": True},
                response_format=VERDICT_FORMAT,
                run=run,
                purpose="judge",
            )
            for run in range(access.repeat)
        ]
        try:
            answers = access.ask(requests)
        except ProviderTrouble as exc:  # the judge is unreachable: an error, not a failure
            raise CheckError(f"llm_judge: {exc}") from None
        verdicts = [_parse(model, answer.output) for answer in answers]
        passes = sum(passed for passed, _ in verdicts)
        if 0 < passes < len(verdicts):
            raise CheckError(
                f"unstable judge: {model} said pass {passes} of {len(verdicts)} times on "
                f"{self.spec.criteria!r}; sharpen the criteria or pin a stronger judge "
                "(this is not a regression of the model under test)"
            )
        passed, reason = verdicts[0]
        return CheckResult(passed, f"judge {model}: {reason}")


def _question(criteria: str, result, case) -> str:
    messages = [_said(m) for m in (case.request.messages if case.request else [])]
    asked = next((content for role, content in reversed(messages) if role == "user"), None)
    parts = [f"Criterion: {criteria}"]
    if isinstance(asked, str):
        parts.append(f"User's last message:\n{asked}")
    elif case.input:
        parts.append(f"The app was called with:\n{json.dumps(case.input, ensure_ascii=False)}")
    parts.append(f"Assistant's answer:\n{result.output if result.output is not None else ''}")
    if result.tool_calls:
        calls = [{"name": c.name, "arguments": c.arguments} for c in result.tool_calls]
        parts.append(f"Assistant's tool calls:\n{json.dumps(calls, ensure_ascii=False)}")
    return "\n\n".join(parts)


def _said(message: Any) -> tuple[str | None, Any]:
    """(role, content) of a case's message, or of a production span's (a plain dict)."""
    if isinstance(message, dict):
        return message.get("role"), message.get("content")
    return message.role, message.content


def _parse(model: str, output: str | None) -> tuple[bool, str]:
    """``{"pass": bool, "reason": str}`` -> (passed, one-line reason), or CheckError."""
    try:
        data = json.loads(output or "")
        passed = data["pass"]
        if not isinstance(passed, bool):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        shown = (output or "(no output)")[:80]
        raise CheckError(
            f"llm_judge: judge {model} did not answer with the verdict JSON "
            f'{{"pass": bool, "reason": str}} (got {shown!r})'
        ) from None
    reason = str(data.get("reason") or "").strip().splitlines()
    return passed, reason[0] if reason else ("passes" if passed else "fails")
