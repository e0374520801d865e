"""Every SDK's chat shapes -> OpenAI chat messages, tools and answers.

What a trace records as a model call's input and output depends on who wrote it: OpenAI
chat messages, GenAI "parts" (OpenLLMetry, Pydantic AI, Microsoft Agent Framework),
LangChain messages (``type: human``, ``additional_kwargs.tool_calls``, tool definitions
passed as ``{"role": "tool", "content": {schema}}``), the Responses API's items
(``function_call``, ``function_call_output``), Google GenAI ``contents``/``candidates``,
Anthropic content blocks, Vercel AI SDK parts, LlamaIndex ``{"args": [...]}`` and
AutoGen's flattened ``"system: ...\\nuser: ..."``. :func:`messages` and :func:`answer`
recognise each and return OpenAI shapes, the replayable form of a case.

Whatever is seen but cannot be carried into a case (an image part, a reasoning item)
is reported through ``lose`` (see :meth:`llm_regressions.traces.model.LlmCall.lose`),
never dropped silently. Nothing in a trace is evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llm_regressions.traces.shapes import (
    normalise_finish_reason,
    openai_tool,
    openai_tool_call,
    openai_tools,
    usage_from,
)
from llm_regressions.traces.values import as_text, maybe_json

Lose = Callable[[str], None]
Message = dict[str, Any]

#: Role names of other SDKs -> OpenAI's.
ROLES = {
    "human": "user",
    "user": "user",
    "ai": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "bot": "assistant",
    "system": "system",
    "developer": "developer",
    "tool": "tool",
    "function": "tool",
    "ipython": "tool",
}
#: LangChain serialised class names -> roles.
_LANGCHAIN_CLASSES = {
    "HumanMessage": "user",
    "AIMessage": "assistant",
    "AIMessageChunk": "assistant",
    "SystemMessage": "system",
    "ToolMessage": "tool",
    "FunctionMessage": "tool",
    "ChatMessage": None,
}
_TEXT_PARTS = ("text", "input_text", "output_text")
#: "system: ...\nuser: ..." (AutoGen and others flatten a chat into one string).
_FLATTENED = re.compile(r"^(system|user|assistant|developer|tool): ?", re.MULTILINE)


@dataclass
class Chat:
    """A request's messages and the tool definitions found beside them."""

    messages: list[Message] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Answer:
    """What a model call produced, as far as the record says."""

    text: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    model: str | None = None


def _ignore(_: str) -> None:
    return None


# -- input --------------------------------------------------------------------------


def messages(value: Any, lose: Lose = _ignore) -> Chat:
    """A recorded model input, in any of the shapes above, as OpenAI messages."""
    value = maybe_json(value)
    chat = Chat()
    if isinstance(value, str):
        chat.messages = _from_text(value)
    elif isinstance(value, list):
        _items(value, chat, lose)
    elif isinstance(value, dict):
        _request(value, chat, lose)
    elif value is not None:
        lose(f"input of type {type(value).__name__}")
    return chat


def _from_text(text: str) -> list[Message]:
    """One user message, or the messages of a flattened chat transcript."""
    found = list(_FLATTENED.finditer(text))
    if not found or found[0].start() != 0:
        return [{"role": "user", "content": text}]
    ends = [m.start() for m in found[1:]] + [len(text)]
    return [
        {"role": m.group(1), "content": text[m.end() : end].rstrip("\n")}
        for m, end in zip(found, ends, strict=True)
    ]


def _request(value: dict[str, Any], chat: Chat, lose: Lose) -> None:
    """A request object: ``{messages, tools}`` (with Anthropic's or the Vercel AI SDK's
    ``system`` beside them), Google's ``{contents, config}``, the Responses API's
    ``{input, instructions, tools}``, a decorator's ``{args, kwargs}``."""
    if isinstance(value.get("messages"), list) or (
        "system" in value and isinstance(value.get("prompt"), (str, list))
    ):
        _system(value.get("system"), chat, lose)
        prompt = value.get("prompt")
        given = value.get("messages") or ([prompt] if isinstance(prompt, str) else prompt)
        _items(given if isinstance(given, list) else [], chat, lose)
        chat.tools += openai_tools(value.get("tools")) + openai_tools(value.get("functions"))
    elif "contents" in value:
        _google_request(value, chat, lose)
    elif "input" in value and ("instructions" in value or "model" in value):
        if isinstance(value.get("instructions"), str) and value["instructions"]:
            chat.messages.append({"role": "system", "content": value["instructions"]})
        given = maybe_json(value["input"])
        chat.messages += _from_text(given) if isinstance(given, str) else []
        _items(given if isinstance(given, list) else [], chat, lose)
        chat.tools += openai_tools(value.get("tools"))
    elif set(value) <= {"args", "kwargs"} and value:
        args = value.get("args") or []
        kwargs = value.get("kwargs") or {}
        first = args[0] if isinstance(args, list) and args else kwargs.get("messages")
        inner = messages(first if first is not None else kwargs, lose)
        chat.messages, chat.tools = inner.messages, chat.tools + inner.tools
    elif isinstance(value.get("prompt"), str):
        chat.messages.append({"role": "user", "content": value["prompt"]})
    elif "role" in value or "type" in value or "lc" in value:
        _items([value], chat, lose)
    else:
        chat.messages.append({"role": "user", "content": json.dumps(value, ensure_ascii=False)})
        lose("input object read as one JSON user message (shape not recognised)")


