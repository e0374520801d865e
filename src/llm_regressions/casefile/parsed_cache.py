"""Case files parsed by earlier runs, so that a run parses again only what changed.

Parsing YAML is most of what collecting a case costs (~0.4 ms for a 100-line case file,
against ~0.03 ms to read the same data back as JSON). Entries are keyed by the SHA-256
of the file's text, so an entry cannot go stale: an edited file is a new key. Only what
the lean YAML pass builds is kept (plain documents: no aliases or merge keys, every key a
string), with the lines that pass knows; any other document is parsed every time, and
an error's line is found by parsing the text again, as without the cache.

The store is one file in the cache folder, read once per session, rewritten when a
session parsed something new. It holds JSON only (never pickle): a store that is
damaged, from another version of this format or of PyYAML, is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from llm_regressions.casefile import yamlio
from llm_regressions.fsutil import atomic_write, keep_out_of_git

#: Bump when what :func:`yamlio.load` builds changes.
FORMAT = 1
FILE_NAME = "parsed-case-files.jsonl"
#: Entries no run of this session used are kept up to this many (case files of other
#: folders, earlier versions of edited files); beyond it the oldest are dropped.
MAX_UNUSED = 20_000


def _header() -> str:
    """The store's first line: what must match for its entries to be used."""
    return json.dumps({"format": FORMAT, "pyyaml": yaml.__version__})


class ParsedCache:
    """``load(text)`` as :func:`yamlio.load`, answered from the store when it can be."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        self._stored: dict[str, str] | None = None  # digest -> entry JSON, read lazily
        self._used: dict[str, str] = {}
        self._added = 0

    def load(self, text: str) -> tuple[Any, yamlio.LineMap]:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        entry = self._entries().get(digest) or self._used.get(digest)
        if entry is not None:
            try:
                data, known = json.loads(entry)
                lines = {tuple(path): line for path, line in known}
            except (ValueError, TypeError):  # a damaged line: parse the text instead
                pass
            else:
                self._used[digest] = entry
                return data, yamlio.LineMap(lines, text)
        data, lines = yamlio.load(text)
        known = lines.lean_lines()
        if known is not None:
            self._used[digest] = json.dumps([data, [[list(p), n] for p, n in known.items()]])
            self._added += 1
        return data, lines

    def save(self) -> None:
        """Write the store when this session parsed something new (best effort: a
        read-only checkout just parses every time), and let go of its entries."""
        stored, used, added = self._stored or {}, self._used, self._added
        self._stored, self._used, self._added = None, {}, 0
        if not added:
            return
        unused = [(d, e) for d, e in stored.items() if d not in used]
        kept = [*unused[-MAX_UNUSED:], *used.items()]
        text = _header() + "\n" + "".join(f"{d} {e}\n" for d, e in kept)
        try:  # no fsync: a store lost in a crash is only rebuilt
            atomic_write(self.path, text, overwrite=True, sync=False)
            keep_out_of_git(self.path.parent)
        except OSError:
            pass

    def _entries(self) -> dict[str, str]:
        if self._stored is None:
            self._stored = _read(self.path)
        return self._stored


def _read(path: Path) -> dict[str, str]:
    try:
        with path.open(encoding="utf-8") as handle:
            if handle.readline().rstrip("\n") != _header():
                return {}
            entries = {}
            for line in handle:
                digest, _, entry = line.rstrip("\n").partition(" ")
                entries[digest] = entry
            return entries
    except (OSError, UnicodeDecodeError):
        return {}
