"""The trace commands, ``--llm-inspect-trace`` and ``--promote-trace``: their options
and the ``pytest_cmdline_main`` behaviour (like ``--fixtures``: no tests run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llm_regressions.options import option_group

PROMOTE_DIR_INI = "llm_regressions_promote_dir"


def add_options(parser: pytest.Parser) -> None:
    """Declare the trace options in the plugin's ``--help`` group."""
    group = option_group(parser)
    group.addoption(
        "--llm-inspect-trace",
        metavar="FILE",
        dest="llm_inspect_trace",
        help="Print FILE's span tree in time order (kind, latency, tokens, status, model, "
        "finish reason), the failure signals found and the first suspect span, then exit "
        "without running tests. Reads OTLP/JSON (OpenLLMetry, OpenInference, GenAI, "
        "Langfuse, litellm OTel), litellm logging payloads, LangSmith runs, Langfuse API "
        "observations, console exporter output and the plugin's own JSON.",
    )
    group.addoption(
        "--promote-trace",
        metavar="FILE",
        dest="promote_trace",
        help="Turn the failing LLM span of trace FILE into a regression case under "
        "regressions/<label>/ (ini llm_regressions_promote_dir), then exit. Needs --label "
        "and at least one check (--promote-check or --promote-suggested). Secrets are "
        "redacted and the checks must fail on the recorded output before anything is written.",
    )
    group.addoption(
        "--label",
        dest="promote_label",
        metavar="LABEL",
        help="With --promote-trace (required): the failure mode in snake_case, e.g. "
        "stale_policy_retrieval. Also the folder the case is written to.",
    )
    group.addoption(
        "--golden",
        action="store_true",
        dest="promote_golden",
        help="With --promote-trace: mark the case golden (it gates deploys).",
    )
    group.addoption(
        "--promote-span",
        metavar="ID",
        dest="promote_span",
        help="Promote this LLM span (hex id, as --llm-inspect-trace shows it) instead of "
        "the one the failure signals point at.",
    )
    group.addoption(
        "--promote-trace-id",
        metavar="ID",
        dest="promote_trace_id",
        help="Pick one trace from a file that holds several.",
    )
    group.addoption(
        "--promote-check",
        action="append",
        default=[],
        metavar="CHECK",
        dest="promote_checks",
        help="A check for the case, as YAML: --promote-check 'not_contains: 30 days'. Repeatable.",
    )
    group.addoption(
        "--promote-expected",
        metavar="TEXT|@FILE",
        dest="promote_expected",
        help="A known-good answer (the checks must pass on it). --promote-expected=@FILE "
        "reads it from FILE (write the '=': pytest itself expands a separate @FILE "
        "argument, one argument per line).",
    )
    group.addoption(
        "--promote-suggested",
        action="store_true",
        dest="promote_suggested",
        help="Add the checks suggested by the failure signals (json_valid for malformed "
        "JSON, finish_reason: stop for truncation, tool_not_called for a loop...).",
    )
    group.addoption(
        "--promote-unverified",
        action="store_true",
        dest="promote_unverified",
        help="Write the case even when its checks do not fail on the recorded output "
        "(tagged 'unverified').",
    )
    group.addoption(
        "--promote-force",
        action="store_true",
        dest="promote_force",
        help="Overwrite an existing case file and allow promoting the same span again.",
    )
    group.addoption(
        "--promote-redact-pattern",
        action="append",
        default=[],
        metavar="REGEX",
        dest="promote_redact_patterns",
        help="Also redact matches of REGEX (repeatable); API keys, bearer tokens, "
        "Authorization headers, passwords in URLs and secret-named fields always are.",
    )
    group.addoption(
        "--promote-logs",
        metavar="FILE",
        dest="promote_logs",
        help="OTLP/JSON logs file whose records carry the message content (GenAI "
        "conventions in event mode), joined to the spans by trace and span id. Also "
        "used by --llm-inspect-trace.",
    )
    group.addoption(
        "--promote-template",
        metavar="PATH",
        dest="promote_template",
        help="With --promote-trace: replay the case on the current prompt template PATH "
        "(a YAML file of chat messages with {{variable}} slots). The variables are taken "
        "from the trace's prompt-assembly span input; the case gets a prompt: section, "
        "and any difference between the rendering and the recorded messages is shown.",
    )
    group.addoption(
        "--promote-render",
        metavar="MODULE:FUNCTION",
        dest="promote_render",
        help="With --promote-trace: like --promote-template, for the app's own prompt "
        "function (called with the recorded variables as keyword arguments).",
    )
    group.addoption(
        "--promote-target",
        metavar="MODULE:FUNCTION",
        dest="promote_target",
        help="With --promote-trace: replay the case by calling the app's entry point "
        "with the root span's recorded input (target: and input: sections); its litellm "
        "calls are captured and checked.",
    )
    parser.addini(
        PROMOTE_DIR_INI,
        default="regressions",
        help="Folder (relative to the rootdir) --promote-trace writes cases into.",
    )


