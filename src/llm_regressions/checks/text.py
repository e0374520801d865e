"""Checks on the output text: equality, substrings, patterns, length, refusals."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llm_regressions.checks.base import Check, CheckArgsError, CheckError, CheckResult
from llm_regressions.replay import ReplayResult


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _text(result: ReplayResult) -> str:
    return result.output or ""


def _excerpt(text: str, around: int | None = None, width: int = 80) -> str:
    """A one-line excerpt of ``text``, centred on ``around`` when given."""
    start = 0 if around is None else max(0, around - width // 2)
    piece = text[start : start + width].replace("\n", " ")
    return ("..." if start else "") + piece + ("..." if start + width < len(text) else "")


class EqualsArgs(_Args):
    value: str
    ignore_case: bool = False
    strip: bool = True


class Equals(Check):
    """The output equals a string (surrounding whitespace ignored by default)."""

    name = "equals"
    Args = str | EqualsArgs

    def setup(self) -> None:
        self.opts = self.arg if isinstance(self.arg, EqualsArgs) else EqualsArgs(value=self.arg)

    def _norm(self, text: str) -> str:
        text = text.strip() if self.opts.strip else text
        return text.casefold() if self.opts.ignore_case else text

    def score(self, result, case):
        if self._norm(_text(result)) == self._norm(self.opts.value):
            return CheckResult(True, "output equals the expected text")
        return CheckResult(False, f"output {_excerpt(_text(result))!r} != {self.opts.value!r}")


class ContainsArgs(_Args):
    text: str | list[str] = Field(..., description="A string, or strings that must all appear.")
    ignore_case: bool = False


class _Substrings(Check):
    Args = str | list[str] | ContainsArgs

    def setup(self) -> None:
        opts = self.arg if isinstance(self.arg, ContainsArgs) else ContainsArgs(text=self.arg)
        needles = [opts.text] if isinstance(opts.text, str) else list(opts.text)
        if not needles or any(not n for n in needles):
            raise CheckArgsError("needs at least one non-empty string")
        self.ignore_case = opts.ignore_case
        self.needles = [n.casefold() for n in needles] if opts.ignore_case else needles

    def _find(self, result: ReplayResult) -> dict[str, int]:
        haystack = _text(result)
        haystack = haystack.casefold() if self.ignore_case else haystack
        return {n: haystack.find(n) for n in self.needles}


class Contains(_Substrings):
    """Every given string appears in the output."""

    name = "contains"

    def score(self, result, case):
        missing = [n for n, at in self._find(result).items() if at < 0]
        if missing:
            return CheckResult(
                False, f"missing {missing[0]!r} in output {_excerpt(_text(result))!r}"
            )
        return CheckResult(True, f"output contains {', '.join(map(repr, self.needles))}")


class NotContains(_Substrings):
    """None of the given strings appears in the output."""

    name = "not_contains"

    def score(self, result, case):
        for needle, at in self._find(result).items():
            if at >= 0:
                return CheckResult(
                    False, f"found {needle!r} in output: {_excerpt(_text(result), at)!r}"
                )
        return CheckResult(True, "none of the forbidden strings appears")


class RegexArgs(_Args):
    pattern: str
    ignore_case: bool = False
    multiline: bool = False
    dotall: bool = False


#: A pattern gets this long on one output: a catastrophically backtracking pattern
#: (``^(\w+\s?)*$``) would otherwise take seconds per character.
REGEX_TIMEOUT_SECONDS = 1.0


class _Pattern(Check):
    """Patterns run on the ``regex`` engine (``re``'s syntax, version 0) because it can
    stop a search after :data:`REGEX_TIMEOUT_SECONDS`; a pattern that takes longer is
    a check error naming the pattern, not a hung session."""

    Args = str | RegexArgs

    def setup(self) -> None:
        import regex

        opts = self.arg if isinstance(self.arg, RegexArgs) else RegexArgs(pattern=self.arg)
        flags = (
            (regex.IGNORECASE if opts.ignore_case else 0)
            | (regex.MULTILINE if opts.multiline else 0)
            | (regex.DOTALL if opts.dotall else 0)
        )
        try:
            self.pattern = regex.compile(opts.pattern, flags | regex.VERSION0)
        except regex.error as exc:
            raise CheckArgsError(f"invalid regular expression {opts.pattern!r}: {exc}") from None

    def search(self, text: str) -> Any:
        try:
            return self.pattern.search(text, timeout=REGEX_TIMEOUT_SECONDS)
        except TimeoutError:
            raise CheckError(
                f"{self.name}: /{self.pattern.pattern}/ ran over {REGEX_TIMEOUT_SECONDS:g} s on "
                f"a {len(text)}-character output (nested repetition such as (\\w+\\s?)* "
                "backtracks exponentially): simplify the pattern"
            ) from None


class Regex(_Pattern):
    """The pattern matches somewhere in the output (``re.search``)."""

    name = "regex"

    def score(self, result, case):
        match = self.search(_text(result))
        if match:
            return CheckResult(True, f"/{self.pattern.pattern}/ matched {match.group(0)!r}")
        return CheckResult(
            False, f"/{self.pattern.pattern}/ not found in {_excerpt(_text(result))!r}"
        )


class NotRegex(_Pattern):
    """The pattern matches nowhere in the output."""

    name = "not_regex"

    def score(self, result, case):
        match = self.search(_text(result))
        if match:
            return CheckResult(
                False,
                f"/{self.pattern.pattern}/ matched {match.group(0)!r} in "
                f"{_excerpt(_text(result), match.start())!r}",
            )
        return CheckResult(True, f"/{self.pattern.pattern}/ does not match")


class MaxChars(Check):
    """The output is at most N characters long."""

    name = "max_chars"
    Args = int

    def setup(self) -> None:
        if self.arg < 0:
            raise CheckArgsError("must be zero or more")

    def score(self, result, case):
        length = len(_text(result))
        return CheckResult(length <= self.arg, f"output has {length} chars (max {self.arg})")


class AsciiOnly(Check):
    """The output holds only ASCII characters (e.g. for SMS or legacy systems)."""

    name = "ascii_only"
    Args = Literal[True]

    def score(self, result, case):
        text = _text(result)
        for index, char in enumerate(text):
            if ord(char) > 127:
                return CheckResult(
                    False, f"non-ASCII character {char!r} at {index}: {_excerpt(text, index)!r}"
                )
        return CheckResult(True, "output is ASCII only")


REFUSAL_PHRASES = (
    "i can't help with",
    "i cannot help with",
    "i can't assist",
    "i cannot assist",
    "i'm unable to",
    "i am unable to",
    "i'm not able to",
    "i am not able to",
    "i won't be able to",
    "i'm sorry, but i can't",
    "i'm sorry, but i cannot",
    "i apologize, but i can't",
    "i apologize, but i cannot",
    "as an ai language model",
    "i cannot provide",
    "i can't provide",
    "i'm not allowed to",
    "i am not allowed to",
    "i must decline",
    "i cannot comply",
    "i can't comply",
)


class NotRefusalArgs(_Args):
    extra_phrases: list[str] = Field(default_factory=list)


class NotRefusal(Check):
    """The output is not a refusal ("I can't help with that", ...) nor empty."""

    name = "not_refusal"
    Args = Literal[True] | NotRefusalArgs

    def setup(self) -> None:
        extra = self.arg.extra_phrases if isinstance(self.arg, NotRefusalArgs) else []
        self.phrases = REFUSAL_PHRASES + tuple(p.casefold() for p in extra)

    def score(self, result, case):
        text = _text(result)
        if not text.strip() and not result.tool_calls:
            return CheckResult(False, "output is empty")
        # Curly apostrophes are common in model output.
        folded = text.casefold().replace("\u2019", "'")
        for phrase in self.phrases:
            at = folded.find(phrase)
            if at >= 0:
                return CheckResult(False, f"refusal {phrase!r}: {_excerpt(text, at)!r}")
        return CheckResult(True, "output is not a refusal")
