"""The history file: JSON lines, one per monitor run, each holding that run's window
summaries, so baselines (a 7-day spend average) span runs that each read one day.

A window in the current input wins over the same window in the history; lines written
with another window length are left out of the baselines (and said).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class HistoryError(Exception):
    """The history file cannot be read; names the file and line."""


def load_history(path: Path, window_s: float) -> tuple[list[dict[str, Any]], list[str]]:
    """The windows of earlier runs at this window length, and notes about the rest."""
    if not path.exists():
        return [], []
    windows: dict[int, dict[str, Any]] = {}
    skipped = 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if entry["window_s"] != window_s:
                    skipped += 1
                    continue
                for window in entry["windows"]:
                    windows[int(window["start_ns"])] = window
            except (ValueError, KeyError, TypeError) as exc:
                raise HistoryError(f"{path}:{number}: not a monitor history line ({exc})") from None
    notes = [f"{path}: {skipped} run(s) with another window length left out"] if skipped else []
    return [windows[start] for start in sorted(windows)], notes


def merged(current: list[dict[str, Any]], earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History windows plus the input's, the input winning, in time order."""
    by_start = {w["start_ns"]: w for w in earlier}
    by_start.update({w["start_ns"]: w for w in current})
    return [by_start[start] for start in sorted(by_start)]


def append_history(path: Path, window_s: float, windows: list[dict[str, Any]]) -> None:
    """Add this run's windows as one line."""
    entry = {
        "written_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window_s": window_s,
        "windows": windows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
