"""One line per case saying what most likely caused its failure, from the facts a
diagnosis gathered (:mod:`.facts`): a pure function, so it is tested on made-up facts
and on real runs alike."""

from __future__ import annotations

from typing import Any

from llm_regressions.diagnose.variants import CONTEXT, FEW_SHOT, SYSTEM, TOOLS, VARIABLE

#: A variant "fixes" the case when it passes at least this often...
FIXED_RATE = 2 / 3
#: ... and this much more often than the exact request does.
FIXED_GAIN = 1 / 3

CAUSES = {
    CONTEXT: "the retrieval",
    SYSTEM: "the system message",
    FEW_SHOT: "the few-shot examples",
    TOOLS: "the extra tool definitions",
}

PLURAL = (FEW_SHOT, TOOLS)


def cause_of(element: str) -> str:
    if element.startswith(VARIABLE):
        return f"template variable '{element.removeprefix(VARIABLE)}'"
    return CAUSES.get(element, element)


def fixing_variant(stability: dict[str, Any], variants: list[dict[str, Any]]) -> dict | None:
    """The variant whose removal makes the case pass most clearly (the first of equals,
    in the preferred order: context, system, few-shot, tools, variables), or None."""
    answered = stability["passed"] + stability["failed"]
    base = stability["passed"] / answered if answered else 0.0
    best, best_rate = None, 0.0
    for variant in variants:
        tried = variant["passed"] + variant["failed"]
        rate = variant["passed"] / tried if tried else 0.0
        if rate >= FIXED_RATE and rate - base >= FIXED_GAIN and rate > best_rate:
            best, best_rate = variant, rate
    return best


def attribute(
    stability: dict[str, Any], variants: list[dict[str, Any]], truncation: dict[str, Any]
) -> str:
    """The likely cause, with the counts that say so."""
    answered = stability["passed"] + stability["failed"]
    reproduced = stability["failed"]
    if not answered:
        return f"no attribution: no rerun answered ({stability['error'] or 'none sent'})"
    if truncation["cut_off"] and reproduced:
        return f"{truncation['notes'][-1]}: truncation is the likely cause (raise max_tokens)"
    if not reproduced:
        return (
            f"did not reproduce (0/{answered} at temperature 0): the failure looks like "
            "sampling randomness, not any one input"
        )
    fixer = fixing_variant(stability, variants)
    intermittent = " (intermittent)" if reproduced < answered else ""
    if fixer is not None:
        tried = fixer["passed"] + fixer["failed"]
        them, are = ("them", "are") if fixer["element"] in PLURAL else ("it", "is")
        return (
            f"passes without {fixer['name']} ({fixer['passed']}/{tried}) and fails with {them} "
            f"({reproduced}/{answered}{intermittent}): {cause_of(fixer['element'])} {are} the "
            "likely cause"
        )
    if truncation["notes"]:
        return f"{truncation['notes'][0]}: the request's length is the likely cause"
    if intermittent:
        return (
            f"intermittent ({reproduced}/{answered}): part of the story is randomness; no "
            "single element removed makes it pass"
        )
    tried = [v["name"] for v in variants if v["applicable"]]
    without = f" (tried without {', '.join(tried)})" if tried else " (no element to remove)"
    return (
        f"fails {reproduced}/{answered} with every element removed in turn{without}: the model "
        "itself, or the checks, is the likely cause"
    )
