"""pytest hooks only: each one reads the settings and hands off to a module.

Importing this module is cheap by design (no litellm, pydantic or yaml): a pytest run
that does not pass ``--llm-regressions`` pays nothing for the plugin being installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_regressions import gate_options, options


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the plugin's options, all under one ``--help`` group."""
    options.add_options(parser)
    gate_options.add_options(parser)
    from llm_regressions.traces import cli

    cli.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``--llm-inspect-trace`` / ``--promote-trace`` are commands: run them, no tests."""
    from llm_regressions.traces import cli

    return cli.run(config) if cli.wants_command(config) else None


def pytest_configure(config: pytest.Config) -> None:
    """Register markers; when enabled, resolve settings and aim collection at the cases."""
    config.addinivalue_line("markers", "llm_regression: a YAML LLM regression case")
    config.addinivalue_line("markers", "golden: a case in the golden set that gates deploys")
    settings = options.Settings.from_config(config)
    config.stash[options.SETTINGS_KEY] = settings
    if not settings.enabled:
        return
    from llm_regressions.replay import setup
    from llm_regressions.report import session

    setup.configure(config, settings)
    session.configure(config)
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        # No paths on the command line: run the regression set, not the unit tests.
        root = Path(config.rootpath)
        config.args[:] = [str(root / p) for p in settings.paths if (root / p).exists()] or [
            str(root / settings.paths[0])
        ]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Live replay: start importing litellm while pytest collects."""
    settings = options.get_settings(session.config)
    if settings.enabled:
        from llm_regressions.replay import setup

        setup.start_session(session.config, settings)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection(session: pytest.Session):
    """The collected cases live all session: keep the cyclic GC off them (gcutil)."""
    if not options.get_settings(session.config).enabled:
        return (yield)
    from llm_regressions.gcutil import long_lived

    with long_lived():
        return (yield)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Turn case files into collectors; leave every other file alone."""
    config = parent.config
    if not options.get_settings(config).enabled:
        return None
    from llm_regressions.collect import CaseFile, is_case_file

    if is_case_file(file_path, config):
        return CaseFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session):
    """Run the cases even when some case files failed to load (each failed file is
    already reported as a collection error); other collection errors still stop pytest."""
    if options.get_settings(session.config).enabled:
        from llm_regressions.collect import broken_case_files
        from llm_regressions.replay import setup

        if session.testsfailed and broken_case_files(session.config) == session.testsfailed:
            session.config.option.continue_on_collection_errors = True
        setup.start_run(session)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Queue the calls of tests xdist just scheduled here; send nothing new after -x."""
    if not options.get_settings(item.config).enabled:
        return (yield)
    from llm_regressions.replay import setup

    setup.before_test(item, nextitem)
    try:
        return (yield)
    finally:
        setup.after_test(item)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the golden cases / this shard's cases; warn about unpinned model names."""
    if options.get_settings(config).enabled:
        from llm_regressions.selection import select

        select(config, items, gate_options.get_gate_settings(config))
    if options.get_settings(config).calls_models:
        from llm_regressions.replay import setup

        setup.warn_unpinned(config, items)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """Say "model drift" next to the verdict of a case the provider served another model."""
    if options.get_settings(config).calls_models:
        from llm_regressions.replay.summary import teststatus

        return teststatus(report)
    return None


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    """Say how cases get their answers (mode, model override, concurrency)."""
    if not options.get_settings(config).enabled:
        return None
    from llm_regressions.replay import setup

    return setup.header(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the replay engine's thread, if one was started."""
    if options.get_settings(config).enabled:
        from llm_regressions.replay import setup

        setup.finish(config)
