"""A scripted support agent for the session tests, and session case files for it.

The agent (a handler for :meth:`StubServer.respond`) looks up the order the user names;
an empty lookup result makes it look the order up again (the stuck loop) unless the
system prompt says what to do with an empty result; a delivered order makes it search
the knowledge base (where the recording created a refund: a divergence); a follow-up
user turn gets an answer that quotes the first turn's instruction only if asked to.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from stub_support import Answer, Reply, last_message, system_text, tool_call

OLD_PROMPT = "You are Acme support. Use lookup_order for orders."
FIXED_PROMPT = OLD_PROMPT + " If a tool returns nothing, say you could not find it."
ORDER = "A-100001"

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "parameters": {"type": "object", "properties": {key: {"type": "string"}}},
        },
    }
    for name, key in (
        ("lookup_order", "order_id"),
        ("search_kb", "query"),
        ("create_refund", "order_id"),
    )
]


def agent(body: dict[str, Any]) -> Answer | None:
    """The next move of the scripted agent, from the conversation so far."""
    last = last_message(body)
    if last.get("role") == "user":
        text = str(last.get("content"))
        if "thanks" in text:
            return Reply("You're welcome!")
        order = re.search(r"A-\d{6}", text)
        if order is None:
            return None
        return Reply(None, tool_calls=[tool_call("lookup_order", {"order_id": order[0]})])
    if last.get("role") != "tool":
        return None
    result = json.loads(last.get("content") or "{}")
    if not result:
        if "returns nothing" in system_text(body):
            return Reply(f"I could not find order {ORDER}.")
        return Reply(None, tool_calls=[tool_call("lookup_order", {"order_id": ORDER})])
    if result.get("status") == "delivered":
        return Reply(None, tool_calls=[tool_call("search_kb", {"query": "return policy"})])
    return Reply(f"Order {ORDER} is {result.get('status')}.")


def lookup(result: Any, call_id: str) -> list[dict[str, Any]]:
    """A recorded lookup of ORDER that returned ``result``."""
    call = {"id": call_id, "name": "lookup_order", "arguments": {"order_id": ORDER}}
    return [
        {"model": {"tool_calls": [call]}},
        {"tool": {"id": call_id, "name": "lookup_order", "result": result}},
    ]


def session_case(
    case_id: str,
    steps: list[dict[str, Any]],
    checks: list[dict[str, Any]],
    *,
    prompt: str = OLD_PROMPT,
    user: str = f"Where is order {ORDER}?",
    session: dict[str, Any] | None = None,
    **extra: Any,
) -> str:
    """YAML of a fixed session case for the scripted agent."""
    case = {
        "version": 1,
        "id": case_id,
        "label": "stuck_tool_loop",
        "status": "fixed",
        "model": {"name": "openai/gpt-4o-mini-2024-07-18", "params": {"temperature": 0}},
        "request": {
            "messages": [{"role": "system", "content": prompt}, {"role": "user", "content": user}],
            "tools": TOOLS,
        },
        "session": {"steps": steps, **(session or {})},
        "checks": checks,
        **extra,
    }
    return yaml.safe_dump(case, sort_keys=False)


#: The recorded stuck loop: three empty lookups, then a useless answer.
LOOP_STEPS = [
    *lookup({}, "c1"),
    *lookup({}, "c2"),
    *lookup({}, "c3"),
    {"model": {"output": "Hmm."}},
]
LOOP_CHECKS = [{"no_repeated_tool_call": 2}, {"final_answer": {"contains": "could not find"}}]
