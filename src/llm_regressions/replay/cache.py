"""The ``--llm-replay cached`` store: one JSON file per canonical request and run.

Keys are content hashes of the request (model, messages, params, tools, tool_choice,
response_format, run index), so any change to the prompt or model is a miss. Entries are
written atomically (temp file + rename): concurrent writers, such as xdist workers
replaying the same request, each leave a whole file and the last one wins.
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path
from typing import Any

from llm_regressions.fsutil import atomic_write, keep_out_of_git
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult

CACHE_FORMAT = 1


class CacheWarning(UserWarning):
    """The cache could not be used for one answer (an unreadable entry: a miss; a failed
    write: the answer is kept, just not stored)."""


class ResponseCache:
    """Read and write cached answers under ``root`` (created on first write).

    It runs on the engine's thread, often before any test phase has begun (calls are
    queued ahead), where a warning would miss pytest's summary: its problems are kept
    as notices, and :meth:`warn_notices` raises them as warnings from the test that
    collects its answers."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._notices: list[str] = []
        self._lock = threading.Lock()

    def _notice(self, message: str) -> None:
        with self._lock:
            self._notices.append(message)

    def warn_notices(self) -> None:
        """Raise the problems met so far as CacheWarnings, in the caller's thread."""
        with self._lock:
            notices, self._notices = self._notices, []
        for message in notices:
            warnings.warn(message, CacheWarning, 3)

    def path_for(self, request: ProviderRequest) -> Path:
        return entry_path(self.root, request.cache_key())

    def get(self, request: ProviderRequest) -> ReplayResult | None:
        """The stored answer, or None on a miss. An entry that cannot be read is a miss,
        with a warning naming it (it is replaced when the answer comes back)."""
        path = self.path_for(request)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._miss(path, exc.strerror or str(exc))
        try:
            data = json.loads(text)
        except ValueError:
            return self._miss(path, "not JSON")
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return self._miss(path, "not a cache entry of this plugin version")
        try:
            return ReplayResult.from_dict(_checked(data.get("result")))
        except (KeyError, TypeError, ValueError) as exc:
            return self._miss(path, f"unreadable answer ({exc})")

    def _miss(self, path: Path, why: str) -> None:
        self._notice(f"cache entry {path}: {why}; asking the model again")
        return None

    def put(self, request: ProviderRequest, result: ReplayResult) -> None:
        """Store the answer. A failed write only warns: the answer is already paid for
        and still used."""
        entry = {"format": CACHE_FORMAT, "model": request.model, "result": result.to_dict()}
        path = self.path_for(request)
        try:
            keep_out_of_git(self.root)
            atomic_write(path, json.dumps(entry, ensure_ascii=False, indent=1), overwrite=True)
        except OSError as exc:
            self._notice(
                f"cannot store the answer in the cache ({path}: {exc.strerror or exc}); "
                "it is used for this run, not kept"
            )


def entry_path(root: Path, digest: str) -> Path:
    """Where the entry of a hex digest lives: one subfolder per first two characters, so
    no folder holds more than a few thousand files."""
    return root / digest[:2] / f"{digest}.json"


def _checked(result: Any) -> dict[str, Any]:
    """The fields a cached answer needs, with their types."""
    if not isinstance(result, dict) or not isinstance(result.get("tool_calls"), list):
        raise TypeError("expected an object with a tool_calls list")
    if not all(isinstance(c, dict) and "name" in c for c in result["tool_calls"]):
        raise TypeError("tool calls without names")
    if not isinstance(result.get("output"), (str, type(None))):
        raise TypeError("output is not text")
    known = {"output", "tool_calls", "finish_reason", "usage", "latency_ms", "cost_usd", "model"}
    return {k: v for k, v in result.items() if k in known | {"system_fingerprint"}}
