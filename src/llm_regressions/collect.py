"""Which files are case files, and how one becomes pytest items.

Inside the configured case folders every ``.yaml``/``.yml`` file is a case file (so a
broken one is reported, never skipped). Elsewhere a YAML file is collected only when it
was named on the command line and looks like a case (a top-level ``version:`` plus
``id:`` or ``cases:``); other YAML files are left alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from llm_regressions.options import get_settings

CASE_SUFFIXES = (".yaml", ".yml")
_TOP_LEVEL_KEY = re.compile(rb"^(version|id|cases):", re.MULTILINE)

# id -> display path of the file that defined it first, for duplicate detection.
_SEEN_IDS = pytest.StashKey[dict[str, str]]()
# How many case files failed to load in this session.
_BROKEN_FILES = pytest.StashKey[int]()


def broken_case_files(config: pytest.Config) -> int:
    return config.stash.get(_BROKEN_FILES, 0)


_ROOTS = pytest.StashKey[tuple[str, ...]]()


def case_roots(config: pytest.Config) -> tuple[str, ...]:
    """The case folders as path prefixes (both as written and resolved), computed once."""
    if _ROOTS not in config.stash:
        root = Path(config.rootpath)
        folders = [root / p for p in get_settings(config).paths]
        config.stash[_ROOTS] = tuple(
            {str(f) + os.sep for f in folders} | {str(f.resolve()) + os.sep for f in folders}
        )
    return config.stash[_ROOTS]


def is_case_file(path: Path, config: pytest.Config) -> bool:
    if path.suffix not in CASE_SUFFIXES:
        return False
    # Cheap string test first: this runs for every file pytest walks past.
    if str(path).startswith(case_roots(config)):
        return True
    resolved = path.resolve()
    if str(resolved).startswith(case_roots(config)):
        return True
    return _named_on_command_line(resolved, config) and _looks_like_case(path)


def _named_on_command_line(path: Path, config: pytest.Config) -> bool:
    invocation = Path(config.invocation_params.dir)
    for arg in config.args:
        target = (invocation / arg.split("::")[0]).resolve()
        if target == path:
            return True
    return False


def _looks_like_case(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(65536)
    keys = set(_TOP_LEVEL_KEY.findall(head))
    return b"version" in keys and bool(keys & {b"id", b"cases"})


class CaseFile(pytest.File):
    """A YAML file holding one case (or several under ``cases:``)."""

    def collect(self) -> Iterator[pytest.Item]:
        from llm_regressions.items import CaseItem
        from llm_regressions.loader import CaseFormatError, load_case_file

        display = self.nodeid or str(self.path)  # relative to the rootdir
        try:
            loaded = load_case_file(self.path, display)
        except CaseFormatError as exc:
            self._broken(str(exc))
        except OSError as exc:
            self._broken(f"{display}: cannot read: {exc.strerror or exc}")
        seen = self.config.stash.setdefault(_SEEN_IDS, {})
        duplicates = [c for c in loaded if seen.get(c.case.id, display) != display]
        if duplicates:
            first = duplicates[0]
            self._broken(
                f"{display}:{first.line}: id: duplicate id {first.case.id!r}, "
                f"already defined in {seen[first.case.id]}"
            )
        from llm_regressions.promptcase import PromptError, prepare

        try:
            prompts = [prepare(case, self.config, display) for case in loaded]
        except PromptError as exc:
            self._broken(str(exc))
        for case, prompt in zip(loaded, prompts, strict=True):
            seen[case.case.id] = display
            item = CaseItem.from_parent(self, name=case.case.id, loaded=case)
            item.current_prompt = prompt
            yield item

    def _broken(self, message: str) -> NoReturn:
        """Report this file as a collection error (no traceback) and count it."""
        self.config.stash[_BROKEN_FILES] = broken_case_files(self.config) + 1
        raise self.CollectError(message)
