"""A diagnosis as text: the compact terminal block and the Markdown lines. Reads the
JSON report's ``diagnosis`` record only, so a merged or reloaded report renders the
same."""

from __future__ import annotations

from typing import Any

from llm_regressions.diagnose.facts import stability_line, truncation_line


def variant_line(variant: dict[str, Any]) -> str:
    """``without the system message: passes 3/3`` / ``...: not applicable (why)``."""
    head = f"without {variant['name']}"
    if not variant["applicable"]:
        return f"{head}: not applicable ({variant['detail']})"
    answered = variant["passed"] + variant["failed"]
    line = f"{head}: passes {variant['passed']}/{answered}"
    if variant["errors"]:
        line += f", {variant['errors']} errored ({variant['error']})"
    return line


def book_line(book: dict[str, Any] | None) -> str | None:
    if book is None:
        return None
    shown = (f"{book[k]['passed']}/{book[k]['answered']}" for k in ("open", "closed"))
    opened, closed = shown
    return f"open book (with the retrieved context) passes {opened}; closed book passes {closed}"


def block(case_id: str, diagnosis: dict[str, Any]) -> list[str]:
    """The terminal block of one diagnosed case."""
    if not diagnosis["applicable"]:
        return [f"{case_id}: {diagnosis['attribution']}"]
    lines = [f"{case_id}: {diagnosis['attribution']}"]
    lines.append("  " + stability_line(diagnosis["stability"]))
    lines += ["  " + variant_line(v) for v in diagnosis["variants"]]
    book = book_line(diagnosis["book"])
    if book:
        lines.append("  " + book)
    lines.append("  " + truncation_line(diagnosis["truncation"]))
    return lines


def section(records: list[dict[str, Any]]) -> list[str]:
    """Every diagnosed case's block, under one heading (nothing when none was)."""
    diagnosed = [r for r in records if r.get("diagnosis")]
    if not diagnosed:
        return []
    lines = [f"diagnosis ({len(diagnosed)} case(s), --llm-diagnose):"]
    for record in diagnosed:
        lines += ["  " + line for line in block(record["id"], record["diagnosis"])]
    return lines


def markdown(records: list[dict[str, Any]], cell: Any) -> list[str]:
    """The Markdown rows: case, attribution, stability (``cell`` escapes a table cell)."""
    diagnosed = [r for r in records if r.get("diagnosis")]
    if not diagnosed:
        return []
    lines = ["| diagnosed case | likely cause | stability |", "|---|---|---|"]
    for record in diagnosed:
        diagnosis = record["diagnosis"]
        stable = stability_line(diagnosis["stability"]) if diagnosis["applicable"] else ""
        lines.append(f"| `{record['id']}` | {cell(diagnosis['attribution'])} | {cell(stable)} |")
    return [*lines, ""]
