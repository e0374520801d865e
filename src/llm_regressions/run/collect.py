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
from typing import TYPE_CHECKING, NoReturn

import pytest

from llm_regressions.options import get_settings

if TYPE_CHECKING:
    from llm_regressions.casefile.loader import LoadedCase
    from llm_regressions.casefile.parsed_cache import ParsedCache
    from llm_regressions.prompts.current import CurrentPrompt
    from llm_regressions.prompts.template import Template

CASE_SUFFIXES = (".yaml", ".yml")
_TOP_LEVEL_KEY = re.compile(rb"^(version|id|cases):", re.MULTILINE)

# id -> display path of the file that defined it first, for duplicate detection.
_SEEN_IDS = pytest.StashKey[dict[str, str]]()
# How many case files failed to load in this session.
_BROKEN_FILES = pytest.StashKey[int]()


def broken_case_files(config: pytest.Config) -> int:
    return config.stash.get(_BROKEN_FILES, 0)


_ROOTS = pytest.StashKey[tuple[str, ...]]()
# Prompt template files parsed this session, by path (many cases share one).
_TEMPLATES = pytest.StashKey[dict[Path, "Template"]]()


_PARSED = pytest.StashKey["ParsedCache"]()


def parsed_cache(config: pytest.Config) -> ParsedCache:
    """This session's store of parsed case files (in the cache folder), made once."""
    if _PARSED not in config.stash:
        from llm_regressions.casefile.parsed_cache import ParsedCache

        folder = Path(config.rootpath) / get_settings(config).cache_dir
        config.stash[_PARSED] = ParsedCache(folder)
    return config.stash[_PARSED]


def save_parsed_cache(config: pytest.Config) -> None:
    """Keep what this session's collection parsed for the next one."""
    if _PARSED in config.stash:
        config.stash[_PARSED].save()


def case_roots(config: pytest.Config) -> tuple[str, ...]:
    """The case folders as path prefixes (both as written and resolved), computed once."""
    if _ROOTS not in config.stash:
        root = Path(config.rootpath)
        folders = [root / p for p in get_settings(config).paths]
        config.stash[_ROOTS] = tuple(
            {str(f) + os.sep for f in folders} | {str(f.resolve()) + os.sep for f in folders}
        )
    return config.stash[_ROOTS]


def collect_file(path: Path, parent: pytest.Collector) -> CaseFile | None:
    """A collector for ``path`` when it is a case file, else None."""
    return CaseFile.from_parent(parent, path=path) if is_case_file(path, parent.config) else None


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
        from llm_regressions.casefile.loader import CaseFormatError, load_case_file
        from llm_regressions.run.item import CaseItem

        display = self.nodeid or str(self.path)  # relative to the rootdir
        try:
            loaded = load_case_file(self.path, display, parsed_cache(self.config).load)
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
        for case in loaded:
            self._check_model(case, display)
        prompts = [self._app_code(case, display) for case in loaded]
        for case, prompt in zip(loaded, prompts, strict=True):
            case.lines = None  # located errors are all reported: drop the line map
            seen[case.case.id] = display
            yield CaseItem.from_parent(self, name=case.case.id, loaded=case, current_prompt=prompt)

    def _check_model(self, loaded: LoadedCase, display: str) -> None:
        """A model litellm cannot route is refused here, before anything is sent (an
        app target picks its own models: not checked)."""
        from llm_regressions.traces.providers import routable, unroutable_case

        settings = get_settings(self.config)
        model = settings.model_for(loaded.case)
        if not settings.calls_models or loaded.case.target is not None or routable(model):
            return
        if settings.model_override:
            self._broken(f"--llm-model: {unroutable_case(model)}")
        line = loaded.line_of(("model", "name"))
        self._broken(f"{display}:{line}: model.name: {unroutable_case(model)}")

    def _app_code(self, loaded: LoadedCase, display: str) -> CurrentPrompt | None:
        """Check the app code a case names (its ``target``, its ``prompt:`` template or
        hook), so mistakes are collection errors located in the case file."""
        from llm_regressions.prompts.current import prepare
        from llm_regressions.prompts.template import PromptError

        case, live = loaded.case, get_settings(self.config).calls_models
        if case.target is not None and live:
            from llm_regressions.targets.run import check_target
            from llm_regressions.usercode import UserCodeError

            try:
                check_target(case.target, case.input or {})
            except UserCodeError as exc:
                self._broken(f"{display}:{loaded.line_of(('target',))}: target: {exc}")
        templates = self.config.stash.setdefault(_TEMPLATES, {})
        try:
            return prepare(loaded, display, self.config.rootpath, live, templates)
        except PromptError as exc:
            self._broken(str(exc))

    def _broken(self, message: str) -> NoReturn:
        """Report this file as a collection error (no traceback) and count it."""
        self.config.stash[_BROKEN_FILES] = broken_case_files(self.config) + 1
        raise self.CollectError(message)
