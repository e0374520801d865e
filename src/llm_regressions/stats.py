"""The statistics behind honest verdicts: a pass rate's interval, the three-way verdict
on it, how many more runs could settle it, and the paired test between two runs.

Plain arithmetic on counts (no SciPy): the same numbers in a pytest session, in
``python -m llm_regressions gate`` and in a merged shard report.
"""

from __future__ import annotations

import math
from typing import Literal

#: Two-sided 95%: the z of the Wilson interval.
Z95 = 1.959963984540054
#: Thresholds are written as percentages (0.67, 0.95): a rate within half a point of
#: one meets it, so 2 of 3 runs meets ``min_pass_rate: 0.67``.
TOLERANCE = 0.005

Decision = Literal["pass", "fail", "inconclusive"]


def wilson(passed: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``passed / total`` (0..1 each way). Unlike the
    normal approximation it stays inside 0..1 and is sensible for 1 to 10 runs."""
    if total <= 0:
        return 0.0, 1.0
    rate = passed / total
    z2 = z * z
    centre = rate + z2 / (2 * total)
    spread = z * math.sqrt(rate * (1 - rate) / total + z2 / (4 * total * total))
    scale = 1 + z2 / total
    low = 0.0 if passed == 0 else (centre - spread) / scale
    high = 1.0 if passed == total else (centre + spread) / scale
    return max(0.0, low), min(1.0, high)


def decide(passed: int, total: int, need: float) -> Decision:
    """pass: the observed rate meets ``need`` (no evidence of a regression); fail: even
    the interval's upper bound is below it (evidence of one); inconclusive otherwise.
    With ``need`` 1.0 every run must pass, and one failing run is a fail."""
    if need >= 1.0 and total:  # "every run must pass": one failure settles it
        return "pass" if passed == total else "fail"
    if total and passed / total >= need - TOLERANCE:
        return "pass"
    if wilson(passed, total)[1] < need - TOLERANCE:
        return "fail"
    return "inconclusive"


def runs_to_settle(passed: int, total: int, need: float, limit: int) -> int:
    """The fewest further runs (at most ``limit``) after which the verdict could be
    pass or fail, whichever way they go: the next batch an adaptive repeat asks for.
    0 when the verdict is settled already or ``limit`` is 0."""
    if limit <= 0 or decide(passed, total, need) != "inconclusive":
        return 0
    for more in range(1, limit + 1):
        if decide(passed + more, total + more, need) == "pass":
            return more
        if decide(passed, total + more, need) == "fail":
            return more
    return limit


def mcnemar_exact(flipped_to_fail: int, flipped_to_pass: int) -> float | None:
    """Two-sided exact McNemar p-value over the cases both runs share: under "no real
    change", each case that flipped was as likely to flip either way (a fair coin).
    None when nothing flipped (no evidence either way)."""
    discordant = flipped_to_fail + flipped_to_pass
    if discordant == 0:
        return None
    fewer = min(flipped_to_fail, flipped_to_pass)
    tail = sum(math.comb(discordant, k) for k in range(fewer + 1)) / 2**discordant
    return min(1.0, 2 * tail)
