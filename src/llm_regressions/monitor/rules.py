"""The monitor rules file (``monitors.yaml``, format version 1) as pydantic models.

A rule says which LLM spans of production traces it applies to (``match:``) and which
checks score each span's recorded output (``checks:``, the case files' check language
and registry). ``alerts:`` overrides the default alert thresholds. Field names here are
promises to users, like the case format's; unknown keys are errors.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llm_regressions.casefile.model import SnakeCase


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Match(_Section):
    """Which LLM spans a rule scores. Every given field must match; text fields are
    shell-style globs (``gpt-4o*``). An empty match takes every LLM span."""

    model: str | None = Field(None, description="Glob on the requested or answering model.")
    span_name: str | None = Field(None, description="Glob on the span's name.")
    prompt_version: str | None = Field(
        None, description="Glob on the prompt version the span recorded (prompt.version, ...)."
    )
    tenant: str | None = Field(None, description="Glob on the span's tenant (see tenant_keys).")
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="Span attributes or tags: key -> glob on the value as text ('*': present).",
    )


class Rule(_Section):
    """One monitor: the spans it matches and the checks each of them must pass."""

    name: SnakeCase = Field(description="Unique rule name, snake_case.")
    label: SnakeCase | None = Field(
        None,
        description="Failure mode a failing span is promoted under (default: the rule's name).",
    )
    match: Match = Field(default_factory=Match)
    checks: list[dict[str, Any]] = Field(
        min_length=1, description="Checks in the case files' language, run on each span's output."
    )


class SpendAlert(_Section):
    factor: float = Field(3.0, gt=0, description="Alert above this multiple of the average.")
    days: float = Field(7.0, gt=0, description="Rolling window of the average, in days.")


class PassRateAlert(_Section):
    margin: float = Field(0.1, ge=0, le=1, description="Alert below the baseline by more.")
    hours: float = Field(24.0, gt=0, description="Baseline: the windows of these last hours.")


class NonAsciiAlert(_Section):
    margin: float = Field(
        0.05, ge=0, le=1, description="Alert when a model's non-ASCII share rises by more."
    )
    hours: float = Field(24.0, gt=0, description="Baseline: the windows of these last hours.")


class Thresholds(_Section):
    p95_latency_ms: float | None = Field(None, gt=0, description="Alert above (off by default).")
    p99_latency_ms: float | None = Field(None, gt=0, description="Alert above (off by default).")
    tool_success_rate: float | None = Field(
        0.9, ge=0, le=1, description="Alert when a tool's success rate is below (null: off)."
    )
    schema_pass_rate: float | None = Field(
        0.95, ge=0, le=1, description="Alert when the schema pass rate is below (null: off)."
    )


class Alerts(_Section):
    """Alert settings; every alert judges the last window of the input."""

    min_spans: int = Field(
        20, ge=1, description="Fewest spans in a window (and its baseline) to judge it."
    )
    spend: SpendAlert = Field(default_factory=SpendAlert)
    pass_rate: PassRateAlert = Field(default_factory=PassRateAlert)
    non_ascii: NonAsciiAlert = Field(default_factory=NonAsciiAlert)
    thresholds: Thresholds = Field(default_factory=Thresholds)


class MonitorFile(_Section):
    """A monitors.yaml file."""

    version: Literal[1] = Field(..., description="Monitor file format version.")
    tenant_keys: list[str] = Field(
        default_factory=lambda: ["tenant", "tenant_id", "tenant.id", "app.tenant"],
        description="Span attributes holding the tenant, in order; else the span's user id.",
    )
    rules: list[Rule] = Field(min_length=1)
    alerts: Alerts = Field(default_factory=Alerts)


def known_field_names() -> list[str]:
    """Every field name of the format, for "did you mean" hints."""
    names: set[str] = set()
    for model in (Match, Rule, SpendAlert, PassRateAlert, NonAsciiAlert, Thresholds, Alerts):
        names.update(model.model_fields)
    names.update(MonitorFile.model_fields)
    return sorted(names)
