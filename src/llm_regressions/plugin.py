"""Every pytest hook the plugin implements, each a line or two that hands off.

Options live in :mod:`llm_regressions.options`; the trace commands in
:mod:`llm_regressions.promote.commands`; everything a ``--llm-regressions`` session
does in its session object, :class:`llm_regressions.run.session.LlmSession`.

Importing this module is cheap by design (no litellm, pydantic or yaml): a pytest run
that does not pass ``--llm-regressions`` pays nothing for the plugin being installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from llm_regressions import options

if TYPE_CHECKING:
    from llm_regressions.run.session import LlmSession


def _session(config: pytest.Config) -> LlmSession | None:
    """The session object, or None when ``--llm-regressions`` is off (nothing imported)."""
    if not options.get_settings(config).enabled:
        return None
    from llm_regressions.run.session import session_of

    return session_of(config)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the plugin's options, all under one ``--help`` group."""
    options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``--llm-inspect-trace`` / ``--promote-trace`` are commands: run them, no tests."""
    wanted = options.promote_settings(config)
    if not wanted.wanted:
        return None
    options.check_companions(config)
    from llm_regressions.promote import commands

    return commands.run(config, wanted)


def pytest_configure(config: pytest.Config) -> None:
    """Register markers; resolve the settings; with ``--llm-regressions``, start the
    session object and aim collection at the cases."""
    config.addinivalue_line("markers", "llm_regression: a YAML LLM regression case")
    config.addinivalue_line("markers", "golden: a case in the golden set that gates deploys")
    settings = options.configure(config)
    monitoring = options.monitor_settings(config)
    if monitoring.wanted:
        from llm_regressions.monitor import session as monitor_session

        monitor_session.start(config, monitoring)
    if settings.enabled:
        from llm_regressions.run import session

        llm = session.start(config, settings)
        config.pluginmanager.register(SessionHooks(llm), "llm-regressions-session")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Live replay: start importing litellm while pytest collects."""
    if llm := _session(session.config):
        llm.begin_import()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection(session: pytest.Session):
    """The collected cases live all session: keep the cyclic GC off them (gcutil)."""
    if _session(session.config) is None:
        return (yield)
    from llm_regressions.gcutil import long_lived

    with long_lived():
        return (yield)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Turn case files into collectors; leave every other file alone."""
    if _session(parent.config) is None:
        return None
    from llm_regressions.run.collect import collect_file

    return collect_file(file_path, parent)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the parsed case files for the next run (only what changed is parsed again)."""
    if _session(session.config) is not None:
        from llm_regressions.run.collect import save_parsed_cache

        save_parsed_cache(session.config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the golden cases / this shard's cases; warn about unpinned model names."""
    if llm := _session(config):
        llm.select(items)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    """Say how cases get their answers (mode, model override, concurrency)."""
    llm = _session(config)
    return llm.header() if llm else None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session):
    """Run the cases despite broken case files (each already reported); queue calls."""
    if llm := _session(session.config):
        llm.start_run(session)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Queue the calls of tests xdist just scheduled here; send nothing new after -x."""
    llm = _session(item.config)
    if llm is None:
        return (yield)
    llm.before_test(item, nextitem)
    try:
        return (yield)
    finally:
        llm.after_test(item)


class SessionHooks:
    """The hooks pytest calls with a report and no config: registered per session (in
    :func:`pytest_configure`) so they know which session object to hand off to."""

    def __init__(self, llm: LlmSession) -> None:
        self.llm = llm

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Read each case's record off its reports (before JUnit XML writes them)."""
        self.llm.logged(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Count collection errors: a threshold never excuses a run that lost tests."""
        self.llm.collected(report)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """Say "model drift" next to the verdict of a case the provider served another model."""
    if not options.get_settings(config).calls_models:
        return None
    from llm_regressions.run.record import teststatus

    return teststatus(report)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Gate, write the reports, set the exit status, update case statuses."""
    if llm := _session(session.config):
        llm.finish(session)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The one ``llm regressions`` section."""
    if llm := _session(terminalreporter.config):
        llm.terminal_summary(terminalreporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the replay engine's thread, if one was started."""
    if llm := _session(config):
        llm.close()
