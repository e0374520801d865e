"""How a session run reads: its replayed steps beside the recorded ones, the first step
where they part marked, as text (the failure pytest shows, the Markdown summary) and as
an HTML table. Reads a run record's ``session`` field only."""

from __future__ import annotations

from typing import Any

from llm_regressions.report.html_diff import escape


def step_text(step: dict[str, Any] | None) -> str:
    """``lookup_order(order_id='A-1') -> {}``, or ``answer: ...``; ``-`` for no step."""
    if step is None:
        return "-"
    if not step["calls"]:
        return f"answer: {step['answer'] or '(no output)'}"
    results = [r["result"] for r in step["results"]]
    return "; ".join(
        f"{call} -> {results[i]}" if i < len(results) else call
        for i, call in enumerate(step["calls"])
    )


def rows(session: dict[str, Any]) -> list[tuple[int, str, str, bool]]:
    """(step, replayed, recorded, first difference) per step of the longer of the two."""
    ours, theirs = session["steps"], session["recorded"]
    return [
        (
            number,
            step_text(ours[number - 1] if number <= len(ours) else None),
            step_text(theirs[number - 1] if number <= len(theirs) else None),
            number == session["first_difference"],
        )
        for number in range(1, max(len(ours), len(theirs)) + 1)
    ]


def notes(session: dict[str, Any]) -> list[str]:
    """Why the run ended early: a divergence, the step limit."""
    divergence = session["divergence"] and f"diverged: {session['divergence']}"
    return [note for note in (divergence, session["stopped"]) if note]


def text_lines(session: dict[str, Any]) -> list[str]:
    """Each replayed step over the recorded one, ``>>`` marking the first difference."""
    lines = ["  trajectory (replayed / recorded):"]
    for number, ours, theirs, first in rows(session):
        label = f"step {number}"
        lines.append(f"  {'>>' if first else '  '} {label}  replayed: {ours}")
        lines.append(f"     {' ' * len(label)}  recorded: {theirs}")
    return lines + [f"  {note}" for note in notes(session)]


def html(session: dict[str, Any] | None) -> str:
    """The trajectory table of one run ('' for a single-call case)."""
    if not session:
        return ""
    body = "".join(
        f"<tr{' class=parted' if first else ''}><td>{number}</td>"
        f"<td>{escape(ours)}</td><td>{escape(theirs)}</td></tr>"
        for number, ours, theirs, first in rows(session)
    )
    foot = "".join(f"<p class=muted>{escape(note)}</p>" for note in notes(session))
    return (
        "<table class=trajectory><tr><th>step</th><th>replayed</th><th>recorded</th></tr>"
        f"{body}</table>{foot}"
    )
