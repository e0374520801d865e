"""Every SDK's chat shapes -> OpenAI messages and answers (traces/chat.py), one small
example per shape; the real exports these come from are read in the reader tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_regressions.traces.chat import Answer, Chat, answer, messages
from llm_regressions.traces.providers import litellm_prefix
from llm_regressions.traces.shapes import (
    normalise_finish_reason,
    openai_tool,
    usage_from,
)

DATA = Path(__file__).parent / "data"


def roles(value, lost=None):
    return [m["role"] for m in messages(value, (lost if lost is not None else []).append).messages]


def test_openai_messages_and_request_with_tools():
    chat = messages(
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
            ],
            "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
        }
    )
    assert [m["role"] for m in chat.messages] == ["system", "user"]
    assert chat.tools[0]["function"]["name"] == "lookup"


def test_langchain_tool_definitions_and_additional_kwargs_tool_calls():
    chat = messages(
        [
            {"role": "user", "content": "Search"},
            {
                "role": "assistant",
                "content": "",
                "additional_kwargs": {
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "function": {"name": "Web-Search", "arguments": {"q": "x"}},
                        }
                    ]
                },
            },
            {"role": "tool", "content": [{"url": "https://example.com"}], "tool_call_id": "call_1"},
            {"role": "tool", "content": {"type": "function", "function": {"name": "Web-Search"}}},
        ]
    )
    assert [m["role"] for m in chat.messages] == ["user", "assistant", "tool"]
    call = chat.messages[1]["tool_calls"][0]
    assert call["function"] == {"name": "Web-Search", "arguments": '{"q": "x"}'}
    assert chat.messages[2]["content"] == '[{"url": "https://example.com"}]'
    assert [t["function"]["name"] for t in chat.tools] == ["Web-Search"]


def test_langchain_serialised_and_typed_messages():
    value = [
        {
            "lc": 1,
            "type": "constructor",
            "id": ["langchain", "schema", "HumanMessage"],
            "kwargs": {"content": "hi"},
        },
        {
            "type": "ai",
            "content": "hello",
            "tool_calls": [{"name": "f", "args": {"a": 1}, "id": "c1"}],
        },
    ]
    chat = messages(value)
    assert [m["role"] for m in chat.messages] == ["user", "assistant"]
    assert chat.messages[1]["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'


def test_genai_parts_with_list_ids_and_tool_results():
    chat = messages(
        [
            {
                "role": "assistant",
                "parts": [
                    {"type": "tool_call", "id": ["run_1", "call_9"], "name": "w", "arguments": {}}
                ],
            },
            {
                "role": "tool",
                "parts": [
                    {"type": "tool_call_response", "id": ["run_1", "call_9"], "response": "sunny"}
                ],
            },
            {
                "role": "user",
                "parts": [{"type": "tool_call_response", "id": "c2", "result": {"ok": True}}],
            },
        ]
    )
    assert [m["role"] for m in chat.messages] == ["assistant", "tool", "tool"]
    assert chat.messages[0]["tool_calls"][0]["id"] == "call_9"
    assert chat.messages[1] == {"role": "tool", "tool_call_id": "call_9", "content": "sunny"}
    assert chat.messages[2]["content"] == '{"ok": true}'


def test_responses_api_items_merge_parallel_calls():
    chat = messages(
        {
            "instructions": "You are helpful.",
            "model": "gpt-4.1",
            "input": [
                {"role": "user", "content": "Weather in Tokyo and Paris?"},
                {
                    "type": "function_call",
                    "call_id": "c1",
                    "name": "w",
                    "arguments": '{"city": "Tokyo"}',
                },
                {
                    "type": "function_call",
                    "call_id": "c2",
                    "name": "w",
                    "arguments": '{"city": "Paris"}',
                },
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
                {"type": "reasoning", "summary": []},
            ],
        },
        (lost := []).append,
    )
    assert [m["role"] for m in chat.messages] == ["system", "user", "assistant", "tool"]
    assert [c["id"] for c in chat.messages[2]["tool_calls"]] == ["c1", "c2"]
    assert lost == ["reasoning item"]


def test_google_contents_with_config():
    chat = messages(
        {
            "model": "gemini-2.0-flash",
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}]},
                {"role": "model", "parts": [{"function_call": {"name": "say_hello", "args": {}}}]},
                {
                    "role": "user",
                    "parts": [
                        {"function_response": {"name": "say_hello", "response": {"r": "ok"}}}
                    ],
                },
            ],
            "config": {
                "system_instruction": "Greet.",
                "tools": [{"function_declarations": [{"name": "say_hello"}]}],
            },
        }
    )
    assert [m["role"] for m in chat.messages] == ["system", "user", "assistant", "tool"]
    assert chat.tools[0]["function"]["name"] == "say_hello"


def test_anthropic_and_vercel_blocks():
    chat = messages(
        [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"x": 1}},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "42"}],
            },
            {
                "role": "tool",
                "content": [
                    {
                        "type": "tool-result",
                        "toolCallId": "c3",
                        "toolName": "g",
                        "output": {"type": "text", "value": "done"},
                    }
                ],
            },
            {"role": "user", "content": [{"type": "image", "source": {}}]},
        ],
        (lost := []).append,
    )
    # Anthropic's tool results ride in a user turn; OpenAI wants one tool message each
    assert [m["role"] for m in chat.messages] == ["assistant", "tool", "tool", "user"]
    assert chat.messages[0]["tool_calls"][0]["function"]["arguments"] == '{"x": 1}'
    assert chat.messages[1] == {"role": "tool", "tool_call_id": "toolu_1", "content": "42"}
    assert chat.messages[2]["content"] == "done"
    assert lost == ["image part"]  # an image whose data was not recorded


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("system: Be nice.\nuser: Say hi", ["system", "user"]),
        ("Just a question", ["user"]),
        ({"args": ["What is Langfuse?"]}, ["user"]),
    ],
)
def test_strings_flattened_chats_and_decorator_args(value, expected):
    assert roles(value) == expected


def test_answers_of_each_sdk():
    openai = answer(
        {
            "model": "m",
            "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }
    )
    assert (openai.text, openai.finish_reason, openai.usage["prompt_tokens"], openai.model) == (
        "hi",
        "stop",
        3,
        "m",
    )
    google = answer(
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": "yo"}]},
                    "finish_reason": "MAX_TOKENS",
                }
            ]
        }
    )
    assert (google.text, google.finish_reason) == ("yo", "length")
    responses = answer(
        {
            "object": "response",
            "status": "completed",
            "output": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}],
        }
    )
    assert (
        responses.finish_reason == "tool_calls"
        and responses.tool_calls[0]["function"]["name"] == "f"
    )
    langchain = answer(
        {
            "content": "ok",
            "response_metadata": {"finish_reason": "STOP", "model_name": "gemini-2.5-flash"},
            "type": "AIMessageChunk",
        }
    )
    assert (langchain.text, langchain.finish_reason, langchain.model) == (
        "ok",
        "stop",
        "gemini-2.5-flash",
    )
    anthropic = answer(
        {
            "type": "message",
            "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}],
            "stop_reason": "tool_use",
        }
    )
    assert anthropic.finish_reason == "tool_calls" and anthropic.text is None
    assert answer([{"role": "assistant", "content": ""}]).text == ""
    unknown = answer({"score": 3}, (lost := []).append)
    assert unknown.text == '{"score": 3}' and lost


def test_usage_vocabularies_and_finish_reasons():
    assert usage_from({"input": 5, "output": 7, "total": 12, "output_reasoning": 2}) == {
        "prompt_tokens": 5,
        "completion_tokens": 7,
        "total_tokens": 12,
        "reasoning_tokens": 2,
    }
    gemini = usage_from(
        {"prompt_token_count": 6, "candidates_token_count": 951, "thoughts_token_count": 1104}
    )
    assert gemini["completion_tokens"] == 2055  # OpenAI counts reasoning in completion
    assert (
        usage_from({"inputTokens": 1, "outputTokens": 2, "cachedInputTokens": 1})["cached_tokens"]
        == 1
    )
    # nested details and dotted keys name the same counts; a nested one wins, whatever the
    # order; the first name of a kind that holds a number wins; other objects are ignored
    nested = {"prompt_tokens_details": {"cached_tokens": 3}, "completion_tokens": 9}
    for counts in (
        {"prompt_tokens_details.cached_tokens": 1, **nested},
        {**nested, "prompt_tokens_details.cached_tokens": 1},
    ):
        assert usage_from(counts) == {"completion_tokens": 9, "cached_tokens": 3}
    assert usage_from(
        {
            "output_tokens": "x",
            "completionTokens": "4",
            "completion_tokens": None,
            "metadata": {"prompt_tokens": 8, "x": {"total_tokens": 1}},
            "input_tokens_details": {"cached_tokens": {"n": 2}, "cache_read": 1},
            "input_token_details": {"cache_read": 5},
        }
    ) == {"completion_tokens": 4, "cached_tokens": 5}
    for raw, name in (
        ("end_turn", "stop"),
        ("tool_use", "tool_calls"),
        ("tool-calls", "tool_calls"),
        ("MAX_TOKENS", "length"),
        ("STOP", "stop"),
        ("SAFETY", "content_filter"),
    ):
        assert normalise_finish_reason(raw) == name


def test_text_results_chunk_finish_reasons_and_json_text_kept_as_sent():
    found = answer({"text": "Rainy.", "finish_reason": "stop", "usage": {"input": 3}})
    assert (found.text, found.finish_reason, found.usage) == (
        "Rainy.",
        "stop",
        {"prompt_tokens": 3},
    )
    # LangSmith JS aggregates a stream's last chunk choice into finish_reason
    chunk = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert normalise_finish_reason(chunk) == "stop"
    sent = '{"order_id":"A-1042",  "status":"late"}'
    (tool,) = messages([{"role": "tool", "tool_call_id": "c", "content": sent}]).messages
    assert tool["content"] == sent  # not re-serialised
    (anthropic_tool,) = messages(
        {"messages": [], "tools": [{"name": "f", "input_schema": {"type": "object"}}]}
    ).tools
    assert anthropic_tool["function"]["parameters"] == {"type": "object"}


# -- real provider bodies (tests/data/provider-bodies, see PROVENANCE.md) ------------

BODIES = DATA / "provider-bodies"


def _interactions(name: str) -> list[tuple[dict, dict]]:
    data = json.loads((BODIES / f"{name}.json").read_text(encoding="utf-8"))
    return [(i["request"]["body"], i["response"]["body"]) for i in data["interactions"]]


def _read(request: dict, response: dict) -> tuple[Chat, Answer, list[str]]:
    lost: list[str] = []
    return messages(request, lost.append), answer(response, lost.append), lost


def test_responses_api_parallel_function_calls():
    (request, response), _ = _interactions("openllmetry-cassette-responses-tool-calls-gpt41nano")
    chat, found, lost = _read(request, response)
    assert chat.messages == [{"role": "user", "content": "What's the weather in London?"}]
    assert chat.tools == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the current weather for a location",
                "parameters": request["tools"][0]["parameters"],
            },
        }
    ]
    assert found.text is None and found.finish_reason == "tool_calls"
    assert found.tool_calls == [
        {
            "id": call_id,
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location":"London"}'},
        }
        for call_id in ("call_tYDv1bhtioyX33juEGDY4D6H", "call_lC079UhGnLJngBlPQO0FS6sv")
    ]
    assert found.usage == {
        "prompt_tokens": 58,
        "completion_tokens": 44,
        "total_tokens": 102,
        "reasoning_tokens": 0,
        "cached_tokens": 0,
    }
    assert found.model == "gpt-4.1-nano-2025-04-14" and lost == []


def test_responses_api_reasoning_item_and_tokens():
    ((request, response),) = _interactions("openllmetry-cassette-responses-reasoning-gpt5nano")
    chat, found, lost = _read(request, response)
    assert chat.messages == [{"role": "user", "content": "Count r's in strawberry"}]
    assert (found.text, found.finish_reason) == ("3", "stop")
    assert found.usage == {
        "prompt_tokens": 11,
        "completion_tokens": 327,
        "total_tokens": 338,
        "reasoning_tokens": 320,
        "cached_tokens": 0,
    }
    assert lost == ["reasoning item"]


def test_responses_api_role_only_input_history():
    first, (request, response) = _interactions(
        "openllmetry-cassette-responses-input-history-gpt41nano"
    )
    assert _read(*first)[1].text == "Luminous"
    chat, found, lost = _read(request, response)
    assert chat.messages == [
        {
            "role": "user",
            "content": "Come up with an adjective in English. Respond with just one word.",
        },
        {"role": "assistant", "content": "Luminous"},
        {"role": "user", "content": "Can you explain why you chose that word?"},
    ]
    assert found.text.startswith('Certainly! I chose the word "luminous" because it describes')
    assert found.usage["prompt_tokens"] == 40 and lost == []


def test_anthropic_messages_tool_use():
    ((request, response),) = _interactions(
        "openllmetry-cassette-anthropic-tools-tool_use-claude35sonnet"
    )
    chat, found, lost = _read(request, response)
    assert [m["role"] for m in chat.messages] == ["user"]
    assert [t["function"]["name"] for t in chat.tools] == ["get_weather", "get_time"]
    assert chat.tools[0]["function"]["parameters"]["required"] == ["location"]  # input_schema
    assert found.text.startswith("Certainly! I'd be happy to help you with both the current")
    assert [(c["id"], c["function"]["name"]) for c in found.tool_calls] == [
        ("toolu_012r6TBCWjRHG71j6zruYyUL", "get_weather"),
        ("toolu_01SkeBKkLCNYWNuivqFerGDd", "get_time"),
    ]
    assert json.loads(found.tool_calls[0]["function"]["arguments"]) == {
        "location": "New York, NY",
        "unit": "fahrenheit",
    }
    assert found.finish_reason == "tool_calls"  # stop_reason "tool_use"
    assert found.usage == {"prompt_tokens": 514, "completion_tokens": 152}
    assert found.model == "claude-3-5-sonnet-20240620" and lost == []


def test_anthropic_messages_tool_result_history():
    ((request, response),) = _interactions(
        "openllmetry-cassette-anthropic-tools-history-tool_result-claude35haiku"
    )
    chat, found, lost = _read(request, response)
    assert [m["role"] for m in chat.messages] == ["user", "assistant", "tool"]
    assert chat.messages[1]["tool_calls"][0]["id"] == "call_1"
    assert chat.messages[2] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "Sunny and 65 degrees Fahrenheit",
    }
    assert found.text is None and found.tool_calls[0]["function"]["name"] == "get_time"
    assert found.finish_reason == "tool_calls"
    assert found.usage == {"prompt_tokens": 568, "completion_tokens": 58, "cached_tokens": 0}
    assert lost == []


def test_gemini_generate_content_thoughts():
    ((request, response),) = _interactions(
        "openllmetry-cassette-gemini25flash-generateContent-STOP"
    )
    chat, found, lost = _read(request, response)
    assert chat.messages == [{"role": "user", "content": "What is ai?"}]
    assert found.text.startswith("AI stands for **Artificial Intelligence**.")
    assert found.finish_reason == "stop"  # "STOP"
    # Gemini counts thinking apart; OpenAI's completion tokens include it
    assert found.usage == {
        "prompt_tokens": 5,
        "completion_tokens": 877 + 1058,
        "total_tokens": 1940,
        "reasoning_tokens": 1058,
    }
    assert found.model == "gemini-2.5-flash" and lost == []


# -- system prompts beside the messages, media parts -----------------------------------


def test_system_beside_messages_anthropic_and_vercel():
    anthropic = messages(
        {
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": "Hi"}],
        }
    )
    assert [m["role"] for m in anthropic.messages] == ["system", "user"]
    assert anthropic.messages[0]["content"] == "Be brief."
    vercel = messages({"system": "You help.", "prompt": "Write a haiku."})  # ai.prompt
    assert vercel.messages == [
        {"role": "system", "content": "You help."},
        {"role": "user", "content": "Write a haiku."},
    ]


def test_media_parts_become_openai_parts():
    lost: list[str] = []
    chat = messages(
        [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Compare"},
                    {"type": "input_image", "image_url": "https://example.com/a.png"},
                    {
                        "type": "file",
                        "data": "JVBERi0=",
                        "mediaType": "application/pdf",
                        "filename": "a.pdf",
                    },
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/"},
                    },
                    {
                        "type": "file",
                        "data": "https://example.com/a.pdf",
                        "mediaType": "application/pdf",
                    },
                ],
            }
        ],
        lost.append,
    )
    assert chat.messages[0]["content"] == [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
        },
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/"}},
    ]
    assert lost == ["file part"]  # a PDF by URL: OpenAI file parts take data or an id


def test_genai_output_messages_carry_their_finish_reason():
    """Pydantic AI / OpenLLMetry output messages hold the finish reason themselves."""
    found = answer(
        [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": "Hi"}],
                "finish_reason": "stop",
            }
        ]
    )
    assert (found.text, found.finish_reason) == ("Hi", "stop")


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("openai", "openai"),
        ("google_vertexai", "vertex_ai"),
        ("google", "gemini"),
        ("openai.chat", "openai"),
        ("google.vertex.chat", "vertex_ai"),
        ("aws.bedrock", "bedrock"),
        ("gcp.vertex.agent", None),
        (None, None),
    ],
)
def test_provider_names_to_litellm_prefixes(name, prefix):
    assert litellm_prefix(name) == prefix


def test_tool_definitions_keep_strict_mode():
    tool = openai_tool({"name": "f", "parameters": {"type": "object"}, "strict": True})
    assert tool["function"]["strict"] is True
    assert "strict" not in openai_tool({"name": "f", "strict": False})["function"]


@pytest.mark.parametrize(
    "content",
    [
        "Order A-1 ships Monday.",
        "",
        "   ",
        '{"answer": "A-1"}',
        '"quoted"',
        '[{"type": "text", "text": "from blocks"}]',
        '  [{"type": "text", "text": "after spaces"}]',
        "[not json",
        '["a", "b"]',
        "[1, 2]",
    ],
)
def test_a_plain_assistant_message_reads_as_the_general_path_does(monkeypatch, content):
    # {"role": "assistant", "content": text} (and with "tool_calls": null) takes the
    # _plain_answer shortcut; with it turned off, the general path must read the same
    from llm_regressions.traces import chat

    plain = {"role": "assistant", "content": content}
    lost_fast: list[str] = []
    fast = answer(plain, lost_fast.append)
    assert answer({**plain, "tool_calls": None}) == fast
    monkeypatch.setattr(chat, "_plain_answer", lambda message: None)
    lost_general: list[str] = []
    general = answer(plain, lost_general.append)
    assert fast == general
    assert lost_fast == lost_general
    assert answer(json.dumps(plain)) == general


def test_plain_answers_read_as_the_general_path_reads_them_in_every_real_export(monkeypatch):
    # _plain_answer skips the general message reading for assistant messages that hold
    # only text: every real export must read to the same calls with the shortcut off
    from llm_regressions.traces import chat
    from llm_regressions.traces.detect import read_trace
    from llm_regressions.traces.errors import TraceError

    files = sorted(p for p in (DATA / "traces").rglob("*") if p.suffix in (".json", ".jsonl"))
    shortcut = chat._plain_answer
    taken = []

    def counted(message):
        plain = shortcut(message)
        taken.extend([plain] if plain is not None else [])
        return plain

    def calls(path):
        try:
            return [span.llm for span in read_trace(path).spans]
        except TraceError as exc:
            return str(exc)

    monkeypatch.setattr(chat, "_plain_answer", counted)
    fast = {path: calls(path) for path in files}
    monkeypatch.setattr(chat, "_plain_answer", lambda message: None)
    general = {path: calls(path) for path in files}
    assert fast == general
    assert len(taken) >= 20  # the shortcut is taken on real exports, not only in theory


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("finish_reason", "length"),
        ("stop_reason", "max_tokens"),
        ("usage", {"prompt_tokens": 3, "completion_tokens": 2}),
        ("usage_metadata", {"input_tokens": 3, "output_tokens": 2}),
        ("response_metadata", {"model_name": "gpt-4o", "finish_reason": "length"}),
        ("model", "gpt-4o"),
        ("tool_calls", [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}]),
        ("additional_kwargs", {"tool_calls": [{"id": "c2", "function": {"name": "g"}}]}),
        ("parts", [{"type": "text", "content": "from parts"}]),
        ("type", "message"),
        ("toolName", "lookup"),
        ("toolCallId", "c3"),
        ("name", "helper"),
        ("function_call", None),
        ("provider_specific_fields", {"refusal": None}),
    ],
)
def test_an_assistant_message_with_more_than_text_reads_as_the_general_path_does(
    monkeypatch, key, value
):
    from llm_regressions.traces import chat

    message = {"role": "assistant", "content": "Hello", key: value}
    completion = {"choices": [{"message": message}]}
    fast = (answer(message), answer(completion))
    monkeypatch.setattr(chat, "_plain_answer", lambda message: None)
    assert fast == (answer(message), answer(completion))
