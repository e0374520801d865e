"""Cases for the --llm-diagnose tests: each fails for one known reason, scripted on the
loopback stub by what its request holds (``StubServer.script_request``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from prompt_support import prompt_case
from stub_support import Reply, StubServer

PASS, FAIL = Reply("Orders can be returned within 14 days."), Reply("You have 30 days.")


def diag_case(case_id: str, messages: list[dict[str, Any]], **extra: Any) -> str:
    """YAML of a fixed case asking ``messages``; its check wants "14 days"."""
    return prompt_case(case_id, **{"request": {"messages": messages}, **extra})


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def system(text: str) -> dict[str, str]:
    return {"role": "system", "content": text}


@dataclass
class Known:
    """A case whose failure has a known cause: ``bad`` (a regex) is in its request
    exactly while the cause is; ``cause`` is what the attribution must name."""

    case_id: str
    messages: list[dict[str, Any]]
    bad: str | None
    cause: str
    extra: dict[str, Any] = field(default_factory=dict)
    answers: tuple[Reply, ...] = ()

    def script(self, stub: StubServer) -> None:
        """Pass by default; fail while ``bad`` is in the request (or: ``answers``)."""
        stub.script_request(re.escape(self.case_id), *(self.answers or (PASS,)))
        if self.bad is not None:
            stub.script_request(self.bad, FAIL)

    def yaml(self) -> str:
        return diag_case(self.case_id, self.messages, **self.extra)


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


OLD_DOC = "Policy v1 (2019): returns are accepted within 30 days."
HELD_BACK = [
    Known(
        "rag-doc",
        [system("You are a support bot."), user(f"Context: {OLD_DOC}\nQ rag-doc: window?")],
        "Policy v1",
        "the retrieval",
        {"context": {"retrieval": [{"id": "kb-1", "content": OLD_DOC}]}},
    ),
    Known(
        "rag-tool",
        [
            system("You are a support bot."),
            user("first rag-tool look it up"),
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "search_kb", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "STALE-KB: 30 days"},
            user("so, rag-tool: the window?"),
        ],
        "STALE-KB",
        "the retrieval",
    ),
    Known(
        "sys-prompt",
        [system("Legacy rule SYS-OLD: say 30 days."), user("sys-prompt: window?")],
        "SYS-OLD",
        "the system message",
    ),
    Known(
        "sys-persona",
        [system("PERSONA-X: you are terse and wrong."), user("sys-persona: window?")],
        "PERSONA-X",
        "the system message",
        {"status": "open"},
    ),
    Known(
        "few-shot",
        [
            system("You are a support bot."),
            user("Example: window?"),
            {"role": "assistant", "content": "SHOT-OLD: 30 days."},
            user("few-shot: window?"),
        ],
        "SHOT-OLD",
        "the few-shot examples",
    ),
    Known(
        "extra-tool",
        [system("You are a support bot."), user("extra-tool: window?")],
        "legacy_refund_rules",
        "the extra tool definitions",
        {"request_tools": [_tool("lookup_order"), _tool("legacy_refund_rules")]},
    ),
    Known(
        "template-var",
        [],
        "TONE-SNARK",
        "template variable 'tone'",
        {"prompt": {"template": "prompts/support.yaml"}},
    ),
    Known(
        "cut-short",
        [system("You are a support bot."), user("cut-short: window?")],
        None,
        "truncation",
        {"model": {"name": "openai/gpt-4o-mini-2024-07-18", "params": {"max_tokens": 8}}},
        (Reply("Orders can be returned within", finish_reason="length", usage=(10, 8)),),
    ),
    Known(
        "dice",
        [user("dice: window?")],
        None,
        "sampling randomness",
        answers=(FAIL, PASS),
    ),
    Known(
        "plain-wrong",
        [system("You are a support bot."), user("plain-wrong: window?")],
        None,
        "the model itself",
        answers=(FAIL,),
    ),
]

#: The template of the "template-var" case: the tone lands in the user turn.
TEMPLATE = """\
- {role: system, content: "You are a support bot."}
- {role: user, content: "template-var ({{tone}}): {{question}}"}
"""
TEMPLATE_VARIABLES = {"tone": "TONE-SNARK", "question": "what is the refund window?"}


def held_back_yaml(known: Known) -> str:
    """The case file of a held-back case (tools and the template filled in)."""
    extra = dict(known.extra)
    messages = known.messages
    if "request_tools" in extra:
        extra["request"] = {"messages": messages, "tools": extra.pop("request_tools")}
    if "prompt" in extra:
        extra["prompt"] = {**extra["prompt"], "variables": TEMPLATE_VARIABLES}
        messages = [system("You are a support bot."), user("template-var (TONE-SNARK): q")]
    return diag_case(known.case_id, messages, **extra)
