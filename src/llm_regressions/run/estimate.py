"""Cost before spend: ``--llm-estimate`` and the ``--llm-max-cost`` pre-check.

Counts the model calls the selected cases would make (each run, and each ``llm_judge``
check's calls per scored run; adaptive repeats at their minimum, with the most they
could add beside it) and prices them with litellm's table (:mod:`..replay.prices`)
from each case's recorded token usage (``observed.usage``), or, where a case has none,
from the length of its text (about 4 characters a token). In ``cached`` mode the calls
the cache already answers are not counted. Nothing is sent and litellm is not imported.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from llm_regressions.casefile.loader import LoadedCase
from llm_regressions.replay.cache import ResponseCache
from llm_regressions.replay.prices import price_of
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import usd
from llm_regressions.run.item import CaseItem
from llm_regressions.settings import Settings

#: Characters per token where a case has no recorded usage (English text, roughly).
CHARS_PER_TOKEN = 4
#: Completion tokens assumed when neither usage, an output nor max_tokens says more.
DEFAULT_OUTPUT_TOKENS = 256
#: A judge's verdict JSON (``{"pass": ..., "reason": "<one sentence>"}``), in tokens.
JUDGE_OUTPUT_TOKENS = 40


@dataclass
class ModelCost:
    calls: int = 0
    tokens_in: float = 0.0
    tokens_out: float = 0.0
    usd: float | None = 0.0  # None: litellm's table has no price for the model

    def add(self, calls: int, tokens_in: float, tokens_out: float, price_usd: float | None):
        self.merge(ModelCost(calls, calls * tokens_in, calls * tokens_out, price_usd))

    def merge(self, other: ModelCost) -> None:
        self.calls += other.calls
        self.tokens_in += other.tokens_in
        self.tokens_out += other.tokens_out
        self.usd = None if other.usd is None or self.usd is None else self.usd + other.usd


@dataclass
class CaseCost:
    """One case's calls at its minimum runs, and what adaptive repeats may add."""

    key: str  # the item's node id
    golden: bool
    usd: float = 0.0
    extra_calls: int = 0
    extra_usd: float = 0.0
    cached: int = 0
    #: --llm-diagnose: the calls a diagnosis of the case would add, if it fails.
    diagnose_calls: int = 0
    diagnose_usd: float = 0.0
    guessed: bool = False  # tokens from text length, not recorded usage
    models: dict[str, ModelCost] = field(default_factory=lambda: defaultdict(ModelCost))


def _tokens(text: object) -> float:
    shown = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
    return max(1.0, len(shown) / CHARS_PER_TOKEN)


def _usage(loaded: LoadedCase) -> tuple[float, float, bool]:
    """(input tokens, output tokens, guessed) of one call of the case."""
    case = loaded.case
    usage = (case.observed.usage if case.observed else None) or {}
    tokens_in = usage.get("prompt_tokens") or usage.get("input_tokens")
    tokens_out = usage.get("completion_tokens") or usage.get("output_tokens")
    if tokens_in and tokens_out:
        return float(tokens_in), float(tokens_out), False
    request = case.request
    if request is not None:
        sent = [m.model_dump(exclude_none=True) for m in request.messages] + list(request.tools)
        tokens_in = tokens_in or _tokens(sent)
    else:
        tokens_in = tokens_in or _tokens(case.input or "")
    output = case.observed.output if case.observed else None
    if output is None and case.expected is not None:
        output = case.expected.output
    max_tokens = case.model.params.get("max_tokens")
    guess = _tokens(output) if output else (max_tokens or DEFAULT_OUTPUT_TOKENS)
    return float(tokens_in), float(tokens_out or guess), True


def _calls_per_run(loaded: LoadedCase) -> int:
    """Model calls one run makes: a session case replays each recorded model turn."""
    session = loaded.case.session
    return sum(step.model is not None for step in session.steps) if session else 1


