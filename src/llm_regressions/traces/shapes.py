"""OpenAI chat shapes built from what the readers find: messages (from GenAI "parts" or
flattened attributes), tool calls and definitions, finish reasons, usage, documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llm_regressions.traces.values import as_float, as_int, as_text, maybe_json

#: The sampling parameters read from a recorded request (OpenAI names).
PARAM_NAMES = ("temperature", "max_tokens", "max_completion_tokens", "seed", "top_p", "stop")
PARAM_NAMES += ("frequency_penalty", "presence_penalty", "user", "n")
_NUMBERS = {"temperature": as_float, "top_p": as_float, "frequency_penalty": as_float}
_NUMBERS |= {"presence_penalty": as_float, "max_tokens": as_int, "max_completion_tokens": as_int}
_NUMBERS |= {"seed": as_int, "n": as_int}


def sampling_params(recorded: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The (name, value) pairs that hold a value, numbers as numbers (``"0.2"`` -> 0.2).
    A value that is no finite number where one belongs is no usable setting: left out,
    like one that was not recorded."""
    kept: dict[str, Any] = {}
    for name, value in recorded:
        convert = _NUMBERS.get(name)
        value = convert(value) if convert and value is not None else value
        if value is not None and value != "":
            kept[name] = value
    return kept


def normalise_finish_reason(value: Any) -> str | None:
    """One finish reason in OpenAI's vocabulary, from a string, a list or a JSON string."""
    value = maybe_json(value)
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if not isinstance(value, str) or not value:
        return None
    value = value.lower()
    return {"tool_call": "tool_calls", "function_call": "tool_calls", "max_tokens": "length"}.get(
        value, value
    )


def openai_tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    """An assistant ``tool_calls`` entry in OpenAI shape (arguments as a JSON string)."""
    arguments = maybe_json(arguments) if isinstance(arguments, str) else arguments
    return {
        "id": call_id if isinstance(call_id, str) else None,
        "type": "function",
        "function": {"name": str(name or ""), "arguments": as_text(arguments) or "{}"},
    }


def openai_tool(definition: Any) -> dict[str, Any] | None:
    """A tool definition in OpenAI shape, from the flat or the nested form."""
    definition = maybe_json(definition)
    if not isinstance(definition, dict):
        return None
    function = definition.get("function", definition)
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return None
    body = {"name": function["name"]}
    if isinstance(function.get("description"), str) and function["description"]:
        body["description"] = function["description"]
    parameters = maybe_json(function.get("parameters"))
    if isinstance(parameters, dict):
        body["parameters"] = parameters
    return {"type": "function", "function": body}


def openai_tools(definitions: Any) -> list[dict[str, Any]]:
    definitions = maybe_json(definitions)
    if not isinstance(definitions, list):
        return []
    return [tool for tool in map(openai_tool, definitions) if tool]


def clean_message(message: dict[str, Any]) -> dict[str, Any]:
    """Keep the OpenAI message keys a case accepts, dropping the empty ones."""
    kept: dict[str, Any] = {"role": message.get("role") or "user"}
    if message.get("content") is not None or not message.get("tool_calls"):
        kept["content"] = message.get("content")
    for key in ("name", "tool_calls", "tool_call_id"):
        if message.get(key):
            kept[key] = message[key]
    if kept.get("tool_calls"):
        kept["tool_calls"] = [
            openai_tool_call(
                c.get("id"),
                (c.get("function") or c).get("name"),
                (c.get("function") or c).get("arguments"),
            )
            for c in kept["tool_calls"]
            if isinstance(c, dict)
        ]
    return kept


def parts_to_messages(messages: Any) -> list[dict[str, Any]]:
    """GenAI "parts" messages (``[{role, parts: [...]}]``) -> OpenAI chat messages.

    A ``tool_call_response`` part becomes its own ``tool`` message, as OpenAI needs one
    message per tool result.
    """
    messages = maybe_json(messages)
    if not isinstance(messages, list):
        return []
    converted: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        if "parts" not in message:  # already OpenAI shape
            converted.append(clean_message(message))
            continue
        texts, calls = [], []
        for part in message.get("parts") or []:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(str(part.get("content", "")))
            elif kind == "tool_call":
                calls.append(
                    openai_tool_call(part.get("id"), part.get("name"), part.get("arguments"))
                )
            elif kind == "tool_call_response":
                converted.append(
                    {
                        "role": "tool",
                        "tool_call_id": part.get("id"),
                        "content": as_text(part.get("response")),
                    }
                )
        if texts or calls or message.get("role") != "tool":
            converted.append(
                clean_message(
                    {
                        "role": message.get("role"),
                        "content": "".join(texts) if texts else None,
                        "tool_calls": calls,
                    }
                )
            )
    return converted


def split_output(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """The output text and tool calls of the assistant messages a model produced."""
    texts = [m["content"] for m in messages if isinstance(m.get("content"), str)]
    calls = [c for m in messages for c in m.get("tool_calls") or []]
    return ("".join(texts) if texts else None), calls


def usage(prompt: Any, completion: Any, total: Any = None) -> dict[str, int] | None:
    """OpenAI-named token counts; only the ones recorded."""
    counts = {
        "prompt_tokens": as_int(prompt),
        "completion_tokens": as_int(completion),
        "total_tokens": as_int(total),
    }
    kept = {k: v for k, v in counts.items() if v is not None}
    return kept or None


def kwargs_of(value: Any) -> Any:
    """A decorated function's arguments: ``{"args": [], "kwargs": {...}}`` -> the kwargs."""
    value = maybe_json(value)
    if isinstance(value, dict) and set(value) <= {"args", "kwargs"} and "kwargs" in value:
        args = value.get("args") or []
        if not args:
            return value.get("kwargs") or {}
        if len(args) == 1 and not value.get("kwargs"):
            return args[0]
    return value


def first_text(value: Any) -> str | None:
    """The query text of a retrieval input: a string, ``{"query": ...}`` or ``args[0]``."""
    value = maybe_json(value)
    if isinstance(value, dict):
        if isinstance(value.get("query"), str):
            return value["query"]
        args = value.get("args")
        if isinstance(args, list) and args and isinstance(args[0], str):
            return args[0]
        kwargs = value.get("kwargs") or {}
        return kwargs.get("query") if isinstance(kwargs.get("query"), str) else None
    return value if isinstance(value, str) else None


def documents(value: Any) -> list[dict[str, Any]] | None:
    """Retrieved documents as ``{id, content, score, metadata}``, from a JSON list of
    dicts (``content``/``page_content``/``text``); None when ``value`` is not such a list."""
    value = maybe_json(value)
    if isinstance(value, dict) and isinstance(value.get("documents"), list):
        value = value["documents"]
    if not isinstance(value, list) or not all(isinstance(d, dict) for d in value):
        return None
    found = []
    for doc in value:
        meta = dict(maybe_json(doc.get("metadata")) or {}) if doc.get("metadata") else {}
        content = doc.get("content", doc.get("page_content", doc.get("text")))
        extra = {
            k: v
            for k, v in doc.items()
            if k not in ("id", "content", "page_content", "text", "score", "metadata", "type")
        }
        meta.update(extra)
        found.append(
            {
                "id": None if doc.get("id") is None else str(doc["id"]),
                "content": content if isinstance(content, str) else None,
                "score": as_float(doc.get("score")),
                "metadata": meta,
            }
        )
    return found
