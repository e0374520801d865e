"""Calling the user's own code: ``python`` checks, prompt render hooks, app targets.

One way to import it (``module:attr`` by name, never evaluated), one way to check a
call before making it (the signature, so a typo is a located collection error), one way
to run it (sync, or async on an event loop the caller chooses), and two errors:
:class:`UserCodeError` when the code cannot be reached or called as written in a case
file (the user fixes the case), :class:`AppRaised` when it ran and raised (the app's
bug, shown with the app's own frames only).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import inspect
import re
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pluggy
import pytest

_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

#: Runs a coroutine to its result: ``asyncio.run`` by default; targets pass the replay
#: engine's loop (litellm binds its callbacks to one loop).
RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


class UserCodeError(Exception):
    """The referenced code cannot be imported, is not callable, or does not accept the
    arguments the case gives it; ``str()`` says which, without location (the caller
    knows the case field)."""


class AppRaised(Exception):
    """App code (a render hook or a target) raised: the app's bug, shown with the app's
    traceback as the case's failure."""

    def __init__(self, what: str, exc: BaseException) -> None:
        super().__init__(_raised(what, exc))
        self.original = exc


def _raised(what: str, exc: BaseException) -> str:
    """``what raised X: message`` and the traceback of the user's own frames only."""
    # Drop the plugin's, pytest's and importlib's frames: the first frame shown is the app's.
    text = "".join(
        ["Traceback (most recent call last):\n", *_app_frames(exc)]
        + traceback.format_exception_only(type(exc), exc)
    )
    return f"{what} raised {type(exc).__name__}: {exc}\n\n{text.rstrip()}"


#: Frames under these folders are the plugin's, pytest's, pluggy's, importlib's or the
#: event loop's, not the app's.
_NOT_APP = tuple(
    str(Path(inspect.getfile(code)).parent)
    for code in (asyncio, concurrent.futures, importlib, pytest.Item, pluggy.PluginManager)
) + (str(Path(__file__).parent), "<frozen ")


def _app_frames(exc: BaseException) -> list[str]:
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_NOT_APP)
    ]
    return traceback.format_list(frames)


def resolve(reference: str) -> Any:
    """Import ``package.module:attr.sub`` and return the attribute."""
    if not _REFERENCE.match(reference):
        raise UserCodeError(f"{reference!r} is not a 'module:function' reference")
    module_name, _, attribute = reference.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserCodeError(f"cannot import {module_name!r}: {exc}") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's module is broken
        raise UserCodeError(_raised(f"importing {module_name!r}", exc)) from None
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise UserCodeError(f"{module_name!r} has no attribute {attribute!r}") from None
    return found


def resolve_callable(reference: str) -> Any:
    """:func:`resolve`, refusing what cannot be called."""
    function = resolve(reference)
    if not callable(function):
        raise UserCodeError(f"{reference!r} is not callable")
    return function


def signature_problem(function: Any, kwargs: dict[str, Any], positional: int = 0) -> str | None:
    """Why ``function(*<positional args>, **kwargs)`` cannot be called, checked without
    calling it."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*([None] * positional), **kwargs)
    except TypeError as exc:
        return str(exc)
    return None


def parameter_names(function: Any) -> list[str]:
    """The names ``function`` accepts as keywords, in order (to bind recorded
    positional arguments by)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.kind in kinds]


def call(function: Any, kwargs: dict[str, Any], run_async: RunAsync | None = None) -> Any:
    """Call user code that may be sync or async; an awaitable result is run to its
    value by ``run_async`` (default: a fresh event loop in this thread)."""
    value = function(**kwargs)
    if inspect.isawaitable(value):
        return (run_async or asyncio.run)(_awaited(value))
    return value


async def _awaited(value: Any) -> Any:
    return await value
