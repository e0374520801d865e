"""``--llm-max-cost``: one budget for the whole session, also when xdist splits it.

Each process counts what its calls cost. Under xdist every worker also writes its total
to a file of its own in a folder the controller made for the session, and reads the
others' before each call, so the workers share one budget. Calls already in flight when
it is reached still finish (at most ``--llm-concurrency`` per process): the budget stops
new calls, it cannot take back one that was sent.
"""

from __future__ import annotations

import threading
from pathlib import Path

from llm_regressions.fsutil import atomic_write
from llm_regressions.replay.result import usd

SUFFIX = ".spent"


class Budget:
    """What this session may still spend. ``shared``: the folder the xdist workers of
    one session write their totals to (None: this process is the whole session)."""

    def __init__(self, limit: float | None, shared: Path | None = None, name: str = "") -> None:
        self.limit = limit
        self.own = 0.0
        self._lock = threading.Lock()  # charged from the loop and from app targets
        self._shared = shared
        self._file = shared / f"{name or 'main'}{SUFFIX}" if shared else None

    @property
    def spent(self) -> float:
        """The session's spend: this process's, plus the other workers'."""
        total = self.own
        if self._shared is not None:
            for path in self._shared.glob(f"*{SUFFIX}"):
                if path != self._file:
                    total += _read(path)
        return total

    def charge(self, cost: float) -> None:
        if not cost:
            return
        with self._lock:
            self.own += cost
            if self._file is not None:
                atomic_write(self._file, repr(self.own), overwrite=True)

    def exhausted(self) -> str | None:
        """Why nothing new may be sent, or None while the budget lasts."""
        if self.limit is None:
            return None
        spent = self.spent
        if spent < self.limit:
            return None
        return f"--llm-max-cost {usd(self.limit)} reached (spent {usd(spent)})"


def _read(path: Path) -> float:
    try:
        return float(path.read_text(encoding="utf-8") or 0)
    except (OSError, ValueError):
        return 0.0  # a worker writing its first total, or gone
