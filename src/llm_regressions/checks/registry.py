"""Check names -> check classes: the built-ins plus the ``llm_regressions.checks``
entry-point group, loaded once and only when a name is not built in."""

from __future__ import annotations

import difflib
from functools import cache
from typing import Any

from llm_regressions.checks import judge, ops, python_ref, structure, text, tools, trajectory
from llm_regressions.checks.base import Check, CheckArgsError

ENTRY_POINT_GROUP = "llm_regressions.checks"

BUILTIN_CHECKS: dict[str, type[Check]] = {
    cls.name: cls
    for cls in (
        text.Equals,
        text.Contains,
        text.NotContains,
        text.Regex,
        text.NotRegex,
        text.MaxChars,
        text.AsciiOnly,
        text.NotRefusal,
        structure.JsonValid,
        structure.JsonSchema,
        structure.JsonPath,
        structure.MatchesExpected,
        tools.ToolCalled,
        tools.ToolNotCalled,
        tools.ToolArgsValid,
        tools.MaxRepeatedToolCalls,
        ops.FinishReason,
        ops.MaxLatencyMs,
        ops.MaxOutputTokens,
        ops.MaxCostUsd,
        python_ref.Python,
        judge.LlmJudge,
        *trajectory.CHECKS,
    )
}


@cache
def plugin_checks() -> dict[str, type[Check]]:
    """Checks registered by other packages, keyed by entry-point name."""
    from importlib.metadata import entry_points

    found: dict[str, type[Check]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if not (isinstance(loaded, type) and issubclass(loaded, Check)):
            raise TypeError(
                f"entry point {entry.name!r} in {ENTRY_POINT_GROUP} is not a Check subclass"
            )
        found[entry.name] = loaded
    return found


@cache
def family_names(family: str) -> frozenset[str]:
    """The names of the built-in and plugin checks of one ``family`` (see Check.family)."""
    classes = {**BUILTIN_CHECKS, **plugin_checks()}
    return frozenset(name for name, cls in classes.items() if cls.family == family)


def known_names() -> list[str]:
    return sorted({*BUILTIN_CHECKS, *plugin_checks()})


def check_class(name: str) -> type[Check]:
    """The class for ``name``; an unknown name lists the known ones."""
    if name in BUILTIN_CHECKS:
        return BUILTIN_CHECKS[name]
    if name in plugin_checks():
        return plugin_checks()[name]
    names = known_names()
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise CheckArgsError(f"unknown check {name!r}{hint}; known checks: {', '.join(names)}")


def build_check(name: str, arg: Any) -> Check:
    """Instantiate and validate one check from its YAML form, with the checks written
    inside its argument (located below it). Raises CheckArgsError."""
    check = check_class(name)(arg)
    inner = []
    for where, entry in check.nested():
        if not isinstance(entry, dict) or len(entry) != 1:
            raise CheckArgsError("write each check as a mapping of its name to its argument", where)
        ((inner_name, inner_arg),) = entry.items()
        try:
            inner.append(build_check(str(inner_name), inner_arg))
        except CheckArgsError as exc:
            raise CheckArgsError(exc.message, (*where, inner_name, *exc.path)) from None
    check.adopt(inner)
    return check
