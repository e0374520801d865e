"""monitors.yaml -> validated rules with compiled checks, or one located error message.

The same reading and error format as case files (``path:line: field: message``, via
:mod:`llm_regressions.casefile.loader`), and the same check registry. Checks that need
what a production span does not have are refused here, by name and line.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

from pydantic import ValidationError

from llm_regressions.casefile import yamlio
from llm_regressions.casefile.loader import (
    CaseFormatError,
    Problem,
    load_mapping,
    read_case_text,
    validation_problems,
)
from llm_regressions.casefile.yamlio import format_path
from llm_regressions.checks import Check, CheckArgsError
from llm_regressions.checks.registry import build_check
from llm_regressions.monitor.rules import MonitorFile, Rule, known_field_names

#: Checks that need a case's own data (its expected answer) no production span has.
NEEDS_CASE = {"matches_expected": "needs a case's expected output; production spans have none"}


#: A compiled glob: whether a text matches it (as ``fnmatch.fnmatchcase`` says).
Glob = Callable[[str], bool]


@dataclass
class LoadedRule:
    """A rule with its checks and its match's globs compiled (it is matched against
    every span); ``line`` locates it in the file."""

    rule: Rule
    checks: list[Check]
    line: int
    #: The globs of the match's fields (None: left out, matches everything).
    model: Glob | None = field(init=False, repr=False, compare=False)
    span_name: Glob | None = field(init=False, repr=False, compare=False)
    prompt_version: Glob | None = field(init=False, repr=False, compare=False)
    tenant: Glob | None = field(init=False, repr=False, compare=False)
    attributes: list[tuple[str, Glob]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        match = self.rule.match
        self.model, self.span_name = glob(match.model), glob(match.span_name)
        self.prompt_version, self.tenant = glob(match.prompt_version), glob(match.tenant)
        self.attributes = [(key, glob(pattern)) for key, pattern in match.attributes.items()]

    @property
    def label(self) -> str:
        return self.rule.label or self.rule.name


@overload
def glob(pattern: str) -> Glob: ...
@overload
def glob(pattern: None) -> None: ...
def glob(pattern: str | None) -> Glob | None:
    """``pattern`` compiled: text without ``*``, ``?`` or ``[`` only matches itself."""
    if pattern is None:
        return None
    if not any(wildcard in pattern for wildcard in "*?["):
        return pattern.__eq__
    match = re.compile(fnmatch.translate(pattern)).match
    return lambda text: match(text) is not None


@dataclass
class Monitors:
    """A loaded monitors file."""

    config: MonitorFile
    rules: list[LoadedRule]
    path: Path


def load_monitors(path: Path, display: str | None = None, budget: bool = False) -> Monitors:
    """Load and validate ``path``; ``budget``: a spending limit is set, so ``llm_judge``
    may call a model. Raises :class:`CaseFormatError` (located problems)."""
    display = display or str(path)
    text = read_case_text(path, display)
    data, lines = load_mapping(text, display, "rules:", "version and rules")
    try:
        config = MonitorFile.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, data, lines, (), known_field_names)
        raise CaseFormatError(display, problems) from None
    rules, problems = [], []
    seen: dict[str, int] = {}
    for index, rule in enumerate(config.rules):
        prefix = ("rules", index)
        line = lines.line_of(prefix)
        if rule.name in seen:
            problems.append(
                Problem(
                    line,
                    format_path((*prefix, "name")),
                    f"duplicate rule name {rule.name!r} (also at line {seen[rule.name]})",
                )
            )
        seen[rule.name] = line
        checks = _checks(rule, prefix, lines, problems, budget)
        rules.append(LoadedRule(rule, checks, line))
    if problems:
        raise CaseFormatError(display, problems)
    return Monitors(config, rules, path)


def _checks(
    rule: Rule, prefix: tuple, lines: yamlio.LineMap, problems: list[Problem], budget: bool
) -> list[Check]:
    checks = []
    for index, entry in enumerate(rule.checks):
        where = (*prefix, "checks", index)
        if len(entry) != 1:
            problems.append(
                Problem(lines.line_of(where), format_path(where), "one check per list item")
            )
            continue
        ((name, arg),) = entry.items()
        where = (*where, name)
        try:
            check = build_check(name, arg)
            _usable(check, budget)
        except CheckArgsError as exc:
            located = (*where, *exc.path)
            problems.append(Problem(lines.line_of(located), format_path(located), exc.message))
            continue
        checks.append(check)
    return checks


def _usable(check: Check, budget: bool) -> None:
    """Refuse checks a monitor cannot run on a recorded span, and model checks without a
    budget (a judge call for every matched production span adds up)."""
    if check.needs_model and not budget:
        raise CheckArgsError(
            f"{check.name} calls a model for every matched span: give the run a budget "
            "(--llm-max-cost USD, or ini llm_regressions_max_cost) to allow it"
        )
    if check.name in NEEDS_CASE:
        raise CheckArgsError(f"{check.name} {NEEDS_CASE[check.name]}")
