"""``--llm-replay cached`` for app targets: the app's own litellm calls are answered
from a store on disk through litellm's response cache (its public ``litellm.cache``
setting, installed for the length of one target run; the engine's calls say
``caching=False``, so only the app's calls see it). One store per run index, so the
repeats of a case stay separate runs, as the engine's cache keeps them.

Some litellm releases (1.102 and later, until BerriAI/litellm#42195 is fixed) cannot
serve a cache hit without their proxy extra: :func:`cache_problem` finds out once per
litellm version, in a child process (two offline mock calls: nothing reaches the user's
own litellm callbacks), and app targets then send their calls as in live mode, with a
warning that says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from llm_regressions.fsutil import atomic_write, keep_out_of_git
from llm_regressions.replay import client
from llm_regressions.replay.cache import entry_path

#: Where a target's answers are kept, under the ``--llm-replay cached`` directory.
TARGETS_DIR = "targets"
STORE_FORMAT = 1


class FileStore:
    """litellm's cache backend methods (those ``litellm.Cache`` calls on its backend)
    over one JSON file per key, written atomically like the engine's cache. ``on_hit``
    is told of every answer served, in the caller's thread: how the capture knows a
    hit's success event is the run's (litellm may deliver it from a thread that does not
    carry the run's context)."""

    namespace = None

    def __init__(self, root: Path, on_hit: Callable[[], None]) -> None:
        self.root, self.on_hit = root, on_hit

    def _path(self, key: str) -> Path:
        return entry_path(self.root, hashlib.sha256(str(key).encode()).hexdigest())

    def set_cache(self, key: str, value: Any, **kwargs: Any) -> None:
        entry = {"format": STORE_FORMAT, "key": str(key), "value": value}
        with contextlib.suppress(OSError, TypeError, ValueError):  # not kept: asked again
            atomic_write(self._path(key), json.dumps(entry, ensure_ascii=False), overwrite=True)

    def get_cache(self, key: str, **kwargs: Any) -> Any:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != STORE_FORMAT:
            return None
        self.on_hit()
        return entry.get("value")

    async def async_set_cache(self, key: str, value: Any, **kwargs: Any) -> None:
        self.set_cache(key, value)

    async def async_get_cache(self, key: str, **kwargs: Any) -> Any:
        return self.get_cache(key)

    async def async_set_cache_pipeline(self, cache_list: Any, **kwargs: Any) -> None:
        for key, value in cache_list:
            self.set_cache(key, value)

    async def batch_cache_write(self, key: str, value: Any, **kwargs: Any) -> None:
        self.set_cache(key, value)

    async def disconnect(self) -> None:
        return None


@contextlib.contextmanager
def serving(root: Path, run: int, on_hit: Callable[[], None]) -> Iterator[None]:
    """litellm's cache, backed by run ``run``'s store, for the duration."""
    with client.response_cache(FileStore(root / TARGETS_DIR / f"run{run + 1}", on_hit)):
        yield


def cache_problem(cache_root: Path) -> str | None:
    """Why this litellm cannot serve cached answers, or None when it can. Asked once
    per litellm version (the answer is kept beside the cache)."""
    version = metadata.version("litellm")
    remembered = cache_root / TARGETS_DIR / f"litellm-{version}.json"
    try:
        return json.loads(remembered.read_text(encoding="utf-8"))["problem"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    problem = client.cache_hit_problem()
    with contextlib.suppress(OSError):
        keep_out_of_git(cache_root)
        atomic_write(remembered, json.dumps({"problem": problem}), overwrite=True)
    return problem
