"""pytest-llm-regressions: trace-based regression testing of LLM applications.

The pytest plugin lives in :mod:`llm_regressions.plugin`; importing this package is cheap
(no litellm, no pydantic) so that a pytest run that does not use the plugin pays nothing.
"""

from __future__ import annotations

__version__ = "0.1.0"


def pinned_model(default: str | None = None) -> str | None:
    """The model the running regression case is pinned to, for an app target to call
    (``LLM_REGRESSIONS_MODEL``); ``default`` outside a ``pytest --llm-regressions`` run."""
    import os

    return os.environ.get("LLM_REGRESSIONS_MODEL", default)


def api_base(default: str | None = None) -> str | None:
    """The endpoint given with ``--llm-api-base`` (``LLM_REGRESSIONS_API_BASE``), for an
    app target to pass to litellm; ``default`` when none was given."""
    import os

    return os.environ.get("LLM_REGRESSIONS_API_BASE", default)