def _system(system: Any, chat: Chat, lose: Lose) -> None:
    """A top-level system prompt: a string or a list of text blocks (Anthropic)."""
    if isinstance(system, list):
        system, _, _ = _blocks(system, lose)
    if isinstance(system, str) and system:
        chat.messages.append({"role": "system", "content": system})


def _google_request(value: dict[str, Any], chat: Chat, lose: Lose) -> None:
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    system = config.get("system_instruction") or value.get("system_instruction")
    if system:
        text = system if isinstance(system, str) else _google_text(system, lose)
        chat.messages.append({"role": "system", "content": text})
    contents = maybe_json(value.get("contents"))
    if isinstance(contents, str):
        chat.messages.append({"role": "user", "content": contents})
    elif isinstance(contents, dict):
        _items([contents], chat, lose)
    elif isinstance(contents, list):
        _items(
            [{"role": "user", "content": c} if isinstance(c, str) else c for c in contents],
            chat,
            lose,
        )
    for tool in config.get("tools") or []:
        for declaration in (tool or {}).get("function_declarations") or []:
            found = openai_tool(declaration)
            if found:
                chat.tools.append(found)


def _items(items: list[Any], chat: Chat, lose: Lose) -> None:
    """Message-like items in order; consecutive tool calls of one turn are merged into
    one assistant message, as OpenAI records parallel calls."""
    for item in items:
        item = maybe_json(item)
        if isinstance(item, str):
            chat.messages.append({"role": "user", "content": item})
            continue
        if not isinstance(item, dict):
            lose(f"message of type {type(item).__name__}")
            continue
        tool = _tool_definition(item)
        if tool is not None:
            chat.tools.append(tool)
            continue
        for message in _message(item, lose):
            _append(chat.messages, message)


def _append(found: list[Message], message: Message) -> None:
    last = found[-1] if found else None
    if (
        last is not None
        and message["role"] == last["role"] == "assistant"
        and message.get("tool_calls")
        and not message.get("content")
        and last.get("tool_calls")
    ):
        last["tool_calls"] = last["tool_calls"] + message["tool_calls"]
        return
    found.append(message)


def _tool_definition(item: dict[str, Any]) -> dict[str, Any] | None:
    """LangChain's Langfuse callback records the offered tools as input entries
    ``{"role": "tool", "content": {"type": "function", "function": {...}}}``."""
    if item.get("role") != "tool" or item.get("tool_call_id"):
        return None
    content = maybe_json(item.get("content"))
    if not isinstance(content, dict):
        return None
    if content.get("type") == "function" or ("name" in content and "parameters" in content):
        return openai_tool(content)
    return None


def _message(item: dict[str, Any], lose: Lose) -> list[Message]:
    """One recorded message -> one or more OpenAI messages (tool results each get their
    own ``tool`` message)."""
    if item.get("lc") == 1 and isinstance(item.get("kwargs"), dict):
        kind = (item.get("id") or [""])[-1]
        role = _LANGCHAIN_CLASSES.get(kind) or item["kwargs"].get("role")
        return _message({**item["kwargs"], "role": role or "user"}, lose)
    kind = item.get("type")
    if kind in ("function_call", "function_call_output", "reasoning") or (
        kind == "message" and "role" in item
    ):
        return _responses_item(item, lose)
    role = ROLES.get(str(item.get("role") or item.get("type") or "").lower())
    if role is None:
        lose(f"message with role {item.get('role') or item.get('type')!r}")
        return []
    if "parts" in item:
        return _parts(role, item["parts"], lose)
    return _with_content(role, item, lose)


