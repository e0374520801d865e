"""The bot's ticket triage: render the prompt, ask the model, parse its JSON.

Under ``pytest --llm-regressions`` the plugin pins the model (``LLM_REGRESSIONS_MODEL``)
and, with ``--llm-api-base``, the endpoint (``LLM_REGRESSIONS_API_BASE``); in production
neither is set and the defaults below apply.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

PROMPT = Path(__file__).parent / "prompts" / "triage.yaml"
MODEL = "openai/gpt-4o-mini-2024-07-18"
FALLBACK = {"category": "other", "priority": "medium", "needs_human_review": True}


def build_messages(ticket: str) -> dict[str, Any]:
    """Prompt assembly: the triage template with the customer's ticket filled in."""
    template = yaml.safe_load(PROMPT.read_text(encoding="utf-8"))
    messages = [
        {**m, "content": m["content"].replace("{{ticket}}", ticket)} for m in template["messages"]
    ]
    return {"messages": messages, "response_format": template["response_format"]}


def triage(ticket: str) -> dict[str, Any]:
    """Classify a ticket; malformed model output falls back to human review."""
    import litellm

    prompt = build_messages(ticket)
    response = litellm.completion(
        model=os.environ.get("LLM_REGRESSIONS_MODEL", MODEL),
        api_base=os.environ.get("LLM_REGRESSIONS_API_BASE"),
        temperature=0,
        max_tokens=200,
        **prompt,
    )
    try:
        return json.loads(response.choices[0].message.content)
    except (TypeError, ValueError):
        return FALLBACK
