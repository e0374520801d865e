"""Helpers for the prompt and target tests: a stub that matches on the whole prompt,
case files with a ``prompt:`` or ``target:`` section, and the user properties of a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from stub_support import Answer, Reply, StubServer


class PromptStub(StubServer):
    """Like the live tests' stub, but a rule matches text anywhere in the messages
    (the system prompt too), so a template edit can change the scripted answer."""

    def _answer_for(self, body: dict[str, Any]) -> Answer:
        text = json.dumps(body.get("messages") or [], ensure_ascii=False)
        with self._lock:
            self.requests.append(body)
            for match, answers in self._rules:
                if match in text or match == body.get("model"):
                    return next(answers)
        return Reply()


def prompt_case(case_id: str, prompt: dict[str, Any] | None = None, **extra: Any) -> str:
    """YAML of a fixed case whose frozen request asks ``frozen question``."""
    case: dict[str, Any] = {
        "version": 1,
        "id": case_id,
        "label": "ignored_system_instruction",
        "status": "fixed",
        "model": {"name": "openai/gpt-4o-mini-2024-07-18", "params": {"temperature": 0}},
        "request": {
            "messages": [
                {"role": "system", "content": "You are a support bot."},
                {"role": "user", "content": "frozen question"},
            ]
        },
        "checks": [{"contains": "14 days"}],
        **extra,
    }
    if prompt is not None:
        case["prompt"] = prompt
    return yaml.safe_dump(case, sort_keys=False)


def report_cases(report_path: Path) -> dict[str, dict]:
    """``--llm-report`` output -> {case id: its record}."""
    return {case["id"]: case for case in json.loads(report_path.read_text())["cases"]}