def _with_content(role: str, item: dict[str, Any], lose: Lose) -> list[Message]:
    raw = item.get("content")
    # only a list of blocks is read from JSON text (other text stays as it was sent)
    content = maybe_json(raw) if isinstance(raw, str) and _may_list_blocks(raw) else raw
    results: list[Message] = []
    calls = _tool_calls(item)
    if isinstance(content, list) and all(_is_block(b) for b in content):
        content, block_calls, results = _blocks(content, lose)
        calls += block_calls
    elif isinstance(raw, str):
        content = raw  # JSON text (a tool's result) stays exactly as it was sent
    elif content is not None and not isinstance(content, str):
        content = as_text(content)
    message: Message = {"role": role, "content": content}
    if role == "tool":
        message["tool_call_id"] = item.get("tool_call_id") or item.get("id")
    if item.get("name") and role in ("user", "tool", "assistant"):
        message["name"] = str(item["name"])
    if calls:
        message["tool_calls"] = calls
    # a message that only carried tool results (Anthropic's user turn) becomes just those
    keep = (content is not None or calls or role != "assistant") and not (
        results and content is None and not calls
    )
    return ([clean(message)] if keep else []) + results


def _may_list_blocks(text: str) -> bool:
    """Whether JSON text could be a list (of content blocks): it starts with ``[``."""
    return text.lstrip()[:1] == "["


def _is_block(value: Any) -> bool:
    """A content block (``{"type": ..., ...}`` or text), not data a tool returned."""
    return isinstance(value, str) or (
        isinstance(value, dict) and isinstance(value.get("type"), str)
    )


