"""Model identity: is a model name pinned to a snapshot, and did the provider serve it?

A regression set is only meaningful against a fixed model: ``gpt-4o`` moves under you,
``gpt-4o-2024-08-06`` does not. Unpinned names are warned about at collection (an error
with ``--llm-strict-pins``); a served model that differs from the pinned one is shown as
"model drift" next to the verdict.
"""

from __future__ import annotations

import fnmatch
import re

import pytest

# A date snapshot (2024-08-06, 20241022, 2024-05-13), a numbered revision (-001, -0613,
# @001, -v1:0), or an explicit non-"latest" tag (llama3:8b-instruct-q4).
_PINNED = re.compile(
    r"(\d{4}-\d{2}-\d{2}|(?<!\d)20\d{6}(?!\d)|[-@]\d{3,4}(?!\d)|-v\d+(:\d+)?$|:(?!latest$)[\w.-]+$)"
)


class UnpinnedModelWarning(pytest.PytestWarning):
    """A case replays on a model name that the provider may move to a new snapshot."""


def is_pinned(model: str, allowed: tuple[str, ...] = ()) -> bool:
    """True for snapshot-pinned names and names matching an allow-list glob."""
    if any(fnmatch.fnmatchcase(model, pattern) for pattern in allowed):
        return True
    return bool(_PINNED.search(model.rsplit("/", 1)[-1]))


def unpinned_message(model: str) -> str:
    return (
        f"model {model!r} is not pinned to a snapshot (e.g. gpt-4o-2024-08-06): its "
        "behaviour can change without any change on your side; pin it, or list it in ini "
        "llm_regressions_unpinned_models"
    )


def drift(requested: str, served: str | None) -> str | None:
    """'requested -> served' when the provider says it served another model, else None.

    Providers report the bare name (``gpt-4o-2024-08-06`` for ``openai/gpt-4o-2024-08-06``)
    and resolve aliases (``gpt-4o`` -> ``gpt-4o-2024-08-06``): neither is drift.
    """
    if not served:
        return None
    bare = requested.rsplit("/", 1)[-1]
    if served in (requested, bare) or served.endswith("/" + bare):
        return None
    if not is_pinned(bare) and served.startswith(bare):
        return None
    return f"{requested} -> {served}"
