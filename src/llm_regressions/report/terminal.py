"""The one ``llm regressions`` terminal section, from the case records alone.

Every case that needs a look is named once, on its own line, with what the gate says
of it; then errors grouped by cause, model drift, prompts, the metrics, the baseline
comparison and the gate's verdict. The same lines serve ``python -m llm_regressions
gate``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from llm_regressions.diagnose.render import section as diagnosis_section
from llm_regressions.report import metrics, text

TITLE = "llm regressions"
#: Lines shown in red: the failing cases' heading and a failed gate.
ALARMS = ("failed (", "gate FAILED")
#: Cases listed per heading; the rest are counted.
MAX_LISTED = 50

Record = dict[str, Any]


def section(
    records: list[Record],
    agg: dict[str, Any],
    gate: dict[str, Any],
    case_failures: dict[str, list[tuple[str, str]]],
    written: Sequence[str] = (),
    rate_limits: Sequence[dict[str, Any]] = (),
) -> list[str]:
    """The section's lines; a failing case's id appears once. ``rate_limits``: the
    report's ``run.rate_limits``."""
    marks = {i: [mark for mark, _ in found] for i, found in case_failures.items()}
    # the cases the gate fails on first, so a capped list still shows them
    failed = sorted(
        (r for r in records if r["outcome"] == "failed" and r["verdict"] != "inconclusive"),
        key=lambda r: r["id"] not in marks,
    )
    inconclusive = [r for r in records if r["verdict"] == "inconclusive"]
    flaky = [r for r in records if r["flaky"] and r["outcome"] == "passed"]
    out = _listed("failed", _case_lines(failed, marks))
    out += _listed(
        "inconclusive, too few runs to tell (run more repeats)", _case_lines(inconclusive, marks)
    )
    out += _listed("flaky, passed some runs and failed others", _case_lines(flaky, {}))
    out += _trouble(records)
    out += _drift(records)
    out += _prompts(records)
    out += diagnosis_section(records)
    out += text.metric_lines(agg, regressed=False)
    out += rate_limit_lines(rate_limits)
    if gate["baseline"] is not None:
        out.append("compared with the baseline:")
        out += [f"  {line}" for line in text.baseline_lines(gate["baseline"], regressions=False)]
    out += [f"warning: {w}" for w in gate["warnings"]]
    out += gate["notes"]
    out += _verdict(gate, agg, case_failures, {r["id"] for r in failed + inconclusive})
    out += [f"wrote {path}" for path in written]
    return out


def rate_limit_lines(rate_limits: Sequence[dict[str, Any]]) -> list[str]:
    """How long each rate-limited model made the run wait, and the concurrency the
    limiter settled at for it (``--llm-concurrency`` is the ceiling)."""
    return [
        f"rate limits: {e['model']}: waited {e['waited_s']:.1f}s, {e['responses_429']} "
        f"answers 429, settled at concurrency {e['settled_concurrency']:g} "
        f"(ceiling {e['ceiling']})"
        for e in rate_limits
    ]


def _listed(title: str, lines: list[str]) -> list[str]:
    """``title (N):`` and the first :data:`MAX_LISTED` lines, indented."""
    if not lines:
        return []
    out = [f"{title} ({len(lines)}):", *(f"  {line}" for line in lines[:MAX_LISTED])]
    if len(lines) > MAX_LISTED:
        out.append(f"  ... and {len(lines) - MAX_LISTED} more")
    return out


def _case_lines(records: list[Record], marks: dict[str, list[str]]) -> list[str]:
    """One line per case: its id, why, and the gate's marks."""
    lines = []
    for r in records:
        why = r["problem"].splitlines()[0] if r["problem"] else r["outcome"]
        mark = f"  [{', '.join(marks[r['id']])}]" if r["id"] in marks else ""
        lines.append(f"{r['id']}: {why}{mark}")
    return lines


