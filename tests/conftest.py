"""Shared fixtures for the plugin's own tests (which drive real pytest sessions)."""

from __future__ import annotations

import gc
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

MINIMAL_CASE = """\
version: 1
id: {id}
label: {label}
model:
  name: openai/gpt-4o-mini-2024-07-18
request:
  messages:
    - {{role: user, content: "Can I still return my order from 3 weeks ago?"}}
observed:
  output: "Yes, you have 30 days to return it."
expected:
  output: "Orders can be returned within 14 days of delivery."
checks:
  - not_contains: "30 days"
  - contains: "14 days"
"""


#: No test here takes a minute; one that hangs (a lost wakeup, a call nobody answers)
#: fails after this long with its stack, instead of stalling the run and CI.
HANG_SECONDS = 300


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test gets pytest-timeout's limit (a test's own timeout mark or
    ``--timeout`` wins); without pytest-timeout installed, nothing changes."""
    if not config.pluginmanager.hasplugin("timeout") or config.getoption("timeout"):
        return
    for item in items:
        item.add_marker(pytest.mark.timeout(HANG_SECONDS))


@pytest.fixture
def write_case(pytester: pytest.Pytester):
    """Write a case file under ``regressions/`` and return its path.

    ``write_case("rag/refund.yaml", text)`` writes ``text`` (dedented); without text a
    minimal valid case is written, with ``id``/``label`` filled from keyword arguments.
    """

    def write(relative: str, text: str | None = None, **fields: str) -> Path:
        path = pytester.path / "regressions" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            stem = Path(relative).stem
            text = MINIMAL_CASE.format(
                id=fields.get("id", stem), label=fields.get("label", "stale_policy_retrieval")
            )
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sessions under test must not append to the CI job's own step summary, nor read
    a provider key or LiteLLM setting from the machine (tests that need one set it)."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)


_TESTS_PER_SWEEP = 100
_tests_since_sweep = 0


@pytest.fixture(autouse=True)
def _sweep_frozen_sessions() -> Iterator[None]:
    """A --llm-regressions session freezes what it collected (gcutil), which after an
    in-process pytester run is garbage. Every few tests, unfreeze, collect, and freeze
    the survivors again: memory stays bounded, and the long-lived objects (litellm's)
    are not walked by every collection in between."""
    global _tests_since_sweep
    yield
    _tests_since_sweep += 1
    if _tests_since_sweep >= _TESTS_PER_SWEEP and gc.get_freeze_count():
        _tests_since_sweep = 0
        gc.unfreeze()
        gc.collect()
        gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def _litellm_imported() -> None:
    """Import all our modules and litellm once, before any in-process pytester run.

    pytester restores ``sys.modules`` after each run: anything first imported inside a
    run is imported again in the next, so a background thread left from one run (the
    replay loop, litellm's import) could meet a second copy of a module (a second
    ``NotSent`` class, a half-imported litellm), and the ``importlib_metadata`` finder
    litellm's import adds to ``sys.meta_path`` would be orphaned, hiding every pytest11
    entry point (so the plugin's options) from later runs. Importing everything first,
    in every worker, gives all runs the same modules. litellm takes seconds: done once.
    """
    import importlib
    import pkgutil

    import llm_regressions
    from llm_regressions.replay import client

    for module in pkgutil.walk_packages(llm_regressions.__path__, "llm_regressions."):
        if module.name != "llm_regressions.__main__":
            importlib.import_module(module.name)
    client.litellm()


@pytest.fixture
def llm_stub(monkeypatch: pytest.MonkeyPatch, _litellm_imported: None):
    """A loopback OpenAI-compatible server (``tests/stub_support.py``), fresh per test.

    ``OPENAI_API_KEY`` is set to a dummy so the credentials check passes; give a
    pytester run ``*llm_stub.args()`` to aim every call at the stub.
    """
    from stub_support import StubServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    server = StubServer().start()
    yield server
    server.stop()


@pytest.fixture
def prompt_stub(monkeypatch: pytest.MonkeyPatch, _litellm_imported: None):
    """Like ``llm_stub``, but scripted rules match text anywhere in the messages (the
    system prompt too), for tests where a prompt edit changes the answer."""
    from prompt_support import PromptStub

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    server = PromptStub().start()
    yield server
    server.stop()
