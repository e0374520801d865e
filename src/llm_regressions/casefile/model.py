"""The case file format, version 1, as pydantic models.

These models are the contract of ``regressions/*.yaml``: field names here are promises
to users (see DESIGN.md). Every model forbids unknown keys so a typo such as
``min_pass_rat`` is an error instead of a silently ignored setting. Check arguments are
validated separately by the check registry (:mod:`llm_regressions.checks`), because
third-party checks bring their own argument rules.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

FORMAT_VERSION = 1

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _slug(value: str) -> str:
    if not _SLUG.match(value) or ".." in value:
        raise ValueError(
            f"{value!r} is not file-name safe: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (at most 128 characters, no '..')"
        )
    return value


def _snake_case(value: str) -> str:
    if not _SNAKE.match(value):
        raise ValueError(f"{value!r} is not snake_case, e.g. stale_policy_retrieval")
    return value


# The validators give readable messages; the patterns are for the published JSON Schema.
Slug = Annotated[
    str,
    AfterValidator(_slug),
    Field(
        description="File-name safe: letters, digits, '.', '_' and '-', starting with a "
        "letter or digit, at most 128 characters, no '..'.",
        json_schema_extra={"pattern": _SLUG.pattern},
    ),
]
SnakeCase = Annotated[
    str,
    AfterValidator(_snake_case),
    Field(
        description="A specific failure mode in snake_case, e.g. stale_policy_retrieval.",
        json_schema_extra={"pattern": _SNAKE.pattern},
    ),
]


class _Section(BaseModel):
    """Base for every section: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Source(_Section):
    """Where the case came from. Provenance only: never used for replay."""

    format: str | None = Field(None, description="Trace format the case was promoted from.")
    file: str | None = Field(None, description="Trace file name.")
    trace_id: str | None = None
    span_id: str | None = None
    captured_at: str | None = Field(None, description="ISO 8601 time of the original request.")
    prompt_version: str | None = None
    stream: bool | None = Field(
        None,
        description="The recorded call streamed its answer. Replay asks for the whole answer "
        "at once: the same request to the same model, read in one piece.",
    )
    content_hash: str | None = Field(
        None, description="Hash of the promoted span, to refuse promoting it twice."
    )

    @field_validator("captured_at", mode="before")
    @classmethod
    def _iso_string(cls, value: Any) -> Any:
        # YAML turns an unquoted timestamp into a datetime; keep it as written.
        if hasattr(value, "isoformat"):
            text = value.isoformat()
            return text.replace("+00:00", "Z")
        return value


class ModelSpec(_Section):
    """The pinned model: a litellm model string, ideally with a snapshot date."""

    name: str = Field(..., min_length=1, description="litellm model string.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Sampling parameters: temperature, max_tokens, seed..."
    )


