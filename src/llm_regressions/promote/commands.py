"""The trace commands, ``--llm-inspect-trace`` and ``--promote-trace``, run from
``pytest_cmdline_main`` (like ``--fixtures``: no tests run). Their options are declared
in :mod:`llm_regressions.options` and arrive here as ``PromoteSettings``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from llm_regressions.settings import PromoteSettings

if TYPE_CHECKING:
    from llm_regressions.traces.redact import Redactor


def run(config: pytest.Config, wanted: PromoteSettings) -> int:
    """Run the trace command; a usage mistake raises pytest.UsageError (exit code 4)."""
    if wanted.inspect and wanted.trace:
        raise pytest.UsageError("use --llm-inspect-trace or --promote-trace, not both")
    if config.getoption("numprocesses", None):
        raise pytest.UsageError(
            "--promote-trace/--llm-inspect-trace run no tests: drop -n (pytest-xdist)"
        )
    invocation = Path(config.invocation_params.dir)
    logs = invocation / wanted.logs if wanted.logs else None
    if wanted.inspect:
        return _inspect(invocation, wanted, logs)
    return _promote(config, wanted, invocation, logs)


def _inspect(invocation: Path, wanted: PromoteSettings, logs: Path | None) -> int:
    """Print the report, redacted like a promoted case (--promote-redact-pattern too):
    one file's span tree, two files compared, or the failure clusters of many."""
    from llm_regressions.promote.errors import PromoteError
    from llm_regressions.promote.promotion import redactor_for
    from llm_regressions.traces import TraceError, read_trace

    try:
        redactor = redactor_for(wanted.redact_patterns)
    except PromoteError as exc:
        raise pytest.UsageError(str(exc)) from None
    paths = [invocation / name for name in wanted.inspect]
    single = len(paths) == 1 and not paths[0].is_dir()
    if not single:
        return _clusters(paths, wanted, logs, redactor)
    try:
        trace = read_trace(paths[0], logs)
        good = read_trace(invocation / wanted.known_good) if wanted.known_good else None
    except TraceError as exc:
        return _fail(redactor.text(str(exc))[0])
    if good is not None:
        from llm_regressions.diagnose.known_good import render as compare

        shown = (wanted.inspect[0], wanted.known_good)
        sys.stdout.write(compare(trace, good, shown, redactor))
        return 0
    from llm_regressions.traces.inspection import render

    sys.stdout.write(render(trace, wanted.inspect[0], redactor))
    return 0


def _clusters(
    paths: list[Path], wanted: PromoteSettings, logs: Path | None, redactor: Redactor
) -> int:
    """Failure clusters across the files; 1 when none of them could be read."""
    from llm_regressions.diagnose import trace_clusters

    if wanted.known_good:
        raise pytest.UsageError(
            "--llm-known-good compares one failing trace file: give --llm-inspect-trace "
            "exactly one file, not several or a folder"
        )
    if logs:
        raise pytest.UsageError(
            "--promote-logs joins one OTLP trace file: give --llm-inspect-trace one file"
        )
    files, skipped = trace_clusters.trace_files(list(zip(paths, wanted.inspect, strict=True)))
    seen, unreadable = trace_clusters.inspect_files(files, redactor)
    extra = [word for p in wanted.redact_patterns for word in ("--promote-redact-pattern", p)]
    report = trace_clusters.render(seen, unreadable, skipped, extra)
    sys.stdout.write(redactor.text(report)[0])
    return 0 if seen.files else 1


def _promote(
    config: pytest.Config, wanted: PromoteSettings, invocation: Path, logs: Path | None
) -> int:
    from llm_regressions.promote.appcode import AppCode
    from llm_regressions.promote.errors import USAGE, PromoteError
    from llm_regressions.promote.promotion import PromoteRequest, promote

    # pytest picks the rootdir before plugin options are known, so "--promote-trace FILE"
    # counts FILE as a test path and the rootdir can land next to the trace file. Cases
    # belong to the project the user runs from: trust the rootdir only if it contains it.
    root = Path(config.rootpath)
    root = root if invocation.resolve().is_relative_to(root.resolve()) else invocation
    request = PromoteRequest(
        trace=invocation / wanted.trace,
        label=wanted.label,
        out_dir=root / wanted.out_dir,
        golden=wanted.golden,
        session=wanted.session,
        checks=list(wanted.checks),
        expected=wanted.expected,
        suggested=wanted.suggested,
        unverified=wanted.unverified,
        force=wanted.force,
        span_id=wanted.span_id,
        trace_id=wanted.trace_id,
        redact_patterns=list(wanted.redact_patterns),
        logs=logs,
        base=invocation,
        app=AppCode(wanted.template, wanted.render, wanted.target, root, invocation),
    )
    try:
        lines = promote(request)
    except PromoteError as exc:
        if exc.code == USAGE:
            raise pytest.UsageError(str(exc)) from None
        return _fail(str(exc))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _fail(message: str) -> int:
    sys.stdout.write(f"ERROR: {message}\n")
    return 1
