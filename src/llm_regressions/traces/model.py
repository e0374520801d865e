"""The neutral span tree every reader produces and every consumer reads.

Readers translate a format's fields into these dataclasses and nothing else; inspect,
diagnosis and promotion never look at a format's raw attributes. A field a trace did
not record stays ``None`` (or empty): values are never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

#: Span kinds, from the point of view of debugging an LLM pipeline.
LLM, TOOL, RETRIEVAL, AGENT, CHAIN, SPAN = "llm", "tool", "retrieval", "agent", "chain", "span"
OK, ERROR, UNSET = "ok", "error", "unset"
Status = Literal["ok", "error", "unset"]

# The dict shapes below are checked when a trace is read (traces/typecheck.py): the code
# after reading relies on them, so a reader may not let another type through.


class Function(TypedDict):
    name: str


class FunctionCall(Function, total=False):
    arguments: str | dict[str, Any]


class _ToolCall(TypedDict):
    function: FunctionCall


class ToolCall(_ToolCall, total=False):
    """An assistant message's ``tool_calls`` entry, OpenAI shape."""

    id: str | None
    type: str


class ToolFunction(Function, total=False):
    description: str
    parameters: dict[str, Any]


class _Tool(TypedDict):
    function: ToolFunction


class Tool(_Tool, total=False):
    """A tool definition offered to the model, OpenAI shape."""

    type: str


class _Message(TypedDict):
    role: str


class Message(_Message, total=False):
    """One chat message, OpenAI shape (content: text, or multimodal parts)."""

    content: str | list[dict[str, Any]] | None
    name: str
    tool_calls: list[ToolCall]
    tool_call_id: str | None


class Params(TypedDict, total=False):
    """Sampling parameters with a known type; other keys are kept as recorded."""

    temperature: float
    top_p: float
    frequency_penalty: float
    presence_penalty: float
    max_tokens: int
    max_completion_tokens: int
    seed: int
    n: int
    stop: str | list[str]
    user: str


class Document(TypedDict, total=False):
    """One retrieved document."""

    id: str | None
    content: str | None
    score: float | None
    metadata: dict[str, Any]


@dataclass
class LlmCall:
    """One model call, normalised to OpenAI chat shapes."""

    request_model: str | None = None
    response_model: str | None = None
    provider: str | None = None
    params: Params = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: Any = None
    response_format: dict[str, Any] | None = None
    output: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    cost_usd: float | None = None
    context_window: int | None = None
    streaming: bool | None = None
    #: What the trace recorded about this call that a case cannot hold (an image part,
    #: a reasoning item, a finish reason with no OpenAI name...), one short phrase each:
    #: promotion and --llm-inspect-trace list them as "not carried".
    not_carried: list[str] = field(default_factory=list)
    #: Why the trace holds no output for this call, when the reader knows (a LangSmith
    #: run that never finished): promotion refuses the span with this reason.
    no_output: str | None = None

    def lose(self, what: str) -> None:
        if what not in self.not_carried:
            self.not_carried.append(what)

    @property
    def has_output(self) -> bool:
        """True when the provider answered at all (text, even empty, or tool calls)."""
        return self.output is not None or bool(self.tool_calls) or self.finish_reason is not None

    @property
    def wants_json(self) -> bool:
        kind = (self.response_format or {}).get("type")
        return kind in ("json_object", "json_schema", "json")


@dataclass
class ToolUse:
    """One tool execution: what it was called with and what it returned."""

    name: str
    arguments: Any = None
    result: Any = None
    call_id: str | None = None


@dataclass
class Retrieval:
    """One retrieval step: the query and the documents it returned."""

    query: str | None = None
    documents: list[Document] | None = None


@dataclass
class Span:
    """A span in any format, with the LLM/tool/retrieval data its conventions carry."""

    trace_id: str
    span_id: str
    name: str
    parent_id: str | None = None
    kind: str = SPAN
    start_ns: int | None = None
    end_ns: int | None = None
    status: Status = UNSET
    status_message: str | None = None
    error_type: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    input: Any = None
    output: Any = None
    attributes: dict[str, Any] = field(default_factory=dict, repr=False)
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)
    scope: str | None = None
    llm: LlmCall | None = None
    tool: ToolUse | None = None
    retrieval: Retrieval | None = None

    @property
    def latency_ms(self) -> float | None:
        if self.start_ns is None or self.end_ns is None:
            return None
        return max(0.0, (self.end_ns - self.start_ns) / 1e6)

    @property
    def is_error(self) -> bool:
        return self.status == ERROR

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.start_ns or 0, self.end_ns or 0)


@dataclass
class Trace:
    """Every span a file held, plus the format it was read as."""

    format: str
    spans: list[Span]
    notes: list[str] = field(default_factory=list)
    #: Why no LLM span carries input or output, when the export itself leaves them out
    #: (a Langfuse UI download): promotion refuses with this instead of a generic reason.
    missing_content: str | None = None

    def trace_ids(self) -> list[str]:
        return list(dict.fromkeys(s.trace_id for s in self.spans))

    def only(self, trace_id: str) -> Trace:
        spans = [s for s in self.spans if s.trace_id == trace_id]
        return Trace(self.format, spans, self.notes, self.missing_content)

    def llm_spans(self) -> list[Span]:
        return [s for s in self.spans if s.llm is not None]

    def find(self, span_id: str) -> Span | None:
        wanted = span_id.lower().removeprefix("0x")
        return next((s for s in self.spans if s.span_id.lower() == wanted), None)

    def ancestors(self, span: Span) -> list[Span]:
        """``span``'s parent, its parent's parent, ... up to the root, nearest first
        (a parent missing from the file ends the chain; a cycle cannot loop)."""
        by_id = {s.span_id: s for s in self.spans if s.trace_id == span.trace_id}
        chain: list[Span] = []
        node = span
        while node.parent_id and len(chain) < len(by_id):
            parent = by_id.get(node.parent_id)
            if parent is None:
                break
            chain.append(parent)
            node = parent
        return chain

    def before(self, span: Span) -> list[Span]:
        """The other spans of ``span``'s trace that started no later than it, in time
        order: what the model could have been given (retrieval, tools, prompt assembly)."""
        start = span.start_ns or 0
        return sorted(
            (
                s
                for s in self.spans
                if s.trace_id == span.trace_id and s is not span and (s.start_ns or 0) <= start
            ),
            key=lambda s: s.sort_key,
        )
