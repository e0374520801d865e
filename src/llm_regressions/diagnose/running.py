"""Sending a diagnosis's calls through the session's engine, and turning the answers
into the facts of :mod:`.facts`.

A thin layer: the requests come from :mod:`.variants`, the attribution from
:mod:`.attribution`. Calls are submitted as soon as a case's verdict is known and
collected once, at the end of the session, so diagnoses of many cases share the
engine's full concurrency (and its cache, retries and budget) instead of each case
waiting on its own. Scoring uses the case's own checks (a callable from the run layer);
whatever stops an answer from being scored is an error, never a failure, and nothing
here touches a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from llm_regressions.casefile.model import Case
from llm_regressions.diagnose import facts
from llm_regressions.diagnose.attribution import attribute
from llm_regressions.diagnose.variants import Variant, base_request, runs_of, variants
from llm_regressions.replay.engine import Engine
from llm_regressions.replay.prices import window_of
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult


@dataclass
class Subject:
    """What the run layer knows of a case once its verdict is in."""

    request: ProviderRequest
    case: Case
    results: list[ReplayResult]
    #: Scores one answer with the case's checks; may raise (an error, not a failure).
    passes: Callable[[ReplayResult], bool]


@dataclass
class _Pending:
    subject: Subject
    stability: list[Future[ReplayResult]]
    variants: list[tuple[Variant, list[Future[ReplayResult]]]] = field(default_factory=list)


def calls_per_case(reruns: int, variant_runs: int, applicable: int) -> int:
    """Calls one diagnosis sends: the reruns, and each applicable variant's runs."""
    return reruns + variant_runs * applicable


class Diagnoser:
    """Starts diagnoses as verdicts come in; :meth:`collect` waits for them all."""

    def __init__(self, engine: Callable[[], Engine], reruns: int, variant_runs: int) -> None:
        self.engine = engine
        self.reruns = reruns
        self.variant_runs = variant_runs
        self._pending: dict[str, _Pending | str] = {}

    def start(self, nodeid: str, subject: Subject) -> None:
        """Submit the case's reruns and variants now; nothing waits on them here."""
        base = base_request(subject.request)
        called = {call.name for result in subject.results for call in result.tool_calls}
        built = variants(base, subject.case, called)
        stability = runs_of(base, self.reruns)
        tried = [(v, runs_of(v.request, self.variant_runs)) for v in built if v.applicable]
        futures = self.engine().submit(stability + [r for _, group in tried for r in group])
        pending = _Pending(subject, futures[: len(stability)])
        at = len(stability)
        for variant in built:
            count = self.variant_runs if variant.applicable else 0
            pending.variants.append((variant, futures[at : at + count]))
            at += count
        self._pending[nodeid] = pending

    def not_applicable(self, nodeid: str, why: str) -> None:
        self._pending[nodeid] = why

    def collect(self) -> dict[str, dict[str, Any]]:
        """Every started diagnosis, by node id (waits for the answers, scores them)."""
        done = {}
        for nodeid, pending in self._pending.items():
            if isinstance(pending, str):
                done[nodeid] = not_diagnosed(pending)
            else:
                done[nodeid] = _diagnosis(pending)
        self._pending.clear()
        return done


def not_diagnosed(why: str) -> dict[str, Any]:
    """The diagnosis of a case that cannot have one (the same keys, empty)."""
    return {
        "applicable": False,
        "why": why,
        "stability": None,
        "variants": [],
        "book": None,
        "truncation": None,
        "attribution": f"not diagnosed: {why}",
        "cost_usd": None,
    }


def _tally(
    futures: list[Future[ReplayResult]], passes: Callable[[ReplayResult], bool]
) -> facts.Tally:
    tally = facts.Tally()
    for future in futures:
        try:
            result = future.result()
            tally.cost_usd += result.cost_usd or 0.0
            tally.results.append(result)
            ok = passes(result)
        except Exception as exc:  # noqa: BLE001 - provider trouble, not sent, a broken check
            tally.errors += 1
            tally.error = tally.error or str(exc).splitlines()[0]
            continue
        tally.passed += ok
        tally.failed += not ok
    return tally


def _diagnosis(pending: _Pending) -> dict[str, Any]:
    subject = pending.subject
    reruns = _tally(pending.stability, subject.passes)
    stability = facts.stability(reruns)
    tried = []
    cost = reruns.cost_usd
    for variant, futures in pending.variants:
        tally = _tally(futures, subject.passes)
        cost += tally.cost_usd
        entry = {"element": variant.element, "name": variant.name}
        entry |= {"applicable": variant.applicable, "detail": variant.detail}
        tried.append(entry | tally.to_dict())
    truncation = _truncation(subject, reruns.results)
    context = next(v for v in tried if v["element"] == "context")
    book = None
    if context["applicable"]:
        book = {"open": _book(stability), "closed": _book(context)}
    return {
        "applicable": True,
        "why": None,
        "stability": stability,
        "variants": tried,
        "book": book,
        "truncation": truncation,
        "attribution": attribute(stability, tried, truncation),
        "cost_usd": cost or None,
    }


def _book(group: dict[str, Any]) -> dict[str, int]:
    return {"passed": group["passed"], "answered": group["passed"] + group["failed"]}


def _truncation(subject: Subject, reruns: list[ReplayResult]) -> dict[str, Any]:
    """Token counts as the provider reported them (the verdict's runs, the reruns,
    else the recorded usage); the window from litellm's bundled table."""
    answers = subject.results + reruns
    tokens_in = [_tokens(r.usage, "prompt_tokens", "input_tokens") for r in answers]
    tokens_out = [r.output_tokens for r in answers if r.output_tokens is not None]
    observed = subject.case.observed
    if observed is not None and observed.usage:
        tokens_in.append(_tokens(observed.usage, "prompt_tokens", "input_tokens"))
        tokens_out.append(_tokens(observed.usage, "completion_tokens", "output_tokens"))
    params = subject.request.params
    limit = params.get("max_tokens") or params.get("max_completion_tokens")
    window, _ = window_of(subject.request.model)
    known_in = [t for t in tokens_in if t is not None]
    known_out = [t for t in tokens_out if t is not None]
    return facts.truncation(
        max(known_in) if known_in else None,
        window,
        int(limit) if isinstance(limit, (int, float)) else None,
        max(known_out) if known_out else None,
        any(r.finish_reason == "length" for r in answers),
    )


def _tokens(usage: dict[str, Any] | None, *names: str) -> int | None:
    for name in names:
        value = (usage or {}).get(name)
        if isinstance(value, (int, float)):
            return int(value)
    return None