def _tool_calls(item: dict[str, Any]) -> list[dict[str, Any]]:
    """OpenAI ``tool_calls``, LangChain's ``tool_calls`` (``{name, args, id}``) or its
    ``additional_kwargs.tool_calls`` / ``function_call``."""
    extra = item.get("additional_kwargs") if isinstance(item.get("additional_kwargs"), dict) else {}
    raw = item.get("tool_calls") or extra.get("tool_calls") or []
    if not raw and isinstance(extra.get("function_call"), dict):
        raw = [{"function": extra["function_call"]}]
    raw = maybe_json(raw)
    return [_tool_call(c) for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []


def _tool_call(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function") if isinstance(call.get("function"), dict) else call
    arguments = function.get("arguments", function.get("args", call.get("input")))
    name = function.get("name") or call.get("toolName") or call.get("name")
    return openai_tool_call(_call_id(call.get("id") or call.get("toolCallId")), name, arguments)


def _call_id(value: Any) -> str | None:
    """A tool-call id; some SDKs record a list (run id and call id): take the call's."""
    if isinstance(value, list):
        value = next((v for v in value if str(v).startswith(("call_", "toolu_"))), value[-1:])
        value = value[0] if isinstance(value, list) and value else value
    return str(value) if value not in (None, "", []) else None


def _blocks(
    blocks: list[Any], lose: Lose
) -> tuple[str | list[Any] | None, list[dict[str, Any]], list[Message]]:
    """Content blocks (OpenAI parts, Anthropic blocks, Vercel parts) -> text (or the
    OpenAI parts as they are, when not all text), tool calls, tool-result messages."""
    texts, calls, results, kept = [], [], [], []
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if isinstance(block, str):
            texts.append(block)
        elif kind in _TEXT_PARTS:
            texts.append(str(block.get("text") or ""))
        elif kind in ("tool_use", "tool-call"):
            calls.append(_tool_call(block))
        elif kind in ("tool_result", "tool-result"):
            results.append(_tool_result(block))
        elif kind in ("image", "file", "input_image", "input_file") and not _is_openai_part(block):
            part = _media_part(block)
            if part is None:
                lose(f"{kind} part")
            else:
                kept.append(part)
        elif kind in ("image_url", "input_audio", "file") and "type" in block:
            kept.append(block)  # OpenAI content parts: replayable as they are
        elif kind == "refusal":
            texts.append(str(block.get("refusal") or ""))
        elif kind in ("reasoning", "thinking", "redacted_thinking"):
            lose(f"{kind} part")
        else:
            lose(f"message part of type {kind!r}")
    if kept:
        return [{"type": "text", "text": t} for t in texts] + kept, calls, results
    return ("".join(texts) if texts else None), calls, results


def _is_openai_part(block: dict[str, Any]) -> bool:
    return isinstance(block.get("file"), dict) or isinstance(block.get("image_url"), dict)


def _media_part(block: dict[str, Any]) -> dict[str, Any] | None:
    """An image or file part of the Vercel AI SDK (``image``/``data`` with a media type),
    Anthropic (``source``) or the Responses API (``input_image``/``input_file``) -> an
    OpenAI content part; None when its data was not recorded (or is a URL of a non-image
    file)."""
    if isinstance(block.get("source"), dict):
        source = block["source"]
        media = source.get("media_type")
        block = {**block, "data": source.get("data") or source.get("url"), "mediaType": media}
    data = block.get("image", block.get("data", block.get("image_url", block.get("file_data"))))
    media = str(block.get("mediaType") or block.get("mimeType") or block.get("media_type") or "")
    is_image = block.get("type") in ("image", "input_image") or media.startswith("image/")
    if isinstance(data, str) and data and not data.startswith(("http://", "https://", "data:")):
        data = f"data:{media};base64,{data}" if media else None
    if not isinstance(data, str) or not data:
        return _file_reference(block)
    if is_image:
        return {"type": "image_url", "image_url": {"url": data}}
    if not data.startswith("data:"):
        return None
    name = block.get("filename")
    return {"type": "file", "file": {"file_data": data, **({"filename": name} if name else {})}}


def _file_reference(block: dict[str, Any]) -> dict[str, Any] | None:
    """A Responses ``input_file``/``input_image`` that names an uploaded file."""
    file_id = block.get("file_id")
    return {"type": "file", "file": {"file_id": file_id}} if isinstance(file_id, str) else None


def _tool_result(block: dict[str, Any]) -> Message:
    output = block.get("output", block.get("result", block.get("content")))
    if isinstance(output, dict) and set(output) >= {"type", "value"}:
        output = output["value"]  # Vercel AI SDK v5: {type: "text"|"json", value}
    if isinstance(output, list) and all(isinstance(b, dict) for b in output):
        text, _, _ = _blocks(output, _ignore)
        output = text if isinstance(text, str) else output
    call_id = _call_id(block.get("tool_use_id") or block.get("toolCallId") or block.get("id"))
    return {"role": "tool", "tool_call_id": call_id, "content": as_text(output)}


def _parts(role: str, parts: Any, lose: Lose) -> list[Message]:
    """GenAI ``parts`` (``type: text|tool_call|tool_call_response``) and Google's
    (``text``, ``function_call``, ``function_response``)."""
    texts, calls, results = [], [], []
    for part in maybe_json(parts) or []:
        if not isinstance(part, dict):
            texts.append(str(part))
            continue
        kind = part.get("type")
        if part.get("thought") or kind in ("reasoning", "thinking"):
            lose("reasoning part")
        elif kind == "text" or ("text" in part and kind is None):
            texts.append(str(part.get("content", part.get("text")) or ""))
        elif kind == "tool_call" or "function_call" in part:
            body = part.get("function_call") or part
            arguments = body.get("arguments", body.get("args"))
            calls.append(openai_tool_call(_call_id(body.get("id")), body.get("name"), arguments))
        elif kind == "tool_call_response" or "function_response" in part:
            body = part.get("function_response") or part
            response = body.get("response", body.get("result"))
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": _call_id(body.get("id")),
                    "content": as_text(response),
                }
            )
        else:
            lose(f"message part of type {kind or next(iter(part), '?')!r}")
    found = []
    if texts or calls or not (results or role == "assistant"):
        message: Message = {"role": role, "content": "".join(texts) if texts else None}
        if calls:
            message["tool_calls"] = calls
        found.append(clean(message))
    return found + results


def _responses_item(item: dict[str, Any], lose: Lose) -> list[Message]:
    """An item of the Responses API: a message, a function call or its output."""
    kind = item.get("type")
    if kind == "function_call":
        call = openai_tool_call(
            item.get("call_id") or item.get("id"), item.get("name"), item.get("arguments")
        )
        return [{"role": "assistant", "content": None, "tool_calls": [call]}]
    if kind == "function_call_output":
        return [
            {
                "role": "tool",
                "tool_call_id": item.get("call_id"),
                "content": as_text(item.get("output")),
            }
        ]
    if kind == "reasoning":
        lose("reasoning item")
        return []
    return _with_content(ROLES.get(str(item.get("role")), "user"), item, lose)