def _judges(loaded: LoadedCase, settings: Settings, answer: float) -> list[tuple[str, float]]:
    """(judge model, input tokens per judge call) of each llm_judge check; ``answer``:
    the tokens of the answer it judges."""
    from llm_regressions.checks.judge import SYSTEM_PROMPT

    judges = []
    for check in loaded.checks:
        spec = getattr(check, "spec", None)
        if check.name != "llm_judge" or spec is None:
            continue
        model = spec.model or settings.judge_model or "(no judge model)"
        judges.append((model, _tokens(SYSTEM_PROMPT + spec.criteria) + answer))
    return judges


def _price(model: str, calls: int, tokens_in: float, tokens_out: float) -> float | None:
    price = price_of(model)
    return None if price is None else calls * price.cost(tokens_in, tokens_out)


def estimate_case(
    key: str,
    loaded: LoadedCase,
    settings: Settings,
    cache: ResponseCache | None,
    requests: list[ProviderRequest] | None,
) -> CaseCost:
    """``requests``: the case's calls at its maximum runs (None: an app target, whose
    own calls are priced as one call of its pinned model per run)."""
    case = loaded.case
    cost = CaseCost(key, case.golden)
    tokens_in, tokens_out, cost.guessed = _usage(loaded)
    calls = _calls_per_run(loaded)
    fewest, most = settings.runs_for(case) if settings.calls_models else (0, 0)
    model = settings.model_for(case)
    if requests is not None and cache is not None:
        hits = [cache.path_for(r).exists() for r in requests]
        cost.cached = sum(hits[:fewest])
        sent, extra = fewest - cost.cached, (most - fewest) - sum(hits[fewest:])
    else:
        sent, extra = fewest, most - fewest
    _charge(cost, model, sent * calls, extra * calls, tokens_in, tokens_out)
    if settings.diagnose and requests and case.session is None:
        cost.diagnose_calls = _diagnosis_calls(loaded, settings, requests[0])
        cost.diagnose_usd = _price(model, cost.diagnose_calls, tokens_in, tokens_out) or 0.0
    scored = (fewest, most) if settings.calls_models else _recorded_runs(loaded)
    for judge, judge_in in _judges(loaded, settings, tokens_out):
        per_run = settings.judge_repeat
        _charge(
            cost,
            f"{judge} (judge)",
            scored[0] * per_run,
            (scored[1] - scored[0]) * per_run,
            judge_in,
            JUDGE_OUTPUT_TOKENS,
            price_model=judge,
        )
    return cost


def _diagnosis_calls(loaded: LoadedCase, settings: Settings, request: ProviderRequest) -> int:
    """The reruns and variant runs --llm-diagnose sends for the case if it fails (the
    tools variant counted whenever the request has tools: which get called is unknown)."""
    from llm_regressions.diagnose.running import calls_per_case
    from llm_regressions.diagnose.variants import base_request, variants

    built = variants(base_request(request), loaded.case, called=())
    applicable = sum(variant.applicable for variant in built)
    return calls_per_case(settings.diagnose_reruns, settings.diagnose_variant_runs, applicable)


def _recorded_runs(loaded: LoadedCase) -> tuple[int, int]:
    case = loaded.case
    runs = int(case.observed is not None) + int(case.expected is not None)
    return runs, runs


def _charge(
    cost: CaseCost,
    label: str,
    calls: int,
    extra: int,
    tokens_in: float,
    tokens_out: float,
    price_model: str | None = None,
) -> None:
    model = price_model or label
    priced = _price(model, calls, tokens_in, tokens_out)
    if calls:
        cost.models[label].add(calls, tokens_in, tokens_out, priced)
    cost.usd += priced or 0.0
    cost.extra_calls += extra
    cost.extra_usd += _price(model, extra, tokens_in, tokens_out) or 0.0


