"""``python -m llm_regressions report merge``, ``report html`` and ``gate``: the
sharded-CI half (and the HTML page of any report).

``gate`` applies :func:`llm_regressions.report.gate.evaluate` to a (merged) report exactly as
the plugin does at the end of a session, and exits as pytest would have.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llm_regressions.fsutil import atomic_write
from llm_regressions.report import html, json_report, markdown, terminal
from llm_regressions.report.gate import evaluate, exit_code
from llm_regressions.report.metrics import aggregate
from llm_regressions.settings import DEFAULT_GOLDEN_MIN, GateSettings, parse_label_rates


def add_commands(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="work with JSON reports (--llm-report)")
    sub = report.add_subparsers(dest="report_command", required=True)
    merge = sub.add_parser("merge", help="merge shard reports into one")
    merge.add_argument("reports", nargs="+", type=Path, help="the shards' --llm-report files")
    merge.add_argument("-o", "--output", type=Path, required=True, help="the merged report")
    page = sub.add_parser("html", help="write the HTML report of a JSON report")
    page.add_argument("report", type=Path, help="a --llm-report file (or a merged one)")
    page.add_argument("-o", "--output", type=Path, required=True, help="the HTML file")
    gate = commands.add_parser("gate", help="apply the deploy gate to a JSON report")
    gate.add_argument("report", type=Path, help="a --llm-report file (or a merged one)")
    gate.add_argument(
        "--golden", action="store_true", help="the golden gate, as --llm-golden (golden cases only)"
    )
    gate.add_argument(
        "--golden-min",
        type=int,
        default=DEFAULT_GOLDEN_MIN,
        metavar="N",
        help=f"fewest golden cases the golden gate accepts (default {DEFAULT_GOLDEN_MIN})",
    )
    gate.add_argument(
        "--min-pass-rate", type=float, default=None, metavar="RATE", help="as --llm-min-pass-rate"
    )
    gate.add_argument(
        "--label-min-pass-rate",
        action="append",
        default=[],
        metavar="LABEL=RATE",
        help="a per-label minimum, checked with --min-pass-rate (repeatable)",
    )
    gate.add_argument(
        "--baseline", type=Path, default=None, metavar="FILE", help="as --llm-baseline"
    )
    gate.add_argument(
        "--max-cost-increase",
        type=float,
        default=None,
        metavar="FRACTION",
        help="as --llm-baseline-max-cost-increase",
    )
    gate.add_argument(
        "--max-p95-increase",
        type=float,
        default=None,
        metavar="FRACTION",
        help="as --llm-baseline-max-p95-increase",
    )
    gate.add_argument(
        "--markdown", type=Path, default=None, metavar="FILE", help="also write the summary"
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "gate":
            return _gate(args)
        if args.report_command == "html":
            return _html(args)
        reports = [json_report.load(path) for path in args.reports]
        merged = json_report.merge(reports, [str(p) for p in args.reports])
        json_report.write(args.output, merged)
        count = len(merged["cases"])
        print(f"merged {count} cases from {len(reports)} reports into {args.output}")
        return 0
    except (json_report.ReportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _html(args: argparse.Namespace) -> int:
    report = json_report.load(args.report)
    try:
        atomic_write(args.output, html.render(report), overwrite=True)
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
        return 2
    what = "a monitor run" if report.get("monitor") else f"{len(report['cases'])} cases"
    print(f"wrote {args.output} ({what})")
    return 0


def _gate(args: argparse.Namespace) -> int:
    report = json_report.load(args.report)
    baseline = json_report.load(args.baseline) if args.baseline else None
    settings = GateSettings(
        golden=args.golden,
        golden_min=args.golden_min,
        min_pass_rate=args.min_pass_rate,
        label_min_pass_rate=parse_label_rates(args.label_min_pass_rate, "--label-min-pass-rate"),
        baseline=str(args.baseline) if args.baseline else None,
        max_cost_increase=args.max_cost_increase,
        max_p95_increase=args.max_p95_increase,
    )
    records = [r for r in report["cases"] if r["golden"]] if args.golden else report["cases"]
    result = evaluate(records, settings, baseline, json_report.incomplete_reason(report))
    report = {
        **report,
        "cases": records,
        "aggregates": aggregate(records),
        "gate": result.to_dict(),
    }
    lines = terminal.section(
        records,
        report["aggregates"],
        report["gate"],
        result.case_failures,
        rate_limits=report["run"].get("rate_limits") or [],
    )
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text(markdown.render(report), encoding="utf-8")
    return exit_code(records, result)
