"""The ``--llm-replay cached`` store: one JSON file per canonical request and run.

Keys are content hashes of the request (model, messages, params, tools, tool_choice,
response_format, run index), so any change to the prompt or model is a miss. Entries are
written atomically (temp file + rename): concurrent writers, such as xdist workers
replaying the same request, each leave a whole file and the last one wins.
"""

from __future__ import annotations

import json
from pathlib import Path

from llm_regressions.fsutil import atomic_write
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult

CACHE_FORMAT = 1


class ResponseCache:
    """Read and write cached answers under ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, request: ProviderRequest) -> Path:
        key = request.cache_key()
        return self.root / key[:2] / f"{key}.json"

    def get(self, request: ProviderRequest) -> ReplayResult | None:
        """The stored answer, or None on a miss (an unreadable entry is a miss too)."""
        try:
            data = json.loads(self.path_for(request).read_text(encoding="utf-8"))
            if data.get("format") != CACHE_FORMAT:
                return None
            return ReplayResult.from_dict(data["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, request: ProviderRequest, result: ReplayResult) -> None:
        entry = {"format": CACHE_FORMAT, "model": request.model, "result": result.to_dict()}
        path = self.path_for(request)
        if not (self.root / ".gitignore").exists():
            atomic_write(self.root / ".gitignore", "*\n", overwrite=True)
        atomic_write(path, json.dumps(entry, ensure_ascii=False, indent=1), overwrite=True)
