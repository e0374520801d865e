"""``--llm-update-status``: mark open cases that now pass every run as fixed.

The edit is one line per case (``status: open`` -> ``status: fixed``, keeping its
indentation and any comment); every other byte of the file stays as it was, so the
diff a reviewer sees is exactly the lifecycle change. Writes are atomic.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_regressions.casefile.loader import text_hash
from llm_regressions.fsutil import atomic_write

STATUS_LINE = re.compile(r"^(\s*(?:-\s+)?status:\s*)(['\"]?)open\2(\s*(?:#.*)?)$")
LABEL_LINE = re.compile(r"^(\s*(?:-\s+)?)label:")


def newly_fixed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open cases whose live runs now pass (their ``min_pass_rate`` met)."""
    return [r for r in records if r["status"] == "open" and r.get("decision") == "pass"]


def _off_pin(record: dict[str, Any]) -> str | None:
    """Why a pass does not show the pinned model fixed, or None when it does."""
    if record.get("pinned", True):
        return None
    if record.get("drift"):
        return f"the provider served another model ({record['drift']})"
    return f"it ran on {record['model']}, not its pinned model"


def _rewrite(text: str, starts: list[int], targets: list[int]) -> tuple[str, list[int]]:
    """Flip the first ``status: open`` line of each target case (1-based start lines);
    a case ends where the next case in the file starts. Returns the cases not found."""
    lines = text.splitlines(keepends=True)
    bounds = sorted(set(starts))
    missing = []
    for start in sorted(targets, reverse=True):  # inserted lines shift later cases
        end = next((b for b in bounds if b > start), len(lines) + 1)
        if not _flip(lines, start - 1, end - 1):
            missing.append(start)
    return "".join(lines), missing


def _flip(lines: list[str], first: int, stop: int) -> bool:
    """Edit ``lines[first:stop]`` in place: flip the status line, or (status omitted,
    so open by default) add ``status: fixed`` right after the label line."""
    label_at = None
    for index in range(first, min(stop, len(lines))):
        body = lines[index].rstrip("\r\n")
        newline = lines[index][len(body) :] or "\n"
        match = STATUS_LINE.match(body)
        if match:
            lines[index] = f"{match[1]}{match[2]}fixed{match[2]}{match[3]}{newline}"
            return True
        if label_at is None and (label := LABEL_LINE.match(body)):
            label_at = (index, " " * len(label[1]), newline)
        if body.lstrip().startswith("status:"):
            return False  # already fixed, or written in a way we do not edit
    if label_at is None:
        return False
    index, indent, newline = label_at
    lines.insert(index + 1, f"{indent}status: fixed{newline}")
    return True


@dataclass
class StatusUpdate:
    """Case id -> a line naming the case changed, or saying why it was not."""

    changed: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def update_statuses(root: Path, records: list[dict[str, Any]]) -> StatusUpdate:
    """Rewrite the files of the open cases that now pass. Each file is read again at
    write time and left alone unless it is the file that ran (a file edited or removed
    since is skipped, and said so; the others go on). A symlinked case file is written
    through: the link stays a link. A pass on another model than the pinned one changes
    nothing."""
    starts: dict[str, list[int]] = defaultdict(list)
    for record in records:
        starts[record["file"]].append(record["line"])
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    update = StatusUpdate()
    for record in newly_fixed(records):
        off_pin = _off_pin(record)
        if off_pin:
            update.refused[record["id"]] = (
                f"{record['id']} ({record['file']}): not changed, {off_pin}"
            )
        else:
            by_file[record["file"]].append(record)
    for name, cases in sorted(by_file.items()):
        _update_file(root / name, name, starts[name], cases, update)
    return update


def _update_file(
    path: Path, name: str, starts: list[int], cases: list[dict[str, Any]], update: StatusUpdate
) -> None:
    try:
        text = path.read_bytes().decode("utf-8")  # keep CRLF line ends as they are
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        for r in cases:
            update.refused[r["id"]] = (
                f"{r['id']} ({name}): not changed, the file cannot be read ({why})"
            )
        return
    if any(r["file_hash"] and r["file_hash"] != text_hash(text) for r in cases):
        for r in cases:
            update.refused[r["id"]] = (
                f"{r['id']} ({name}): not changed, the file was edited since the run"
            )
        return
    new, missing = _rewrite(text, starts, [r["line"] for r in cases])
    if new != text:
        atomic_write(path.resolve(), new, overwrite=True)
    for r in cases:
        where = f"{name}:{r['line']}"
        if r["line"] in missing:
            update.refused[r["id"]] = f"{r['id']} ({where}): no 'status: open' line, not changed"
        else:
            update.changed[r["id"]] = f"{r['id']} ({where})"