def clean(message: Message) -> Message:
    """Keep the OpenAI message keys a case accepts, dropping the empty ones; tool calls
    in OpenAI's shape (arguments as JSON text)."""
    kept: Message = {"role": message.get("role") or "user"}
    if message.get("content") is not None or not message.get("tool_calls"):
        kept["content"] = message.get("content")
    for key in ("name", "tool_calls", "tool_call_id"):
        if message.get(key):
            kept[key] = message[key]
    if kept.get("tool_calls"):
        kept["tool_calls"] = [_tool_call(c) for c in kept["tool_calls"] if isinstance(c, dict)]
    return kept


def spoken(found: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """The output text and tool calls of the assistant messages a model produced."""
    texts = [m["content"] for m in found if isinstance(m.get("content"), str)]
    calls = [c for m in found for c in m.get("tool_calls") or []]
    return ("".join(texts) if texts else None), calls


def _google_text(value: Any, lose: Lose) -> str:
    parts = value.get("parts") if isinstance(value, dict) else value
    found = _parts("system", parts if isinstance(parts, list) else [value], lose)
    return "".join(m.get("content") or "" for m in found)


# -- output ------------------------------------------------------------------------


def answer(value: Any, lose: Lose = _ignore) -> Answer:
    """A recorded model output, in any of the shapes above: text, tool calls, and the
    finish reason, usage and served model when the output object carries them."""
    value = maybe_json(value)
    if value is None:
        return Answer()
    if isinstance(value, str):
        return Answer(text=value)
    if isinstance(value, list):
        return _from_messages(value, lose)
    if not isinstance(value, dict):
        return Answer(text=as_text(value))
    for recognise, read in _OUTPUTS:
        if recognise(value):
            return read(value, lose)
    lose("output object read as JSON text (shape not recognised)")
    return Answer(text=json.dumps(value, ensure_ascii=False))


#: What the general reading of a message looks at besides its role and content.
_READ_KEYS = frozenset(
    ("lc", "kwargs", "type", "parts", "tool_calls", "additional_kwargs", "name", "id")
    + ("tool_call_id", "toolName", "toolCallId", "finish_reason", "stop_reason")
    + ("response_metadata", "usage_metadata", "usage", "model")
)


def _plain_answer(message: dict[str, Any]) -> Answer | None:
    """The answer of an assistant message that holds text and nothing the general
    reading looks at (``tool_calls: null`` aside): the most common recorded output
    (OpenAI's chat message, Langfuse's OpenAI integration), read without building a
    chat. Text that may be a JSON list of content blocks is not plain. None otherwise."""
    content = message.get("content")
    if message.get("role") != "assistant" or type(content) is not str:
        return None
    if _may_list_blocks(content):
        return None
    for key in message:
        if key in _READ_KEYS and (key != "tool_calls" or message[key] is not None):
            return None
    return Answer(text=content)


def _from_messages(items: list[Any], lose: Lose) -> Answer:
    """A list of messages (the assistant turn) or of tool calls."""
    if items and all(isinstance(i, dict) and ("toolName" in i or "toolCallId" in i) for i in items):
        return Answer(tool_calls=[_tool_call(i) for i in items])
    chat = Chat()
    _items(items, chat, lose)
    text, calls = spoken([m for m in chat.messages if m["role"] == "assistant"] or chat.messages)
    # GenAI output messages (Pydantic AI, OpenLLMetry) carry the finish reason on the message
    finish = next(
        (i["finish_reason"] for i in items if isinstance(i, dict) and i.get("finish_reason")), None
    )
    return Answer(text=text, tool_calls=calls, finish_reason=normalise_finish_reason(finish))


def _from_message(message: dict[str, Any], lose: Lose) -> Answer:
    if message.get("lc") == 1 and isinstance(message.get("kwargs"), dict):
        message = message["kwargs"]  # a LangChain message, serialised
    plain = _plain_answer(message)
    if plain is not None:
        return plain
    found = _from_messages([{"role": "assistant", **message}], lose)
    meta = (
        message.get("response_metadata")
        if isinstance(message.get("response_metadata"), dict)
        else {}
    )
    found.finish_reason = normalise_finish_reason(
        message.get("finish_reason")
        or message.get("stop_reason")
        or meta.get("finish_reason")
        or meta.get("stop_reason")
    )
    found.usage = usage_from(
        message.get("usage_metadata") or message.get("usage") or meta.get("usage")
    )
    found.model = meta.get("model_name") or meta.get("model") or message.get("model")
    return found


def _openai_completion(value: dict[str, Any], lose: Lose) -> Answer:
    choice = (
        value["choices"][0] if value["choices"] and isinstance(value["choices"][0], dict) else {}
    )
    message = choice.get("message") or choice.get("delta")
    found = _from_message(message if isinstance(message, dict) else {}, lose)
    if not found.text and isinstance(choice.get("text"), str):
        found.text = choice["text"]
    found.finish_reason = (
        normalise_finish_reason(choice.get("finish_reason")) or found.finish_reason
    )
    found.usage = usage_from(value.get("usage")) or usage_from(value.get("usage_metadata"))
    found.model = value.get("model")
    return found


def _responses(value: dict[str, Any], lose: Lose) -> Answer:
    found = _from_messages([i for i in value.get("output") or [] if isinstance(i, dict)], lose)
    incomplete = value.get("incomplete_details") or {}
    if value.get("status") == "incomplete":
        found.finish_reason = normalise_finish_reason(incomplete.get("reason") or "length")
    elif value.get("status") in ("completed", None):
        found.finish_reason = "tool_calls" if found.tool_calls else "stop"
    found.usage = usage_from(value.get("usage"))
    found.model = value.get("model")
    return found


def _google(value: dict[str, Any], lose: Lose) -> Answer:
    candidates = value.get("candidates")
    candidate = candidates[0] if isinstance(candidates, list) and candidates else value
    content = candidate.get("content") if isinstance(candidate, dict) else None
    found = _from_messages(
        [{"role": "model", **content}] if isinstance(content, dict) else [], lose
    )
    found.finish_reason = normalise_finish_reason(
        candidate.get("finish_reason") or candidate.get("finishReason")
    )
    found.usage = usage_from(value.get("usage_metadata") or value.get("usageMetadata"))
    found.model = value.get("model_version") or value.get("modelVersion")
    return found


def _langchain_result(value: dict[str, Any], lose: Lose) -> Answer:
    generation = (value.get("generations") or [[{}]])[0]
    generation = generation[0] if isinstance(generation, list) and generation else generation
    generation = generation if isinstance(generation, dict) else {}
    message = generation.get("message")
    found = answer(message, lose) if message else Answer(text=generation.get("text"))
    info = generation.get("generation_info") or {}
    found.finish_reason = found.finish_reason or normalise_finish_reason(info.get("finish_reason"))
    output = value.get("llm_output") or {}
    found.usage = found.usage or usage_from(output.get("token_usage") or output.get("usage"))
    found.model = found.model or output.get("model_name")
    return found


def _anthropic(value: dict[str, Any], lose: Lose) -> Answer:
    found = _from_messages([{"role": "assistant", "content": value.get("content")}], lose)
    found.finish_reason = normalise_finish_reason(value.get("stop_reason"))
    found.usage = usage_from(value.get("usage"))
    found.model = value.get("model")
    return found


def _pydantic_event(value: dict[str, Any], lose: Lose) -> Answer:
    found = _from_message(value["message"], lose)
    found.finish_reason = normalise_finish_reason(value.get("finish_reason")) or found.finish_reason
    return found


def _text_result(value: dict[str, Any], lose: Lose) -> Answer:
    """``{"text", "finish_reason"}``: a generation result reduced to its text (OpenInference's
    GenAI converter, Vercel AI SDK ``generateText``)."""
    found = Answer(text=value["text"])
    found.finish_reason = normalise_finish_reason(
        value.get("finish_reason") or value.get("finishReason")
    )
    found.usage = usage_from(value.get("usage"))
    return found


def _output_key(value: dict[str, Any], lose: Lose) -> Answer:
    return answer(value["output"], lose)


#: (recognise, read) pairs, the most specific first.
_OUTPUTS: tuple[tuple[Callable[[dict], bool], Callable[[dict, Lose], Answer]], ...] = (
    (lambda v: isinstance(v.get("choices"), list), _openai_completion),
    (lambda v: v.get("object") == "response" or ("output" in v and "status" in v), _responses),
    (lambda v: "candidates" in v or isinstance((v.get("content") or None), dict), _google),
    (lambda v: "generations" in v, _langchain_result),
    (lambda v: v.get("type") == "message" and isinstance(v.get("content"), list), _anthropic),
    (lambda v: isinstance(v.get("message"), dict), _pydantic_event),
    (lambda v: "role" in v or "content" in v or "tool_calls" in v or "lc" in v, _from_message),
    (lambda v: set(v) == {"output"}, _output_key),
    (lambda v: isinstance(v.get("text"), str), _text_result),
)