class Message(_Section):
    """One chat message in OpenAI shape."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


class Request(_Section):
    """What is replayed: the request as the model received it."""

    messages: list[Message] = Field(..., min_length=1)
    tools: list[dict[str, Any]] = Field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None


class Prompt(_Section):
    """Re-render the CURRENT prompt instead of replaying the frozen one."""

    template: str | None = Field(None, description="Template file, relative to the rootdir.")
    render: str | None = Field(None, description="module:function that builds the messages.")
    variables: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> Prompt:
        if (self.template is None) == (self.render is None):
            raise ValueError("give exactly one of 'template' or 'render'")
        return self


class Document(_Section):
    """A retrieved document kept for inspection."""

    id: str | None = None
    content: str
    score: float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class RecordedToolCall(_Section):
    """A tool call as written in a case file."""

    id: str | None = None
    name: str = Field(..., min_length=1)
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    result: Any = Field(None, description="What the tool returned, when recorded.")


class Context(_Section):
    """Upstream spans kept for inspection: what the model was given to work with."""

    retrieval: list[Document] = Field(default_factory=list)
    tool_calls: list[RecordedToolCall] = Field(default_factory=list)
    notes: str | None = None


class Observed(_Section):
    """What production produced: the failure this case reproduces."""

    output: str | None = None
    tool_calls: list[RecordedToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    latency_ms: float | None = Field(None, ge=0)
    cost_usd: float | None = Field(None, ge=0)
    model: str | None = Field(None, description="Model the provider said it served.")


class Expected(_Section):
    """A known-good reference answer. Text, or structured JSON for matches_expected."""

    output: str | dict[str, Any] | list[Any] | None = None
    tool_calls: list[RecordedToolCall] = Field(default_factory=list)
    finish_reason: str | None = None


class ModelTurn(_Section):
    """One recorded model answer in a session: tool calls, or a final answer."""

    output: str | None = None
    tool_calls: list[RecordedToolCall] = Field(default_factory=list)
    finish_reason: str | None = None


class SessionStep(_Section):
    """One recorded step of an agent run: exactly one of ``model`` (an answer), ``tool``
    (a tool's result, fed back when the replayed model makes the same call) or ``user``
    (the next user message, fed after the model's final answer)."""

    model: ModelTurn | None = None
    tool: RecordedToolCall | None = None
    user: str | list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> SessionStep:
        given = [k for k in ("model", "tool", "user") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'model', 'tool' or 'user' per step")
        return self


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern


class ArgumentMatch(_Section):
    """How one tool's replayed arguments are matched to the recorded ones."""

    ignore: list[str] = Field(
        default_factory=list, description="Argument names left out of the comparison."
    )
    regex: dict[str, Annotated[str, AfterValidator(_compiles)]] = Field(
        default_factory=dict,
        description="Argument name -> regular expression the replayed value must match "
        "(searched in its text), instead of equality.",
    )


class Session(_Section):
    """A whole agent run: ``request`` holds what the model got first; ``steps`` what
    followed, in order, as recorded."""

    steps: list[SessionStep] = Field(..., min_length=1)
    max_steps: int | None = Field(
        None,
        ge=1,
        le=200,
        description="Model calls after which replay stops (ends loops); default twice "
        "the recorded model turns.",
    )
    match: dict[str, ArgumentMatch] = Field(
        default_factory=dict, description="Tool name -> how its arguments are matched."
    )
    tool_stub: str | None = Field(
        None,
        description="module:function called as f(name, arguments) for a tool call the "
        "recording does not have; without it such a call ends the run as a divergence.",
        json_schema_extra={"pattern": r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"},
    )

    @model_validator(mode="after")
    def _has_model_turn(self) -> Session:
        if not any(step.model is not None for step in self.steps):
            raise ValueError("a session needs at least one recorded 'model' step")
        return self

    @property
    def step_limit(self) -> int:
        """Model calls allowed per replayed run."""
        recorded = sum(step.model is not None for step in self.steps)
        return self.max_steps or 2 * recorded


CheckEntry = Annotated[
    dict[str, Any],
    Field(
        min_length=1,
        max_length=1,
        description="One check: a mapping of the check name to its argument.",
    ),
]


class RepeatRange(_Section):
    """Adaptive repeats: ``min`` runs, then more (up to ``max``) only while the pass
    rate cannot yet tell a pass from a regression."""

    min: int = Field(..., ge=1, le=100)
    max: int = Field(..., ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> RepeatRange:
        if self.max < self.min:
            raise ValueError(f"'max' ({self.max}) must be at least 'min' ({self.min})")
        return self

    @property
    def bounds(self) -> tuple[int, int]:
        return self.min, self.max


def _repeat_kind(value: Any) -> str:
    return "range" if isinstance(value, (dict, RepeatRange)) else "count"


#: A number of runs, or a ``{min, max}`` range; only the member the value's shape asks
#: for reports errors (not both, as a plain union would).
Repeat = Annotated[
    Annotated[int, Field(ge=1, le=100), Tag("count")] | Annotated[RepeatRange, Tag("range")],
    Discriminator(_repeat_kind),
]


class Case(_Section):
    """One regression case: a labelled real failure plus binary checks."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["request"]}, {"required": ["target"]}]}
    )

    version: Literal[1] = Field(..., description="Case format version.")
    id: Slug
    label: SnakeCase
    golden: bool = False
    status: Literal["open", "fixed"] = Field(
        "open",
        description="open: the bug is not fixed yet (failing is expected); "
        "fixed: the case must pass.",
    )
    description: str | None = None
    tags: list[Slug] = Field(default_factory=list)
    source: Source | None = None
    model: ModelSpec
    request: Request | None = Field(
        None,
        description="Required, except on a 'target' case (the app builds its own request; "
        "there it documents what the trace recorded).",
    )
    prompt: Prompt | None = None
    target: str | None = Field(
        None,
        description="module:function of the app's entry point, called (sync or async) with "
        "'input' as keyword arguments instead of replaying 'request'.",
        json_schema_extra={"pattern": r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"},
    )
    input: dict[str, Any] | None = Field(
        None, description="Keyword arguments for 'target', as production called it."
    )
    context: Context | None = None
    session: Session | None = Field(
        None,
        description="A whole agent run replayed step by step, with recorded tool results "
        "(docs/sessions.md). Its steps are what production did: no 'observed'.",
    )
    observed: Observed | None = None
    expected: Expected | None = None
    checks: list[CheckEntry] = Field(..., min_length=1)
    repeat: Repeat = Field(
        1,
        description="Runs per case, for nondeterminism: a number, or {min, max} to run more "
        "only while the verdict is inconclusive.",
    )
    min_pass_rate: float = Field(1.0, ge=0.0, le=1.0)

    @property
    def repeat_bounds(self) -> tuple[int, int]:
        """(min, max) runs: a fixed ``repeat`` is both."""
        repeat = self.repeat
        return (repeat, repeat) if isinstance(repeat, int) else repeat.bounds

    @model_validator(mode="after")
    def _target_or_prompt(self) -> Case:
        if self.input is not None and self.target is None:
            raise ValueError("'input' needs 'target' (the module:function to call with it)")
        if self.target is not None and self.prompt is not None:
            raise ValueError("give 'target' (the app builds its own prompt) or 'prompt', not both")
        if self.session is not None and (self.target or self.observed or self.expected):
            raise ValueError(
                "a 'session' case replays 'request' step by step and its recorded steps are "
                "what was observed: drop 'target', 'observed' and 'expected'"
            )
        if self.request is None and self.target is None:
            raise ValueError(
                "'request' is required (the messages to replay), unless the case calls "
                "the app's entry point with 'target'"
            )
        return self


class CaseList(_Section):
    """A file holding several cases under ``cases:``."""

    version: Literal[1] | None = None
    cases: list[dict[str, Any]] = Field(..., min_length=1)
