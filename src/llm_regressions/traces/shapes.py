"""OpenAI chat shapes built from what the readers find: messages (from GenAI "parts" or
flattened attributes), tool calls and definitions, finish reasons, usage, documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llm_regressions.traces.values import as_float, as_int, as_text, maybe_json

_NUMBERS = {"temperature": as_float, "top_p": as_float, "frequency_penalty": as_float}
_NUMBERS |= {"presence_penalty": as_float, "max_tokens": as_int, "max_completion_tokens": as_int}
_NUMBERS |= {"seed": as_int, "n": as_int}


def param_values(recorded: Iterable[tuple[str, Any]]) -> dict[str, Any]:
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


#: Finish reasons of every provider and SDK -> OpenAI's vocabulary. Values not listed
#: are kept as written (lower-cased): a check compares them as they are.
FINISH_REASONS = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "eos": "stop",
    "complete": "stop",
    "completed": "stop",
    "finish_reason_stop": "stop",
    "length": "length",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_calls": "tool_calls",
    "tool_call": "tool_calls",
    "tool_use": "tool_calls",
    "tool-calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "content-filter": "content_filter",
    "safety": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "spii": "content_filter",
    "refusal": "content_filter",
}


def normalise_finish_reason(value: Any) -> str | None:
    """One finish reason in OpenAI's vocabulary (stop, length, tool_calls,
    content_filter), from a string, a list, a JSON string or an object with a
    ``reason``/``type`` (some SDKs stream one)."""
    value = maybe_json(value)
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = (
            value.get("reason")
            or value.get("type")
            or value.get("unified")
            or value.get("finish_reason")  # a whole stream chunk choice (LangSmith JS)
        )
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip().lower()
    return FINISH_REASONS.get(value, value)


def openai_tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    """An assistant ``tool_calls`` entry in OpenAI shape (arguments as a JSON string).
    Arguments recorded as text are kept exactly as the model wrote them."""
    if isinstance(arguments, str):
        text = arguments if arguments.strip() else "{}"
    else:
        text = as_text(arguments) or "{}"
    return {
        "id": call_id if isinstance(call_id, str) else None,
        "type": "function",
        "function": {"name": str(name or ""), "arguments": text},
    }


def openai_tool(definition: Any) -> dict[str, Any] | None:
    """A tool definition in OpenAI shape, from the flat or the nested form."""
    definition = maybe_json(definition)
    if not isinstance(definition, dict):
        return None
    function = definition.get("function", definition)
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return None
    if not function["name"]:
        return None
    body = {"name": function["name"]}
    if isinstance(function.get("description"), str) and function["description"]:
        body["description"] = function["description"]
    # Vercel AI SDK v5+ and MCP name the schema ``inputSchema``, Anthropic ``input_schema``
    parameters = maybe_json(
        function.get("parameters", function.get("inputSchema", function.get("input_schema")))
    )
    if isinstance(parameters, dict):
        body["parameters"] = parameters
    if function.get("strict") is True:  # strict schema adherence changes the arguments
        body["strict"] = True
    return {"type": "function", "function": body}


def openai_tools(definitions: Any) -> list[dict[str, Any]]:
    definitions = maybe_json(definitions)
    if not isinstance(definitions, list):
        return []
    return [tool for tool in map(openai_tool, definitions) if tool]


def usage(
    prompt: Any, completion: Any, total: Any = None, reasoning: Any = None, cached: Any = None
) -> dict[str, int] | None:
    """OpenAI-named token counts; only the ones recorded. ``reasoning_tokens`` are part
    of ``completion_tokens`` and ``cached_tokens`` of ``prompt_tokens``, as in OpenAI's
    ``*_tokens_details``."""
    counts = {
        "prompt_tokens": as_int(prompt),
        "completion_tokens": as_int(completion),
        "total_tokens": as_int(total),
        "reasoning_tokens": as_int(reasoning),
        "cached_tokens": as_int(cached),
    }
    kept = {k: v for k, v in counts.items() if v is not None and v >= 0}
    return kept or None


#: Token-count names of every SDK and convention, by what they count; the first found wins.
USAGE_NAMES = {
    "prompt": (
        "prompt_tokens",
        "input_tokens",
        "input",
        "promptTokens",
        "inputTokens",
        "prompt_token_count",
        "promptTokenCount",
    ),
    "completion": (
        "completion_tokens",
        "output_tokens",
        "output",
        "completionTokens",
        "outputTokens",
        "candidates_token_count",
        "candidatesTokenCount",
    ),
    "total": ("total_tokens", "total", "totalTokens", "total_token_count", "totalTokenCount"),
    "reasoning": (
        "completion_tokens_details.reasoning_tokens",
        "output_tokens_details.reasoning_tokens",
        "output_token_details.reasoning",
        "completion_details.reasoning",
        "output_reasoning",
        "output_reasoning_tokens",
        "reasoningTokens",
        "reasoning_tokens",
        "outputTokenDetails.reasoningTokens",
        "thoughts_token_count",
        "thoughtsTokenCount",
    ),
    "cached": (
        "prompt_tokens_details.cached_tokens",
        "input_tokens_details.cached_tokens",
        "input_token_details.cache_read",
        "prompt_details.cache_read",
        "input_cache_read",
        "input_cached_tokens",
        "cachedInputTokens",
        "cached_tokens",
        "cache_read_input_tokens",
        "inputTokenDetails.cacheReadTokens",
        "cached_content_token_count",
        "cachedContentTokenCount",
    ),
}


#: Each token-count name -> (what it counts, its place among the names for that).
_USAGE_RANK = {
    name: (what, rank) for what, names in USAGE_NAMES.items() for rank, name in enumerate(names)
}

#: Objects that hold counts: the part before the dot of a dotted name (one dot at most).
_USAGE_DETAILS = frozenset(name.split(".")[0] for name in _USAGE_RANK if "." in name)
assert all(name.count(".") <= 1 for name in _USAGE_RANK)


def usage_from(counts: Any) -> dict[str, int] | None:
    """Token counts in any SDK's vocabulary (nested ``*_details`` objects or dotted
    keys) -> OpenAI-named counts (see :func:`usage`)."""
    counts = maybe_json(counts)
    if not isinstance(counts, dict):
        return None
    flat = _named_counts(counts)
    found: dict[str, Any] = dict.fromkeys(USAGE_NAMES)
    ranks: dict[str, int] = {}
    for name, value in flat.items():  # a few keys, against dozens of names
        known = _USAGE_RANK.get(name)
        if known is None or as_int(value) is None:
            continue
        what, rank = known
        if rank < ranks.get(what, len(_USAGE_RANK)):
            found[what], ranks[what] = value, rank
    google = {"candidates_token_count", "candidatesTokenCount"} & flat.keys()
    if google and found["reasoning"] is not None and found["completion"] is not None:
        # Gemini counts thinking apart from the answer; OpenAI's completion includes it
        found["completion"] = as_int(found["completion"]) + as_int(found["reasoning"])
    return usage(**found)


def _named_counts(counts: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``counts`` named in :data:`USAGE_NAMES`, a nested ``*_details``
    object's as dotted names (which win over a dotted key of the same name). Only the
    objects those names go into are looked into: usage objects carry dozens of others."""
    flat: dict[str, Any] = {}
    for key, value in counts.items():
        if not isinstance(value, dict):
            if key in _USAGE_RANK:
                flat.setdefault(key, value)
        elif key in _USAGE_DETAILS:
            for inner, item in value.items():
                if not isinstance(item, dict):
                    flat[f"{key}.{inner}"] = item
    return flat


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