@dataclass
class Estimate:
    cases: list[CaseCost]

    @property
    def usd(self) -> float:
        return sum(c.usd for c in self.cases)

    def by_model(self) -> dict[str, ModelCost]:
        total: dict[str, ModelCost] = defaultdict(ModelCost)
        for case in self.cases:
            for model, part in case.models.items():
                total[model].merge(part)
        return dict(sorted(total.items()))

    def lines(self) -> list[str]:
        models = self.by_model()
        calls = sum(m.calls for m in models.values())
        unpriced = sum(m.calls for m in models.values() if m.usd is None)
        without = f" (+ {unpriced} calls without a price)" if unpriced else ""
        out = [f"{calls} calls for {len(self.cases)} case(s), {usd(self.usd)}{without}"]
        for model, part in models.items():
            price = "no price in litellm's table" if part.usd is None else usd(part.usd)
            out.append(
                f"  {model}: {part.calls} calls, {part.tokens_in:,.0f} tokens in, "
                f"{part.tokens_out:,.0f} out, {price}"
            )
        extra = sum(c.extra_calls for c in self.cases)
        if extra:
            more = usd(sum(c.extra_usd for c in self.cases))
            out.append(f"adaptive repeats: up to {extra} more calls, {more} more")
        diagnosis = sum(c.diagnose_calls for c in self.cases)
        if diagnosis:
            more = usd(sum(c.diagnose_usd for c in self.cases))
            out.append(
                f"--llm-diagnose: up to {diagnosis} more calls, {more} more, if every case "
                "fails (only failing and open cases are diagnosed; not in the total above)"
            )
        cached = sum(c.cached for c in self.cases)
        if cached:
            out.append(f"cached: {cached} calls answered from the cache (not counted)")
        guessed = sum(c.guessed for c in self.cases)
        if guessed:
            out.append(
                f"{guessed} case(s) without recorded token usage: tokens estimated from "
                f"text length ({CHARS_PER_TOKEN} characters a token)"
            )
        return out


def fit(estimate: Estimate, budget: float) -> tuple[set[str], float]:
    """The cases (node ids) that fit ``budget``, golden cases first, then in run order;
    and their estimated cost."""
    order = sorted(estimate.cases, key=lambda c: not c.golden)  # stable: run order kept
    kept, spent = set(), 0.0
    for case in order:
        if spent + case.usd <= budget:
            kept.add(case.key)
            spent += case.usd
    return kept, spent


def estimate_items(items: list[CaseItem], settings: Settings, root: Path) -> Estimate:
    cache = ResponseCache(root / settings.cache_dir) if settings.replay == "cached" else None
    return Estimate(
        [
            estimate_case(item.nodeid, item.loaded, settings, cache, item.max_requests(settings))
            for item in items
        ]
    )


#: How a case skipped by the budget's pre-check reads (its record's ``problem``).
LEFT_OUT = "not sent: "
#: ... when the whole run was refused.
REFUSED = LEFT_OUT + "the estimate for this run is"


class OverBudget(Exception):
    """The estimate does not fit ``--llm-max-cost`` and no partial run was asked for."""


def over_budget(estimate: Estimate, budget: float) -> str:
    return (
        f"the estimate for this run is {usd(estimate.usd)}, over --llm-max-cost "
        f"{usd(budget)}: nothing sent. Raise the budget, narrow the selection (-k, "
        "--llm-golden, --llm-changed-since) or add --llm-max-cost-partial to run what "
        "fits, golden cases first"
    )


def left_out(estimate: Estimate, settings: Settings, refuse: bool) -> dict[str, str]:
    """Node id -> why the case is not sent, for a run whose estimate is over its
    budget: with ``--llm-max-cost-partial`` the cases that do not fit; otherwise
    OverBudget (``refuse``) or every case (an xdist worker cannot stop the session)."""
    budget = settings.max_cost
    if budget is None or estimate.usd <= budget:
        return {}
    if not settings.max_cost_partial:
        if refuse:
            raise OverBudget(over_budget(estimate, budget))
        return {case.key: LEFT_OUT + over_budget(estimate, budget) for case in estimate.cases}
    kept, spent = fit(estimate, budget)
    why = (
        f"{LEFT_OUT}does not fit --llm-max-cost {usd(budget)} (--llm-max-cost-partial ran "
        f"the cases that do, estimated {usd(spent)})"
    )
    return {case.key: why for case in estimate.cases if case.key not in kept}