def _trouble(records: list[Record]) -> list[str]:
    """Provider trouble grouped by provider and cause; cases never sent, counted."""
    causes = Counter(r["trouble"] for r in records if r["trouble"])
    out = [
        f"{count} case{'s' if count != 1 else ''} could not reach {trouble}"
        for trouble, count in causes.most_common()
    ]
    unsent = sum(map(metrics.unsent, records))
    if unsent:
        out.append(f"{unsent} case(s) skipped without being sent (see reasons)")
    return out


def _drift(records: list[Record]) -> list[str]:
    title = "model drift, the provider served another model"
    return _listed(title, [f"{r['id']}: {r['drift']}" for r in records if r["drift"]])


def _prompts(records: list[Record]) -> list[str]:
    """How many cases sent the current prompt (or the frozen request), and which ran on
    a prompt changed since their trace."""
    runs = [(r["id"], r["prompt_run"]) for r in records if r.get("prompt_run")]
    if not runs:
        return []
    current = [(i, p) for i, p in runs if p["mode"] == "current"]
    sent = []
    if current:
        sent.append(f"{len(current)} case(s) sent the current prompt")
    if len(runs) > len(current):
        sent.append(
            f"{len(runs) - len(current)} case(s) sent the frozen request (--llm-prompt frozen)"
        )
    changed = [f"  {i}: {p['rendered']}" for i, p in current if p.get("changed")]
    out = ["; ".join(sent)]
    out.append(
        f"{len(changed)} case(s) ran on a prompt changed since their trace"
        + (":" if changed else "")
    )
    out += changed
    unsent = sum(1 for _, p in runs if p["mode"] != "current" and p.get("changed"))
    if unsent:
        out.append(
            f"{unsent} frozen case(s) have a current prompt that differs from the request "
            "sent (run with --llm-prompt current to test it)"
        )
    return out


def _verdict(
    gate: dict[str, Any],
    agg: dict[str, Any],
    case_failures: dict[str, list[tuple[str, str]]],
    listed: set[str],
) -> list[str]:
    """The gate's headline and failures; a failure about a case listed above shows as
    that case's mark, not again here."""
    if not (gate["decides"] or gate["failures"] or gate["baseline"] is not None):
        return []
    folded = {message for i in listed for _, message in case_failures.get(i, [])}
    out = [text.headline(gate, agg) + (":" if gate["failures"] else "")]
    out += [f"  {f}" for f in gate["failures"] if f not in folded]
    if folded:
        count = len(listed & case_failures.keys())
        out.append(f"  {count} failed case(s) above, marked with why the gate counts them")
    return out


def changed_lines(
    selection: dict[str, Any] | None, records: list[Record], verbose: bool = False
) -> list[str]:
    """What ``--llm-changed-since`` ran and why (counts per reason; each case with
    ``-v``), and the calls the cases it left out did not make."""
    if selection is None:
        return []
    why = ", ".join(f"{kind} {count}" for kind, count in selection["reasons"].items())
    total = selection["selected"] + selection["unaffected"]
    out = [
        f"changed since {selection['ref']} ({selection['commit']}): ran {selection['selected']} "
        f"of {total} case(s)" + (f" ({why})" if why else "")
    ]
    if selection["unaffected"]:
        calls = selection["calls_saved"]
        out.append(
            f"  {selection['unaffected']} case(s) not affected, deselected: "
            f"{calls} model call(s) not sent"
        )
    if not selection["selected"]:
        out.append("  nothing changed that a case depends on, and no golden case: nothing to run")
    if verbose:
        lines = [
            f"{r['id']}: {'; '.join(r['selected_because'])}"
            for r in records
            if r.get("selected_because")
        ]
        out += [f"  {line}" for line in _listed("selected because", sorted(lines))]
    return out


def status_lines(changed: dict[str, str], refused: dict[str, str]) -> list[str]:
    """What ``--llm-update-status`` did: the cases set to fixed, and those it could not."""
    out = _listed("updated status: open -> fixed", list(changed.values()))
    return out + _listed("status not updated", list(refused.values()))