def wants_command(config: pytest.Config) -> bool:
    return bool(config.getoption("llm_inspect_trace") or config.getoption("promote_trace"))


def run(config: pytest.Config) -> int:
    """Run the trace command; a usage mistake raises pytest.UsageError (exit code 4)."""
    inspect_file = config.getoption("llm_inspect_trace")
    promote_file = config.getoption("promote_trace")
    if inspect_file and promote_file:
        raise pytest.UsageError("use --llm-inspect-trace or --promote-trace, not both")
    if config.getoption("numprocesses", None):
        raise pytest.UsageError(
            "--promote-trace/--llm-inspect-trace run no tests: drop -n (pytest-xdist)"
        )
    invocation = Path(config.invocation_params.dir)
    logs = config.getoption("promote_logs")
    logs_path = invocation / logs if logs else None
    if inspect_file:
        return _inspect(invocation / inspect_file, inspect_file, logs_path)
    return _promote(config, invocation / promote_file, logs_path)


def _inspect(path: Path, display: str, logs: Path | None) -> int:
    from llm_regressions.inspect import render
    from llm_regressions.traces import TraceError, read_trace

    try:
        trace = read_trace(path, logs)
    except TraceError as exc:
        return _fail(str(exc))
    sys.stdout.write(render(trace, display))
    return 0


def _promote(config: pytest.Config, path: Path, logs: Path | None) -> int:
    from llm_regressions.promote import USAGE, PromoteError, PromoteRequest, promote
    from llm_regressions.promoteprompt import AppCode

    # pytest picks the rootdir before plugin options are known, so "--promote-trace FILE"
    # counts FILE as a test path and the rootdir can land next to the trace file. Cases
    # belong to the project the user runs from: trust the rootdir only if it contains it.
    invocation = Path(config.invocation_params.dir)
    root = Path(config.rootpath)
    root = root if invocation.resolve().is_relative_to(root.resolve()) else invocation
    request = PromoteRequest(
        trace=path,
        label=config.getoption("promote_label"),
        out_dir=root / config.getini(PROMOTE_DIR_INI),
        golden=config.getoption("promote_golden"),
        checks=config.getoption("promote_checks"),
        expected=config.getoption("promote_expected"),
        suggested=config.getoption("promote_suggested"),
        unverified=config.getoption("promote_unverified"),
        force=config.getoption("promote_force"),
        span_id=config.getoption("promote_span"),
        trace_id=config.getoption("promote_trace_id"),
        redact_patterns=config.getoption("promote_redact_patterns"),
        logs=logs,
        base=invocation,
        app=AppCode(
            template=config.getoption("promote_template"),
            render=config.getoption("promote_render"),
            target=config.getoption("promote_target"),
            root=root,
            invocation=invocation,
        ),
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
