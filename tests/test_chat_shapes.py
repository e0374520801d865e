"""Every SDK's chat shapes -> OpenAI messages and answers (traces/chat.py), one small
example per shape; the real exports these come from are read in the reader tests."""

from __future__ import annotations

import pytest

from llm_regressions.traces.chat import answer, messages
from llm_regressions.traces.shapes import normalise_finish_reason, usage_from


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
    assert lost == ["message part of type 'image'"]


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
